/**
 * The vault's write and reseal paths where the outcome depends on what other writers do between
 * a read and a write (storage wrapped to lose races on purpose), what `putMany` reports back,
 * when writes and reseals give up, how a reseal resumes, and that plaintexts and keys used along
 * the way end up zeroed. The record cipher is wrapped (vi.mock) only to watch the key and
 * plaintext arrays it is handed; it still encrypts and decrypts for real.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { InvalidInputError } from '../../ts/errors.js';
import {
	VaultDatabaseError,
	VaultIntegrityError,
	VaultRecordTamperedError,
} from '../../ts/vault/errors.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import type { VaultStorage } from '../../ts/vault/storage.js';
import { Vault } from '../../ts/vault/vault.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { overriding } from '../support/vault-backends.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import { allowEpochs, denyEpochs, vaultSealFor } from '../support/vault-helpers.js';

/** Arrays the real record cipher was handed (keys) or returned (plaintexts), to check zeroing. */
const seen = vi.hoisted(() => ({ keys: [] as Uint8Array[], plaintexts: [] as Uint8Array[] }));

vi.mock('../../ts/vault/record-cipher.js', async (importOriginal) => {
	const real = await importOriginal<typeof import('../../ts/vault/record-cipher.js')>();
	return {
		...real,
		encryptRecord: (...args: Parameters<typeof real.encryptRecord>) => {
			seen.keys.push(args[0]);
			return real.encryptRecord(...args);
		},
		decryptRecord: (...args: Parameters<typeof real.decryptRecord>) => {
			seen.keys.push(args[0]);
			const plaintext = real.decryptRecord(...args);
			seen.plaintexts.push(plaintext);
			return plaintext;
		},
	};
});

let bed: SealTestbed;
let owner: Ed25519Keypair;
let dir: string;
let path: string;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3 });
	owner = bed.newUser();
}, 120_000);
afterAll(async () => {
	await bed?.close();
});
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'vault-write-paths-'));
	path = join(dir, 'v.db');
	seen.keys.length = 0;
	seen.plaintexts.length = 0;
	return () => rm(dir, { recursive: true, force: true });
});

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (data: Uint8Array | undefined) =>
	data === undefined ? undefined : Buffer.from(data).toString('utf8');
const allZero = (data: Uint8Array) => data.every((b) => b === 0);

/** A vault of `owner` with epochs 0..9 released to it. */
async function createVault(): Promise<Vault> {
	const vault = await Vault.create({
		storage: await openSqliteStorage({ path, mode: 'create' }),
		target: { policy: 'allowlist', allowlistId: randomObjectId() },
		packageId: bed.packageId,
		threshold: 2,
		...(await vaultSealFor(bed, owner)),
	});
	allowEpochs(
		bed,
		vault.meta,
		Array.from({ length: 10 }, (_, e) => e),
		owner.toSuiAddress(),
	);
	return vault;
}

/** Another process's handle on the vault file, its storage methods optionally overridden. */
async function handle(
	vault: Vault,
	override: (storage: VaultStorage) => Partial<VaultStorage> = () => ({}),
	extra: { session?: false; logger?: { lines: string[] }; sealed?: Uint8Array[] } = {},
): Promise<Vault> {
	const storage = await openSqliteStorage({ path, mode: 'open' });
	const wrapped = overriding(storage, override(storage));
	const seal = await vaultSealFor(bed, owner);
	const sealed = extra.sealed;
	if (sealed) {
		// Keeps each epoch key the vault hands to Seal (the very array), to check it is zeroed.
		const client = seal.sealClient;
		seal.sealClient = overriding(client, {
			encrypt: (options: Parameters<typeof client.encrypt>[0]) => {
				sealed.push(options.data);
				return client.encrypt(options);
			},
		});
	}
	const lines = extra.logger?.lines;
	const logger = lines
		? {
				debug: (line: string) => lines.push(line),
				info: (line: string) => lines.push(line),
				warn: (line: string) => lines.push(line),
			}
		: undefined;
	return Vault.open({
		storage: wrapped,
		...(extra.session === false ? { sealClient: seal.sealClient } : seal),
		...(logger ? { logger } : {}),
		pin: vault.pin,
	});
}

