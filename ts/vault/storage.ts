/**
 * What the vault needs from a database. Adapters: SQLite (`sqlite-storage.ts`, the embedded
 * default) and PostgreSQL (`postgres-storage.ts`). Every method that writes does so in one
 * transaction: after a crash a write is there whole or not at all. Rows hold no plaintext and no
 * unsealed key: only Seal objects, IVs and AES-GCM ciphertexts.
 */
import type { SealedRecord } from './record-cipher.js';

/** The schema version adapters write; newer databases are refused. */
export const VAULT_SCHEMA_VERSION = 2;
/** Schema 1 predates authenticated epochs and record versions: not read (see docs/vault.md). */
export const OLDEST_READABLE_SCHEMA = 2;

export type VaultPolicy = 'allowlist' | 'owner';

/** Fixed facts about a vault, written once at creation. */
export interface VaultMeta {
	/** 16 random bytes naming the vault (bound into every record and epoch identity). */
	vaultId: Uint8Array;
	policy: VaultPolicy;
	/** The allowlist object id or the owner address (0x + 64 hex). */
	target: string;
	/** ORIGINAL id of the policy package the epoch keys are sealed under. */
	packageId: string;
	threshold: number;
	/** Key-server object ids the epoch keys are sealed for. */
	servers: string[];
	createdAtMs: number;
}

/**
 * One epoch: its data key, sealed with Seal (untagged EncryptedObject bytes), linked to the
 * previous epoch (see epoch-chain.ts).
 */
export interface EpochRow {
	epoch: number;
	sealedKey: Uint8Array;
	/** Members of the allowlist when the epoch began (auto-rotation compares against them). */
	members: string[] | undefined;
	createdAtMs: number;
	/** Hash of the previous epoch's row (32 zero bytes for epoch 0). */
	prevHash: Uint8Array;
	/** MAC of this row's hash under the previous epoch's key (empty for epoch 0). */
	commitment: Uint8Array;
	/** Epochs whose records are refused from this epoch on (a finished reseal retired them). */
	retired: number[];
	/** Epochs a reseal started with this epoch is moving into it (retired when it finishes). */
	resealing: number[];
}

/** Why putRecords wrote nothing. */
export type PutRecordsResult =
	| { ok: true }
	/** The epoch key's encryption budget would be exceeded. */
	| { ok: false; reason: 'budget' }
	/** `epoch` is no longer the newest epoch (a rotation committed in between). */
	| { ok: false; reason: 'stale-epoch' }
	/** These ids' stored versions are not the expected ones (another writer came first). */
	| { ok: false; reason: 'conflict'; ids: string[] };

export interface EpochUsage {
	epoch: number;
	/** Encryptions charged to the epoch key (never decreases, deletes included). */
	encryptions: number;
	/** Records currently stored under the epoch. */
	records: number;
}

export interface StorageStats {
	records: number;
	/** Sum of ciphertext bytes (tags included). */
	ciphertextBytes: number;
	epochs: EpochUsage[];
}

export interface VaultStorage {
	/** Adapter name for messages (`sqlite`, `postgres`). */
	readonly kind: string;
	/** Writes the vault's meta row and its first epoch (the vault must not exist yet). */
	create(meta: VaultMeta, first: EpochRow): Promise<void>;
	readMeta(): Promise<VaultMeta>;
	/** The newest epoch. */
	latestEpoch(): Promise<EpochRow>;
	/**
	 * Adds epoch `row.epoch`, which must be one past the newest; false (and nothing written)
	 * when another writer added that epoch first.
	 */
	addEpoch(row: EpochRow): Promise<boolean>;
	/** The rows of the given epochs that exist. */
	getEpochs(epochs: readonly number[]): Promise<EpochRow[]>;
	listEpochs(): Promise<EpochRow[]>;
	/**
	 * In one transaction, only if `epoch` is still the newest epoch and every record's stored
	 * version is the one in `expected` (null: the id must not exist) — compare-and-swap: charges
	 * `records.length` encryptions to `epoch` (at most `maxEncryptions` in all) and writes the
	 * records. Otherwise writes nothing and says why.
	 */
	putRecords(
		epoch: number,
		records: readonly SealedRecord[],
		maxEncryptions: number,
		expected: ReadonlyMap<string, number | null>,
	): Promise<PutRecordsResult>;
	/** Stored version of each of `ids` that exists. */
	recordVersions(ids: readonly string[]): Promise<Map<string, number>>;
	/** The highest epoch any record names (undefined when there are no records). */
	maxRecordEpoch(): Promise<number | undefined>;
	/** Stored records of the ids that exist. */
	getRecords(ids: readonly string[]): Promise<SealedRecord[]>;
	/** Which of `ids` exist. */
	hasRecords(ids: readonly string[]): Promise<Set<string>>;
	/** Deletes the ids in one transaction; returns how many existed. */
	deleteRecords(ids: readonly string[]): Promise<number>;
	/** Ids in ascending (byte) order after `after`, at most `limit`, optionally only `epochs`. */
	listIds(options: {
		after?: string;
		limit: number;
		epochs?: readonly number[];
	}): Promise<string[]>;
	/** Records in ascending id order after `after`, at most `limit` (keyset pagination). */
	scanRecords(options: {
		after?: string;
		limit: number;
		epochs?: readonly number[];
	}): Promise<SealedRecord[]>;
	stats(): Promise<StorageStats>;
	close(): Promise<void>;
}
