/**
 * Edges of the two storage adapters that the conformance suite does not reach: how each maps
 * database failures to typed errors, what the SQLite file checks refuse, what a storage left in
 * `create` mode cleans up, and the PostgreSQL paths that need a damaged database or a racing
 * writer. PostgreSQL tests use a real server (skipped with one printed reason where none starts);
 * the error mapping is reached through a pool that fails the way `pg` does.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VaultDatabaseError, VaultLockedError } from '../../../ts/vault/errors.js';
import { openPostgresStorage } from '../../../ts/vault/postgres-storage.js';
import type { SealedRecord } from '../../../ts/vault/record-cipher.js';
import { mapSqliteError, openSqliteStorage } from '../../../ts/vault/sqlite-storage.js';
import { VAULT_SCHEMA_VERSION, type EpochRow, type VaultMeta } from '../../../ts/vault/storage.js';
import { startTestPostgres, type TestPostgres } from '../../support/vault-postgres.js';

function meta(): VaultMeta {
	return {
		vaultId: new Uint8Array(randomBytes(16)),
		policy: 'allowlist',
		target: `0x${'ab'.repeat(32)}`,
		packageId: `0x${'cd'.repeat(32)}`,
		threshold: 2,
		servers: [`0x${'01'.repeat(32)}`, `0x${'02'.repeat(32)}`],
		createdAtMs: 1_700_000_000_000,
	};
}

function epoch(n: number): EpochRow {
	return {
		epoch: n,
		sealedKey: new Uint8Array(randomBytes(40)),
		members: undefined,
		createdAtMs: 1_700_000_000_000 + n,
		prevHash: new Uint8Array(randomBytes(32)),
		commitment: new Uint8Array(n === 0 ? 0 : 32),
		retired: [],
		resealing: [],
	};
}

function record(id: string, e = 0, version = 1): SealedRecord {
	return {
		id,
		epoch: e,
		version,
		iv: new Uint8Array(randomBytes(12)),
		ciphertext: new Uint8Array(randomBytes(24)),
	};
}

const absent = (records: readonly SealedRecord[]) =>
	new Map<string, number | null>(records.map((r) => [r.id, null]));

async function failure(promise: Promise<unknown>): Promise<Error> {
	try {
		await promise;
	} catch (error) {
		return error as Error;
	}
	throw new Error('expected a failure');
}

// --- PostgreSQL error mapping (a pool failing like pg does) --------------------------------

/** A pool whose every connection attempt fails with `error`. */
function failingPool(error: unknown): pg.Pool {
	return {
		connect: async () => {
			throw error;
		},
		query: async () => {
			throw error;
		},
	} as unknown as pg.Pool;
}

const pgError = (code: unknown, message = `pg failure ${String(code)}`) =>
	Object.assign(new Error(message), { code });

