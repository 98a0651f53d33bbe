/**
 * The records vault: many small records under one policy target (an allowlist namespace or an
 * owner) at AES speed. Each epoch has one 256-bit data key, sealed once with Seal under the inner
 * id `[target][vault id ‖ epoch]`; records are AES-256-GCM under their epoch key (see
 * record-cipher.ts). Reading asks the key servers once per epoch touched (≤ 100 epochs per
 * request) and keeps the keys for the session-key lifetime, zeroed when dropped.
 */
import { randomBytes } from 'node:crypto';
import type { SealClient, SessionKey } from '@mysten/seal';
import { InvalidInputError, VaultDatabaseError, VaultUnknownEpochError } from '../errors.js';
import { readBlob } from '../format.js';
import { normalizeObjectId, toHex } from '../identity.js';
import type { Logger } from '../logger.js';
import {
	batchDecrypt,
	parseItem,
	type ApproveTxBuilder,
	type SealKeyClient,
} from '../seal/decrypt.js';
import { innerIdFor, sealEncrypt, type EncryptTarget } from '../seal/encrypt.js';
import type { KeyAccessRecorder } from '../seal/key-access-audit.js';
import type { RetryOptions } from '../seal/retry.js';
import { sessionKeyExpiresAt, type SessionKeyRenewer } from '../seal/session.js';
import { EpochKeyCache, type KeyLease } from './key-cache.js';
import { VaultKeyDroppedError } from './errors.js';
import { checkNewRecordId } from './record-id.js';
import { checkRecordSize } from './record-size.js';
import {
	EPOCH_KEY_BYTES,
	VAULT_ID_BYTES,
	checkRecordId,
	decryptRecord,
	encryptRecord,
} from './record-cipher.js';
import type { EpochRow, VaultMeta, VaultPolicy, VaultStorage } from './storage.js';

/** An epoch key encrypts at most this many records (random 96-bit IVs); then a new epoch starts. */
export const MAX_RECORDS_PER_EPOCH = 2 ** 32;
/** Keys made or fetched without a session key stay cached this long. */
export const DEFAULT_KEY_TTL_MS = 10 * 60_000;
/** Fetches of one key a caller makes when others keep dropping it before it gets a lease. */
const MAX_KEY_ROUNDS = 3;
/** Records per storage page when iterating. */
export const DEFAULT_PAGE_SIZE = 500;

export type VaultTarget =
	{ policy: 'allowlist'; allowlistId: string } | { policy: 'owner'; owner: string };

/** Reads the allowlist's current members (for auto-rotation when membership shrank). */
export interface MembershipSource {
	members(): Promise<readonly string[]>;
}

export interface VaultSealOptions {
	/** Encrypts epoch keys and fetches them back (a SealClient). */
	sealClient: SealKeyClient & Pick<SealClient, 'encrypt'>;
	/** Needed to read (and to write into an epoch whose key this process did not make). */
	session?: SessionKey | Pick<SessionKeyRenewer, 'current'>;
	/** Approval PTBs for the epoch identities. */
	buildTxBytes?: ApproveTxBuilder;
	retry?: RetryOptions;
	/** Epoch ids per key request, 1..100 (default 100, the key server's limit). */
	keyBatchSize?: number;
	audit?: KeyAccessRecorder;
	logger?: Logger;
}

export interface OpenVaultOptions extends VaultSealOptions {
	storage: VaultStorage;
	/** Max encryptions per epoch key (default 2^32; lower only for tests). */
	maxRecordsPerEpoch?: number;
	membership?: MembershipSource;
	/** With `membership`: on open, start a new epoch when a member of the current one was removed. */
	autoRotate?: boolean;
	now?: () => number;
}

export interface CreateVaultOptions extends OpenVaultOptions {
	target: VaultTarget;
	/** ORIGINAL (version 1) id of the policy package. */
	packageId: string;
	threshold: number;
}

export interface VaultRecord {
	id: string;
	data: Uint8Array;
}

export interface VaultStats {
	vaultId: string;
	policy: VaultPolicy;
	target: string;
	packageId: string;
	threshold: number;
	servers: string[];
	currentEpoch: number;
	records: number;
	ciphertextBytes: number;
	epochs: { epoch: number; records: number; encryptions: number; createdAtMs: number }[];
}

