/**
 * OFFLINE TEST DOUBLE of the chain *read* side, used only by offline tests and the bench.
 *
 * `SealClient` and `SessionKey` reach the chain only through these core-client calls:
 * - `core.getObject({objectId, include:{content:true}})` for each `KeyServer` object (content =
 *   BCS `{id, first_version, last_version}`) and for the policy package (only `version` is read);
 * - `core.getDynamicField({parentId, name:{type:'u64', bcs}})`, which `CoreClient` implements on
 *   top of `getObjects` by deriving the field id and slicing the `Field<u64, KeyServerV2>` content;
 * - `verifyPersonalMessageSignature` uses the client only for zkLogin (not needed here);
 * - `tx.build({onlyTransactionKind:true})` needs no client when every input is pure.
 * So this class implements `getObjects` from an in-memory table holding the same BCS bytes a
 * chain returns, and every other transport method throws `OfflineRegistryUnsupportedError`.
 */
import { randomBytes } from 'node:crypto';
import { bcs } from '@mysten/sui/bcs';
import { BaseClient, CoreClient, ObjectError, type SuiClientTypes } from '@mysten/sui/client';
import type { TransactionPlugin } from '@mysten/sui/transactions';
import { deriveDynamicFieldID, normalizeSuiAddress } from '@mysten/sui/utils';

/** What a test asked the registry for that a real chain would answer but this double does not. */
export class OfflineRegistryUnsupportedError extends Error {
	override name = 'OfflineRegistryUnsupportedError';
	constructor(method: string) {
		super(
			`${method} is not available in the offline Sui registry (a test double that serves only ` +
				'key-server and package objects); use a real Sui client for chain access',
		);
	}
}

interface StoredObject {
	objectId: string;
	version: string;
	type: string;
	owner: SuiClientTypes.ObjectOwner;
	content: Uint8Array<ArrayBuffer>;
}

const KeyServerV2 = bcs.struct('KeyServerV2', {
	name: bcs.string(),
	keyType: bcs.u8(),
	pk: bcs.byteVector(),
	serverType: bcs.enum('ServerType', {
		Independent: bcs.struct('Independent', { url: bcs.string() }),
		Committee: bcs.struct('Committee', {
			version: bcs.u32(),
			threshold: bcs.u16(),
			partialKeyServers: bcs.vector(
				bcs.struct('PartialKeyServer', {
					name: bcs.string(),
					url: bcs.string(),
					partialPk: bcs.byteVector(),
					partyId: bcs.u16(),
				}),
			),
		}),
	}),
});
const KeyServerObject = bcs.struct('KeyServer', {
	id: bcs.Address,
	firstVersion: bcs.u64(),
	lastVersion: bcs.u64(),
});
const FieldU64KeyServerV2 = bcs.struct('Field', {
	id: bcs.Address,
	name: bcs.u64(),
	value: KeyServerV2,
});

/**
 * `seal_committee::Committee` (MystenLabs/seal move/committee/sources/committee.move, ddc7e5d6):
 * `{id, threshold: u16, members: vector<address>, state: State, old_committee_id: Option<ID>}`.
 * Only `Finalized` is written here (the state a committee holding a `KeyServer` is in).
 */
const CommitteeObject = bcs.struct('Committee', {
	id: bcs.Address,
	threshold: bcs.u16(),
	members: bcs.vector(bcs.Address),
	state: bcs.enum('State', {
		Init: bcs.struct('Init', { membersInfo: bcs.vector(bcs.u8()) }),
		PostDKG: bcs.struct('PostDKG', { unused: bcs.vector(bcs.u8()) }),
		Finalized: null,
	}),
	oldCommitteeId: bcs.option(bcs.Address),
});
/** `Field<Wrapper<ID>, ID>`: what `dof::add(&mut committee.id, committee_id, key_server)` leaves. */
const FieldWrapperId = bcs.struct('Field', {
	id: bcs.Address,
	name: bcs.struct('Wrapper', { name: bcs.Address }),
	value: bcs.Address,
});
const DOF_WRAPPER_ID_TYPE = '0x2::dynamic_object_field::Wrapper<0x2::object::ID>';

