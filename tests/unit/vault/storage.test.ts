/**
 * One conformance suite for every vault storage adapter: SQLite (always) and PostgreSQL (a real
 * server started here on a loopback port; skipped with one printed reason where none can start).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VaultDatabaseError } from '../../../ts/vault/errors.js';
import { openPostgresStorage } from '../../../ts/vault/postgres-storage.js';
import type { SealedRecord } from '../../../ts/vault/record-cipher.js';
import { openSqliteStorage } from '../../../ts/vault/sqlite-storage.js';
import {
	VAULT_SCHEMA_VERSION,
	type EpochRow,
	type VaultMeta,
	type VaultStorage,
} from '../../../ts/vault/storage.js';
import { startTestPostgres, type TestPostgres } from '../../support/vault-postgres.js';

interface Adapter {
	/** A new, empty vault storage (mode create). */
	create(): Promise<VaultStorage>;
	/** A second handle on the same vault (another connection / file handle). */
	reopen(meta: VaultMeta): Promise<VaultStorage>;
}

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

function epoch(n: number, members?: string[]): EpochRow {
	return {
		epoch: n,
		sealedKey: new Uint8Array(randomBytes(40)),
		members,
		createdAtMs: 1_700_000_000_000 + n,
		prevHash: new Uint8Array(randomBytes(32)),
		commitment: new Uint8Array(n === 0 ? 0 : 32),
		retired: n > 1 ? [0] : [],
		resealing: n === 1 ? [0] : [],
	};
}

function record(id: string, e = 0, version = 1): SealedRecord {
	return {
		id,
		epoch: e,
		version,
		iv: new Uint8Array(randomBytes(12)),
		ciphertext: new Uint8Array(randomBytes(20 + id.length)),
	};
}

/** Every record new (compare-and-swap expects the id absent). */
const absent = (records: readonly SealedRecord[]) =>
	new Map<string, number | null>(records.map((r) => [r.id, null]));
const OK = { ok: true };