export interface IterateOptions {
	/** Only records of these epochs (≤ 500). */
	epochs?: readonly number[];
	pageSize?: number;
	after?: string;
}

/** `[target][vault id ‖ epoch u32 BE]`: the identity an epoch key is sealed under. */
export function epochInnerId(
	meta: Pick<VaultMeta, 'policy' | 'target' | 'vaultId'>,
	epoch: number,
) {
	return innerIdFor(encryptTarget(meta, epoch));
}

function encryptTarget(
	meta: Pick<VaultMeta, 'policy' | 'target' | 'vaultId'>,
	epoch: number,
): EncryptTarget {
	const nonce = new Uint8Array(VAULT_ID_BYTES + 4);
	nonce.set(meta.vaultId, 0);
	new DataView(nonce.buffer).setUint32(VAULT_ID_BYTES, epoch);
	return meta.policy === 'allowlist'
		? { policy: 'allowlist', allowlistId: meta.target, nonce }
		: { policy: 'owner', owner: meta.target, nonce };
}

export class Vault {
	readonly meta: VaultMeta;
	readonly #storage: VaultStorage;
	readonly #seal: VaultSealOptions;
	readonly #cache: EpochKeyCache;
	readonly #maxPerEpoch: number;
	readonly #membership: MembershipSource | undefined;
	readonly #now: () => number;
	/** Key fetches in flight: a caller needing one of their epochs waits, then leases. */
	readonly #pending = new Map<number, Promise<unknown>>();
	#closed = false;

	private constructor(meta: VaultMeta, options: OpenVaultOptions) {
		this.meta = meta;
		this.#storage = options.storage;
		this.#seal = options;
		this.#now = options.now ?? Date.now;
		this.#cache = new EpochKeyCache(this.#now);
		this.#membership = options.membership;
		const max = options.maxRecordsPerEpoch ?? MAX_RECORDS_PER_EPOCH;
		if (!Number.isSafeInteger(max) || max < 1 || max > MAX_RECORDS_PER_EPOCH) {
			throw new InvalidInputError('maxRecordsPerEpoch', `must be an integer from 1 to 2^32`);
		}
		this.#maxPerEpoch = max;
	}

	/** Creates a vault in empty storage: a fresh vault id and epoch 0, its key sealed with Seal. */
	static async create(options: CreateVaultOptions): Promise<Vault> {
		let key: Uint8Array | undefined;
		try {
			const target =
				options.target.policy === 'allowlist'
					? normalizeObjectId(options.target.allowlistId, 'allowlistId')
					: normalizeObjectId(options.target.owner, 'owner');
			const meta: VaultMeta = {
				vaultId: new Uint8Array(randomBytes(VAULT_ID_BYTES)),
				policy: options.target.policy,
				target,
				packageId: normalizeObjectId(options.packageId, 'packageId'),
				threshold: options.threshold,
				servers: [],
				createdAtMs: (options.now ?? Date.now)(),
			};
			const vault = new Vault(meta, options);
			const epoch = await vault.#newEpoch(0);
			key = epoch.key;
			meta.servers = epoch.servers;
			await options.storage.create(meta, epoch.row);
			const expiry = await vault.#keyExpiry(false);
			// The cache owns the key from here on.
			vault.#cache.set(0, key, expiry).release();
			key = undefined;
			return vault;
		} catch (error) {
			key?.fill(0);
			// Nothing usable was written; closing lets the adapter clean up (SQLite: the empty file).
			await options.storage.close().catch(() => {});
			throw error;
		}
	}

	/** Opens an existing vault (auto-rotating first when asked and membership shrank). */
	static async open(options: OpenVaultOptions): Promise<Vault> {
		const vault = new Vault(await options.storage.readMeta(), options);
		if (options.autoRotate && options.membership) await vault.rotateIfMembershipShrank();
		return vault;
	}

	get storage(): VaultStorage {
		return this.#storage;
	}

	/** Epochs whose keys are cached right now. */
	get cachedEpochs(): number {
		return this.#cache.size;
	}