function rawDb(): DatabaseSync {
	return new DatabaseSync(path);
}

describe('putMany reports what it wrote and skipped', () => {
	it('ifAbsent skips stored ids and names them; nothing skipped when all are new', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('first'));
		expect(await vault.putMany([{ id: 'b', data: bytes('b') }], { ifAbsent: true })).toEqual({
			epoch: 0,
			written: ['b'],
			skipped: [],
		});
		expect(
			await vault.putMany(
				[
					{ id: 'a', data: bytes('second') },
					{ id: 'c', data: bytes('c') },
				],
				{ ifAbsent: true },
			),
		).toEqual({ epoch: 0, written: ['c'], skipped: ['a'] });
		expect(text(await vault.get('a'))).toBe('first');
		await vault.close();
	});

	it('ifAbsent with every id stored writes nothing and needs no key', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('first'));
		// No session key: any key request would be refused with InvalidInputError('session').
		const keyless = await handle(vault, undefined, { session: false });
		expect(await keyless.putMany([{ id: 'a', data: bytes('second') }], { ifAbsent: true })).toEqual(
			{ epoch: 0, written: [], skipped: ['a'] },
		);
		await expect(keyless.put('b', bytes('b'))).rejects.toBeInstanceOf(InvalidInputError);
		expect(text(await vault.get('a'))).toBe('first');
		await keyless.close();
		await vault.close();
	});
});

describe('compare-and-swap outcomes', () => {
	it('a plain put that lost its race to another writer reads again and lands', async () => {
		const vault = await createVault();
		await vault.put('x', bytes('old'));
		const other = await handle(vault);
		let calls = 0;
		const putter = await handle(vault, (storage) => ({
			putRecords: async (...args: Parameters<VaultStorage['putRecords']>) => {
				// Between this writer's read of x's version and its write, another writer rewrites x.
				if (++calls === 1) await other.put('x', bytes('theirs'));
				return storage.putRecords(...args);
			},
		}));
		expect(await putter.putMany([{ id: 'x', data: bytes('mine') }])).toEqual({
			epoch: 0,
			written: ['x'],
			skipped: [],
		});
		expect(calls).toBe(2);
		expect(text(await vault.get('x'))).toBe('mine');
		for (const v of [other, putter, vault]) await v.close();
	});

	it('ifAbsent that lost its race skips the id and reports it; the other writer’s record stands', async () => {
		const vault = await createVault();
		const other = await handle(vault);
		let calls = 0;
		const importer = await handle(vault, (storage) => ({
			putRecords: async (...args: Parameters<VaultStorage['putRecords']>) => {
				if (++calls === 1) await other.put('x', bytes('theirs'));
				return storage.putRecords(...args);
			},
		}));
		expect(
			await importer.putMany(
				[
					{ id: 'x', data: bytes('mine') },
					{ id: 'y', data: bytes('y') },
				],
				{ ifAbsent: true },
			),
		).toEqual({ epoch: 0, written: ['y'], skipped: ['x'] });
		expect((await vault.getMany(['x', 'y'])).map(text)).toEqual(['theirs', 'y']);
		for (const v of [other, importer, vault]) await v.close();
	});

	it('a reseal writes back only over the version it read, not over a put that landed after its scan', async () => {
		const vault = await createVault();
		await vault.putMany([
			{ id: 'r0', data: bytes('old 0') },
			{ id: 'r1', data: bytes('old 1') },
		]);
		const other = await handle(vault);
		let scans = 0;
		const resealer = await handle(vault, (storage) => ({
			scanRecords: async (...args: Parameters<VaultStorage['scanRecords']>) => {
				const page = await storage.scanRecords(...args);
				// The reseal has read r1's old copy; another writer then rewrites r1.
				if (++scans === 1) await other.put('r1', bytes('new 1'));
				return page;
			},
		}));
		expect(await resealer.reseal()).toMatchObject({ epoch: 1, moved: 1, retired: [0] });
		expect((await vault.getMany(['r0', 'r1'])).map(text)).toEqual(['old 0', 'new 1']);
		for (const v of [other, resealer, vault]) await v.close();
	});

	it('a write that always finds a newer epoch gives up after 8 attempts, writing nothing', async () => {
		const vault = await createVault();
		let calls = 0;
		const writer = await handle(vault, () => ({
			putRecords: async () => {
				calls++;
				return { ok: false, reason: 'stale-epoch' };
			},
		}));
		const error = await writer.put('x', bytes('x')).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).toMatchObject({ problem: 'locked' });
		expect(calls).toBe(8);
		expect(await vault.has(['x'])).toEqual(new Set());
		for (const v of [writer, vault]) await v.close();
	});
});

