/**
 * The records vault: many small records under one policy target (an allowlist namespace or an
 * owner) at AES speed. Each epoch has one 256-bit data key, sealed once with Seal under the inner
 * id `[target][vault id ‖ epoch]`; records are AES-256-GCM under their epoch key (see
 * record-cipher.ts). Reading asks the key servers once per epoch touched (≤ 100 epochs per
 * request) and keeps the keys for the session-key lifetime, zeroed when dropped.
 *
 * Someone who can write the database but is not a member must not be able to choose a key
 * members will write under, nor make members read their records: every epoch row is committed to
 * by the previous epoch's key and the chain is anchored by a pin users keep (epoch-chain.ts);
 * every record write is compare-and-swap on the record's version, which its AAD binds.
 */
import { randomBytes } from 'node:crypto';
import type { SealClient, SessionKey } from '@mysten/seal';
import { InvalidInputError } from '../errors.js';
import { VaultDatabaseError, VaultRecordTamperedError, VaultUnknownEpochError } from './errors.js';
import { readBlob } from '../crypto/node/format.js';
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
import {
	GENESIS_PREV_HASH,
	checkChainLinks,
	commitmentMatches,
	epochCommitment,
	epochHash,
	formatPin,
	parsePin,
	type VaultPin,
} from './epoch-chain.js';
import { VaultIntegrityError, VaultKeyDroppedError } from './errors.js';
import { EpochKeyCache, type KeyLease } from './key-cache.js';
import { checkNewRecordId } from './record-id.js';
import { checkRecordSize } from './record-size.js';
import {
	EPOCH_KEY_BYTES,
	VAULT_ID_BYTES,
	checkRecordId,
	decryptRecord,
	encryptRecord,
	type SealedRecord,
} from './record-cipher.js';
import type { EpochRow, VaultMeta, VaultPolicy, VaultStorage } from './storage.js';

/** An epoch key encrypts at most this many records (random 96-bit IVs); then a new epoch starts. */
export const MAX_RECORDS_PER_EPOCH = 2 ** 32;
/** Keys made or fetched without a session key stay cached this long. */
export const DEFAULT_KEY_TTL_MS = 10 * 60_000;
/** Records per storage page when iterating. */
export const DEFAULT_PAGE_SIZE = 500;
/** Most epochs one reseal moves (one storage query filters on them). */
export const MAX_RESEAL_EPOCHS = 500;
/** Write attempts before giving up when other writers keep rotating or rewriting the same ids. */
const WRITE_ATTEMPTS = 8;
/** Fetches of one key a caller makes when others keep dropping it before it gets a lease. */
const MAX_KEY_ROUNDS = 3;

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
	/**
	 * `open`: the pin (`EPOCH:HASH`) printed by `vault init`, `rotate` or `reseal`, kept outside
	 * the database. Epochs up to it are checked against it by hashes; later ones by their MACs.
	 */
	pin?: string | VaultPin;
	/**
	 * `open` without a pin: accept epoch 0 and the metadata as the database has them (trust on
	 * first use). A database writer who replaced the whole vault is then not detected.
	 */
	trustFirstUse?: boolean;
}

export interface PutOptions {
	/** Only ids not stored yet (others are skipped and reported), decided atomically. */
	ifAbsent?: boolean;
}

export interface PutManyResult {
	/** The epoch the records were written under. */
	epoch: number;
	written: string[];
	/** Ids not written: stored already (`ifAbsent`), or rewritten by another writer first. */
	skipped: string[];
}

export interface ResealResult {
	/** The epoch the records moved into. */
	epoch: number;
	moved: number;
	/** The epochs whose records are refused from now on. */
	retired: number[];
	/** The newest epoch (one past `epoch` unless others rotated): later writes go there. */
	current: number;
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

/** A verified epoch: its row and the row's hash. */
interface ChainLink {
	row: EpochRow;
	hash: Buffer;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) =>
	a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

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
	/** Epoch rows checked so far (index = epoch): up to the pin by hash, later ones by MAC. */
	readonly #chain: ChainLink[] = [];
	/** Highest version of each id this vault read or wrote (an older one is a rollback). */
	readonly #seen = new Map<string, number>();
	#recordEpochsChecked = false;
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
			const epoch = await vault.#newEpoch(0, GENESIS_PREV_HASH, [], []);
			key = epoch.key;
			meta.servers = epoch.servers;
			await options.storage.create(meta, epoch.row);
			vault.#chain.push({ row: epoch.row, hash: epochHash(meta, epoch.row) });
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

