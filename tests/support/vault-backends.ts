/**
 * The vault's two databases for tests that act as a database writer: a fresh vault's storage,
 * another handle on it (another process), and raw SQL edits that bypass the vault entirely.
 * PostgreSQL comes from ./vault-postgres.ts (a throwaway server; undefined when none can start).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import pg from 'pg';

import { openPostgresStorage } from '../../ts/vault/postgres-storage.js';
import type { SealedRecord } from '../../ts/vault/record-cipher.js';
import { sealedRecord } from '../../ts/vault/rows.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import type { VaultStorage } from '../../ts/vault/storage.js';
import { startTestPostgres, type TestPostgres } from './vault-postgres.js';

/** What someone with write access to the database (and no key) can do. */
export interface RawVaultDb {
	deleteEpoch(epoch: number): Promise<void>;
	setSealedKey(epoch: number, sealedKey: Uint8Array): Promise<void>;
	setThreshold(threshold: number): Promise<void>;
	readRecord(id: string): Promise<SealedRecord | undefined>;
	/** Inserts or overwrites a record row as given (no version check, no budget). */
	writeRecord(row: SealedRecord): Promise<void>;
	deleteRecord(id: string): Promise<void>;
	/** Copies the vault's rows now; the returned function puts that copy back (a restore). */
	snapshot(): Promise<() => Promise<void>>;
}

