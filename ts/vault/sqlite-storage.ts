/**
 * The embedded default storage: one SQLite file per vault through Node's built-in `node:sqlite`
 * (no native build; Node ≥ 22.13 without a flag). WAL journal with `synchronous = FULL`: a
 * committed transaction survives a crash of the process or the machine, an uncommitted one leaves
 * nothing. The file carries an application id and a schema version, checked on open.
 */
import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { VaultDatabaseError, VaultLockedError } from './errors.js';
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

/** `PRAGMA application_id` of a vault file ('SPVT'): tells a vault from any other SQLite file. */
export const VAULT_APPLICATION_ID = 0x53505654;
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;
/** Most ids per `IN (...)` list (SQLite's default limit is 32 766 parameters). */
const IN_CHUNK = 500;

const SCHEMA = `
CREATE TABLE vault_meta (
	singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
	vault_id BLOB NOT NULL,
	policy TEXT NOT NULL,
	target TEXT NOT NULL,
	package_id TEXT NOT NULL,
	threshold INTEGER NOT NULL,
	servers TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE TABLE vault_epochs (
	epoch INTEGER PRIMARY KEY,
	sealed_key BLOB NOT NULL,
	members TEXT,
	created_at INTEGER NOT NULL,
	prev_hash BLOB NOT NULL,
	commitment BLOB NOT NULL,
	retired TEXT NOT NULL,
	resealing TEXT NOT NULL,
	encryptions INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE vault_records (
	id TEXT PRIMARY KEY,
	epoch INTEGER NOT NULL,
	version INTEGER NOT NULL,
	iv BLOB NOT NULL,
	ciphertext BLOB NOT NULL
);
CREATE INDEX vault_records_epoch ON vault_records (epoch, id);
`;

export interface SqliteStorageOptions {
	path: string;
	/** `create` refuses an existing file; `open` refuses a missing one. */
	mode: 'create' | 'open';
	/** How long to wait for another process's write lock before VaultLockedError (ms, default 5000). */
	busyTimeoutMs?: number;
}

/** Opens (or creates) a vault file. Throws VaultDatabaseError saying what is wrong with it. */
export async function openSqliteStorage(options: SqliteStorageOptions): Promise<VaultStorage> {
	const stat = statSync(options.path, { throwIfNoEntry: false });
	if (stat?.isDirectory()) {
		throw new VaultDatabaseError('foreign', `${options.path} is a directory, not a vault file`);
	}
	const exists = stat !== undefined;
	if (options.mode === 'create' && exists) {
		throw new VaultDatabaseError(
			'exists',
			`${options.path} already exists; open it, or choose a new path for a new vault`,
		);
	}
	if (options.mode === 'open') {
		if (!exists) {
			throw new VaultDatabaseError(
				'missing',
				`${options.path} does not exist; create the vault first (seal-policies vault init)`,
			);
		}
		checkFileHeader(options.path);
	}
	// Loaded lazily: importing the library must not print SQLite's experimental warning.
	const { DatabaseSync } = await import('node:sqlite');
	let db: DatabaseSync;
	try {
		db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
	} catch (error) {
		throw mapSqliteError(error, options.path);
	}
	try {
		run(db, options.path, () => {
			db.exec('PRAGMA journal_mode = WAL');
			db.exec('PRAGMA synchronous = FULL');
		});
		if (options.mode === 'open') checkIdentity(db, options.path);
		return new SqliteStorage(db, options.path, options.mode === 'create');
	} catch (error) {
		db.close();
		throw error;
	}
}

/** Cheap checks before SQLite sees the file: magic bytes and a file as long as its header says. */
function checkFileHeader(path: string): void {
	const size = statSync(path).size;
	if (size === 0) throw new VaultDatabaseError('truncated', `${path} is empty: not a vault`);
	const header = Buffer.alloc(HEADER_BYTES);
	const fd = openSync(path, 'r');
	let read: number;
	try {
		read = readSync(fd, header, 0, HEADER_BYTES, 0);
	} finally {
		closeSync(fd);
	}
	const magicLength = Math.min(read, SQLITE_MAGIC.length);
	if (!header.subarray(0, magicLength).equals(SQLITE_MAGIC.subarray(0, magicLength))) {
		throw new VaultDatabaseError('foreign', `${path} is not a vault (not a SQLite database)`);
	}
	if (read < HEADER_BYTES) {
		throw new VaultDatabaseError(
			'truncated',
			`${path} is truncated (${size} bytes, shorter than a SQLite header); restore it from a backup`,
		);
	}
	const rawPageSize = header.readUInt16BE(16);
	const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
	const pages = header.readUInt32BE(28);
	// With a WAL beside it the main file may legitimately lag behind; SQLite checks the rest.
	const wal = statSync(`${path}-wal`, { throwIfNoEntry: false });
	if ((wal === undefined || wal.size === 0) && pages * pageSize > size) {
		throw new VaultDatabaseError(
			'truncated',
			`${path} is truncated (${size} of ${pages * pageSize} bytes); restore it from a backup`,
		);
	}
}