describe('PostgreSQL error mapping', () => {
	it.each(['55P03', '40P01', '40001'])(
		'%s (lock timeout, deadlock, serialization failure) → VaultLockedError keeping the cause',
		async (code) => {
			const cause = pgError(code);
			const error = await failure(
				openPostgresStorage({ pool: failingPool(cause), mode: 'create' }),
			);
			expect(error).toBeInstanceOf(VaultLockedError);
			expect(error).toMatchObject({ problem: 'locked' });
			expect(error.cause).toBe(cause);
		},
	);

	it.each(['08006', '08001', '57P01', '57P03', '53300'])(
		'%s (connection / shutdown / resources) → unavailable keeping the cause',
		async (code) => {
			const cause = pgError(code);
			const error = await failure(
				openPostgresStorage({ pool: failingPool(cause), mode: 'create' }),
			);
			expect(error).toBeInstanceOf(VaultDatabaseError);
			expect(error).not.toBeInstanceOf(VaultLockedError);
			expect(error).toMatchObject({ problem: 'unavailable' });
			expect(error.cause).toBe(cause);
		},
	);

	it.each(['XX000', 'XX001', 'XX002'])(
		'%s (internal error, data corrupted) → corrupt',
		async (code) => {
			const cause = pgError(code);
			const error = await failure(
				openPostgresStorage({ pool: failingPool(cause), mode: 'create' }),
			);
			expect(error).toMatchObject({ name: 'VaultDatabaseError', problem: 'corrupt' });
			expect(error.cause).toBe(cause);
		},
	);

	it.each(['42P01', '42703'])('%s (undefined table / column) → corrupt', async (code) => {
		const cause = pgError(code);
		const error = await failure(openPostgresStorage({ pool: failingPool(cause), mode: 'create' }));
		expect(error).toMatchObject({ name: 'VaultDatabaseError', problem: 'corrupt' });
		expect(error.cause).toBe(cause);
	});

	// Codes that only contain a mapped prefix elsewhere, numbers, and other classes are pg's own
	// errors: passed on unchanged (the same object).
	it.each([
		['23505 (unique violation)', '23505'],
		['22008 (contains 08, not a class 08 code)', '22008'],
		['00XX0 (contains XX, not class XX)', '00XX0'],
		['a numeric code 53', 53],
		['a numeric code 8006', 8006],
		['no code', undefined],
	])('%s → the error itself', async (_name, code) => {
		const cause = pgError(code);
		const error = await failure(openPostgresStorage({ pool: failingPool(cause), mode: 'create' }));
		expect(error).toBe(cause);
	});

	it('a socket code on the error itself → unavailable', async () => {
		const cause = pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1');
		const error = await failure(openPostgresStorage({ pool: failingPool(cause), mode: 'create' }));
		expect(error).toMatchObject({ problem: 'unavailable' });
		expect(error.cause).toBe(cause);
	});

	it('an AggregateError with one socket failure among others → unavailable', async () => {
		const cause = new AggregateError(
			[new Error('something else'), pgError('EHOSTUNREACH', 'connect EHOSTUNREACH ::1:5432')],
			'',
		);
		const error = await failure(openPostgresStorage({ pool: failingPool(cause), mode: 'create' }));
		expect(error).toMatchObject({ name: 'VaultDatabaseError', problem: 'unavailable' });
		expect(error.cause).toBe(cause);
	});

	it('an AggregateError without socket failures, or `errors` that is no array → the error itself', async () => {
		const plain = new AggregateError([new Error('a'), pgError('EPERM')], 'not a socket problem');
		expect(await failure(openPostgresStorage({ pool: failingPool(plain), mode: 'create' }))).toBe(
			plain,
		);
		const odd = Object.assign(new Error('odd'), { errors: { code: 'ECONNREFUSED' } });
		expect(await failure(openPostgresStorage({ pool: failingPool(odd), mode: 'create' }))).toBe(
			odd,
		);
	});
});

// --- SQLite error mapping ------------------------------------------------------------------

const sqliteError = (errcode: number, message: string) =>
	Object.assign(new Error(message), { errcode, code: 'ERR_SQLITE_ERROR' });