	/**
	 * Opens an existing vault: checks the epochs against the pin (or, with `trustFirstUse`, takes
	 * epoch 0 as stored), then auto-rotates when asked and membership shrank.
	 */
	static async open(options: OpenVaultOptions): Promise<Vault> {
		if (options.pin === undefined && !options.trustFirstUse) {
			throw new InvalidInputError(
				'pin',
				"opening a vault needs its pin (EPOCH:HASH, printed by vault init, rotate and reseal), or trustFirstUse to accept the database's epoch 0 and metadata as they are",
			);
		}
		const pin = typeof options.pin === 'string' ? parsePin(options.pin) : options.pin;
		const meta = await options.storage.readMeta();
		const vault = new Vault(meta, options);
		const rows = await options.storage.listEpochs();
		if (rows.length === 0) throw new VaultDatabaseError('corrupt', 'the vault has no epoch');
		const { hashes, trusted } = checkChainLinks(meta, rows, pin);
		for (let i = 0; i < trusted; i++) {
			vault.#checkEpochRow(rows[i]!);
			vault.#chain.push({ row: rows[i]!, hash: hashes[i]! });
		}
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
	 * `EPOCH:HASH` of the newest epoch this vault has checked: keep it outside the database and
	 * open with it. After `rotate` or `reseal` it names the new epoch.
	 */
	get pin(): string {
		const head = this.#head();
		return formatPin({ epoch: head.row.epoch, hash: head.hash });
	}

	/** Checks every epoch up to the newest in the database (needs keys) and returns its pin. */
	async verify(): Promise<string> {
		this.#checkOpen();
		await this.#latest();
		return this.pin;
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

	/** A fresh key for `epoch`, sealed with Seal (the caller commits and stores `row`, caches `key`). */
	async #newEpoch(
		epoch: number,
		prevHash: Uint8Array,
		retired: readonly number[],
		resealing: readonly number[],
	): Promise<{ row: EpochRow; key: Uint8Array; servers: string[] }> {
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
					prevHash,
					commitment: new Uint8Array(),
					retired: [...new Set(retired)].sort((a, b) => a - b),
					resealing: [...new Set(resealing)].sort((a, b) => a - b),
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

	#head(): ChainLink {
		return this.#chain.at(-1)!;
	}

	/**
	 * The newest epoch, checked: the same row this vault verified, or later rows whose MACs check
	 * out. A newest epoch older than one already seen, or records naming an epoch past the newest,
	 * mean epochs were deleted.
	 */
	async #latest(): Promise<ChainLink> {
		for (;;) {
			const row = await this.#storage.latestEpoch();
			const head = this.#head();
			if (row.epoch > head.row.epoch) {
				await this.#extendChain();
				continue;
			}
			if (row.epoch < head.row.epoch) throw epochDeleted(head.row.epoch, row.epoch);
			if (!sameBytes(epochHash(this.meta, row), head.hash)) {
				throw new VaultIntegrityError(
					'epoch-forged',
					`epoch ${row.epoch} changed after this vault checked it; the database was altered`,
				);
			}
			if (!this.#recordEpochsChecked) {
				const max = await this.#storage.maxRecordEpoch();
				if (max !== undefined && max > row.epoch) {
					throw new VaultIntegrityError(
						'epoch-deleted',
						`records name epoch ${max} but the newest epoch is ${row.epoch}: epochs were deleted or records planted; restore the database from a backup`,
					);
				}
				this.#recordEpochsChecked = true;
			}
			return head;
		}
	}

