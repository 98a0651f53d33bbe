/**
 * Reads a committee `KeyServer` from chain, through the core-client calls every other chain read
 * of the key server uses (so the offline registry serves it in tests):
 * - `KeyServerV2` is the dynamic field `2u64` of the `KeyServer` object (MystenLabs/seal
 *   move/seal/sources/key_server.move and crates/seal-committee/src/grpc_helper.rs
 *   `fetch_key_server_by_id`, ddc7e5d6): `{name, key_type, pk, server_type: Independent{url} |
 *   Committee{version: u32, threshold: u16, partial_key_servers: [{name, url, partial_pk,
 *   party_id: u16}]}}`;
 * - a member finds its party through the committee object: the `KeyServer` is a dynamic object
 *   field of the `Committee`, so its owner is the field wrapper `Field<Wrapper<ID>, ID>` whose
 *   name is the committee id; the committee's `members: vector<address>` is indexed by party id
 *   (grpc_helper.rs `fetch_committee_from_key_server`, move_types.rs `to_partial_key_servers`,
 *   move/committee/sources/committee.move `Committee`).
 */
import { bcs } from '@mysten/sui/bcs';
import { equalBytes } from '@noble/curves/utils.js';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { deriveDynamicFieldID, normalizeSuiAddress } from '@mysten/sui/utils';
import { CommitteeChainError } from '../errors.js';

export const PartialKeyServerBcs = bcs.struct('PartialKeyServer', {
	name: bcs.string(),
	url: bcs.string(),
	partialPk: bcs.byteVector(),
	partyId: bcs.u16(),
});
export const KeyServerV2Bcs = bcs.struct('KeyServerV2', {
	name: bcs.string(),
	keyType: bcs.u8(),
	pk: bcs.byteVector(),
	serverType: bcs.enum('ServerType', {
		Independent: bcs.struct('Independent', { url: bcs.string() }),
		Committee: bcs.struct('Committee', {
			version: bcs.u32(),
			threshold: bcs.u16(),
			partialKeyServers: bcs.vector(PartialKeyServerBcs),
		}),
	}),
});
const FieldU64KeyServerV2 = bcs.struct('Field', {
	id: bcs.Address,
	name: bcs.u64(),
	value: KeyServerV2Bcs,
});
/** `Field<Wrapper<ID>, ID>`: the dynamic-object-field wrapper that owns the `KeyServer`. */
const FieldWrapperId = bcs.struct('Field', {
	id: bcs.Address,
	name: bcs.struct('Wrapper', { name: bcs.Address }),
	value: bcs.Address,
});
/** The leading fields of `seal_committee::Committee` (the rest is not needed here). */
const CommitteeHead = bcs.struct('Committee', {
	id: bcs.Address,
	threshold: bcs.u16(),
	members: bcs.vector(bcs.Address),
});

export interface PartialKeyServer {
	name: string;
	url: string;
	/** 96-byte compressed G2. */
	partialPk: Uint8Array;
	partyId: number;
}

export interface CommitteeKeyServer {
	objectId: string;
	name: string;
	/** The committee's aggregate public key (what clients encrypt to). */
	pk: Uint8Array;
	version: number;
	threshold: number;
	members: PartialKeyServer[];
}

/** Reads `KeyServerV2` of `objectId`; refuses an object that is not a committee server. */
export async function readCommitteeKeyServer(
	client: ClientWithCoreApi,
	objectId: string,
): Promise<CommitteeKeyServer> {
	const id = normalizeSuiAddress(objectId);
	const fieldId = deriveDynamicFieldID(id, 'u64', bcs.u64().serialize(2).toBytes());
	const content = await objectContent(client, fieldId, `KeyServerV2 field of ${id}`);
	let v2;
	try {
		v2 = FieldU64KeyServerV2.parse(content).value;
	} catch (error) {
		throw new CommitteeChainError(`the KeyServerV2 field of ${id} does not parse`, {
			cause: error,
		});
	}
	if (v2.serverType.$kind !== 'Committee') {
		throw new CommitteeChainError(`key server ${id} is not of type Committee`);
	}
	const committee = v2.serverType.Committee;
	return {
		objectId: id,
		name: v2.name,
		pk: Uint8Array.from(v2.pk),
		version: committee.version,
		threshold: committee.threshold,
		members: committee.partialKeyServers.map((p) => ({
			name: p.name,
			url: p.url,
			partialPk: Uint8Array.from(p.partialPk),
			partyId: p.partyId,
		})),
	};
}