function checkIdentity(db: DatabaseSync, path: string): void {
	const appId = pragmaNumber(db, path, 'application_id');
	if (appId !== VAULT_APPLICATION_ID) {
		throw new VaultDatabaseError(
			'foreign',
			`${path} is a SQLite database but not a vault (application id ${appId}); check the path`,
		);
	}
	const version = pragmaNumber(db, path, 'user_version');
	if (version > VAULT_SCHEMA_VERSION) {
		throw new VaultDatabaseError(
			'schema',
			`${path} has vault schema ${version}; this version reads up to ${VAULT_SCHEMA_VERSION}: upgrade seal-policies`,
		);
	}
	if (version < 1) {
		throw new VaultDatabaseError('corrupt', `${path} was never fully created; create it again`);
	}
	if (version < OLDEST_READABLE_SCHEMA) {
		throw new VaultDatabaseError(
			'schema',
			`${path} has vault schema ${version}, which predates authenticated epochs; export it with the seal-policies version that wrote it and import the records into a new vault`,
		);
	}
}

function pragmaNumber(db: DatabaseSync, path: string, name: string): number {
	const row = run(db, path, () => db.prepare(`PRAGMA ${name}`).get()) as
		Record<string, unknown> | undefined;
	return Number(row?.[name] ?? 0);
}

/** Runs `fn`, turning SQLite failures into VaultDatabaseError / VaultLockedError. */
function run<T>(db: DatabaseSync | undefined, path: string, fn: () => T): T {
	try {
		return fn();
	} catch (error) {
		if (db?.isOpen && db.isTransaction) {
			try {
				db.exec('ROLLBACK');
			} catch {
				// The failed statement may already have ended the transaction.
			}
		}
		throw mapSqliteError(error, path);
	}
}

/** SQLite result codes (primary, low byte of the extended code). */
const SQLITE_ERROR = 1;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CORRUPT = 11;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

export function mapSqliteError(error: unknown, path: string): Error {
	if (error instanceof VaultDatabaseError) return error;
	// node:sqlite refuses an integer beyond 2^53 (an epoch or count no vault writes).
	if (error instanceof RangeError) {
		return new VaultDatabaseError(
			'corrupt',
			`${path} holds a value out of range (${error.message}): the database was altered; restore it from a backup`,
			{ cause: error },
		);
	}
	const code = (error as { errcode?: unknown }).errcode;
	if (typeof code !== 'number') return error as Error;
	const primary = code & 0xff;
	const detail = (error as Error).message;
	const options = { cause: error };
	if (primary === SQLITE_ERROR && /no such (table|column)/.test(detail)) {
		return new VaultDatabaseError(
			'corrupt',
			`${path} lacks part of the vault schema (${detail}): the database was altered; restore it from a backup`,
			options,
		);
	}
	switch (primary) {
		case SQLITE_BUSY:
		case SQLITE_LOCKED:
			return new VaultLockedError(
				`${path} is locked by another process (${detail}); wait for it to finish or stop it, then retry — nothing was written`,
				options,
			);
		case SQLITE_NOTADB:
			return new VaultDatabaseError('foreign', `${path} is not a vault (${detail})`, options);
		case SQLITE_CORRUPT:
			return new VaultDatabaseError(
				'corrupt',
				`${path} is damaged (${detail}); restore it from a backup`,
				options,
			);
		case SQLITE_CANTOPEN:
			return new VaultDatabaseError('unavailable', `cannot open ${path} (${detail})`, options);
		default:
			return new VaultDatabaseError('unavailable', `${path}: ${detail}`, options);
	}
}

class SqliteStorage implements VaultStorage {
	readonly kind = 'sqlite';
	readonly #db: DatabaseSync;
	readonly #path: string;
	#creating: boolean;
	readonly #statements = new Map<string, StatementSync>();

	constructor(db: DatabaseSync, path: string, creating: boolean) {
		this.#db = db;
		this.#path = path;
		this.#creating = creating;
	}