describe('reseal', () => {
	it('gives up after 8 rotations lost to other writers, then a re-run resumes in its own epoch', async () => {
		const vault = await createVault();
		await vault.putMany([
			{ id: 'a', data: bytes('alpha') },
			{ id: 'b', data: bytes('beta') },
		]);
		let adds = 0;
		const losing = await handle(vault, () => ({
			addEpoch: async () => {
				adds++;
				return false;
			},
		}));
		const lost = await losing.reseal().catch((e: unknown) => e);
		expect(lost).toMatchObject({ name: 'VaultDatabaseError', problem: 'locked' });
		expect(adds).toBe(8);
		expect((await vault.stats()).currentEpoch).toBe(0);

		// Now the resealing epoch commits, but every rotation that would retire epoch 0 is lost.
		adds = 0;
		const halfway = await handle(vault, (storage) => ({
			addEpoch: async (...args: Parameters<VaultStorage['addEpoch']>) =>
				++adds === 1 ? storage.addEpoch(...args) : false,
		}));
		const stuck = await halfway.reseal().catch((e: unknown) => e);
		expect(stuck).toMatchObject({ name: 'VaultDatabaseError', problem: 'locked' });
		expect(adds).toBe(9);
		const afterStuck = await vault.stats();
		expect(afterStuck.currentEpoch).toBe(1);

		// A re-run finishes that reseal in epoch 1 (no third epoch for it) and says so.
		const log = { lines: [] as string[] };
		const resumer = await handle(vault, undefined, { logger: log });
		expect(await resumer.reseal()).toEqual({ epoch: 1, moved: 0, retired: [0], current: 2 });
		expect(log.lines).toContain('vault: finishing the reseal of epoch(s) 0 into epoch 1');
		expect((await resumer.getMany(['a', 'b'])).map(text)).toEqual(['alpha', 'beta']);
		for (const v of [losing, halfway, resumer, vault]) await v.close();
	});

	it('a second full reseal starts anew after the first finished', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('alpha'));
		const first = await vault.reseal();
		expect(first).toEqual({ epoch: 1, moved: 1, retired: [0], current: 2 });
		await vault.put('b', bytes('beta'));
		const second = await vault.reseal();
		expect(second).toEqual({ epoch: 3, moved: 2, retired: [0, 1, 2], current: 4 });
		expect((await vault.getMany(['a', 'b'])).map(text)).toEqual(['alpha', 'beta']);
		await vault.close();
	});

	it('epochs not in the vault or already retired are left out; nothing left means no new epoch', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('alpha'));
		expect(await vault.reseal({ epochs: [0, 99] })).toEqual({
			epoch: 1,
			moved: 1,
			retired: [0],
			current: 2,
		});
		expect(await vault.reseal({ epochs: [0] })).toEqual({
			epoch: 2,
			moved: 0,
			retired: [0],
			current: 2,
		});
		expect((await vault.stats()).currentEpoch).toBe(2);
		await vault.close();
	});

	it('a vault without records reseals to an empty new epoch', async () => {
		const vault = await createVault();
		expect(await vault.reseal()).toEqual({ epoch: 1, moved: 0, retired: [0], current: 2 });
		await vault.close();
	});
});