/**
 * The partial key server of `memberAddress`. Upstream's path: the `KeyServer` is held by a
 * `seal_committee` committee object (through a dynamic object field) and the member's party id is
 * its index in that committee's `members`.
 *
 * A committee `KeyServer` held by an address instead (what `seal-policies localnet up --committee`
 * creates in one PTB from a trusted dealer's shares; there is no committee object to list the
 * members) is matched by the member's own share: the partial key server whose `partial_pk` is
 * `sharePartialPk`. Any share would "match" itself this way, so this path proves only which
 * party the share belongs to, never that the member may hold it: it serves localnet, where the
 * dealer handed out the shares.
 */
export async function readMemberPartialKeyServer(
	client: ClientWithCoreApi,
	keyServerObjectId: string,
	memberAddress: string,
	sharePartialPk?: Uint8Array,
): Promise<PartialKeyServer & { committeeId: string | undefined; version: number }> {
	const ksId = normalizeSuiAddress(keyServerObjectId);
	const member = normalizeSuiAddress(memberAddress);
	const object = await getObject(client, ksId, `key server ${ksId}`);
	const owner = object.owner;
	if (owner.$kind === 'AddressOwner' && sharePartialPk !== undefined) {
		const ks = await readCommitteeKeyServer(client, ksId);
		const partial = ks.members.find((p) => equalBytes(p.partialPk, sharePartialPk));
		if (!partial) {
			throw new CommitteeChainError(
				`key server ${ksId} (held by ${owner.AddressOwner}, no committee object) has no partial key server with this member's share`,
			);
		}
		return { ...partial, committeeId: undefined, version: ks.version };
	}
	if (owner.$kind !== 'ObjectOwner') {
		throw new CommitteeChainError(
			`key server ${ksId} is not held by a committee (owner is ${owner.$kind})`,
		);
	}
	const wrapper = await objectContent(client, owner.ObjectOwner, `owner of ${ksId}`);
	let committeeId: string;
	try {
		committeeId = normalizeSuiAddress(FieldWrapperId.parse(wrapper).name.name);
	} catch (error) {
		throw new CommitteeChainError(`the owner of ${ksId} is not a dynamic object field`, {
			cause: error,
		});
	}
	const committeeBytes = await objectContent(client, committeeId, `committee ${committeeId}`);
	let members: string[];
	try {
		members = CommitteeHead.parse(committeeBytes).members.map((m) => normalizeSuiAddress(m));
	} catch (error) {
		throw new CommitteeChainError(`committee ${committeeId} does not parse`, { cause: error });
	}
	const ks = await readCommitteeKeyServer(client, ksId);
	const partyId = members.indexOf(member);
	const partial = ks.members.find((p) => p.partyId === partyId);
	if (partyId < 0 || !partial) {
		throw new CommitteeChainError(
			`member ${member} is not in committee ${committeeId} of key server ${ksId}`,
		);
	}
	return { ...partial, committeeId, version: ks.version };
}

async function getObject(client: ClientWithCoreApi, objectId: string, what: string) {
	try {
		const { object } = await client.core.getObject({ objectId, include: { content: true } });
		return object;
	} catch (error) {
		throw new CommitteeChainError(`cannot read ${what}: ${(error as Error).message}`, {
			cause: error,
		});
	}
}

async function objectContent(
	client: ClientWithCoreApi,
	objectId: string,
	what: string,
): Promise<Uint8Array> {
	const object = await getObject(client, objectId, what);
	if (!object.content) throw new CommitteeChainError(`${what} (${objectId}) has no content`);
	return object.content;
}