describe('SQLite error mapping (mapSqliteError)', () => {
	it.each([
		['BUSY (5)', 5],
		['LOCKED (6)', 6],
		['BUSY_RECOVERY (5 | 1 << 8)', 5 | (1 << 8)],
		['LOCKED_SHAREDCACHE (6 | 1 << 8)', 6 | (1 << 8)],
	])('%s → VaultLockedError keeping the cause', (_name, code) => {
		const cause = sqliteError(code, 'database is locked');
		const error = mapSqliteError(cause, '/v.db');
		expect(error).toBeInstanceOf(VaultLockedError);
		expect(error.cause).toBe(cause);
	});

	it.each([
		['NOTADB (26)', 26, 'foreign'],
		['CORRUPT (11)', 11, 'corrupt'],
		['CORRUPT_INDEX (11 | 3 << 8)', 11 | (3 << 8), 'corrupt'],
		['CANTOPEN (14)', 14, 'unavailable'],
		['CONSTRAINT (19), any other code', 19, 'unavailable'],
		['IOERR (10)', 10, 'unavailable'],
		['ERROR (1) that is not a missing table', 1, 'unavailable'],
	])('%s → VaultDatabaseError (%s) keeping the cause', (_name, code, problem) => {
		const cause = sqliteError(code, 'near "x": syntax error');
		const error = mapSqliteError(cause, '/v.db');
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).not.toBeInstanceOf(VaultLockedError);
		expect(error).toMatchObject({ problem });
		expect(error.cause).toBe(cause);
	});

	it('ERROR (1) naming a missing table or column → corrupt; the same text under another code is not', () => {
		const table = sqliteError(1, 'no such table: vault_records');
		expect(mapSqliteError(table, '/v.db')).toMatchObject({ problem: 'corrupt', cause: table });
		const column = sqliteError(1, 'no such column: members');
		expect(mapSqliteError(column, '/v.db')).toMatchObject({ problem: 'corrupt' });
		expect(mapSqliteError(sqliteError(14, 'no such table: x'), '/v.db')).toMatchObject({
			problem: 'unavailable',
		});
	});

	it('a RangeError (an integer beyond 2^53) → corrupt keeping the cause', () => {
		const cause = new RangeError('Value is too large to be represented as a JavaScript number');
		const error = mapSqliteError(cause, '/v.db');
		expect(error).toMatchObject({ name: 'VaultDatabaseError', problem: 'corrupt' });
		expect(error.cause).toBe(cause);
	});

	it('errors without a numeric errcode are returned as they are', () => {
		const plain = new TypeError('not sqlite');
		expect(mapSqliteError(plain, '/v.db')).toBe(plain);
		const stringCode = Object.assign(new Error('x'), { errcode: '5' });
		expect(mapSqliteError(stringCode, '/v.db')).toBe(stringCode);
		const own = new VaultDatabaseError('missing', 'gone');
		expect(mapSqliteError(own, '/v.db')).toBe(own);
	});
});

// --- SQLite files --------------------------------------------------------------------------

let dir: string;
let Database: typeof DatabaseSync;
beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), 'vault-edges-'));
	({ DatabaseSync: Database } = await import('node:sqlite'));
});
afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});
const newPath = () => join(dir, `${randomBytes(6).toString('hex')}.db`);

/** A closed, complete vault file with one record. */
async function vaultFile(): Promise<string> {
	const path = newPath();
	const storage = await openSqliteStorage({ path, mode: 'create' });
	await storage.create(meta(), epoch(0));
	await storage.putRecords(0, [record('r1')], 100, absent([record('r1')]));
	await storage.close();
	return path;
}

function raw(path: string, sql: string): void {
	const db = new Database(path);
	try {
		db.exec(sql);
	} finally {
		db.close();
	}
}

const openError = (path: string) => failure(openSqliteStorage({ path, mode: 'open' }));

