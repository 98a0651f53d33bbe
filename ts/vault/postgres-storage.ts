/**
 * PostgreSQL storage, for app servers that share one vault. Many vaults live in one database,
 * told apart by vault id. The pool is passed in (connection settings stay with the caller).
 * Writers wait at most `lockTimeoutMs` for row locks, then get VaultLockedError with nothing
 * written; every write is one transaction.
 */
import type { Pool, PoolClient } from 'pg';
import { VaultDatabaseError, VaultLockedError } from './errors.js';
import { toHex } from '../identity.js';
import type { SealedRecord } from './record-cipher.js';
import { epochRow, metaRow, sealedRecord } from './rows.js';
import {
	OLDEST_READABLE_SCHEMA,
	VAULT_SCHEMA_VERSION,
	type EpochRow,
	type PutRecordsResult,
	type StorageStats,
	type VaultMeta,
	type VaultStorage,
} from './storage.js';

/** Any advisory-lock key works as long as every process uses the same one. */
const SCHEMA_LOCK_KEY = 0x53505654;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS seal_vault_schema (
	singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
	version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seal_vaults (
	vault_id BYTEA PRIMARY KEY,
	policy TEXT NOT NULL,
	target TEXT NOT NULL,
	package_id TEXT NOT NULL,
	threshold INTEGER NOT NULL,
	servers TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS seal_vault_epochs (
	vault_id BYTEA NOT NULL REFERENCES seal_vaults (vault_id),
	epoch INTEGER NOT NULL,
	sealed_key BYTEA NOT NULL,
	members TEXT,
	created_at BIGINT NOT NULL,
	prev_hash BYTEA NOT NULL,
	commitment BYTEA NOT NULL,
	retired TEXT NOT NULL,
	resealing TEXT NOT NULL,
	encryptions BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (vault_id, epoch)
);
CREATE TABLE IF NOT EXISTS seal_vault_records (
	vault_id BYTEA NOT NULL REFERENCES seal_vaults (vault_id),
	id TEXT COLLATE "C" NOT NULL,
	epoch INTEGER NOT NULL,
	version BIGINT NOT NULL,
	iv BYTEA NOT NULL,
	ciphertext BYTEA NOT NULL,
	PRIMARY KEY (vault_id, id)
);
CREATE INDEX IF NOT EXISTS seal_vault_records_epoch ON seal_vault_records (vault_id, epoch, id);
`;

export interface PostgresStorageOptions {
	pool: Pool;
	/** `create`: the vault id comes from `create(meta)`; `open`: the vault to open. */
	mode: 'create' | 'open';
	vaultId?: Uint8Array;
	/** Wait this long for another writer's locks before VaultLockedError (ms, default 5000). */
	lockTimeoutMs?: number;
}

/** Connects, creates or checks the schema, and (for `open`) checks that the vault exists. */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<VaultStorage> {
	const storage = new PostgresStorage(options.pool, options.lockTimeoutMs ?? 5000);
	await storage.prepareSchema();
	if (options.mode === 'open') {
		if (options.vaultId === undefined) {
			throw new VaultDatabaseError('missing', 'a vault id is required to open a PostgreSQL vault');
		}
		await storage.bind(options.vaultId);
	}
	return storage;
}

function mapPgError(error: unknown): Error {
	if (error instanceof VaultDatabaseError) return error;
	const code = (error as { code?: unknown }).code;
	const detail = (error as Error).message;
	const options = { cause: error };
	if (code === '55P03' || code === '40P01' || code === '40001') {
		return new VaultLockedError(
			`the vault is locked by another writer (${detail}); retry — nothing was written`,
			options,
		);
	}
	if (typeof code === 'string' && /^(08|57P|53)/.test(code)) {
		return new VaultDatabaseError('unavailable', `PostgreSQL unavailable (${detail})`, options);
	}
	if (typeof code === 'string' ? SOCKET_CODES.has(code) : socketFailure(error)) {
		return new VaultDatabaseError(
			'unavailable',
			`cannot reach PostgreSQL (${detail}); check the connection URL and that the server runs`,
			options,
		);
	}
	// undefined_table / undefined_column: someone altered the schema under the vault.
	if (code === '42P01' || code === '42703') {
		return new VaultDatabaseError(
			'corrupt',
			`the vault's PostgreSQL tables lack part of the schema (${detail}): the database was altered; restore it from a backup`,
			options,
		);
	}
	if (typeof code === 'string' && code.startsWith('XX')) {
		return new VaultDatabaseError('corrupt', `PostgreSQL reports damage (${detail})`, options);
	}
	return error as Error;
}