describe('reads remember versions; iterate checks every record', () => {
	/** The stored row of `id`, to put back later (a rollback of that record). */
	function saveRow(id: string): () => void {
		const db = rawDb();
		const row = db.prepare('SELECT * FROM vault_records WHERE id = ?').get(id)!;
		db.close();
		return () => {
			const again = rawDb();
			again
				.prepare(
					'UPDATE vault_records SET epoch = ?, version = ?, iv = ?, ciphertext = ? WHERE id = ?',
				)
				.run(
					row.epoch as number,
					row.version as number,
					row.iv as Uint8Array,
					row.ciphertext as Uint8Array,
					id,
				);
			again.close();
		};
	}

	it('a process that only read version 2 refuses version 1 put back (get and iterate)', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('v1'));
		const restoreV1 = saveRow('a');
		await vault.put('a', bytes('v2'));

		const reader = await handle(vault);
		expect(text(await reader.get('a'))).toBe('v2');
		restoreV1();
		await expect(reader.get('a')).rejects.toMatchObject({
			name: 'VaultIntegrityError',
			problem: 'rollback',
		});

		// The same through iterate: a fresh process reads the current version, which is then
		// rolled back under it.
		await vault.put('a', bytes('v3'));
		const iterating = await handle(vault);
		expect(text(await iterating.get('a'))).toBe('v3');
		restoreV1();
		const errors: unknown[] = [];
		try {
			for await (const record of iterating.iterate()) errors.push(record.id);
		} catch (error) {
			errors.push(error);
		}
		expect(errors).toHaveLength(1);
		expect(errors[0]).toBeInstanceOf(VaultIntegrityError);
		expect(errors[0]).toMatchObject({ problem: 'rollback' });
		for (const v of [reader, iterating, vault]) await v.close();
	});

	it('iterate stops after a short page (no extra storage query)', async () => {
		const vault = await createVault();
		await vault.putMany(['a', 'b', 'c'].map((id) => ({ id, data: bytes(id) })));
		let scans = 0;
		const reader = await handle(vault, (storage) => ({
			scanRecords: async (...args: Parameters<VaultStorage['scanRecords']>) => {
				scans++;
				return storage.scanRecords(...args);
			},
		}));
		const ids: string[] = [];
		for await (const record of reader.iterate({ pageSize: 2 })) ids.push(record.id);
		expect(ids).toEqual(['a', 'b', 'c']);
		expect(scans).toBe(2);
		for (const v of [reader, vault]) await v.close();
	});
});

describe('rotations lost or failed', () => {
	it('rotate() that loses to another writer returns that writer’s epoch and zeroes the key it made', async () => {
		const vault = await createVault();
		const other = await handle(vault);
		const keys: Uint8Array[] = [];
		const rotator = await handle(
			vault,
			(storage) => ({
				addEpoch: async (...args: Parameters<VaultStorage['addEpoch']>) => {
					await other.rotate();
					return storage.addEpoch(...args);
				},
			}),
			{ sealed: keys },
		);
		expect(await rotator.rotate()).toBe(1);
		expect(keys).toHaveLength(1);
		expect(allZero(keys[0]!)).toBe(true);
		expect((await vault.stats()).currentEpoch).toBe(1);
		for (const v of [other, rotator, vault]) await v.close();
	});

	it('a storage failure while adding the epoch is rethrown and the new key zeroed', async () => {
		const vault = await createVault();
		const keys: Uint8Array[] = [];
		const failing = await handle(
			vault,
			() => ({
				addEpoch: async () => {
					throw new VaultDatabaseError('unavailable', 'the database went away');
				},
			}),
			{ sealed: keys },
		);
		await expect(failing.rotate()).rejects.toThrow('the database went away');
		expect(keys).toHaveLength(1);
		expect(allZero(keys[0]!)).toBe(true);
		for (const v of [failing, vault]) await v.close();
	});

	it('ifAbsent racing a rotation writes under the new epoch', async () => {
		const vault = await createVault();
		const other = await handle(vault);
		let calls = 0;
		const importer = await handle(vault, (storage) => ({
			putRecords: async (...args: Parameters<VaultStorage['putRecords']>) => {
				if (++calls === 1) await other.rotate();
				return storage.putRecords(...args);
			},
		}));
		expect(await importer.putMany([{ id: 'x', data: bytes('x') }], { ifAbsent: true })).toEqual({
			epoch: 1,
			written: ['x'],
			skipped: [],
		});
		expect(text(await vault.get('x'))).toBe('x');
		for (const v of [other, importer, vault]) await v.close();
	});
});

