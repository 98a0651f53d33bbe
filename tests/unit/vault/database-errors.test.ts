/**
 * A damaged or altered vault database is a VaultDatabaseError saying what is wrong (issue 17 item
 * 6): never a bare SyntaxError, RangeError, `no such table` or EISDIR, and `stats` of a vault
 * without epochs is an error, not "current epoch -Infinity".
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { VaultDatabaseError } from '../../../ts/vault/errors.js';
import { GENESIS_PREV_HASH } from '../../../ts/vault/epoch-chain.js';
import { encryptRecord } from '../../../ts/vault/record-cipher.js';
import { epochRow, metaRow, sealedRecord } from '../../../ts/vault/rows.js';
import { openSqliteStorage } from '../../../ts/vault/sqlite-storage.js';
import type { EpochRow, VaultMeta, VaultStorage } from '../../../ts/vault/storage.js';
import { Vault, vaultStats, type VaultSealOptions } from '../../../ts/vault/vault.js';
import { openPostgresStorage } from '../../../ts/vault/postgres-storage.js';
import { startTestPostgres } from '../../support/vault-postgres.js';

let dir: string;
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'vault-db-errors-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const META: VaultMeta = {
	vaultId: new Uint8Array(randomBytes(16)),
	policy: 'owner',
	target: `0x${'ab'.repeat(32)}`,
	packageId: `0x${'cd'.repeat(32)}`,
	threshold: 1,
	servers: [`0x${'01'.repeat(32)}`],
	createdAtMs: 1_700_000_000_000,
};

/** Epoch 0 as `Vault.create` links it (no previous epoch, so no commitment). */
function firstEpoch(sealedKey: Uint8Array): EpochRow {
	return {
		epoch: 0,
		sealedKey,
		members: undefined,
		createdAtMs: 1,
		prevHash: GENESIS_PREV_HASH,
		commitment: new Uint8Array(),
		retired: [],
		resealing: [],
	};
}

/** A vault file whose epoch 0 "sealed key" is `sealedKey` (no Seal needed to write it). */
async function vaultFile(sealedKey = new Uint8Array(randomBytes(40))): Promise<string> {
	const path = join(dir, 'v.db');
	const storage = await openSqliteStorage({ path, mode: 'create' });
	await storage.create(META, firstEpoch(sealedKey));
	const result = await storage.putRecords(
		0,
		[encryptRecord(new Uint8Array(32).fill(7), META.vaultId, 0, 'r', new Uint8Array([1]), 1)],
		10,
		new Map([['r', null]]),
	);
	expect(result).toEqual({ ok: true });
	await storage.close();
	return path;
}

function alter(path: string, sql: string): void {
	const db = new DatabaseSync(path);
	db.exec(sql);
	db.close();
}

async function failure(fn: () => Promise<unknown>): Promise<VaultDatabaseError> {
	const error = await fn().then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(VaultDatabaseError);
	return error as VaultDatabaseError;
}

async function withStorage<T>(path: string, fn: (s: VaultStorage) => Promise<T>): Promise<T> {
	const storage = await openSqliteStorage({ path, mode: 'open' });
	try {
		return await fn(storage);
	} finally {
		await storage.close();
	}
}