export interface VaultBackend {
	name: 'sqlite' | 'postgres';
	/** Storage for Vault.create. */
	fresh(): Promise<VaultStorage>;
	/** Another handle on a vault made with `fresh`. */
	reopen(vaultId: Uint8Array): Promise<VaultStorage>;
	raw(vaultId: Uint8Array): RawVaultDb;
	close(): Promise<void>;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

export async function sqliteBackend(): Promise<VaultBackend> {
	const dir = await mkdtemp(join(tmpdir(), 'vault-backend-'));
	const paths = new Map<string, string>();
	let n = 0;
	const path = (vaultId: Uint8Array) => paths.get(hex(vaultId))!;
	const sql = (vaultId: Uint8Array, fn: (db: DatabaseSync) => void) => {
		const db = new DatabaseSync(path(vaultId));
		try {
			fn(db);
		} finally {
			db.close();
		}
	};
	return {
		name: 'sqlite',
		async fresh() {
			const file = join(dir, `v${n++}.db`);
			const storage = await openSqliteStorage({ path: file, mode: 'create' });
			const create = storage.create.bind(storage);
			storage.create = async (meta, first) => {
				paths.set(hex(meta.vaultId), file);
				await create(meta, first);
			};
			return storage;
		},
		reopen: (vaultId) => openSqliteStorage({ path: path(vaultId), mode: 'open' }),
		raw: (vaultId) => ({
			deleteEpoch: async (epoch) =>
				sql(vaultId, (db) => db.prepare('DELETE FROM vault_epochs WHERE epoch = ?').run(epoch)),
			setSealedKey: async (epoch, key) =>
				sql(vaultId, (db) =>
					db.prepare('UPDATE vault_epochs SET sealed_key = ? WHERE epoch = ?').run(key, epoch),
				),
			setThreshold: async (t) =>
				sql(vaultId, (db) => db.prepare('UPDATE vault_meta SET threshold = ?').run(t)),
			readRecord: async (id) => {
				let row: SealedRecord | undefined;
				sql(vaultId, (db) => {
					const found = db.prepare('SELECT * FROM vault_records WHERE id = ?').get(id);
					row = found === undefined ? undefined : sealedRecord(found);
				});
				return row;
			},
			writeRecord: async (r) =>
				sql(vaultId, (db) =>
					db
						.prepare(
							'INSERT OR REPLACE INTO vault_records (id, epoch, version, iv, ciphertext) VALUES (?, ?, ?, ?, ?)',
						)
						.run(r.id, r.epoch, r.version, r.iv, r.ciphertext),
				),
			deleteRecord: async (id) =>
				sql(vaultId, (db) => db.prepare('DELETE FROM vault_records WHERE id = ?').run(id)),
			snapshot: async () => {
				const file = path(vaultId);
				const copy = `${file}.snapshot`;
				sql(vaultId, (db) => db.exec('PRAGMA wal_checkpoint(TRUNCATE)'));
				await copyFile(file, copy);
				return async () => {
					sql(vaultId, (db) => db.exec('PRAGMA wal_checkpoint(TRUNCATE)'));
					await copyFile(copy, file);
				};
			},
		}),
		close: () => rm(dir, { recursive: true, force: true }),
	};
}

/** A PostgreSQL backend, or the reason there is none. */
export async function postgresBackend(): Promise<VaultBackend | { skip: string }> {
	const started = await startTestPostgres();
	if ('skip' in started) return started;
	const server: TestPostgres = started;
	const pools: pg.Pool[] = [];
	const pool = () => {
		const p = new pg.Pool({ connectionString: server.url, max: 4 });
		pools.push(p);
		return p;
	};
	const admin = pool();
	const q = async (text: string, params: unknown[]) => void (await admin.query(text, params));
	return {
		name: 'postgres',
		fresh: () => openPostgresStorage({ pool: pool(), mode: 'create' }),
		reopen: (vaultId) => openPostgresStorage({ pool: pool(), mode: 'open', vaultId }),
		raw: (vaultId) => {
			const id = Buffer.from(vaultId);
			return {
				deleteEpoch: (epoch) =>
					q('DELETE FROM seal_vault_epochs WHERE vault_id = $1 AND epoch = $2', [id, epoch]),
				setSealedKey: (epoch, key) =>
					q('UPDATE seal_vault_epochs SET sealed_key = $3 WHERE vault_id = $1 AND epoch = $2', [
						id,
						epoch,
						Buffer.from(key),
					]),
				setThreshold: (t) =>
					q('UPDATE seal_vaults SET threshold = $2 WHERE vault_id = $1', [id, t]),
				readRecord: async (recordId) => {
					const { rows } = await admin.query(
						'SELECT * FROM seal_vault_records WHERE vault_id = $1 AND id = $2',
						[id, recordId],
					);
					return rows[0] === undefined ? undefined : sealedRecord(rows[0]);
				},
				writeRecord: (r) =>
					q(
						`INSERT INTO seal_vault_records (vault_id, id, epoch, version, iv, ciphertext)
						 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (vault_id, id) DO UPDATE
						 SET epoch = excluded.epoch, version = excluded.version, iv = excluded.iv, ciphertext = excluded.ciphertext`,
						[id, r.id, r.epoch, r.version, Buffer.from(r.iv), Buffer.from(r.ciphertext)],
					),
				deleteRecord: (recordId) =>
					q('DELETE FROM seal_vault_records WHERE vault_id = $1 AND id = $2', [id, recordId]),
				snapshot: async () => {
					const tag = randomBytes(6).toString('hex');
					const literal = `'\\x${id.toString('hex')}'::bytea`;
					for (const table of ['seal_vault_epochs', 'seal_vault_records']) {
						await q(
							`CREATE TABLE ${table}_${tag} AS SELECT * FROM ${table} WHERE vault_id = ${literal}`,
							[],
						);
					}
					return async () => {
						await q('DELETE FROM seal_vault_records WHERE vault_id = $1', [id]);
						await q('DELETE FROM seal_vault_epochs WHERE vault_id = $1', [id]);
						for (const table of ['seal_vault_epochs', 'seal_vault_records']) {
							await q(`INSERT INTO ${table} SELECT * FROM ${table}_${tag}`, []);
						}
					};
				},
			};
		},
		async close() {
			await Promise.all(pools.map((p) => p.end()));
			await server.stop();
		},
	};
}

/** Hooks run before a storage call (the call waits for them: a barrier a test controls). */
export interface StorageHooks {
	beforePutRecords?: (call: number) => Promise<void> | void;
	beforeAddEpoch?: (call: number) => Promise<void> | void;
}

/**
 * `target` with some methods replaced: the replacements are used as given, every other method is
 * the original bound to `target` (a storage or a Seal client a test needs to watch or break).
 */
export function overriding<T extends object>(target: T, overrides: Partial<T>): T {
	return new Proxy(target, {
		get(inner, prop) {
			if (prop in overrides) return overrides[prop as keyof T];
			const value = Reflect.get(inner, prop, inner) as unknown;
			return typeof value === 'function' ? (value as () => unknown).bind(inner) : value;
		},
	});
}

/** `storage` with hooks before its writes, to drive races deterministically. */
export function withHooks(storage: VaultStorage, hooks: StorageHooks): VaultStorage {
	const calls = { putRecords: 0, addEpoch: 0 };
	const { beforePutRecords, beforeAddEpoch } = hooks;
	return overriding(storage, {
		...(beforePutRecords && {
			putRecords: async (...args: Parameters<VaultStorage['putRecords']>) => {
				await beforePutRecords(++calls.putRecords);
				return storage.putRecords(...args);
			},
		}),
		...(beforeAddEpoch && {
			addEpoch: async (...args: Parameters<VaultStorage['addEpoch']>) => {
				await beforeAddEpoch(++calls.addEpoch);
				return storage.addEpoch(...args);
			},
		}),
	});
}

/** A gate: `wait()` blocks until `open()`; `reached` resolves when someone waits. */
export function gate() {
	let open!: () => void;
	let reached!: () => void;
	const opened = new Promise<void>((resolve) => (open = resolve));
	const arrived = new Promise<void>((resolve) => (reached = resolve));
	return {
		open,
		reached: arrived,
		async wait() {
			reached();
			await opened;
		},
	};
}