describe('SQLite file checks', () => {
	it('an empty file → truncated', async () => {
		const path = newPath();
		writeFileSync(path, '');
		expect(await openError(path)).toMatchObject({ problem: 'truncated' });
	});

	it('the SQLite magic but fewer than the 100 header bytes → truncated, and no descriptor is left open', async () => {
		const path = newPath();
		writeFileSync(
			path,
			Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(50)]),
		);
		const fds = () => readdirSync('/proc/self/fd').length;
		const before = existsSync('/proc/self/fd') ? fds() : 0;
		expect(await openError(path)).toMatchObject({ problem: 'truncated' });
		if (existsSync('/proc/self/fd')) expect(fds()).toBe(before);
	});

	it('page size 1 in the header means 65536: a file shorter than its pages → truncated', async () => {
		const path = newPath();
		raw(
			path,
			`PRAGMA page_size = 65536; PRAGMA application_id = 1398822998; PRAGMA user_version = ${VAULT_SCHEMA_VERSION}; CREATE TABLE t (x); INSERT INTO t VALUES (1);`,
		);
		const header = readFileSync(path).subarray(0, 100);
		expect(header.readUInt16BE(16)).toBe(1);
		const pages = header.readUInt32BE(28);
		expect(pages).toBeGreaterThanOrEqual(2);
		// Long enough for `pages` pages of 1 byte, too short for `pages` pages of 65536.
		truncateSync(path, 65536 + 100);
		expect(await openError(path)).toMatchObject({ problem: 'truncated' });
	});

	it('more pages in the header than the file holds and no WAL (or an empty one) → truncated', async () => {
		const path = await vaultFile();
		const bytes = readFileSync(path);
		bytes.writeUInt32BE(bytes.readUInt32BE(28) + 5, 28);
		writeFileSync(path, bytes);
		expect(await openError(path)).toMatchObject({ problem: 'truncated' });
		writeFileSync(`${path}-wal`, '');
		expect(await openError(path)).toMatchObject({ problem: 'truncated' });
	});

	it('with a non-empty WAL beside it the main file may lag: the size check is left to SQLite', async () => {
		// Stand-in for a crash before a checkpoint: the main file says it has more pages than it
		// holds, and a WAL file exists. Our header check lets it through; SQLite itself then finds
		// the page count wrong (this WAL has no valid frames), so the error carries its code.
		const path = await vaultFile();
		const bytes = readFileSync(path);
		bytes.writeUInt32BE(bytes.readUInt32BE(28) + 5, 28);
		writeFileSync(path, bytes);
		writeFileSync(`${path}-wal`, Buffer.alloc(64, 1));
		const error = await openError(path);
		expect(error).toMatchObject({ problem: 'corrupt' });
		expect((error.cause as { errcode?: number }).errcode).toBe(11);
	});

	it('user_version 0 (never fully created) → corrupt; a schema older than readable → schema', async () => {
		const zero = await vaultFile();
		raw(zero, 'PRAGMA user_version = 0');
		expect(await openError(zero)).toMatchObject({ problem: 'corrupt' });
		const old = await vaultFile();
		raw(old, 'PRAGMA user_version = 1');
		expect(await openError(old)).toMatchObject({ problem: 'schema' });
	});

	it('a SQLite file that is not a vault is refused and closed again (its WAL is gone)', async () => {
		const path = newPath();
		raw(path, 'CREATE TABLE t (x); INSERT INTO t VALUES (1);');
		expect(await openError(path)).toMatchObject({ problem: 'foreign' });
		// Opening switched it to WAL; only closing the connection removes the -wal file.
		expect(existsSync(`${path}-wal`)).toBe(false);
	});

	it('a vault is created in WAL mode', async () => {
		const path = await vaultFile();
		const db = new Database(path);
		try {
			expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
		} finally {
			db.close();
		}
	});

	it('a file that cannot be created (missing directory) → unavailable with the SQLite cause', async () => {
		const error = await failure(
			openSqliteStorage({ path: join(dir, 'no-such-dir', 'v.db'), mode: 'create' }),
		);
		expect(error).toMatchObject({ name: 'VaultDatabaseError', problem: 'unavailable' });
		expect((error.cause as { errcode?: number }).errcode! & 0xff).toBe(14);
	});
});

