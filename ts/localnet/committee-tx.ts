/**
 * One PTB that registers a localnet committee with Mysten's Seal package, using only public
 * functions of `seal::key_server` (move/seal/sources/key_server.move, MystenLabs/seal
 * seal-v0.6.10):
 *
 *   p_i = create_partial_key_server(name: String, url: String, partial_pk: vector<u8>, party_id: u16)
 *   v   = MakeMoveVec<PartialKeyServer>(p_0 … p_{n-1})            (party_id = index, as validated)
 *   ks  = create_committee_v2(name: String, threshold: u16, pk: vector<u8>, v): KeyServer
 *   TransferObjects([ks], owner)                                  (KeyServer has key + store)
 *
 * The result is a `KeyServer` whose V2 dynamic field is `ServerType::Committee { version: 0, … }`,
 * which is what the SDK and an aggregator read. Upstream's own committees are created by the
 * `seal_committee` package after a DKG and kept as a dynamic object field of its `Committee`
 * object; this owned object has no such parent (see docs/localnet-and-e2e.md).
 */
import { Transaction, type TransactionObjectArgument } from '@mysten/sui/transactions';
import { normalizeObjectId } from '../identity.js';
import { LocalnetTopologyError } from './errors.js';

export interface CommitteeMemberEntry {
	/** Unique among the members (`EDuplicateName` otherwise). */
	name: string;
	/** Where the aggregator reaches this member; no trailing slash. */
	url: string;
	/** 96-byte compressed G2. */
	partialPublicKey: Uint8Array;
}

export interface CreateCommitteeOptions {
	sealPackageId: string;
	name: string;
	threshold: number;
	/** 96-byte compressed G2 of the committee. */
	masterPublicKey: Uint8Array;
	/** In party order: member i gets party_id i. */
	members: readonly CommitteeMemberEntry[];
	/** Receives the new KeyServer object. */
	owner: string;
}

export function buildCreateCommitteeTx(
	options: CreateCommitteeOptions,
	tx: Transaction = new Transaction(),
): Transaction {
	const pkg = normalizeObjectId(options.sealPackageId, 'sealPackageId');
	const owner = normalizeObjectId(options.owner, 'owner');
	const n = options.members.length;
	if (!Number.isInteger(options.threshold) || options.threshold < 2 || options.threshold > n) {
		throw new LocalnetTopologyError(
			'committee',
			`threshold ${options.threshold} must be 2..${n} (key_server::EInvalidThreshold)`,
		);
	}
	checkG2(options.masterPublicKey, 'committee public key');
	const names = new Set<string>();
	const partials: TransactionObjectArgument[] = options.members.map((member, partyId) => {
		checkG2(member.partialPublicKey, `partial public key of ${member.name}`);
		if (names.has(member.name)) {
			throw new LocalnetTopologyError(
				'committee',
				`member name '${member.name}' is used twice (key_server::EDuplicateName)`,
			);
		}
		names.add(member.name);
		if (member.url.endsWith('/')) {
			throw new LocalnetTopologyError('committee', `url '${member.url}' must not end with '/'`);
		}
		return tx.moveCall({
			target: `${pkg}::key_server::create_partial_key_server`,
			arguments: [
				tx.pure.string(member.name),
				tx.pure.string(member.url),
				tx.pure.vector('u8', Array.from(member.partialPublicKey)),
				tx.pure.u16(partyId),
			],
		});
	});
	const vector = tx.makeMoveVec({
		type: `${pkg}::key_server::PartialKeyServer`,
		elements: partials,
	});
	const [keyServer] = tx.moveCall({
		target: `${pkg}::key_server::create_committee_v2`,
		arguments: [
			tx.pure.string(options.name),
			tx.pure.u16(options.threshold),
			tx.pure.vector('u8', Array.from(options.masterPublicKey)),
			vector,
		],
	});
	if (keyServer === undefined) throw new LocalnetTopologyError('committee', 'no result');
	tx.transferObjects([keyServer], tx.pure.address(owner));
	return tx;
}

function checkG2(bytes: Uint8Array, what: string): void {
	if (bytes.length !== 96) {
		throw new LocalnetTopologyError(
			'committee',
			`${what} must be 96 bytes (compressed G2), got ${bytes.length}`,
		);
	}
}