	#stmt(sql: string): StatementSync {
		let statement = this.#statements.get(sql);
		if (statement === undefined) {
			// A missing table or column (an altered schema) fails here: a VaultDatabaseError.
			statement = this.#run(() => this.#db.prepare(sql));
			this.#statements.set(sql, statement);
		}
		return statement;
	}

	#run<T>(fn: () => T): T {
		return run(this.#db, this.#path, fn);
	}

	/** `fn` inside BEGIN IMMEDIATE … COMMIT (the write lock is taken up front, or we wait). */
	#write<T>(fn: () => T): T {
		return this.#run(() => {
			this.#db.exec('BEGIN IMMEDIATE');
			const result = fn();
			// `fn` may have rolled back on purpose (nothing to write).
			if (this.#db.isTransaction) this.#db.exec('COMMIT');
			return result;
		});
	}

	async create(meta: VaultMeta, first: EpochRow): Promise<void> {
		if (!this.#creating) throw new VaultDatabaseError('exists', `${this.#path} is already a vault`);
		this.#write(() => {
			this.#db.exec(SCHEMA);
			this.#stmt(
				'INSERT INTO vault_meta (singleton, vault_id, policy, target, package_id, threshold, servers, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)',
			).run(
				meta.vaultId,
				meta.policy,
				meta.target,
				meta.packageId,
				meta.threshold,
				JSON.stringify(meta.servers),
				meta.createdAtMs,
			);
			this.#insertEpoch(first);
			// Last: a file without these never passes `open` (a crash here leaves no half vault).
			this.#db.exec(`PRAGMA application_id = ${VAULT_APPLICATION_ID}`);
			this.#db.exec(`PRAGMA user_version = ${VAULT_SCHEMA_VERSION}`);
		});
		this.#creating = false;
	}

	async readMeta(): Promise<VaultMeta> {
		const row = this.#run(() => this.#stmt('SELECT * FROM vault_meta WHERE singleton = 1').get());
		if (row === undefined)
			throw new VaultDatabaseError('corrupt', `${this.#path} has no vault row`);
		return metaRow(row);
	}

	async latestEpoch(): Promise<EpochRow> {
		const row = this.#run(() =>
			this.#stmt('SELECT * FROM vault_epochs ORDER BY epoch DESC LIMIT 1').get(),
		);
		if (row === undefined) throw new VaultDatabaseError('corrupt', `${this.#path} has no epoch`);
		return epochRow(row);
	}

	#insertEpoch(row: EpochRow): void {
		this.#stmt(
			'INSERT INTO vault_epochs (epoch, sealed_key, members, created_at, prev_hash, commitment, retired, resealing) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
		).run(
			row.epoch,
			row.sealedKey,
			row.members === undefined ? null : JSON.stringify(row.members),
			row.createdAtMs,
			row.prevHash,
			row.commitment,
			JSON.stringify(row.retired),
			JSON.stringify(row.resealing),
		);
	}

	async addEpoch(row: EpochRow): Promise<boolean> {
		return this.#write(() => {
			const latest = this.#stmt('SELECT MAX(epoch) AS e FROM vault_epochs').get();
			if (Number(latest?.e) + 1 !== row.epoch) return false;
			this.#insertEpoch(row);
			return true;
		});
	}

	async getEpochs(epochs: readonly number[]): Promise<EpochRow[]> {
		const statement = this.#stmt('SELECT * FROM vault_epochs WHERE epoch = ?');
		return this.#run(() =>
			epochs.flatMap((epoch) => {
				const row = statement.get(epoch);
				return row === undefined ? [] : [epochRow(row)];
			}),
		);
	}

	async listEpochs(): Promise<EpochRow[]> {
		return this.#run(() =>
			this.#stmt('SELECT * FROM vault_epochs ORDER BY epoch').all().map(epochRow),
		);
	}

	async putRecords(
		epoch: number,
		records: readonly SealedRecord[],
		maxEncryptions: number,
		expected: ReadonlyMap<string, number | null>,
	): Promise<PutRecordsResult> {
		const latest = this.#stmt('SELECT MAX(epoch) AS e FROM vault_epochs');
		const charge = this.#stmt(
			'UPDATE vault_epochs SET encryptions = encryptions + ? WHERE epoch = ? AND encryptions + ? <= ?',
		);
		// Compare-and-swap per record: an insert only where the id is absent, an update only
		// where the stored version is the one the writer read.
		const insert = this.#stmt(
			'INSERT INTO vault_records (id, epoch, version, iv, ciphertext) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
		);
		const update = this.#stmt(
			'UPDATE vault_records SET epoch = ?, version = ?, iv = ?, ciphertext = ? WHERE id = ? AND version = ?',
		);
		return this.#write((): PutRecordsResult => {
			const n = records.length;
			if (Number(latest.get()?.e) !== epoch) {
				this.#db.exec('ROLLBACK');
				return { ok: false, reason: 'stale-epoch' };
			}
			if (Number(charge.run(n, epoch, n, maxEncryptions).changes) !== 1) {
				this.#db.exec('ROLLBACK');
				return { ok: false, reason: 'budget' };
			}
			const conflicts: string[] = [];
			for (const r of records) {
				const was = expected.get(r.id) ?? null;
				const changes =
					was === null
						? insert.run(r.id, r.epoch, r.version, r.iv, r.ciphertext).changes
						: update.run(r.epoch, r.version, r.iv, r.ciphertext, r.id, was).changes;
				if (Number(changes) !== 1) conflicts.push(r.id);
			}
			if (conflicts.length > 0) {
				this.#db.exec('ROLLBACK');
				return { ok: false, reason: 'conflict', ids: conflicts };
			}
			return { ok: true };
		});
	}

	async recordVersions(ids: readonly string[]): Promise<Map<string, number>> {
		const statement = this.#stmt('SELECT version FROM vault_records WHERE id = ?');
		return this.#run(() => {
			const out = new Map<string, number>();
			for (const id of ids) {
				const row = statement.get(id);
				if (row !== undefined) out.set(id, Number(row.version));
			}
			return out;
		});
	}

	async maxRecordEpoch(): Promise<number | undefined> {
		const row = this.#run(() => this.#stmt('SELECT MAX(epoch) AS e FROM vault_records').get());
		return row?.e === null || row?.e === undefined ? undefined : Number(row.e);
	}

	async getRecords(ids: readonly string[]): Promise<SealedRecord[]> {
		const statement = this.#stmt(
			'SELECT id, epoch, version, iv, ciphertext FROM vault_records WHERE id = ?',
		);
		return this.#run(() =>
			ids.flatMap((id) => {
				const row = statement.get(id);
				return row === undefined ? [] : [sealedRecord(row)];
			}),
		);
	}

	async hasRecords(ids: readonly string[]): Promise<Set<string>> {
		const statement = this.#stmt('SELECT 1 AS x FROM vault_records WHERE id = ?');
		return this.#run(() => new Set(ids.filter((id) => statement.get(id) !== undefined)));
	}

	async deleteRecords(ids: readonly string[]): Promise<number> {
		const statement = this.#stmt('DELETE FROM vault_records WHERE id = ?');
		return this.#write(() => ids.reduce((sum, id) => sum + Number(statement.run(id).changes), 0));
	}

	#page(columns: string, options: { after?: string; limit: number; epochs?: readonly number[] }) {
		const where: string[] = [];
		const params: (string | number)[] = [];
		if (options.after !== undefined) {
			where.push('id > ?');
			params.push(options.after);
		}
		if (options.epochs !== undefined) {
			const epochs = options.epochs;
			if (epochs.length > IN_CHUNK) throw new RangeError(`at most ${IN_CHUNK} epochs per query`);
			where.push(`epoch IN (${epochs.map(() => '?').join(', ') || 'NULL'})`);
			params.push(...epochs);
		}
		const sql = `SELECT ${columns} FROM vault_records${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
		return this.#run(() => this.#stmt(sql).all(...params, options.limit));
	}

	async listIds(options: {
		after?: string;
		limit: number;
		epochs?: readonly number[];
	}): Promise<string[]> {
		return this.#page('id', options).map((row) => row.id as string);
	}

	async scanRecords(options: {
		after?: string;
		limit: number;
		epochs?: readonly number[];
	}): Promise<SealedRecord[]> {
		return this.#page('id, epoch, version, iv, ciphertext', options).map(sealedRecord);
	}

	async stats(): Promise<StorageStats> {
		return this.#run(() => {
			const perEpoch = new Map<number, { records: number; bytes: number }>();
			for (const row of this.#stmt(
				'SELECT epoch, COUNT(*) AS n, COALESCE(SUM(LENGTH(ciphertext)), 0) AS bytes FROM vault_records GROUP BY epoch',
			).all()) {
				perEpoch.set(Number(row.epoch), { records: Number(row.n), bytes: Number(row.bytes) });
			}
			const epochs = this.#stmt('SELECT epoch, encryptions FROM vault_epochs ORDER BY epoch')
				.all()
				.map((row) => ({
					epoch: Number(row.epoch),
					encryptions: Number(row.encryptions),
					records: perEpoch.get(Number(row.epoch))?.records ?? 0,
				}));
			let records = 0;
			let ciphertextBytes = 0;
			for (const { records: n, bytes } of perEpoch.values()) {
				records += n;
				ciphertextBytes += bytes;
			}
			return { records, ciphertextBytes, epochs };
		});
	}

	async close(): Promise<void> {
		if (this.#db.isOpen) this.#db.close();
		// Opened to create a vault that never got written (e.g. sealing its key failed): leave
		// no empty file behind, so the same path can be used again.
		if (this.#creating) {
			for (const suffix of ['', '-wal', '-shm']) rmSync(`${this.#path}${suffix}`, { force: true });
			this.#creating = false;
		}
	}
}