/** Socket errors that mean the server cannot be reached. */
const SOCKET_CODES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'ECONNRESET',
	'EAI_AGAIN',
	'ETIMEDOUT',
	'EHOSTUNREACH',
	'ENETUNREACH',
]);

/** A host with several addresses (`localhost`: ::1 and 127.0.0.1) fails with an AggregateError. */
function socketFailure(error: unknown): boolean {
	const inner = (error as { errors?: unknown }).errors;
	return (
		Array.isArray(inner) &&
		inner.some((e) => SOCKET_CODES.has((e as { code?: unknown })?.code as string))
	);
}

const buf = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

class PostgresStorage implements VaultStorage {
	readonly kind = 'postgres';
	readonly #pool: Pool;
	readonly #lockTimeoutMs: number;
	#vaultId: Buffer | undefined;

	constructor(pool: Pool, lockTimeoutMs: number) {
		this.#pool = pool;
		this.#lockTimeoutMs = lockTimeoutMs;
	}

	get #id(): Buffer {
		if (this.#vaultId === undefined) throw new VaultDatabaseError('missing', 'no vault is open');
		return this.#vaultId;
	}

	async #query(sql: string, params: unknown[] = []) {
		try {
			return await this.#pool.query(sql, params);
		} catch (error) {
			throw mapPgError(error);
		}
	}

	/** `fn` in one transaction; rolled back on any error or when it returns `rollback: true`. */
	async #tx<T>(fn: (client: PoolClient) => Promise<{ value: T; rollback?: boolean }>): Promise<T> {
		let client: PoolClient;
		try {
			client = await this.#pool.connect();
		} catch (error) {
			throw mapPgError(error);
		}
		try {
			await client.query('BEGIN');
			await client.query(
				`SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.#lockTimeoutMs))}`,
			);
			const { value, rollback } = await fn(client);
			await client.query(rollback ? 'ROLLBACK' : 'COMMIT');
			return value;
		} catch (error) {
			await client.query('ROLLBACK').catch(() => {});
			throw mapPgError(error);
		} finally {
			client.release();
		}
	}

	async prepareSchema(): Promise<void> {
		await this.#tx(async (client) => {
			// Two processes creating the schema at once would race on CREATE TABLE.
			await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
			await client.query(SCHEMA);
			const { rows } = await client.query('SELECT version FROM seal_vault_schema');
			const version = rows[0] === undefined ? undefined : Number(rows[0].version);
			if (version === undefined) {
				await client.query('INSERT INTO seal_vault_schema (singleton, version) VALUES (1, $1)', [
					VAULT_SCHEMA_VERSION,
				]);
			} else if (version > VAULT_SCHEMA_VERSION) {
				throw new VaultDatabaseError(
					'schema',
					`the database has vault schema ${version}; this version reads up to ${VAULT_SCHEMA_VERSION}: upgrade seal-policies`,
				);
			} else if (version < OLDEST_READABLE_SCHEMA) {
				throw new VaultDatabaseError(
					'schema',
					`the database has vault schema ${version}, which predates authenticated epochs; export its vaults with the seal-policies version that wrote them and import the records into new vaults`,
				);
			}
			return { value: undefined };
		});
	}

	async bind(vaultId: Uint8Array): Promise<void> {
		const { rows } = await this.#query('SELECT 1 FROM seal_vaults WHERE vault_id = $1', [
			buf(vaultId),
		]);
		if (rows.length === 0) {
			throw new VaultDatabaseError(
				'missing',
				`no vault ${toHex(vaultId)} in this database; check the vault id`,
			);
		}
		this.#vaultId = Buffer.from(vaultId);
	}

	async create(meta: VaultMeta, first: EpochRow): Promise<void> {
		const vaultId = Buffer.from(meta.vaultId);
		await this.#tx(async (client) => {
			await client.query(
				'INSERT INTO seal_vaults (vault_id, policy, target, package_id, threshold, servers, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
				[
					vaultId,
					meta.policy,
					meta.target,
					meta.packageId,
					meta.threshold,
					JSON.stringify(meta.servers),
					meta.createdAtMs,
				],
			);
			await insertEpoch(client, vaultId, first);
			return { value: undefined };
		});
		this.#vaultId = vaultId;
	}

	async readMeta(): Promise<VaultMeta> {
		const { rows } = await this.#query('SELECT * FROM seal_vaults WHERE vault_id = $1', [this.#id]);
		const row = rows[0];
		if (row === undefined) throw new VaultDatabaseError('missing', 'the vault row is gone');
		return metaRow(row);
	}

	async latestEpoch(): Promise<EpochRow> {
		const { rows } = await this.#query(
			'SELECT * FROM seal_vault_epochs WHERE vault_id = $1 ORDER BY epoch DESC LIMIT 1',
			[this.#id],
		);
		if (rows[0] === undefined) throw new VaultDatabaseError('corrupt', 'the vault has no epoch');
		return epochRow(rows[0]);
	}

	async addEpoch(row: EpochRow): Promise<boolean> {
		return this.#tx(async (client) => {
			// Serialises rotations of this vault (the vault row is the lock).
			await client.query('SELECT 1 FROM seal_vaults WHERE vault_id = $1 FOR UPDATE', [this.#id]);
			const { rows } = await client.query(
				'SELECT MAX(epoch) AS e FROM seal_vault_epochs WHERE vault_id = $1',
				[this.#id],
			);
			if (Number(rows[0]?.e) + 1 !== row.epoch) return { value: false, rollback: true };
			await insertEpoch(client, this.#id, row);
			return { value: true };
		});
	}

	async getEpochs(epochs: readonly number[]): Promise<EpochRow[]> {
		const { rows } = await this.#query(
			'SELECT * FROM seal_vault_epochs WHERE vault_id = $1 AND epoch = ANY($2::int[]) ORDER BY epoch',
			[this.#id, [...epochs]],
		);
		return rows.map(epochRow);
	}

	async listEpochs(): Promise<EpochRow[]> {
		const { rows } = await this.#query(
			'SELECT * FROM seal_vault_epochs WHERE vault_id = $1 ORDER BY epoch',
			[this.#id],
		);
		return rows.map(epochRow);
	}

	async putRecords(
		epoch: number,
		records: readonly SealedRecord[],
		maxEncryptions: number,
		expected: ReadonlyMap<string, number | null>,
	): Promise<PutRecordsResult> {
		return this.#tx<PutRecordsResult>(async (client) => {
			const fail = (value: PutRecordsResult) => ({ value, rollback: true });
			// A share lock on the vault row: puts run side by side, but not while addEpoch (which
			// takes it FOR UPDATE) commits; the newest epoch read below is then final.
			await client.query('SELECT 1 FROM seal_vaults WHERE vault_id = $1 FOR SHARE', [this.#id]);
			const latest = await client.query(
				'SELECT MAX(epoch) AS e FROM seal_vault_epochs WHERE vault_id = $1',
				[this.#id],
			);
			if (Number(latest.rows[0]?.e) !== epoch) return fail({ ok: false, reason: 'stale-epoch' });
			const n = records.length;
			const charged = await client.query(
				'UPDATE seal_vault_epochs SET encryptions = encryptions + $1 WHERE vault_id = $2 AND epoch = $3 AND encryptions + $1 <= $4',
				[n, this.#id, epoch, maxEncryptions],
			);
			if (charged.rowCount !== 1) return fail({ ok: false, reason: 'budget' });
			// Compare-and-swap: lock the rows that exist, compare their versions with what the
			// writer read; ids expected absent are inserted only if still absent.
			const ids = records.map((r) => r.id);
			const current = await client.query(
				'SELECT id, version FROM seal_vault_records WHERE vault_id = $1 AND id = ANY($2::text[]) FOR UPDATE',
				[this.#id, ids],
			);
			const stored = new Map(current.rows.map((row) => [row.id as string, Number(row.version)]));
			const conflicts = ids.filter((id) => (stored.get(id) ?? null) !== (expected.get(id) ?? null));
			if (conflicts.length > 0) return fail({ ok: false, reason: 'conflict', ids: conflicts });
			const columns = (list: readonly SealedRecord[]) => [
				this.#id,
				list.map((r) => r.id),
				list.map((r) => r.epoch),
				list.map((r) => r.version),
				list.map((r) => buf(r.iv)),
				list.map((r) => buf(r.ciphertext)),
			];
			const updates = records.filter((r) => stored.has(r.id));
			if (updates.length > 0) {
				await client.query(
					`UPDATE seal_vault_records AS t SET epoch = u.epoch, version = u.version, iv = u.iv, ciphertext = u.ciphertext
					 FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bytea[], $6::bytea[]) AS u (id, epoch, version, iv, ciphertext)
					 WHERE t.vault_id = $1 AND t.id = u.id`,
					columns(updates),
				);
			}
			const inserts = records.filter((r) => !stored.has(r.id));
			if (inserts.length > 0) {
				const inserted = await client.query(
					`INSERT INTO seal_vault_records (vault_id, id, epoch, version, iv, ciphertext)
					 SELECT $1, * FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bytea[], $6::bytea[])
					 ON CONFLICT (vault_id, id) DO NOTHING RETURNING id`,
					columns(inserts),
				);
				const done = new Set(inserted.rows.map((row) => row.id as string));
				const raced = inserts.filter((r) => !done.has(r.id)).map((r) => r.id);
				if (raced.length > 0) return fail({ ok: false, reason: 'conflict', ids: raced });
			}
			return { value: { ok: true } };
		});
	}

	async recordVersions(ids: readonly string[]): Promise<Map<string, number>> {
		const { rows } = await this.#query(
			'SELECT id, version FROM seal_vault_records WHERE vault_id = $1 AND id = ANY($2::text[])',
			[this.#id, [...ids]],
		);
		return new Map(rows.map((row) => [row.id as string, Number(row.version)]));
	}

	async maxRecordEpoch(): Promise<number | undefined> {
		const { rows } = await this.#query(
			'SELECT MAX(epoch) AS e FROM seal_vault_records WHERE vault_id = $1',
			[this.#id],
		);
		return rows[0]?.e === null || rows[0]?.e === undefined ? undefined : Number(rows[0].e);
	}

	async getRecords(ids: readonly string[]): Promise<SealedRecord[]> {
		const { rows } = await this.#query(
			'SELECT id, epoch, version, iv, ciphertext FROM seal_vault_records WHERE vault_id = $1 AND id = ANY($2::text[])',
			[this.#id, [...ids]],
		);
		return rows.map(sealedRecord);
	}

	async hasRecords(ids: readonly string[]): Promise<Set<string>> {
		const { rows } = await this.#query(
			'SELECT id FROM seal_vault_records WHERE vault_id = $1 AND id = ANY($2::text[])',
			[this.#id, [...ids]],
		);
		return new Set(rows.map((row) => row.id as string));
	}

	async deleteRecords(ids: readonly string[]): Promise<number> {
		return this.#tx(async (client) => {
			const result = await client.query(
				'DELETE FROM seal_vault_records WHERE vault_id = $1 AND id = ANY($2::text[])',
				[this.#id, [...ids]],
			);
			return { value: result.rowCount ?? 0 };
		});
	}

	async #page(
		columns: string,
		options: { after?: string; limit: number; epochs?: readonly number[] },
	) {
		const { rows } = await this.#query(
			`SELECT ${columns} FROM seal_vault_records
			 WHERE vault_id = $1 AND ($2::text IS NULL OR id > $2::text)
			   AND ($3::int[] IS NULL OR epoch = ANY($3::int[]))
			 ORDER BY id LIMIT $4`,
			[
				this.#id,
				options.after ?? null,
				options.epochs === undefined ? null : [...options.epochs],
				options.limit,
			],
		);
		return rows;
	}

	async listIds(options: {
		after?: string;
		limit: number;
		epochs?: readonly number[];
	}): Promise<string[]> {
		return (await this.#page('id', options)).map((row) => row.id as string);
	}

	async scanRecords(options: {
		after?: string;
		limit: number;
		epochs?: readonly number[];
	}): Promise<SealedRecord[]> {
		return (await this.#page('id, epoch, version, iv, ciphertext', options)).map(sealedRecord);
	}

	async stats(): Promise<StorageStats> {
		const { rows } = await this.#query(
			`SELECT e.epoch, e.encryptions, COUNT(r.id) AS n, COALESCE(SUM(LENGTH(r.ciphertext)), 0) AS bytes
			 FROM seal_vault_epochs e LEFT JOIN seal_vault_records r
			   ON r.vault_id = e.vault_id AND r.epoch = e.epoch
			 WHERE e.vault_id = $1 GROUP BY e.epoch, e.encryptions ORDER BY e.epoch`,
			[this.#id],
		);
		let records = 0;
		let ciphertextBytes = 0;
		const epochs = rows.map((row) => {
			records += Number(row.n);
			ciphertextBytes += Number(row.bytes);
			return {
				epoch: Number(row.epoch),
				encryptions: Number(row.encryptions),
				records: Number(row.n),
			};
		});
		return { records, ciphertextBytes, epochs };
	}

	async close(): Promise<void> {
		// The pool belongs to the caller.
	}
}

async function insertEpoch(client: PoolClient, vaultId: Buffer, row: EpochRow): Promise<void> {
	await client.query(
		'INSERT INTO seal_vault_epochs (vault_id, epoch, sealed_key, members, created_at, prev_hash, commitment, retired, resealing) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
		[
			vaultId,
			row.epoch,
			buf(row.sealedKey),
			row.members === undefined ? null : JSON.stringify(row.members),
			row.createdAtMs,
			buf(row.prevHash),
			buf(row.commitment),
			JSON.stringify(row.retired),
			JSON.stringify(row.resealing),
		],
	);
}