describe('altered rows', () => {
	it('servers or members that are not a JSON list of strings', async () => {
		const path = await vaultFile();
		alter(path, `UPDATE vault_meta SET servers = '{not json'`);
		const error = await failure(() => withStorage(path, (s) => s.readMeta()));
		expect(error.problem).toBe('corrupt');
		expect(error.message).toMatch(
			/vault_meta\.servers is not a JSON list.*restore it from a backup/,
		);
		alter(path, `UPDATE vault_meta SET servers = '[1, 2]'`);
		expect((await failure(() => withStorage(path, (s) => s.readMeta()))).message).toMatch(
			/vault_meta\.servers is not a JSON list of strings/,
		);
		alter(path, `UPDATE vault_meta SET servers = '"x"'`);
		expect((await failure(() => withStorage(path, (s) => s.readMeta()))).message).toMatch(
			/vault_meta\.servers is not a JSON list of strings/,
		);
		alter(path, `UPDATE vault_epochs SET members = 'nope'`);
		expect((await failure(() => withStorage(path, (s) => s.latestEpoch()))).message).toMatch(
			/vault_epochs\.members is not a JSON list/,
		);
	});

	it('an epoch above 2^53 (node:sqlite RangeError) or above 2^32 - 1', async () => {
		const path = await vaultFile();
		alter(path, `UPDATE vault_epochs SET epoch = 9007199254740993`);
		const big = await failure(() => withStorage(path, (s) => s.latestEpoch()));
		expect(big.problem).toBe('corrupt');
		expect(big.message).toMatch(/holds a value out of range .*restore it from a backup/);
		alter(path, `UPDATE vault_epochs SET epoch = 4294967296`);
		expect((await failure(() => withStorage(path, (s) => s.latestEpoch()))).message).toMatch(
			/vault_epochs\.epoch is 4294967296, outside 0\.\.4294967295/,
		);
		alter(path, `UPDATE vault_records SET epoch = -1`);
		expect((await failure(() => withStorage(path, (s) => s.getRecords(['r'])))).message).toMatch(
			/vault_records\.epoch is -1, outside/,
		);
	});

	it('a dropped table or column: VaultDatabaseError (corrupt) naming the schema', async () => {
		const path = await vaultFile();
		alter(path, 'DROP TABLE vault_records');
		const ops: [string, (s: VaultStorage) => Promise<unknown>][] = [
			['getRecords', (s) => s.getRecords(['r'])],
			['hasRecords', (s) => s.hasRecords(['r'])],
			['deleteRecords', (s) => s.deleteRecords(['r'])],
			['putRecords', (s) => s.putRecords(0, [], 10, new Map())],
			['scanRecords', (s) => s.scanRecords({ limit: 10 })],
			['stats', (s) => s.stats()],
		];
		for (const [name, op] of ops) {
			const error = (await withStorage(path, op).catch((e: unknown) => e)) as VaultDatabaseError;
			expect(error, name).toBeInstanceOf(VaultDatabaseError);
			expect(error.problem).toBe('corrupt');
			expect(error.message).toMatch(
				/lacks part of the vault schema \(no such table: vault_records\)/,
			);
		}
		alter(path, 'ALTER TABLE vault_epochs DROP COLUMN members');
		const column = await failure(() => withStorage(path, (s) => s.latestEpoch()));
		expect(column.message).toMatch(/vault_epochs\.members is not a JSON list/);
	});

	it('wrong types: text where bytes belong, an unknown policy, a non-integer threshold', async () => {
		const path = await vaultFile();
		alter(path, `UPDATE vault_records SET iv = 'text'`);
		expect((await failure(() => withStorage(path, (s) => s.getRecords(['r'])))).message).toMatch(
			/vault_records\.iv is not bytes/,
		);
		alter(path, `UPDATE vault_meta SET policy = 'everyone'`);
		expect((await failure(() => withStorage(path, (s) => s.readMeta()))).message).toMatch(
			/vault_meta\.policy is 'everyone', not allowlist or owner/,
		);
		alter(path, `UPDATE vault_meta SET policy = 'owner', threshold = 'two'`);
		expect((await failure(() => withStorage(path, (s) => s.readMeta()))).message).toMatch(
			/vault_meta\.threshold is not an integer/,
		);
		alter(path, `UPDATE vault_meta SET threshold = 1.5`);
		expect((await failure(() => withStorage(path, (s) => s.readMeta()))).message).toMatch(
			/vault_meta\.threshold is 1\.5, outside/,
		);
		alter(path, `UPDATE vault_meta SET threshold = 1, target = x'00'`);
		expect((await failure(() => withStorage(path, (s) => s.readMeta()))).message).toMatch(
			/vault_meta\.target is not text/,
		);
	});

	it('row decoding accepts what the adapters return (pg BIGINT strings, Buffers, NULL members)', () => {
		expect(
			epochRow({
				epoch: 3,
				sealed_key: Buffer.from([1]),
				members: null,
				created_at: '17',
				prev_hash: Buffer.alloc(32, 9),
				commitment: Buffer.from([2]),
				retired: '[0, 1]',
				resealing: '[]',
			}),
		).toEqual({
			epoch: 3,
			sealedKey: new Uint8Array([1]),
			members: undefined,
			createdAtMs: 17,
			prevHash: new Uint8Array(32).fill(9),
			commitment: new Uint8Array([2]),
			retired: [0, 1],
			resealing: [],
		});
		const record = sealedRecord({
			id: 'a',
			epoch: 0,
			version: '4',
			iv: Buffer.alloc(12),
			ciphertext: Buffer.alloc(16),
		});
		expect(Object.getPrototypeOf(record.iv)).toBe(Uint8Array.prototype);
		expect(record.version).toBe(4);
		expect(
			metaRow({
				vault_id: new Uint8Array(16),
				policy: 'allowlist',
				target: 't',
				package_id: 'p',
				threshold: 2,
				servers: '["a"]',
				created_at: BigInt(5),
			}),
		).toMatchObject({ policy: 'allowlist', threshold: 2, servers: ['a'], createdAtMs: 5 });
		expect(() => epochRow({ epoch: '1e3', sealed_key: new Uint8Array(), created_at: 0 })).toThrow(
			/vault_epochs\.epoch is not an integer/,
		);
	});
});