export interface OfflinePartialKeyServer {
	name: string;
	url: string;
	/** 96-byte compressed G2 (g2^share). */
	partialPk: Uint8Array;
	partyId: number;
}

export interface RegisterCommitteeOptions {
	name: string;
	/** The committee's aggregate public key g2^f(0). */
	publicKey: Uint8Array;
	threshold: number;
	/** Member addresses; party id i is `members[i]`. */
	members: string[];
	partialKeyServers: OfflinePartialKeyServer[];
	version?: number;
	objectId?: string;
	committeeId?: string;
	/**
	 * The address holding the `KeyServer` instead of a `seal_committee` committee: what
	 * `localnet up --committee` leaves (`create_committee_v2` in one PTB, transferred to the
	 * admin). No committee object or wrapper field is registered; `members` is then unused.
	 */
	heldBy?: string;
}

export interface RegisterKeyServerOptions {
	name: string;
	url: string;
	/** 96-byte compressed G2 master public key. */
	publicKey: Uint8Array;
	/** Defaults to a fresh random id. */
	objectId?: string;
}

/** A random `0x` + 64 hex id. */
export function randomObjectId(): string {
	return normalizeSuiAddress(randomBytes(32).toString('hex'));
}

/** The base the core client hangs off (holds the cache); no behaviour of its own. */
class RegistryBase extends BaseClient {
	core!: CoreClient;
}

export class OfflineSuiRegistry extends CoreClient {
	/** The (made-up) Seal package that "defines" the key-server types here. */
	readonly sealPackageId: string;
	readonly #objects = new Map<string, StoredObject>();

	constructor({ sealPackageId = randomObjectId() }: { sealPackageId?: string } = {}) {
		super({ network: 'localnet', base: new RegistryBase({ network: 'localnet' }) });
		(this.base as RegistryBase).core = this;
		this.sealPackageId = normalizeSuiAddress(sealPackageId);
		this.registerPackage(this.sealPackageId);
	}