	/**
	 * Until when a key stays cached: the session key's expiry. Keys made here (new epochs) with a
	 * renewer that has no key yet use DEFAULT_KEY_TTL_MS, so writing never forces a signature.
	 */
	async #keyExpiry(fetched: boolean): Promise<number> {
		const session = this.#seal.session;
		if (session !== undefined && (fetched || !('current' in session))) {
			return sessionKeyExpiresAt('current' in session ? await session.current() : session);
		}
		return this.#now() + DEFAULT_KEY_TTL_MS;
	}

	/** A fresh key for `epoch`, sealed with Seal (the caller stores `row`, caches `key`). */
	async #newEpoch(epoch: number): Promise<{ row: EpochRow; key: Uint8Array; servers: string[] }> {
		const key = new Uint8Array(randomBytes(EPOCH_KEY_BYTES));
		try {
			const sealed = await sealEncrypt({
				sealClient: this.#seal.sealClient,
				packageId: this.meta.packageId,
				target: encryptTarget(this.meta, epoch),
				threshold: this.meta.threshold,
				data: key,
			});
			const read = readBlob(sealed.blob);
			if (read.format !== 'seal-object') throw new Error('unreachable: sealEncrypt format');
			const members = this.#membership ? [...(await this.#membership.members())] : undefined;
			return {
				row: {
					epoch,
					sealedKey: read.encryptedObject,
					members,
					createdAtMs: this.#now(),
				},
				key,
				servers: read.parsed.services.map(([objectId]) => normalizeObjectId(objectId)),
			};
		} catch (error) {
			key.fill(0);
			throw error;
		}
	}

	#checkOpen(): void {
		if (this.#closed) throw new InvalidInputError('vault', 'is closed');
	}

	/** Starts a new epoch for later writes; returns its number. */
	async rotate(): Promise<number> {
		this.#checkOpen();
		const latest = await this.#storage.latestEpoch();
		const { row, key } = await this.#newEpoch(latest.epoch + 1);
		if (await this.#storage.addEpoch(row)) {
			const expiry = await this.#keyExpiry(false);
			this.#cache.set(row.epoch, key, expiry).release();
			this.#seal.logger?.info(`vault: epoch ${row.epoch} started`);
			return row.epoch;
		}
		// Another writer rotated first: use its epoch.
		key.fill(0);
		return (await this.#storage.latestEpoch()).epoch;
	}

	/**
	 * Rotates when a member of the current epoch's allowlist is no longer a member (needs a
	 * membership source). Returns whether it rotated.
	 */
	async rotateIfMembershipShrank(): Promise<boolean> {
		if (this.#membership === undefined) {
			throw new InvalidInputError('membership', 'auto-rotation needs a membership source');
		}
		const latest = await this.#storage.latestEpoch();
		const now = new Set((await this.#membership.members()).map((m) => normalizeObjectId(m)));
		const removed = (latest.members ?? []).filter((m) => !now.has(normalizeObjectId(m)));
		if (removed.length === 0) return false;
		this.#seal.logger?.info(
			`vault: ${removed.length} member(s) removed since epoch ${latest.epoch} began; rotating`,
		);
		await this.rotate();
		return true;
	}

	/**
	 * Leases on the keys of `epochs` (cached, or fetched in one Seal request per ≤ 100 epochs).
	 * The caller releases them. A key dropped while we waited (forgetKeys, expiry) is fetched
	 * again, never handed out dropped.
	 */
	async #keys(epochs: readonly number[]): Promise<Map<number, KeyLease>> {
		const leases = new Map<number, KeyLease>();
		try {
			for (let round = 0; ; round++) {
				this.#checkOpen();
				const missing: number[] = [];
				const waiting: Promise<unknown>[] = [];
				for (const epoch of new Set(epochs)) {
					if (leases.get(epoch)?.live) continue;
					leases.get(epoch)?.release();
					leases.delete(epoch);
					const cached = this.#cache.lease(epoch);
					if (cached !== undefined) leases.set(epoch, cached);
					else if (this.#pending.has(epoch)) waiting.push(this.#pending.get(epoch)!);
					else missing.push(epoch);
				}
				if (missing.length === 0 && waiting.length === 0) return leases;
				if (round >= MAX_KEY_ROUNDS) {
					const epoch = missing[0] ?? [...new Set(epochs)].find((e) => !leases.get(e)?.live)!;
					throw new VaultKeyDroppedError(
						epoch,
						`epoch ${epoch}'s key was dropped ${MAX_KEY_ROUNDS} times while fetching it (forgetKeys or an expired session key); retry`,
					);
				}
				if (missing.length > 0) {
					const fetch = this.#fetchKeys(missing);
					// Waiters share this fetch's outcome (a refusal is theirs too).
					const settled = fetch.then(() => {});
					settled.catch(() => {});
					for (const epoch of missing) this.#pending.set(epoch, settled);
					try {
						for (const [epoch, lease] of await fetch) leases.set(epoch, lease);
					} finally {
						for (const epoch of missing) {
							if (this.#pending.get(epoch) === settled) this.#pending.delete(epoch);
						}
					}
				}
				// Others' fetches: their keys are in the cache now.
				await Promise.all(waiting);
			}
		} catch (error) {
			for (const lease of leases.values()) lease.release();
			throw error;
		}
	}

	/**
	 * Runs `use` (synchronous) with the keys of `epochs`, leased for the call only and checked
	 * live right before it: a key dropped meanwhile is fetched again, never used.
	 */
	async #withKeys<T>(epochs: readonly number[], use: (keys: Map<number, Uint8Array>) => T) {
		for (let attempt = 1; ; attempt++) {
			const leases = await this.#keys(epochs);
			try {
				if (attempt >= MAX_KEY_ROUNDS || [...leases.values()].every((lease) => lease.live)) {
					// `key` throws VaultKeyDroppedError for a lease that is not live.
					return use(new Map([...leases].map(([epoch, lease]) => [epoch, lease.key])));
				}
			} finally {
				for (const lease of leases.values()) lease.release();
			}
		}
	}

	/** Fetches, caches and leases the keys of `epochs` (the caller releases the leases). */
	async #fetchKeys(epochs: number[]): Promise<Map<number, KeyLease>> {
		const session = this.#seal.session;
		if (session === undefined || this.#seal.buildTxBytes === undefined) {
			throw new InvalidInputError(
				'session',
				'reading this vault needs a session key and an approval builder (the epoch keys are sealed)',
			);
		}
		const rows = await this.#storage.getEpochs(epochs);
		const found = new Set(rows.map((r) => r.epoch));
		const unknown = epochs.find((e) => !found.has(e));
		if (unknown !== undefined) {
			throw new VaultUnknownEpochError(
				unknown,
				`epoch ${unknown} is not in the vault (no sealed key); the record was altered or copied from another vault`,
			);
		}
		for (const row of rows) this.#checkEpochRow(row);
		this.#seal.logger?.debug(`vault: fetching keys of ${rows.length} epoch(s)`);
		const fetchOnce = () =>
			batchDecrypt({
				sealClient: this.#seal.sealClient,
				session,
				items: rows.map((row) => ({ data: row.sealedKey, policy: this.meta.policy })),
				buildTxBytes: this.#seal.buildTxBytes!,
				...(this.#seal.retry ? { retry: this.#seal.retry } : {}),
				...(this.#seal.keyBatchSize ? { chunkSize: this.#seal.keyBatchSize } : {}),
				...(this.#seal.audit ? { audit: this.#seal.audit } : {}),
				...(this.#seal.logger ? { logger: this.#seal.logger } : {}),
			});
		let plaintexts: Uint8Array[];
		try {
			plaintexts = await fetchOnce();
		} catch (error) {
			// A pooled keep-alive connection the server had already closed fails on reuse with
			// ECONNRESET; a second attempt opens fresh connections. Anything else is final.
			if (!connectionReset(error)) throw error;
			this.#seal.logger?.debug('vault: key request hit a closed connection; retrying once');
			plaintexts = await fetchOnce();
		}
		let expiry: number;
		try {
			expiry = await this.#keyExpiry(true);
		} catch (error) {
			for (const key of plaintexts) key.fill(0);
			throw error;
		}
		const bad = rows.findIndex((_, i) => plaintexts[i]!.length !== EPOCH_KEY_BYTES);
		if (bad !== -1) {
			for (const key of plaintexts) key.fill(0);
			throw new VaultDatabaseError(
				'corrupt',
				`epoch ${rows[bad]!.epoch}'s sealed key is not 32 bytes`,
			);
		}
		// Cached and leased in one step: nothing can drop them before the caller has its leases.
		return new Map(
			rows.map((row, i) => [row.epoch, this.#cache.set(row.epoch, plaintexts[i]!, expiry)]),
		);
	}

	/** The sealed key must be for this vault's package and this epoch's identity. */
	#checkEpochRow(row: EpochRow): void {
		let parsed: ReturnType<typeof parseItem>;
		try {
			parsed = parseItem({ data: row.sealedKey, policy: this.meta.policy });
		} catch (error) {
			throw new VaultDatabaseError(
				'corrupt',
				`epoch ${row.epoch}'s sealed key is not a Seal object (${(error as Error).message}); the database was altered or damaged: restore it from a backup`,
				{ cause: error },
			);
		}
		const expected = toHex(epochInnerId(this.meta, row.epoch));
		if (parsed.id !== expected || parsed.packageId !== this.meta.packageId) {
			throw new VaultDatabaseError(
				'corrupt',
				`epoch ${row.epoch}'s sealed key names identity ${parsed.id} of package ${parsed.packageId}, not this vault's; the database was altered`,
			);
		}
	}

	/** Stores (or replaces) one record. */
	async put(id: string, data: Uint8Array): Promise<void> {
		await this.putMany([{ id, data }]);
	}

	/** Stores records in one transaction (ids unique within the call); replaces existing ids. */
	async putMany(records: readonly VaultRecord[]): Promise<{ epoch: number }> {
		this.#checkOpen();
		if (records.length === 0) return { epoch: (await this.#storage.latestEpoch()).epoch };
		if (records.length > this.#maxPerEpoch) {
			throw new InvalidInputError('records', `at most ${this.#maxPerEpoch} records per call`);
		}
		const seen = new Set<string>();
		for (const [i, record] of records.entries()) {
			checkNewRecordId(record.id, `records[${i}].id`);
			if (seen.has(record.id)) {
				throw new InvalidInputError(`records[${i}].id`, `'${record.id}' appears twice in one call`);
			}
			seen.add(record.id);
			if (!(record.data instanceof Uint8Array)) {
				throw new InvalidInputError(`records[${i}].data`, 'must be bytes (Uint8Array)');
			}
			checkRecordSize(record.data.length, `records[${i}].data`);
		}
		for (let attempt = 0; attempt < 3; attempt++) {
			const { epoch } = await this.#storage.latestEpoch();
			const { vaultId } = this.meta;
			const sealed = await this.#withKeys([epoch], (keys) =>
				records.map((r) => encryptRecord(keys.get(epoch)!, vaultId, epoch, r.id, r.data)),
			);
			if (await this.#storage.putRecords(epoch, sealed, this.#maxPerEpoch)) return { epoch };
			// The epoch key's encryption budget is spent: a new epoch starts by itself.
			await this.rotate();
		}
		throw new VaultDatabaseError('locked', 'epochs kept filling up while writing; retry');
	}

	/** One record's plaintext, or undefined when the id is not stored. */
	async get(id: string): Promise<Uint8Array | undefined> {
		return (await this.getMany([id]))[0];
	}

	/** Plaintexts in the order of `ids` (undefined where absent); one key request per new epoch. */
	async getMany(ids: readonly string[]): Promise<(Uint8Array | undefined)[]> {
		this.#checkOpen();
		ids.forEach((id, i) => checkRecordId(id, `ids[${i}]`));
		const rows = await this.#storage.getRecords(ids);
		const byId = new Map<string, Uint8Array>();
		await this.#withKeys(
			rows.map((r) => r.epoch),
			(keys) => {
				try {
					for (const row of rows)
						byId.set(row.id, decryptRecord(keys.get(row.epoch)!, this.meta.vaultId, row));
				} catch (error) {
					for (const plain of byId.values()) plain.fill(0);
					throw error;
				}
			},
		);
		return ids.map((id) => byId.get(id));
	}

	/** Deletes records; returns how many existed. */
	async delete(ids: string | readonly string[]): Promise<number> {
		this.#checkOpen();
		const list = typeof ids === 'string' ? [ids] : ids;
		list.forEach((id, i) => checkRecordId(id, `ids[${i}]`));
		return this.#storage.deleteRecords(list);
	}

	/** Which of `ids` are stored (no key request). */
	async has(ids: readonly string[]): Promise<Set<string>> {
		this.#checkOpen();
		return this.#storage.hasRecords(ids);
	}

	/** Record ids in ascending byte order, a page at a time (no key request). */
	async list(options: { after?: string; limit?: number } = {}): Promise<string[]> {
		this.#checkOpen();
		return this.#storage.listIds({ limit: options.limit ?? 1000, ...optionalAfter(options.after) });
	}

	/** Every record in id order, a page at a time (memory bounded by the page size). */
	async *iterate(options: IterateOptions = {}): AsyncGenerator<VaultRecord> {
		this.#checkOpen();
		const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
		let after = options.after;
		for (;;) {
			const page = await this.#storage.scanRecords({
				limit,
				...optionalAfter(after),
				...(options.epochs ? { epochs: options.epochs } : {}),
			});
			if (page.length === 0) return;
			// One key request for the page's epochs; each record then takes its key from the cache
			// just for its own decryption, so no key is held while the consumer has a record (a
			// key dropped meanwhile by forgetKeys, expiry or close is fetched again, or refused).
			for (const lease of (await this.#keys(page.map((r) => r.epoch))).values()) lease.release();
			for (const row of page) {
				const decrypt = (key: Uint8Array) => decryptRecord(key, this.meta.vaultId, row);
				const lease = this.#cache.lease(row.epoch);
				let data: Uint8Array;
				if (lease === undefined) {
					data = await this.#withKeys([row.epoch], (keys) => decrypt(keys.get(row.epoch)!));
				} else {
					try {
						data = decrypt(lease.key);
					} finally {
						lease.release();
					}
				}
				yield { id: row.id, data };
			}
			after = page.at(-1)!.id;
			if (page.length < limit) return;
		}
	}

	/**
	 * Re-encrypts every record of `epochs` under a new epoch (after a member was removed, so their
	 * old epoch keys no longer open those records once copies elsewhere are gone). Resumable: a
	 * re-run moves what is left. Returns the new epoch and how many records moved.
	 */
	async reseal(options: {
		epochs: readonly number[];
		onProgress?: (moved: number) => void;
	}): Promise<{ epoch: number; moved: number }> {
		this.#checkOpen();
		if (options.epochs.length === 0 || options.epochs.length > 500) {
			throw new InvalidInputError('epochs', 'give 1..500 epochs to reseal');
		}
		const epoch = await this.rotate();
		const from = options.epochs.filter((e) => e !== epoch);
		let moved = 0;
		let batch: VaultRecord[] = [];
		const flush = async () => {
			await this.putMany(batch);
			moved += batch.length;
			for (const r of batch) r.data.fill(0);
			batch = [];
			options.onProgress?.(moved);
		};
		for await (const record of this.iterate({ epochs: from })) {
			batch.push(record);
			if (batch.length >= DEFAULT_PAGE_SIZE) await flush();
		}
		if (batch.length > 0) await flush();
		return { epoch, moved };
	}

	async stats(): Promise<VaultStats> {
		this.#checkOpen();
		return vaultStats(this.#storage, this.meta);
	}

	/** Drops (zeroes) every cached key; the storage is closed too. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		this.#cache.clear();
		await this.#storage.close();
	}

	/** Drops (zeroes) cached keys without closing, e.g. when the session ends. */
	forgetKeys(): void {
		this.#cache.clear();
	}
}

/** Whether `error` (or a cause of it) is a connection reset by the peer. */
function connectionReset(error: unknown): boolean {
	for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
		const code = (e as { code?: unknown }).code;
		if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return true;
		e = e.cause;
	}
	return false;
}

/** What a vault holds (no key request, no Seal client needed). */
export async function vaultStats(storage: VaultStorage, meta?: VaultMeta): Promise<VaultStats> {
	const m = meta ?? (await storage.readMeta());
	const [stats, epochs] = await Promise.all([storage.stats(), storage.listEpochs()]);
	if (epochs.length === 0) {
		throw new VaultDatabaseError(
			'corrupt',
			`the vault ${toHex(m.vaultId)} has no epoch (its epoch rows were deleted): restore the database from a backup`,
		);
	}
	const created = new Map(epochs.map((e) => [e.epoch, e.createdAtMs]));
	return {
		vaultId: toHex(m.vaultId),
		policy: m.policy,
		target: m.target,
		packageId: m.packageId,
		threshold: m.threshold,
		servers: m.servers,
		currentEpoch: Math.max(...epochs.map((e) => e.epoch)),
		records: stats.records,
		ciphertextBytes: stats.ciphertextBytes,
		epochs: stats.epochs.map((e) => ({ ...e, createdAtMs: created.get(e.epoch) ?? 0 })),
	};
}

function optionalAfter(after: string | undefined): { after?: string } {
	return after === undefined ? {} : { after };
}