describe('what was decrypted or used ends up zeroed', () => {
	it('getMany failing on its second record zeroes the first one’s plaintext', async () => {
		const vault = await createVault();
		await vault.putMany([
			{ id: 'a', data: bytes('alpha') },
			{ id: 'b', data: bytes('beta') },
		]);
		const db = rawDb();
		const row = db.prepare('SELECT ciphertext FROM vault_records WHERE id = ?').get('b')!;
		const flipped = Buffer.from(row.ciphertext as Uint8Array);
		flipped[0] = flipped[0]! ^ 1;
		db.prepare('UPDATE vault_records SET ciphertext = ? WHERE id = ?').run(flipped, 'b');
		db.close();
		seen.plaintexts.length = 0;
		await expect(vault.getMany(['a', 'b'])).rejects.toBeInstanceOf(VaultRecordTamperedError);
		expect(seen.plaintexts).toHaveLength(1);
		expect(seen.plaintexts[0]!.length).toBe(5);
		expect(allZero(seen.plaintexts[0]!)).toBe(true);
		await vault.close();
	});

	it('reseal zeroes every plaintext it moved', async () => {
		const vault = await createVault();
		await vault.putMany([
			{ id: 'a', data: bytes('alpha') },
			{ id: 'b', data: bytes('beta') },
		]);
		seen.plaintexts.length = 0;
		expect((await vault.reseal()).moved).toBe(2);
		expect(seen.plaintexts).toHaveLength(2);
		for (const plaintext of seen.plaintexts) expect(allZero(plaintext)).toBe(true);
		await vault.close();
	});

	it('keys cached while checking new epochs, and keys held when a fetch is refused, are released', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('a'));
		// The reader checked epoch 0 only; the vault then rotates and writes under epoch 1.
		const reader = await handle(vault);
		await vault.rotate();
		await vault.put('d', bytes('d'));
		seen.keys.length = 0;
		expect((await reader.getMany(['a', 'd'])).map(text)).toEqual(['a', 'd']);
		expect(seen.keys).toHaveLength(2);
		reader.forgetKeys();
		for (const key of seen.keys) expect(allZero(key)).toBe(true);

		// Epoch 0 cached, epoch 1 refused by the key servers: the lease on 0 is given back.
		const stranger = bed.newUser();
		allowEpochs(bed, vault.meta, [0], stranger.toSuiAddress());
		const limited = await Vault.open({
			storage: await openSqliteStorage({ path, mode: 'open' }),
			...(await vaultSealFor(bed, stranger)),
			pin: vault.pin,
		});
		seen.keys.length = 0;
		expect(text(await limited.get('a'))).toBe('a');
		denyEpochs(bed, vault.meta, [1], stranger.toSuiAddress());
		await expect(limited.getMany(['a', 'd'])).rejects.toThrow();
		expect(seen.keys).toHaveLength(1);
		limited.forgetKeys();
		expect(allZero(seen.keys[0]!)).toBe(true);
		for (const v of [reader, limited, vault]) await v.close();
	});

	it('after iterate and forgetKeys, every key the cipher was handed is zeroed', async () => {
		const vault = await createVault();
		await vault.putMany(['a', 'b', 'c'].map((id) => ({ id, data: bytes(id) })));
		await vault.rotate();
		await vault.put('d', bytes('d'));
		const reader = await handle(vault);
		seen.keys.length = 0;
		const ids: string[] = [];
		for await (const record of reader.iterate({ pageSize: 3 })) ids.push(record.id);
		expect(ids).toEqual(['a', 'b', 'c', 'd']);
		expect(seen.keys).toHaveLength(4);
		expect(seen.keys.some(allZero)).toBe(false);
		reader.forgetKeys();
		for (const key of seen.keys) expect(allZero(key)).toBe(true);
		for (const v of [reader, vault]) await v.close();
	});
});