function conformance(name: string, adapter: () => Adapter | undefined) {
	describe(`storage conformance: ${name}`, () => {
		async function fresh() {
			const a = adapter()!;
			const m = meta();
			const storage = await a.create();
			await storage.create(m, epoch(0, ['0x1']));
			return { storage, m, a };
		}

		it('stores the meta and epochs; addEpoch only appends the next epoch', async (ctx) => {
			if (!adapter()) return ctx.skip();
			const { storage, m } = await fresh();
			expect(await storage.readMeta()).toEqual(m);
			expect((await storage.latestEpoch()).members).toEqual(['0x1']);
			expect(await storage.addEpoch(epoch(2))).toBe(false);
			expect(await storage.addEpoch(epoch(0))).toBe(false);
			const one = epoch(1);
			expect(await storage.addEpoch(one)).toBe(true);
			expect(await storage.latestEpoch()).toEqual(one);
			expect((await storage.getEpochs([1, 5, 0])).map((e) => e.epoch).sort()).toEqual([0, 1]);
			expect((await storage.listEpochs()).map((e) => e.epoch)).toEqual([0, 1]);
			await storage.close();
		});

		it('putRecords charges the epoch and upserts in one step; over budget writes nothing', async (ctx) => {
			if (!adapter()) return ctx.skip();
			const { storage } = await fresh();
			const a = record('a');
			const first = [a, record('b')];
			expect(await storage.putRecords(0, first, 3, absent(first))).toEqual(OK);
			const a2 = record('a', 0, 2);
			const over = [a2, record('c')];
			expect(
				await storage.putRecords(
					0,
					over,
					3,
					new Map([
						['a', 1],
						['c', null],
					]),
				),
			).toEqual({
				ok: false,
				reason: 'budget',
			});
			expect([...(await storage.hasRecords(['a', 'b', 'c']))].sort()).toEqual(['a', 'b']);
			expect(await storage.putRecords(0, [a2], 3, new Map([['a', 1]]))).toEqual(OK);
			const [got] = await storage.getRecords(['a']);
			expect(got).toEqual(a2);
			const stats = await storage.stats();
			expect(stats.records).toBe(2);
			expect(stats.epochs).toEqual([{ epoch: 0, encryptions: 3, records: 2 }]);
			expect(stats.ciphertextBytes).toBe(a2.ciphertext.length + 21);
			await storage.close();
		});

		it('lists and scans ids in byte order with keyset pages and epoch filters', async (ctx) => {
			if (!adapter()) return ctx.skip();
			const { storage } = await fresh();
			await storage.addEpoch(epoch(1));
			const ids = ['b', 'B', 'a', 'é', 'Z', 'aa', '10', '9'];
			const zero = ids.slice(0, 4).map((id) => record(id, 0));
			expect(await storage.putRecords(0, zero, 100, absent(zero))).toEqual({
				ok: false,
				reason: 'stale-epoch',
			});
			// Written before epoch 1 began (a put racing a rotation is refused, as just seen).
			await storage.putRecords(
				1,
				zero.map((r) => ({ ...r, epoch: 0 })),
				100,
				absent(zero),
			);
			const one = ids.slice(4).map((id) => record(id, 1));
			await storage.putRecords(1, one, 100, absent(one));
			const sorted = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
			expect(await storage.listIds({ limit: 100 })).toEqual(sorted);
			expect(await storage.listIds({ after: sorted[2]!, limit: 3 })).toEqual(sorted.slice(3, 6));
			const pages: string[] = [];
			let after: string | undefined;
			for (;;) {
				const page = await storage.scanRecords({ limit: 3, ...(after ? { after } : {}) });
				pages.push(...page.map((r) => r.id));
				if (page.length < 3) break;
				after = page.at(-1)!.id;
			}
			expect(pages).toEqual(sorted);
			const epoch1 = await storage.scanRecords({ limit: 100, epochs: [1] });
			expect(epoch1.map((r) => r.id)).toEqual(sorted.filter((id) => ids.indexOf(id) >= 4));
			expect(epoch1.every((r) => r.epoch === 1)).toBe(true);
			expect(await storage.deleteRecords(['b', 'missing', 'Z'])).toBe(2);
			expect(await storage.listIds({ limit: 100 })).toEqual(
				sorted.filter((id) => id !== 'b' && id !== 'Z'),
			);
			expect(await storage.getRecords(['b'])).toEqual([]);
			await storage.close();
		});

		it('compare-and-swap: writes only over the version read; of two racing writers one wins', async (ctx) => {
			if (!adapter()) return ctx.skip();
			const { storage, m, a } = await fresh();
			expect(await storage.maxRecordEpoch()).toBeUndefined();
			const r1 = record('r');
			expect(await storage.putRecords(0, [r1], 100, absent([r1]))).toEqual(OK);
			const conflict = (ids: string[]) => ({ ok: false, reason: 'conflict', ids });
			// Stored already, but written as new (a second import of the same id).
			expect(await storage.putRecords(0, [record('r')], 100, absent([r1]))).toEqual(
				conflict(['r']),
			);
			// Over a version that is not the stored one (another writer came in between).
			expect(await storage.putRecords(0, [record('r', 0, 3)], 100, new Map([['r', 2]]))).toEqual(
				conflict(['r']),
			);
			// Over a row deleted meanwhile: nothing is resurrected.
			expect(
				await storage.putRecords(0, [record('gone', 0, 2)], 100, new Map([['gone', 1]])),
			).toEqual(conflict(['gone']));
			expect(await storage.recordVersions(['r', 'gone'])).toEqual(new Map([['r', 1]]));
			const other = await a.reopen(m);
			const results = await Promise.all(
				[storage, other].map((s) => s.putRecords(0, [record('r', 0, 2)], 100, new Map([['r', 1]]))),
			);
			expect(results.filter((r) => r.ok)).toHaveLength(1);
			expect(results.find((r) => !r.ok)).toEqual(conflict(['r']));
			expect(await other.recordVersions(['r'])).toEqual(new Map([['r', 2]]));
			expect((await storage.getRecords(['r']))[0]?.version).toBe(2);
			expect(await storage.maxRecordEpoch()).toBe(0);
			// Refused writes charge nothing: the first insert and the one winner.
			expect((await storage.stats()).epochs[0]).toMatchObject({ encryptions: 2 });
			await other.close();
			await storage.close();
		});

		it('a second handle sees committed writes; racing rotations add one epoch', async (ctx) => {
			if (!adapter()) return ctx.skip();
			const { storage, m, a } = await fresh();
			await storage.putRecords(0, [record('x')], 10, absent([record('x')]));
			const other = await a.reopen(m);
			expect([...(await other.hasRecords(['x']))]).toEqual(['x']);
			const results = await Promise.all([storage.addEpoch(epoch(1)), other.addEpoch(epoch(1))]);
			expect(results.filter(Boolean)).toHaveLength(1);
			expect((await other.listEpochs()).map((e) => e.epoch)).toEqual([0, 1]);
			await other.close();
			await storage.close();
		});
	});
}