	/**
	 * Checks the rows after the newest checked epoch: each must carry its predecessor's MAC. The
	 * keys this needs, and those of `also`, are unsealed in one request and cached once checked.
	 */
	async #extendChain(also: readonly number[] = []): Promise<void> {
		const rows = await this.#storage.listEpochs();
		const head = this.#head();
		if (rows.length - 1 < head.row.epoch) throw epochDeleted(head.row.epoch, rows.length - 1);
		const { hashes } = checkChainLinks(this.meta, rows, undefined);
		if (!sameBytes(hashes[head.row.epoch]!, head.hash)) {
			throw new VaultIntegrityError(
				'epoch-forged',
				`epoch ${head.row.epoch} changed after this vault checked it; the database was altered`,
			);
		}
		const fresh = rows.slice(head.row.epoch + 1);
		if (fresh.length === 0) return;
		for (const row of fresh) this.#checkEpochRow(row);
		const needed = new Set([head.row.epoch, ...fresh.slice(0, -1).map((r) => r.epoch)]);
		for (const epoch of also) if (epoch >= 0 && epoch < rows.length) needed.add(epoch);
		const keys = new Map<number, Uint8Array>();
		try {
			const toUnseal: EpochRow[] = [];
			for (const epoch of needed) {
				const cached = this.#cache.lease(epoch);
				if (cached === undefined) toUnseal.push(rows[epoch]!);
				else {
					try {
						keys.set(epoch, new Uint8Array(cached.key));
					} finally {
						cached.release();
					}
				}
			}
			if (toUnseal.length > 0) {
				const unsealed = await this.#unseal(toUnseal);
				toUnseal.forEach((row, i) => keys.set(row.epoch, unsealed[i]!));
			}
			for (const row of fresh) {
				const previous = keys.get(row.epoch - 1)!;
				if (!commitmentMatches(previous, this.meta, row, hashes[row.epoch]!)) {
					throw new VaultIntegrityError(
						'epoch-forged',
						`epoch ${row.epoch} is not committed to by epoch ${row.epoch - 1}'s key: someone without that key (a database writer) added or replaced it; nothing is read or written under it`,
					);
				}
				this.#chain.push({ row, hash: hashes[row.epoch]! });
			}
			const expiry = await this.#keyExpiry(true);
			for (const [epoch, key] of keys) {
				const cached = this.#cache.lease(epoch);
				if (cached === undefined) this.#cache.set(epoch, new Uint8Array(key), expiry).release();
				else cached.release();
			}
		} finally {
			for (const key of keys.values()) key.fill(0);
		}
	}

	/** Starts a new epoch for later writes; returns its number. */
	async rotate(): Promise<number> {
		this.#checkOpen();
		return this.#rotate({});
	}

	/**
	 * Adds the next epoch, committed to by the current one's key (so only a member can), and
	 * returns the newest epoch: this one, or another writer's when it added that epoch first.
	 */
	async #rotate(change: {
		retire?: readonly number[];
		resealing?: readonly number[];
	}): Promise<number> {
		const head = await this.#latest();
		const { row, key } = await this.#newEpoch(
			head.row.epoch + 1,
			head.hash,
			[...head.row.retired, ...(change.retire ?? [])],
			change.resealing ?? [],
		);
		try {
			const hash = epochHash(this.meta, row);
			row.commitment = await this.#withKeys([head.row.epoch], (keys) =>
				epochCommitment(keys.get(head.row.epoch)!, this.meta, hash),
			);
			if (await this.#storage.addEpoch(row)) {
				this.#chain.push({ row, hash });
				const expiry = await this.#keyExpiry(false);
				// The cache owns the key from here on.
				this.#cache.set(row.epoch, key, expiry).release();
				this.#seal.logger?.info(`vault: epoch ${row.epoch} started`);
				return row.epoch;
			}
		} catch (error) {
			key.fill(0);
			throw error;
		}
		// Another writer rotated first: use its epoch.
		key.fill(0);
		return (await this.#latest()).row.epoch;
	}

	/**
	 * Rotates when a member of the current epoch's allowlist is no longer a member (needs a
	 * membership source). Returns whether it rotated.
	 */
	async rotateIfMembershipShrank(): Promise<boolean> {
		if (this.#membership === undefined) {
			throw new InvalidInputError('membership', 'auto-rotation needs a membership source');
		}
		const latest = (await this.#latest()).row;
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

	/**
	 * Leases on the keys of checked epochs (after checking the epochs added since): cached ones,
	 * and the others unsealed, cached and leased in one step, so nothing can drop them before the
	 * caller has its leases. The caller releases them.
	 */
	async #fetchKeys(epochs: number[]): Promise<Map<number, KeyLease>> {
		this.#needSession();
		await this.#extendChain(epochs);
		const leases = new Map<number, KeyLease>();
		try {
			const rows: EpochRow[] = [];
			for (const epoch of epochs) {
				const link = this.#chain[epoch];
				if (link === undefined) {
					throw new VaultUnknownEpochError(
						epoch,
						`epoch ${epoch} is not in the vault (no sealed key); the record was altered or copied from another vault`,
					);
				}
				const cached = this.#cache.lease(epoch);
				if (cached !== undefined) leases.set(epoch, cached);
				else rows.push(link.row);
			}
			if (rows.length === 0) return leases;
			const plaintexts = await this.#unseal(rows);
			let expiry: number;
			try {
				expiry = await this.#keyExpiry(true);
			} catch (error) {
				for (const key of plaintexts) key.fill(0);
				throw error;
			}
			rows.forEach((row, i) => {
				leases.set(row.epoch, this.#cache.set(row.epoch, plaintexts[i]!, expiry));
			});
			return leases;
		} catch (error) {
			for (const lease of leases.values()) lease.release();
			throw error;
		}
	}

	#needSession(): void {
		if (this.#seal.session === undefined || this.#seal.buildTxBytes === undefined) {
			throw new InvalidInputError(
				'session',
				'reading this vault needs a session key and an approval builder (the epoch keys are sealed)',
			);
		}
	}

	/** The epoch keys sealed in `rows`, from the key servers (≤ 100 per request). */
	async #unseal(rows: readonly EpochRow[]): Promise<Uint8Array[]> {
		this.#needSession();
		const session = this.#seal.session!;
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
		const bad = plaintexts.findIndex((key) => key.length !== EPOCH_KEY_BYTES);
		if (bad !== -1) {
			for (const key of plaintexts) key.fill(0);
			throw new VaultDatabaseError(
				'corrupt',
				`epoch ${rows[bad]!.epoch}'s sealed key is not 32 bytes`,
			);
		}
		return plaintexts;
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

	/**
	 * Stores records in one transaction (ids unique within the call); replaces existing ids, or
	 * with `ifAbsent` skips them. Every write is conditional on the versions it read.
	 */
	async putMany(records: readonly VaultRecord[], options: PutOptions = {}): Promise<PutManyResult> {
		this.#checkOpen();
		if (records.length === 0) {
			return { epoch: (await this.#latest()).row.epoch, written: [], skipped: [] };
		}
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
		return this.#write(records, options.ifAbsent ? 'absent' : 'any');
	}

	/**
	 * Writes records compare-and-swap under the newest epoch. `expect`: 'any' replaces whatever
	 * is stored (re-reading on a race); 'absent' writes only new ids; a map of versions writes
	 * only where the stored version is still the one read. Ids that lost a race are skipped.
	 */
	async #write(
		records: readonly VaultRecord[],
		expect: 'any' | 'absent' | ReadonlyMap<string, number>,
	): Promise<PutManyResult> {
		let todo = records;
		const skipped: string[] = [];
		for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
			const { epoch } = (await this.#latest()).row;
			let expected: Map<string, number | null>;
			if (typeof expect === 'string') {
				const stored = await this.#storage.recordVersions(todo.map((r) => r.id));
				if (expect === 'absent') {
					skipped.push(...todo.filter((r) => stored.has(r.id)).map((r) => r.id));
					todo = todo.filter((r) => !stored.has(r.id));
				}
				expected = new Map(todo.map((r) => [r.id, stored.get(r.id) ?? null]));
			} else {
				expected = new Map(todo.map((r) => [r.id, expect.get(r.id) ?? null]));
			}
			if (todo.length === 0) return { epoch, written: [], skipped };
			const { vaultId } = this.meta;
			const sealed = await this.#withKeys([epoch], (keys) =>
				todo.map((r) =>
					encryptRecord(
						keys.get(epoch)!,
						vaultId,
						epoch,
						r.id,
						r.data,
						(expected.get(r.id) ?? 0) + 1,
					),
				),
			);
			const result = await this.#storage.putRecords(epoch, sealed, this.#maxPerEpoch, expected);
			if (result.ok) {
				for (const r of sealed) this.#noteVersion(r.id, r.version);
				return { epoch, written: todo.map((r) => r.id), skipped };
			}
			if (result.reason === 'budget') {
				// The epoch key's encryption budget is spent: a new epoch starts by itself.
				await this.#rotate({});
			} else if (result.reason === 'conflict' && expect !== 'any') {
				// Another writer wrote these ids after we read them: theirs stands.
				const lost = new Set(result.ids);
				skipped.push(...result.ids);
				todo = todo.filter((r) => !lost.has(r.id));
			}
			// 'stale-epoch' (a rotation committed) or a replaced id: read again and retry.
		}
		throw new VaultDatabaseError(
			'locked',
			'other writers kept rotating or rewriting the same records while writing; nothing of this call was written, retry',
		);
	}

	#noteVersion(id: string, version: number): void {
		if ((this.#seen.get(id) ?? 0) < version) this.#seen.set(id, version);
	}

	/** Refuses records of retired epochs and records older than one this vault already saw. */
	#checkRecord(row: SealedRecord): void {
		if (this.#head().row.retired.includes(row.epoch)) {
			throw new VaultRecordTamperedError(
				row.id,
				row.epoch,
				`record '${row.id}' names epoch ${row.epoch}, which a reseal retired: it was planted by someone holding that epoch's old key; its contents cannot be trusted`,
			);
		}
		const seen = this.#seen.get(row.id) ?? 0;
		if (row.version < seen) {
			throw new VaultIntegrityError(
				'rollback',
				`record '${row.id}' is at version ${row.version} but this vault already saw version ${seen}: the database was rolled back`,
			);
		}
	}

	/** Checks and decrypts stored records (all or nothing: plaintexts are zeroed on failure). */
	async #open(rows: readonly SealedRecord[]): Promise<Uint8Array[]> {
		const out: Uint8Array[] = [];
		await this.#withKeys(
			rows.map((r) => r.epoch),
			(keys) => {
				try {
					for (const row of rows) {
						this.#checkRecord(row);
						out.push(decryptRecord(keys.get(row.epoch)!, this.meta.vaultId, row));
					}
				} catch (error) {
					for (const plain of out) plain.fill(0);
					throw error;
				}
			},
		);
		for (const row of rows) this.#noteVersion(row.id, row.version);
		return out;
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
		const plains = await this.#open(rows);
		const byId = new Map(rows.map((row, i) => [row.id, plains[i]!]));
		return ids.map((id) => byId.get(id));
	}

	/** Deletes records; returns how many existed. */
	async delete(ids: string | readonly string[]): Promise<number> {
		this.#checkOpen();
		const list = typeof ids === 'string' ? [ids] : ids;
		list.forEach((id, i) => checkRecordId(id, `ids[${i}]`));
		const deleted = await this.#storage.deleteRecords(list);
		for (const id of list) this.#seen.delete(id);
		return deleted;
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
		for await (const { row, data } of this.#scan(options)) yield { id: row.id, data };
	}

	async *#scan(options: IterateOptions): AsyncGenerator<{ row: SealedRecord; data: Uint8Array }> {
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
				this.#checkRecord(row);
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
				yield { row, data };
			}
			after = page.at(-1)!.id;
			if (page.length < limit) return;
		}
	}

	/** A reseal that started (its epoch carries `resealing`) and has not retired its epochs yet. */
	#pendingReseal(): { epoch: number; epochs: number[] } | undefined {
		const retired = new Set(this.#head().row.retired);
		for (const { row } of this.#chain) {
			const left = row.resealing.filter((e) => !retired.has(e));
			if (left.length > 0) return { epoch: row.epoch, epochs: left };
		}
		return undefined;
	}

	/**
	 * Re-encrypts every record of `epochs` (default: every epoch not retired yet, a full rekey)
	 * under a new epoch, then retires those epochs: their records are refused from then on, so
	 * an old key kept by a removed member neither reads new copies nor plants records. Crash-safe:
	 * the new epoch names the epochs it is resealing, and a re-run (with any arguments) first
	 * finishes that reseal in the same epoch instead of starting another. Records rewritten by
	 * others meanwhile are left as they wrote them (compare-and-swap on the version read).
	 */
	async reseal(
		options: { epochs?: readonly number[]; onProgress?: (moved: number) => void } = {},
	): Promise<ResealResult> {
		this.#checkOpen();
		if (
			options.epochs !== undefined &&
			(options.epochs.length === 0 || options.epochs.length > MAX_RESEAL_EPOCHS)
		) {
			throw new InvalidInputError('epochs', `give 1..${MAX_RESEAL_EPOCHS} epochs to reseal`);
		}
		let head = await this.#latest();
		let pending = this.#pendingReseal();
		if (pending === undefined) {
			const retired = new Set(head.row.retired);
			const newest = head.row.epoch;
			const wanted = [
				...new Set(options.epochs ?? Array.from({ length: newest + 1 }, (_, e) => e)),
			].filter((e) => e <= newest && !retired.has(e));
			if (wanted.length > MAX_RESEAL_EPOCHS) {
				throw new InvalidInputError(
					'epochs',
					`${wanted.length} epochs to reseal; give at most ${MAX_RESEAL_EPOCHS} at a time`,
				);
			}
			if (wanted.length === 0) {
				return { epoch: newest, moved: 0, retired: head.row.retired, current: newest };
			}
			for (let attempt = 0; pending === undefined; attempt++) {
				if (attempt === WRITE_ATTEMPTS) throw rotationRace();
				// Another writer may rotate first (then this tries again on top of its epoch), or
				// another reseal may start first (then this one finishes that one).
				await this.#rotate({ resealing: wanted });
				pending = this.#pendingReseal();
			}
		} else {
			this.#seal.logger?.info(
				`vault: finishing the reseal of epoch(s) ${pending.epochs.join(', ')} into epoch ${pending.epoch}`,
			);
		}
		let moved = 0;
		let after: string | undefined;
		for (;;) {
			const page: { row: SealedRecord; data: Uint8Array }[] = [];
			for await (const item of this.#scan({
				epochs: pending.epochs,
				pageSize: DEFAULT_PAGE_SIZE,
				...optionalAfter(after),
			})) {
				page.push(item);
				if (page.length === DEFAULT_PAGE_SIZE) break;
			}
			if (page.length === 0) break;
			try {
				const versions = new Map(page.map(({ row }) => [row.id, row.version]));
				const { written } = await this.#write(
					page.map(({ row, data }) => ({ id: row.id, data })),
					versions,
				);
				moved += written.length;
			} finally {
				for (const { data } of page) data.fill(0);
			}
			options.onProgress?.(moved);
			after = page.at(-1)!.row.id;
			if (page.length < DEFAULT_PAGE_SIZE) break;
		}
		for (let attempt = 0; ; attempt++) {
			head = await this.#latest();
			if (pending.epochs.every((e) => head.row.retired.includes(e))) break;
			if (attempt === WRITE_ATTEMPTS) throw rotationRace();
			await this.#rotate({ retire: pending.epochs });
		}
		return {
			epoch: pending.epoch,
			moved,
			retired: head.row.retired,
			current: head.row.epoch,
		};
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

function epochDeleted(seen: number, newest: number): VaultIntegrityError {
	return new VaultIntegrityError(
		'epoch-deleted',
		`epoch ${seen} was checked by this vault but the newest epoch in the database is now ${newest}: epochs were deleted; restore the database from a backup`,
	);
}

function rotationRace(): VaultDatabaseError {
	return new VaultDatabaseError(
		'locked',
		'other writers kept adding epochs while this reseal tried to; retry (the reseal resumes)',
	);
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