describe('SQLite storage lifecycle', () => {
	it('close() of a storage that never created its vault removes the file, its -wal and -shm', async () => {
		const path = newPath();
		const storage = await openSqliteStorage({ path, mode: 'create' });
		expect(storage.kind).toBe('sqlite');
		writeFileSync(`${path}-shm`, '');
		await storage.close();
		for (const suffix of ['', '-wal', '-shm']) expect(existsSync(`${path}${suffix}`)).toBe(false);
		// The path is free again; a second close of the old handle leaves the new vault alone.
		const again = await openSqliteStorage({ path, mode: 'create' });
		await again.create(meta(), epoch(0));
		await again.close();
		await storage.close();
		expect(existsSync(path)).toBe(true);
		await (await openSqliteStorage({ path, mode: 'open' })).close();
	});

	it('close() twice is harmless', async () => {
		const storage = await openSqliteStorage({ path: await vaultFile(), mode: 'open' });
		await storage.close();
		await expect(storage.close()).resolves.toBeUndefined();
	});

	it('create twice, or create on an opened vault → exists', async () => {
		const path = newPath();
		const storage = await openSqliteStorage({ path, mode: 'create' });
		await storage.create(meta(), epoch(0));
		expect(await failure(storage.create(meta(), epoch(0)))).toMatchObject({ problem: 'exists' });
		await storage.close();
		const opened = await openSqliteStorage({ path, mode: 'open' });
		expect(await failure(opened.create(meta(), epoch(0)))).toMatchObject({ problem: 'exists' });
		await opened.close();
	});

	it('readMeta / latestEpoch with their rows deleted → corrupt', async () => {
		const path = await vaultFile();
		raw(path, 'DELETE FROM vault_meta; DELETE FROM vault_epochs;');
		const storage = await openSqliteStorage({ path, mode: 'open' });
		try {
			expect(await failure(storage.readMeta())).toMatchObject({ problem: 'corrupt' });
			expect(await failure(storage.latestEpoch())).toMatchObject({ problem: 'corrupt' });
		} finally {
			await storage.close();
		}
	});

	it('maxRecordEpoch of a vault without records is undefined', async () => {
		const path = newPath();
		const storage = await openSqliteStorage({ path, mode: 'create' });
		await storage.create(meta(), epoch(0));
		expect(await storage.maxRecordEpoch()).toBeUndefined();
		await storage.putRecords(0, [record('a')], 10, absent([record('a')]));
		expect(await storage.maxRecordEpoch()).toBe(0);
		await storage.close();
	});

	it('epoch filters: up to 500 epochs per query, combined with `after`', async () => {
		const storage = await openSqliteStorage({ path: await vaultFile(), mode: 'open' });
		try {
			await storage.addEpoch(epoch(1));
			await storage.putRecords(
				1,
				[record('r2', 1), record('r3', 1)],
				100,
				absent([record('r2'), record('r3')]),
			);
			const many = Array.from({ length: 500 }, (_, i) => i);
			expect(await storage.listIds({ limit: 10, epochs: many })).toEqual(['r1', 'r2', 'r3']);
			expect(await storage.listIds({ limit: 10, epochs: [0, 1] })).toEqual(['r1', 'r2', 'r3']);
			expect(await storage.listIds({ limit: 10, epochs: [1], after: 'r2' })).toEqual(['r3']);
			expect(
				(await storage.scanRecords({ limit: 10, epochs: [0, 1], after: 'r1' })).map((r) => r.id),
			).toEqual(['r2', 'r3']);
			await expect(storage.listIds({ limit: 10, epochs: [...many, 500] })).rejects.toThrow(
				RangeError,
			);
		} finally {
			await storage.close();
		}
	});

	it('a write failing inside its transaction is rolled back: the vault stays writable for everyone', async () => {
		const path = await vaultFile();
		raw(
			path,
			`CREATE TRIGGER refuse BEFORE INSERT ON vault_epochs WHEN NEW.epoch = 1 BEGIN SELECT RAISE(FAIL, 'refused'); END;`,
		);
		const storage = await openSqliteStorage({ path, mode: 'open', busyTimeoutMs: 50 });
		try {
			const error = await failure(storage.addEpoch(epoch(1)));
			expect(error).toMatchObject({ name: 'VaultDatabaseError', problem: 'unavailable' });
			// Another connection can take the write lock at once, and this one can write again.
			const other = new Database(path, { timeout: 0 });
			try {
				other.exec('DROP TRIGGER refuse');
			} finally {
				other.close();
			}
			expect(await storage.addEpoch(epoch(1))).toBe(true);
			expect((await storage.latestEpoch()).epoch).toBe(1);
			// Not the next epoch: refused, nothing written.
			expect(await storage.addEpoch(epoch(3))).toBe(false);
			expect((await storage.listEpochs()).map((e) => e.epoch)).toEqual([0, 1]);
		} finally {
			await storage.close();
		}
	});
});

/** Holds the write lock of `path` in a worker thread for `ms`; resolves once it holds it. */
function holdWriteLock(path: string, ms: number): Promise<{ done: Promise<void> }> {
	const worker = new Worker(
		`const { parentPort, workerData } = require('node:worker_threads');
		const { DatabaseSync } = require('node:sqlite');
		const db = new DatabaseSync(workerData.path);
		db.exec('BEGIN IMMEDIATE');
		parentPort.postMessage('locked');
		Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
		db.exec('COMMIT');
		db.close();`,
		{ eval: true, workerData: { path, ms } },
	);
	const done = new Promise<void>((resolve, reject) => {
		worker.once('exit', () => resolve());
		worker.once('error', reject);
	});
	return new Promise((resolve, reject) => {
		worker.once('message', () => resolve({ done }));
		worker.once('error', reject);
	});
}