// --- SQLite -------------------------------------------------------------------------------
let sqliteDir: string;
beforeAll(async () => {
	sqliteDir = await mkdtemp(join(tmpdir(), 'vault-storage-'));
});
afterAll(async () => {
	await rm(sqliteDir, { recursive: true, force: true });
});
const sqlitePaths = new Map<string, string>();
conformance('sqlite', () => ({
	async create() {
		const path = join(sqliteDir, `${randomBytes(6).toString('hex')}.db`);
		const storage = await openSqliteStorage({ path, mode: 'create' });
		// Remember the file of each vault so `reopen` can find it.
		const create = storage.create.bind(storage);
		storage.create = async (m, first) => {
			sqlitePaths.set(Buffer.from(m.vaultId).toString('hex'), path);
			await create(m, first);
		};
		return storage;
	},
	reopen: (m) =>
		openSqliteStorage({
			path: sqlitePaths.get(Buffer.from(m.vaultId).toString('hex'))!,
			mode: 'open',
		}),
}));

// --- PostgreSQL ---------------------------------------------------------------------------
let server: TestPostgres | undefined;
const pools: pg.Pool[] = [];
beforeAll(async () => {
	const started = await startTestPostgres();
	if ('skip' in started) {
		console.log(`skipping PostgreSQL storage conformance: ${started.skip}`);
		return;
	}
	server = started;
}, 120_000);
afterAll(async () => {
	await Promise.all(pools.map((p) => p.end()));
	await server?.stop();
}, 60_000);

function pool(): pg.Pool {
	const p = new pg.Pool({ connectionString: server!.url, max: 4 });
	pools.push(p);
	return p;
}

conformance('postgres', () =>
	server === undefined
		? undefined
		: {
				create: () => openPostgresStorage({ pool: pool(), mode: 'create' }),
				reopen: (m) => openPostgresStorage({ pool: pool(), mode: 'open', vaultId: m.vaultId }),
			},
);

describe('postgres specifics', () => {
	it('opening an unknown vault id → VaultDatabaseError (missing)', async (ctx) => {
		if (!server) return ctx.skip();
		const error = await openPostgresStorage({
			pool: pool(),
			mode: 'open',
			vaultId: new Uint8Array(16),
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).toMatchObject({ problem: 'missing' });
	});

	it('a newer schema is refused', async (ctx) => {
		if (!server) return ctx.skip();
		const p = pool();
		await openPostgresStorage({ pool: p, mode: 'create' });
		await p.query('UPDATE seal_vault_schema SET version = 99');
		try {
			const error = await openPostgresStorage({ pool: p, mode: 'create' }).catch((e: unknown) => e);
			expect(error).toMatchObject({ problem: 'schema' });
		} finally {
			await p.query(`UPDATE seal_vault_schema SET version = ${VAULT_SCHEMA_VERSION}`);
		}
	});

	it('a writer blocked by another transaction past the lock timeout → VaultLockedError, nothing written', async (ctx) => {
		if (!server) return ctx.skip();
		const p = pool();
		const storage = await openPostgresStorage({ pool: p, mode: 'create', lockTimeoutMs: 200 });
		const m = meta();
		await storage.create(m, epoch(0));
		const blocker = await p.connect();
		try {
			await blocker.query('BEGIN');
			await blocker.query('SELECT 1 FROM seal_vault_epochs WHERE vault_id = $1 FOR UPDATE', [
				Buffer.from(m.vaultId),
			]);
			const error = await storage
				.putRecords(0, [record('x')], 10, absent([record('x')]))
				.catch((e: unknown) => e);
			expect(error).toMatchObject({ name: 'VaultLockedError', problem: 'locked' });
		} finally {
			await blocker.query('ROLLBACK');
			blocker.release();
		}
		expect(await storage.hasRecords(['x'])).toEqual(new Set());
		expect(await storage.putRecords(0, [record('x')], 10, absent([record('x')]))).toEqual(OK);
	});

	it('an unreachable server → VaultDatabaseError (unavailable)', async () => {
		const p = new pg.Pool({ connectionString: 'postgres://vault@127.0.0.1:1/postgres' });
		pools.push(p);
		const error = await openPostgresStorage({ pool: p, mode: 'create' }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).toMatchObject({ problem: 'unavailable' });
	});
});