	/** Registers a package object at `version` (1 = first version, what the SDK requires). */
	registerPackage(packageId: string, version = 1): string {
		const objectId = normalizeSuiAddress(packageId);
		this.#objects.set(objectId, {
			objectId,
			version: String(version),
			type: 'package',
			owner: { $kind: 'Immutable', Immutable: true },
			content: new Uint8Array(0),
		});
		return objectId;
	}

	/**
	 * Registers an independent V2 key server the way `create_and_transfer_v2_independent_server`
	 * leaves it on chain: the `KeyServer` object plus its dynamic field `2 → KeyServerV2`.
	 */
	registerKeyServer(options: RegisterKeyServerOptions): string {
		const objectId = normalizeSuiAddress(options.objectId ?? randomObjectId());
		const owner: SuiClientTypes.ObjectOwner = {
			$kind: 'AddressOwner',
			AddressOwner: randomObjectId(),
		};
		this.#objects.set(objectId, {
			objectId,
			version: '3',
			type: `${this.sealPackageId}::key_server::KeyServer`,
			owner,
			content: KeyServerObject.serialize({
				id: objectId,
				firstVersion: 2,
				lastVersion: 2,
			}).toBytes(),
		});
		this.setKeyServerUrl(objectId, options.url, options);
		return objectId;
	}

	/** Rewrites the V2 field (like `key_server::update`), e.g. after a server moved ports. */
	setKeyServerUrl(
		objectId: string,
		url: string,
		current?: { name: string; publicKey: Uint8Array },
	): void {
		const parent = normalizeSuiAddress(objectId);
		const name = bcs.u64().serialize(2).toBytes();
		const fieldId = deriveDynamicFieldID(parent, 'u64', name);
		const previous = this.#objects.get(fieldId);
		const old = previous ? FieldU64KeyServerV2.parse(previous.content).value : undefined;
		const serverName = current?.name ?? old?.name;
		const pk = current?.publicKey ?? (old ? Uint8Array.from(old.pk) : undefined);
		if (serverName === undefined || pk === undefined) {
			throw new Error(`key server ${parent} is not registered`);
		}
		this.#objects.set(fieldId, {
			objectId: fieldId,
			version: '3',
			type: `0x2::dynamic_field::Field<u64, ${this.sealPackageId}::key_server::KeyServerV2>`,
			owner: { $kind: 'ObjectOwner', ObjectOwner: parent },
			content: FieldU64KeyServerV2.serialize({
				id: fieldId,
				name: 2,
				value: {
					name: serverName,
					keyType: 0,
					pk: Array.from(pk),
					serverType: { Independent: { url } },
				},
			}).toBytes(),
		});
	}

	/**
	 * Registers a committee key server as `key_server::create_committee_v2` + the committee's
	 * `dof::add` leave it: the `Committee` object, the `KeyServer` (owned by the field wrapper, first
	 * and last version 2), the wrapper `Field<Wrapper<ID>, ID>` and the `2 → KeyServerV2` field with
	 * `ServerType::Committee`. Returns the key server's object id.
	 */
	registerCommittee(options: RegisterCommitteeOptions): string {
		const objectId = normalizeSuiAddress(options.objectId ?? randomObjectId());
		const committeeId = normalizeSuiAddress(options.committeeId ?? randomObjectId());
		const committeeValue = {
			name: options.name,
			publicKey: options.publicKey,
			version: options.version ?? 0,
			threshold: options.threshold,
			partialKeyServers: options.partialKeyServers,
		};
		if (options.heldBy !== undefined) {
			this.#objects.set(objectId, {
				objectId,
				version: '5',
				type: `${this.sealPackageId}::key_server::KeyServer`,
				owner: { $kind: 'AddressOwner', AddressOwner: normalizeSuiAddress(options.heldBy) },
				content: KeyServerObject.serialize({
					id: objectId,
					firstVersion: 2,
					lastVersion: 2,
				}).toBytes(),
			});
			this.setCommittee(objectId, committeeValue);
			return objectId;
		}
		this.#objects.set(committeeId, {
			objectId: committeeId,
			version: '5',
			type: `${this.sealPackageId}::seal_committee::Committee`,
			owner: { $kind: 'Shared', Shared: { initialSharedVersion: '4' } },
			content: CommitteeObject.serialize({
				id: committeeId,
				threshold: options.threshold,
				members: options.members,
				state: { Finalized: true },
				oldCommitteeId: null,
			}).toBytes(),
		});
		const wrapperId = deriveDynamicFieldID(
			committeeId,
			DOF_WRAPPER_ID_TYPE,
			bcs.Address.serialize(committeeId).toBytes(),
		);
		this.#objects.set(wrapperId, {
			objectId: wrapperId,
			version: '5',
			type: `0x2::dynamic_field::Field<${DOF_WRAPPER_ID_TYPE}, 0x2::object::ID>`,
			owner: { $kind: 'ObjectOwner', ObjectOwner: committeeId },
			content: FieldWrapperId.serialize({
				id: wrapperId,
				name: { name: committeeId },
				value: objectId,
			}).toBytes(),
		});
		this.#objects.set(objectId, {
			objectId,
			version: '5',
			type: `${this.sealPackageId}::key_server::KeyServer`,
			owner: { $kind: 'ObjectOwner', ObjectOwner: wrapperId },
			content: KeyServerObject.serialize({
				id: objectId,
				firstVersion: 2,
				lastVersion: 2,
			}).toBytes(),
		});
		this.setCommittee(objectId, committeeValue);
		return objectId;
	}

	/**
	 * Rewrites a committee server's `KeyServerV2` (as `update_partial_key_servers` bumps `version`,
	 * or `update_member_url` moves a member), and optionally the committee's member list.
	 */
	setCommittee(
		objectId: string,
		value: {
			name: string;
			publicKey: Uint8Array;
			version: number;
			threshold: number;
			partialKeyServers: OfflinePartialKeyServer[];
		},
	): void {
		const parent = normalizeSuiAddress(objectId);
		const fieldId = deriveDynamicFieldID(parent, 'u64', bcs.u64().serialize(2).toBytes());
		this.#objects.set(fieldId, {
			objectId: fieldId,
			version: String(6 + value.version),
			type: `0x2::dynamic_field::Field<u64, ${this.sealPackageId}::key_server::KeyServerV2>`,
			owner: { $kind: 'ObjectOwner', ObjectOwner: parent },
			content: FieldU64KeyServerV2.serialize({
				id: fieldId,
				name: 2,
				value: {
					name: value.name,
					keyType: 0,
					pk: Array.from(value.publicKey),
					serverType: {
						Committee: {
							version: value.version,
							threshold: value.threshold,
							partialKeyServers: value.partialKeyServers.map((p) => ({
								name: p.name,
								url: p.url,
								partialPk: Array.from(p.partialPk),
								partyId: p.partyId,
							})),
						},
					},
				},
			}).toBytes(),
		});
	}

	/** Replaces the member list of a committee object registered by `registerCommittee`. */
	setCommitteeMembers(committeeId: string, threshold: number, members: string[]): void {
		const id = normalizeSuiAddress(committeeId);
		const stored = this.#objects.get(id);
		if (!stored) throw new Error(`committee ${id} is not registered`);
		stored.content = CommitteeObject.serialize({
			id,
			threshold,
			members,
			state: { Finalized: true },
			oldCommitteeId: null,
		}).toBytes();
	}

	override async getObjects<Include extends SuiClientTypes.ObjectInclude = {}>(
		options: SuiClientTypes.GetObjectsOptions<Include>,
	): Promise<SuiClientTypes.GetObjectsResponse<Include>> {
		options.signal?.throwIfAborted();
		const include: SuiClientTypes.ObjectInclude = options.include ?? {};
		const objects = options.objectIds.map((id) => {
			const stored = this.#objects.get(normalizeSuiAddress(id));
			if (!stored) {
				return new ObjectError('notFound', `Object ${id} not found`, {
					reason: 'notFound',
					objectId: id,
				});
			}
			return {
				objectId: stored.objectId,
				version: stored.version,
				digest: '11111111111111111111111111111111',
				owner: stored.owner,
				type: stored.type,
				content: include.content ? stored.content.slice() : undefined,
				previousTransaction: include.previousTransaction ? null : undefined,
				objectBcs: undefined,
				json: include.json ? null : undefined,
				display: include.display ? null : undefined,
			} as unknown as SuiClientTypes.Object<Include>;
		});
		return { objects };
	}

	override resolveTransactionPlugin(): TransactionPlugin {
		return async () => {
			throw new OfflineRegistryUnsupportedError('transaction resolution (object inputs)');
		};
	}

	override async listCoins(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('listCoins');
	}
	override async listOwnedObjects(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('listOwnedObjects');
	}
	override async getBalance(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('getBalance');
	}
	override async listBalances(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('listBalances');
	}
	override async getCoinMetadata(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('getCoinMetadata');
	}
	override async getTransaction(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('getTransaction');
	}
	override async executeTransaction(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('executeTransaction');
	}
	override async simulateTransaction(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('simulateTransaction');
	}
	override async getReferenceGasPrice(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('getReferenceGasPrice');
	}
	override async getCurrentSystemState(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('getCurrentSystemState');
	}
	override async getProtocolConfig(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('getProtocolConfig');
	}
	override async getChainIdentifier(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('getChainIdentifier');
	}
	override async listDynamicFields(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('listDynamicFields');
	}
	override async listTransactions(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('listTransactions');
	}
	override async listEvents(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('listEvents');
	}
	override async verifyZkLoginSignature(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('verifyZkLoginSignature');
	}
	override async getMoveFunction(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('getMoveFunction');
	}
	override async defaultNameServiceName(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('defaultNameServiceName');
	}
	override async resolveNameServiceAddress(): Promise<never> {
		throw new OfflineRegistryUnsupportedError('resolveNameServiceAddress');
	}
}