describe('SQLite busy timeout', () => {
	it('by default a writer waits (5 s) for another process to finish, then writes', async () => {
		const path = await vaultFile();
		const storage = await openSqliteStorage({ path, mode: 'open' });
		try {
			const { done } = await holdWriteLock(path, 400);
			expect(await storage.addEpoch(epoch(1))).toBe(true);
			await done;
		} finally {
			await storage.close();
		}
	});

	it('past a short busyTimeoutMs → VaultLockedError, nothing written', async () => {
		const path = await vaultFile();
		const storage = await openSqliteStorage({ path, mode: 'open', busyTimeoutMs: 20 });
		try {
			const { done } = await holdWriteLock(path, 600);
			expect(await failure(storage.addEpoch(epoch(1)))).toBeInstanceOf(VaultLockedError);
			await done;
			expect((await storage.listEpochs()).map((e) => e.epoch)).toEqual([0]);
		} finally {
			await storage.close();
		}
	});
});

// --- PostgreSQL with a real server ---------------------------------------------------------

let server: TestPostgres | undefined;
const pools: pg.Pool[] = [];
beforeAll(async () => {
	const started = await startTestPostgres();
	if ('skip' in started) {
		console.log(`skipping PostgreSQL storage edges: ${started.skip}`);
		return;
	}
	server = started;
}, 120_000);
afterAll(async () => {
	await Promise.all(pools.map((p) => p.end()));
	await server?.stop();
}, 60_000);

/** A pool on a database of its own (the schema table is per database). */
async function freshDatabase(): Promise<pg.Pool> {
	const name = `edges_${randomBytes(6).toString('hex')}`;
	const admin = new pg.Client({ connectionString: server!.url });
	await admin.connect();
	await admin.query(`CREATE DATABASE ${name}`);
	await admin.end();
	const url = new URL(server!.url);
	url.pathname = `/${name}`;
	const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
	pools.push(pool);
	return pool;
}