describe('the vault file and its epochs', () => {
	it('a directory given as the vault file (open or create)', async () => {
		const sub = join(dir, 'sub');
		await mkdir(sub);
		const open = await failure(() => openSqliteStorage({ path: sub, mode: 'open' }));
		expect(open.problem).toBe('foreign');
		expect(open.message).toBe(`${sub} is a directory, not a vault file`);
		const create = await failure(() => openSqliteStorage({ path: sub, mode: 'create' }));
		expect(create.message).toMatch(/is a directory/);
	});

	it('stats of a vault whose epochs were deleted is an error, not "-Infinity"', async () => {
		const path = await vaultFile();
		alter(path, 'DELETE FROM vault_epochs');
		const error = await failure(() => withStorage(path, (s) => vaultStats(s)));
		expect(error.problem).toBe('corrupt');
		expect(error.message).toMatch(/has no epoch \(its epoch rows were deleted\)/);
		expect(error.message).not.toMatch(/Infinity/);
	});

	it('a garbage sealed key is a VaultDatabaseError naming the epoch (no key request made)', async () => {
		const path = await vaultFile(new Uint8Array([1, 2, 3]));
		let requests = 0;
		const seal = {
			sealClient: {
				fetchKeys: async () => void requests++,
				decrypt: async () => new Uint8Array(32),
				encrypt: async () => ({ encryptedObject: new Uint8Array(), key: new Uint8Array() }),
			},
			session: { current: async () => ({}) },
			buildTxBytes: async () => new Uint8Array(),
		} as unknown as VaultSealOptions;
		// Since the epoch chain, `open` checks each trusted epoch row (its sealed key must parse),
		// so the garbage is caught there, before any get; still no key request.
		const storage = await openSqliteStorage({ path, mode: 'open' });
		try {
			const error = await failure(() => Vault.open({ storage, trustFirstUse: true, ...seal }));
			expect(error.problem).toBe('corrupt');
			expect(error.message).toMatch(
				/^epoch 0's sealed key is not a Seal object \(.+\); the database was altered/,
			);
			expect(requests).toBe(0);
		} finally {
			await storage.close();
		}
	});
});

describe('PostgreSQL', () => {
	it('a dropped column → VaultDatabaseError (corrupt), not a bare pg error', async (ctx) => {
		const server = await startTestPostgres();
		if ('skip' in server) {
			console.log(`skipping the PostgreSQL schema test: ${server.skip}`);
			return ctx.skip();
		}
		const pool = new pg.Pool({ connectionString: server.url });
		try {
			const storage = await openPostgresStorage({ pool, mode: 'create' });
			await storage.create(META, firstEpoch(new Uint8Array(8)));
			await pool.query('ALTER TABLE seal_vault_records DROP COLUMN iv');
			const error = await failure(() => storage.getRecords(['r']));
			expect(error.problem).toBe('corrupt');
			expect(error.message).toMatch(/lack part of the schema \(column "iv" does not exist\)/);
			await pool.query('ALTER TABLE seal_vault_epochs RENAME TO gone');
			expect((await failure(() => storage.latestEpoch())).message).toMatch(
				/relation "seal_vault_epochs" does not exist/,
			);
			await storage.close();
		} finally {
			await pool.end();
			await server.stop();
		}
	});

	it('a host with several addresses, none listening (AggregateError) → VaultDatabaseError (unavailable)', async () => {
		// What pg passes on for `localhost` (::1 and 127.0.0.1) when nothing listens: no `code`
		// on the error itself, the socket errors inside.
		const refused = (address: string) =>
			Object.assign(new Error(`connect ECONNREFUSED ${address}:5432`), {
				code: 'ECONNREFUSED',
				address,
			});
		const aggregate = () => new AggregateError([refused('::1'), refused('127.0.0.1')], '');
		const pool = {
			connect: async () => {
				throw aggregate();
			},
			query: async () => {
				throw aggregate();
			},
		} as unknown as pg.Pool;
		const error = await failure(() => openPostgresStorage({ pool, mode: 'create' }));
		expect(error.problem).toBe('unavailable');
		expect(error.message).toMatch(/cannot reach PostgreSQL/);
	});
});