describe('PostgreSQL storage edges', () => {
	it('a new database gets the schema version row; open without a vault id → missing', async (ctx) => {
		if (!server) return ctx.skip();
		const pool = await freshDatabase();
		const storage = await openPostgresStorage({ pool, mode: 'create' });
		expect(storage.kind).toBe('postgres');
		expect((await pool.query('SELECT version FROM seal_vault_schema')).rows).toEqual([
			{ version: VAULT_SCHEMA_VERSION },
		]);
		expect(await failure(openPostgresStorage({ pool, mode: 'open' }))).toMatchObject({
			name: 'VaultDatabaseError',
			problem: 'missing',
		});
	});

	it('several processes preparing a new database at once all succeed (one schema, one version row)', async (ctx) => {
		if (!server) return ctx.skip();
		const first = await freshDatabase();
		const url = (first as unknown as { options: { connectionString: string } }).options
			.connectionString;
		const others = Array.from({ length: 5 }, () => {
			const pool = new pg.Pool({ connectionString: url, max: 1 });
			pools.push(pool);
			return pool;
		});
		const results = await Promise.allSettled(
			[first, ...others].map((pool) => openPostgresStorage({ pool, mode: 'create' })),
		);
		expect(results.map((r) => r.status)).toEqual(Array(6).fill('fulfilled'));
		expect((await first.query('SELECT version FROM seal_vault_schema')).rows).toEqual([
			{ version: VAULT_SCHEMA_VERSION },
		]);
	});

	it('a schema older than readable → schema', async (ctx) => {
		if (!server) return ctx.skip();
		const pool = await freshDatabase();
		await openPostgresStorage({ pool, mode: 'create' });
		await pool.query('UPDATE seal_vault_schema SET version = 1');
		expect(await failure(openPostgresStorage({ pool, mode: 'create' }))).toMatchObject({
			problem: 'schema',
		});
	});

	it('a storage that has no vault yet refuses reads (missing)', async (ctx) => {
		if (!server) return ctx.skip();
		const storage = await openPostgresStorage({ pool: await freshDatabase(), mode: 'create' });
		expect(await failure(storage.latestEpoch())).toMatchObject({ problem: 'missing' });
		expect(await failure(storage.listEpochs())).toMatchObject({ problem: 'missing' });
	});

	it('readMeta / latestEpoch with the rows deleted → missing / corrupt; no records → maxRecordEpoch undefined', async (ctx) => {
		if (!server) return ctx.skip();
		const pool = await freshDatabase();
		const storage = await openPostgresStorage({ pool, mode: 'create' });
		await storage.create(meta(), epoch(0));
		expect(await storage.maxRecordEpoch()).toBeUndefined();
		expect(await storage.addEpoch(epoch(2))).toBe(false);
		await pool.query('DELETE FROM seal_vault_epochs');
		expect(await failure(storage.latestEpoch())).toMatchObject({ problem: 'corrupt' });
		await pool.query('DELETE FROM seal_vaults');
		expect(await failure(storage.readMeta())).toMatchObject({
			name: 'VaultDatabaseError',
			problem: 'missing',
		});
	});

	it('a put waits for a rotation that is committing, then sees the new epoch (stale-epoch, nothing written)', async (ctx) => {
		if (!server) return ctx.skip();
		const pool = await freshDatabase();
		const storage = await openPostgresStorage({ pool, mode: 'create', lockTimeoutMs: 10_000 });
		const m = meta();
		await storage.create(m, epoch(0));
		const rotation = await pool.connect();
		try {
			// What addEpoch does, held open: the vault row locked, the next epoch inserted.
			await rotation.query('BEGIN');
			await rotation.query('SELECT 1 FROM seal_vaults WHERE vault_id = $1 FOR UPDATE', [
				Buffer.from(m.vaultId),
			]);
			await rotation.query(
				`INSERT INTO seal_vault_epochs (vault_id, epoch, sealed_key, members, created_at, prev_hash, commitment, retired, resealing) VALUES ($1, 1, '\\x00', NULL, 1, '\\x00', '\\x00', '[]', '[]')`,
				[Buffer.from(m.vaultId)],
			);
			let settled = false;
			const put = storage
				.putRecords(0, [record('late')], 10, absent([record('late')]))
				.finally(() => {
					settled = true;
				});
			for (let i = 0; i < 200 && !settled; i++) {
				const { rows } = await pool.query(
					`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT 1 FROM seal_vaults%FOR SHARE'`,
				);
				if (rows.length > 0) break;
				await new Promise((r) => setTimeout(r, 25));
			}
			await rotation.query('COMMIT');
			expect(await put).toEqual({ ok: false, reason: 'stale-epoch' });
		} finally {
			rotation.release();
		}
		expect(await storage.hasRecords(['late'])).toEqual(new Set());
	});

	it('an insert racing another writer of the same id → conflict naming that id only, nothing written', async (ctx) => {
		if (!server) return ctx.skip();
		const pool = await freshDatabase();
		const storage = await openPostgresStorage({ pool, mode: 'create', lockTimeoutMs: 10_000 });
		const m = meta();
		await storage.create(m, epoch(0));
		const other = await pool.connect();
		try {
			// The other writer's insert is not committed yet: our check sees no row, our insert waits.
			await other.query('BEGIN');
			await other.query(
				`INSERT INTO seal_vault_records (vault_id, id, epoch, version, iv, ciphertext) VALUES ($1, 'x', 0, 7, '\\x00', '\\x00')`,
				[Buffer.from(m.vaultId)],
			);
			const put = storage.putRecords(
				0,
				[record('x'), record('y')],
				10,
				absent([record('x'), record('y')]),
			);
			for (let i = 0; i < 200; i++) {
				const { rows } = await pool.query(
					`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO seal_vault_records%'`,
				);
				if (rows.length > 0) break;
				await new Promise((r) => setTimeout(r, 25));
			}
			await other.query('COMMIT');
			expect(await put).toEqual({ ok: false, reason: 'conflict', ids: ['x'] });
		} finally {
			other.release();
		}
		expect(await storage.hasRecords(['x', 'y'])).toEqual(new Set(['x']));
		expect(await storage.recordVersions(['x'])).toEqual(new Map([['x', 7]]));
	});
});