describe('row decoding names the column and keeps the exact bounds', () => {
	const metaBase = {
		vault_id: new Uint8Array(16),
		policy: 'owner',
		target: 't',
		package_id: 'p',
		threshold: 1,
		servers: '[]',
		created_at: 1,
	};
	const epochBase = {
		epoch: 0,
		sealed_key: new Uint8Array(1),
		members: null,
		created_at: 1,
		prev_hash: new Uint8Array(32),
		commitment: new Uint8Array(),
		retired: '[]',
		resealing: '[]',
	};
	const recordBase = {
		id: 'a',
		epoch: 0,
		version: 1,
		iv: new Uint8Array(12),
		ciphertext: new Uint8Array(16),
	};

	it('each column, when wrong, is named in the message', () => {
		const cases: [() => unknown, string][] = [
			[() => metaRow({ ...metaBase, vault_id: 'x' }), 'vault_meta.vault_id is not bytes'],
			[() => metaRow({ ...metaBase, policy: 1 }), 'vault_meta.policy is not text'],
			[() => metaRow({ ...metaBase, target: 1 }), 'vault_meta.target is not text'],
			[() => metaRow({ ...metaBase, package_id: 1 }), 'vault_meta.package_id is not text'],
			[() => metaRow({ ...metaBase, created_at: 'x' }), 'vault_meta.created_at is not an integer'],
			[() => metaRow({ ...metaBase, servers: '{' }), 'vault_meta.servers is not a JSON list:'],
			[
				() => metaRow({ ...metaBase, servers: '["a", 1]' }),
				'vault_meta.servers is not a JSON list of strings',
			],
			[() => epochRow({ ...epochBase, sealed_key: 'x' }), 'vault_epochs.sealed_key is not bytes'],
			[
				() => epochRow({ ...epochBase, created_at: -5 }),
				'vault_epochs.created_at is -5, outside 0..',
			],
			[() => epochRow({ ...epochBase, prev_hash: 'x' }), 'vault_epochs.prev_hash is not bytes'],
			[() => epochRow({ ...epochBase, commitment: null }), 'vault_epochs.commitment is not bytes'],
			[() => epochRow({ ...epochBase, retired: '{' }), 'vault_epochs.retired is not a JSON list'],
			[
				() => epochRow({ ...epochBase, resealing: '[-1]' }),
				'vault_epochs.resealing is -1, outside 0..4294967295',
			],
			[() => sealedRecord({ ...recordBase, id: 7 }), 'vault_records.id is not text'],
			[
				() => sealedRecord({ ...recordBase, version: 'one' }),
				'vault_records.version is not an integer',
			],
			[
				() => sealedRecord({ ...recordBase, ciphertext: [1] }),
				'vault_records.ciphertext is not bytes',
			],
		];
		for (const [decode, message] of cases) {
			let error: unknown;
			try {
				decode();
			} catch (e) {
				error = e;
			}
			expect(error, message).toBeInstanceOf(VaultDatabaseError);
			expect((error as Error).message, message).toContain(`the vault database's ${message}`);
		}
	});

	it('epoch 2^32 - 1 is the largest accepted; a plain Uint8Array is returned as it is', () => {
		expect(epochRow({ ...epochBase, epoch: 2 ** 32 - 1 }).epoch).toBe(2 ** 32 - 1);
		expect(() => epochRow({ ...epochBase, epoch: 2 ** 32 })).toThrow(/outside 0\.\.4294967295/);
		const key = new Uint8Array([1, 2]);
		expect(epochRow({ ...epochBase, sealed_key: key }).sealedKey).toBe(key);
		expect(epochRow({ ...epochBase, members: '["0x1"]' }).members).toEqual(['0x1']);
	});
});
