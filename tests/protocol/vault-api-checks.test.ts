/**
 * The vault's API checks in-process, against the offline key servers (real `@mysten/seal` SDK):
 * argument validation (typed errors naming the field), calls after close, create's cleanup on
 * failure, open's refusals, the session checks of readers, sealed keys that name another
 * package or hold a key of the wrong size, membership rotation, reseal bounds and stats.
 * Storage is the default SQLite file.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { HarnessError, InvalidInputError } from '../../ts/errors.js';
import { toHex } from '../../ts/identity.js';
import { VaultDatabaseError, VaultIntegrityError } from '../../ts/vault/errors.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import type { VaultStorage } from '../../ts/vault/storage.js';
import {
	Vault,
	epochInnerId,
	type MembershipSource,
	type OpenVaultOptions,
	type VaultSealOptions,
} from '../../ts/vault/vault.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { overriding } from '../support/vault-backends.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import { allowEpochs, denyEpochs, fetchCounts, vaultSealFor } from '../support/vault-helpers.js';

let bed: SealTestbed;
let dir: string;
let owner: Ed25519Keypair;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3 });
	owner = bed.newUser();
});
afterAll(async () => {
	await bed?.close();
});
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'vault-api-'));
	return () => rm(dir, { recursive: true, force: true });
});

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (data: Uint8Array | undefined) =>
	data === undefined ? undefined : Buffer.from(data).toString('utf8');
const dbPath = () => join(dir, 'v.db');

/** The rejection of `promise` (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
	try {
		await promise;
	} catch (error) {
		return error;
	}
	throw new Error('expected a rejection');
}

/** Storage that counts close() calls, and can run `beforePut` before the first putRecords. */
function spyStorage(inner: VaultStorage, hooks: { beforePut?: () => Promise<void> } = {}) {
	const calls = { close: 0 };
	let beforePut = hooks.beforePut;
	const storage = overriding(inner, {
		close: async () => {
			calls.close++;
			return inner.close();
		},
		putRecords: async (...args: Parameters<VaultStorage['putRecords']>) => {
			const hook = beforePut;
			beforePut = undefined;
			await hook?.();
			return inner.putRecords(...args);
		},
	});
	return { storage, calls };
}

async function createVault(extra: Partial<OpenVaultOptions> = {}, path = dbPath()): Promise<Vault> {
	return Vault.create({
		storage: await openSqliteStorage({ path, mode: 'create' }),
		target: { policy: 'allowlist', allowlistId: randomObjectId() },
		packageId: bed.packageId,
		threshold: 2,
		...(await vaultSealFor(bed, owner)),
		...extra,
	});
}

/** The vault file opened in a new "process" (fresh SealClient, no cached keys). */
async function openAs(
	user: Ed25519Keypair,
	extra: Partial<OpenVaultOptions> = {},
	path = dbPath(),
): Promise<Vault> {
	return Vault.open({
		storage: await openSqliteStorage({ path, mode: 'open' }),
		...(await vaultSealFor(bed, user)),
		trustFirstUse: true,
		...extra,
	});
}

function withRawDb<T>(use: (db: DatabaseSync) => T, path = dbPath()): T {
	const db = new DatabaseSync(path);
	try {
		return use(db);
	} finally {
		db.close();
	}
}

describe('create and open', () => {
	it('maxRecordsPerEpoch outside 1..2^32 → InvalidInputError, the storage is closed', async () => {
		for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 32 + 1]) {
			const path = join(dir, `bad-${String(bad)}.db`);
			const { storage, calls } = spyStorage(await openSqliteStorage({ path, mode: 'create' }));
			const error = await rejection(
				Vault.create({
					storage,
					target: { policy: 'allowlist', allowlistId: randomObjectId() },
					packageId: bed.packageId,
					threshold: 2,
					...(await vaultSealFor(bed, owner)),
					maxRecordsPerEpoch: bad,
				}),
			);
			expect(error, String(bad)).toBeInstanceOf(InvalidInputError);
			expect(error).toMatchObject({ field: 'maxRecordsPerEpoch' });
			expect(calls.close).toBe(1);
		}
		// 1 is allowed: every record after the first starts a new epoch.
		const vault = await createVault({ maxRecordsPerEpoch: 1 });
		await vault.put('a', bytes('1'));
		const { epoch } = await vault.putMany([{ id: 'b', data: bytes('2') }]);
		expect(epoch).toBe(1);
		await vault.close();
		// 2^32 (the default) is allowed when given.
		const big = await createVault({ maxRecordsPerEpoch: 2 ** 32 }, join(dir, 'big.db'));
		await big.put('a', bytes('1'));
		await big.close();
	});

	it('bad target or package ids name the field; a Seal failure before the key is rethrown as is; storage closed each time', async () => {
		const cases: [Partial<Parameters<typeof Vault.create>[0]>, string][] = [
			[{ target: { policy: 'allowlist', allowlistId: 'nope' } }, 'allowlistId'],
			[{ target: { policy: 'owner', owner: '0x12zz' } }, 'owner'],
			[{ packageId: 'not-an-id' }, 'packageId'],
		];
		for (const [i, [extra, field]] of cases.entries()) {
			const path = join(dir, `bad-${i}.db`);
			const { storage, calls } = spyStorage(await openSqliteStorage({ path, mode: 'create' }));
			const error = await rejection(
				Vault.create({
					storage,
					target: { policy: 'allowlist', allowlistId: randomObjectId() },
					packageId: bed.packageId,
					threshold: 2,
					...(await vaultSealFor(bed, owner)),
					...extra,
				}),
			);
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error).toMatchObject({ field });
			expect(calls.close).toBe(1);
		}
		// A threshold above the server count fails in Seal's encrypt: the caller gets that typed
		// error (not a TypeError from the cleanup), nothing is left behind.
		const path = join(dir, 'threshold.db');
		const { storage, calls } = spyStorage(await openSqliteStorage({ path, mode: 'create' }));
		const error = await rejection(
			Vault.create({
				storage,
				target: { policy: 'allowlist', allowlistId: randomObjectId() },
				packageId: bed.packageId,
				threshold: 5,
				...(await vaultSealFor(bed, owner)),
			}),
		);
		expect(error).toBeInstanceOf(HarnessError);
		expect(error).not.toBeInstanceOf(TypeError);
		expect(calls.close).toBe(1);
		await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
	});

	it('creating with a session renewer asks it for no session key (writing forces no signature)', async () => {
		const seal = await vaultSealFor(bed, owner);
		let asked = 0;
		const renewer = {
			current: async () => {
				asked++;
				return seal.session as Awaited<ReturnType<typeof bed.newSessionKey>>;
			},
		};
		const vault = await createVault({ ...seal, session: renewer });
		await vault.put('a', bytes('x'));
		expect(asked).toBe(0);
		expect(vault.cachedEpochs).toBe(1);
		await vault.close();
	});

	it('the storage getter is the storage given; stats carry each epoch creation time; close twice closes once', async () => {
		let clock = 1_700_000_000_000;
		const { storage, calls } = spyStorage(
			await openSqliteStorage({ path: dbPath(), mode: 'create' }),
		);
		const vault = await Vault.create({
			storage,
			target: { policy: 'owner', owner: owner.toSuiAddress() },
			packageId: bed.packageId,
			threshold: 2,
			...(await vaultSealFor(bed, owner)),
			now: () => clock,
		});
		expect(vault.storage).toBe(storage);
		await vault.put('a', bytes('x'));
		clock += 5_000;
		await vault.rotate();
		await vault.put('b', bytes('y'));
		const stats = await vault.stats();
		expect(stats.policy).toBe('owner');
		expect(stats.epochs).toEqual([
			{ epoch: 0, records: 1, encryptions: 1, createdAtMs: 1_700_000_000_000 },
			{ epoch: 1, records: 1, encryptions: 1, createdAtMs: 1_700_000_005_000 },
		]);
		await vault.close();
		await vault.close();
		expect(calls.close).toBe(1);
	});

	it('open without a pin or trustFirstUse → InvalidInputError(pin); a vault without epochs → corrupt', async () => {
		const vault = await createVault();
		await vault.close();
		const { storage, calls } = spyStorage(
			await openSqliteStorage({ path: dbPath(), mode: 'open' }),
		);
		const error = await rejection(Vault.open({ storage, ...(await vaultSealFor(bed, owner)) }));
		expect(error).toBeInstanceOf(InvalidInputError);
		expect(error).toMatchObject({ field: 'pin' });
		await storage.close();
		expect(calls.close).toBe(1);

		withRawDb((db) => db.exec('DELETE FROM vault_epochs'));
		const noEpoch = await openSqliteStorage({ path: dbPath(), mode: 'open' });
		const corrupt = await rejection(
			Vault.open({ storage: noEpoch, ...(await vaultSealFor(bed, owner)), trustFirstUse: true }),
		);
		await noEpoch.close();
		expect(corrupt).toBeInstanceOf(VaultDatabaseError);
		expect(corrupt).toMatchObject({
			problem: 'corrupt',
			message: expect.stringMatching(/no epoch/),
		});
	});

	it('an epoch row changed after this vault checked it → epoch-forged', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('x'));
		withRawDb((db) =>
			db.exec('UPDATE vault_epochs SET created_at = created_at + 1 WHERE epoch = 0'),
		);
		const error = await rejection(vault.put('b', bytes('y')));
		expect(error).toBeInstanceOf(VaultIntegrityError);
		expect(error).toMatchObject({ problem: 'epoch-forged' });
		await vault.close();
	});
});

describe('membership', () => {
	it('rotateIfMembershipShrank: no source → InvalidInputError; true when it rotated; epochs without a member list never rotate', async () => {
		const plain = await createVault();
		const error = await rejection(plain.rotateIfMembershipShrank());
		expect(error).toBeInstanceOf(InvalidInputError);
		expect(error).toMatchObject({ field: 'membership' });
		await plain.close();

		// Epoch 0 of `plain` has no member list: a membership source alone does not rotate.
		const reopened = await openAs(owner, { membership: { members: async () => [] } });
		expect(await reopened.rotateIfMembershipShrank()).toBe(false);
		expect((await reopened.stats()).currentEpoch).toBe(0);
		await reopened.close();

		const alice = randomObjectId();
		const bob = randomObjectId();
		let members = [alice, bob];
		const membership: MembershipSource = { members: async () => members };
		const vault = await createVault({ membership }, join(dir, 'm.db'));
		expect(await vault.rotateIfMembershipShrank()).toBe(false);
		members = [alice];
		expect(await vault.rotateIfMembershipShrank()).toBe(true);
		expect((await vault.stats()).currentEpoch).toBe(1);
		await vault.close();
	});

	it('open rotates only with both autoRotate and a membership source', async () => {
		const alice = randomObjectId();
		const vault = await createVault({
			membership: { members: async () => [alice, randomObjectId()] },
		});
		await vault.close();
		const shrunk: MembershipSource = { members: async () => [alice] };

		const noAuto = await openAs(owner, { membership: shrunk });
		expect((await noAuto.stats()).currentEpoch).toBe(0);
		await noAuto.close();

		const noSource = await openAs(owner, { autoRotate: true });
		expect((await noSource.stats()).currentEpoch).toBe(0);
		await noSource.close();
	});
});

describe('readers need a session', () => {
	async function sealWithout(field: 'session' | 'buildTxBytes'): Promise<VaultSealOptions> {
		const seal: VaultSealOptions = await vaultSealFor(bed, owner);
		delete seal[field];
		return seal;
	}

	it('reading with no session key or no approval builder → InvalidInputError(session), no key request', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('x'));
		await vault.close();
		allowEpochs(bed, vault.meta, [0], owner.toSuiAddress());
		for (const missing of ['session', 'buildTxBytes'] as const) {
			const reader = await Vault.open({
				storage: await openSqliteStorage({ path: dbPath(), mode: 'open' }),
				...(await sealWithout(missing)),
				trustFirstUse: true,
			});
			const before = fetchCounts(bed);
			const error = await rejection(reader.get('a'));
			expect(error, missing).toBeInstanceOf(InvalidInputError);
			expect(error).toMatchObject({ field: 'session' });
			expect(fetchCounts(bed)).toEqual(before);
			await reader.close();
		}
	});

	it('a writer without a session key that must check a new epoch → InvalidInputError(session)', async () => {
		const vault = await createVault();
		const writer = await Vault.open({
			storage: await openSqliteStorage({ path: dbPath(), mode: 'open' }),
			...(await sealWithout('session')),
			trustFirstUse: true,
		});
		await vault.rotate();
		const error = await rejection(writer.put('b', bytes('y')));
		expect(error).toBeInstanceOf(InvalidInputError);
		expect(error).toMatchObject({ field: 'session' });
		await writer.close();
		await vault.close();
	});

	it('a refused key request is not retried (only a reset connection is)', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('x'));
		await vault.close();
		const stranger = bed.newUser();
		denyEpochs(bed, vault.meta, [0], stranger.toSuiAddress());
		const reader = await openAs(stranger);
		const before = fetchCounts(bed);
		await expect(reader.get('a')).rejects.toBeInstanceOf(HarnessError);
		const after = fetchCounts(bed).map((n, i) => n - before[i]!);
		expect(after.every((n) => n <= 1)).toBe(true);
		expect(after.some((n) => n === 1)).toBe(true);
		await reader.close();
	});
});

describe('sealed keys in the database', () => {
	async function sealedKey(meta: Vault['meta'], packageId: string, data: Uint8Array) {
		const { sealClient } = await vaultSealFor(bed, owner);
		const { encryptedObject } = await sealClient.encrypt({
			threshold: meta.threshold,
			packageId,
			id: toHex(epochInnerId(meta, 0)),
			data,
		});
		return encryptedObject;
	}

	function replaceEpoch0Key(key: Uint8Array) {
		withRawDb((db) =>
			db.prepare('UPDATE vault_epochs SET sealed_key = ? WHERE epoch = 0').run(key),
		);
	}

	it('not a Seal object → corrupt, with the parse error as cause', async () => {
		const vault = await createVault();
		await vault.close();
		replaceEpoch0Key(new Uint8Array([1, 2, 3]));
		const error = await rejection(openAs(owner));
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).toMatchObject({ problem: 'corrupt' });
		expect((error as Error).cause).toBeInstanceOf(Error);
	});

	it("the epoch's identity under another package → corrupt on open", async () => {
		const vault = await createVault();
		await vault.close();
		const otherPackage = randomObjectId();
		bed.registry.registerPackage(otherPackage, 1);
		replaceEpoch0Key(await sealedKey(vault.meta, otherPackage, new Uint8Array(32)));
		const error = await rejection(openAs(owner));
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).toMatchObject({ problem: 'corrupt' });
	});

	it('a sealed key that is not 32 bytes → corrupt when unsealed, nothing cached or written', async () => {
		const vault = await createVault();
		await vault.close();
		replaceEpoch0Key(await sealedKey(vault.meta, bed.packageId, new Uint8Array(16).fill(9)));
		allowEpochs(bed, vault.meta, [0], owner.toSuiAddress());
		// The unsealed bytes as the SDK hands them to the vault (batchDecrypt returns them as is).
		const seal = await vaultSealFor(bed, owner);
		const unsealed: Uint8Array[] = [];
		const client = seal.sealClient;
		const sealClient = overriding(client, {
			decrypt: async (...args: Parameters<typeof client.decrypt>) => {
				const plain = await client.decrypt(...args);
				unsealed.push(plain);
				return plain;
			},
		});
		const reader = await openAs(owner, { ...seal, sealClient });
		const error = await rejection(reader.put('a', bytes('x')));
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).toMatchObject({ problem: 'corrupt' });
		expect(unsealed).toHaveLength(1);
		expect(unsealed[0]).toEqual(new Uint8Array(16));
		expect(reader.cachedEpochs).toBe(0);
		expect(await reader.has(['a'])).toEqual(new Set());
		await reader.close();
	});
});

describe('records API', () => {
	it('putMany: empty list, too many, duplicate id, data not bytes', async () => {
		const vault = await createVault({ maxRecordsPerEpoch: 2 });
		expect(await vault.putMany([])).toEqual({ epoch: 0, written: [], skipped: [] });
		const cases: [unknown[], string][] = [
			[
				[
					{ id: 'a', data: bytes('1') },
					{ id: 'b', data: bytes('2') },
					{ id: 'c', data: bytes('3') },
				],
				'records',
			],
			[
				[
					{ id: 'a', data: bytes('1') },
					{ id: 'a', data: bytes('2') },
				],
				'records[1].id',
			],
			[[{ id: 'a', data: 'text' }], 'records[0].data'],
		];
		for (const [records, field] of cases) {
			const error = await rejection(vault.putMany(records as never));
			expect(error, field).toBeInstanceOf(InvalidInputError);
			expect(error).toMatchObject({ field });
		}
		expect((await vault.stats()).records).toBe(0);
		await vault.close();
	});

	it('putMany without ifAbsent replaces an id another writer rewrote meanwhile', async () => {
		const first = await createVault();
		await first.put('a', bytes('old'));
		await first.close();
		allowEpochs(bed, first.meta, [0], owner.toSuiAddress());
		const other = await openAs(owner);
		const { storage } = spyStorage(await openSqliteStorage({ path: dbPath(), mode: 'open' }), {
			beforePut: () => other.put('a', bytes('theirs')),
		});
		const vault = await Vault.open({
			storage,
			...(await vaultSealFor(bed, owner)),
			trustFirstUse: true,
		});
		const result = await vault.putMany([{ id: 'a', data: bytes('mine') }]);
		expect(result).toEqual({ epoch: 0, written: ['a'], skipped: [] });
		expect(text(await vault.get('a'))).toBe('mine');
		await other.close();
		await vault.close();
	});

	it('getMany and delete refuse invalid ids by index; delete takes one id; has()', async () => {
		const vault = await createVault();
		await vault.putMany([
			{ id: 'a', data: bytes('1') },
			{ id: 'b', data: bytes('2') },
		]);
		for (const call of [
			() => vault.getMany(['a', '']),
			() => vault.delete(['a', '']),
			() => vault.getMany(['a', 'x'.repeat(513)]),
		]) {
			const error = await rejection(call());
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error).toMatchObject({ field: 'ids[1]' });
		}
		const single = await rejection(vault.delete(''));
		expect(single).toBeInstanceOf(InvalidInputError);
		expect(single).toMatchObject({ field: 'ids[0]' });
		expect(await vault.has(['a', 'b', 'c'])).toEqual(new Set(['a', 'b']));
		expect(await vault.delete('a')).toBe(1);
		expect(await vault.has(['a', 'b'])).toEqual(new Set(['b']));
		await vault.close();
	});

	it('delete forgets the versions seen: an id written again by another writer reads back', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('1'));
		await vault.put('a', bytes('2'));
		await vault.put('a', bytes('3'));
		expect(text(await vault.get('a'))).toBe('3');
		expect(await vault.delete(['a'])).toBe(1);
		allowEpochs(bed, vault.meta, [0], owner.toSuiAddress());
		const other = await openAs(owner);
		await other.put('a', bytes('new'));
		await other.close();
		expect(text(await vault.get('a'))).toBe('new');
		await vault.close();
	});

	it('every call after close → InvalidInputError(vault), storage untouched', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('1'));
		await vault.close();
		const calls: [string, () => Promise<unknown>][] = [
			['putMany', () => vault.putMany([{ id: 'b', data: bytes('2') }])],
			['putMany []', () => vault.putMany([])],
			['get', () => vault.get('a')],
			['getMany', () => vault.getMany(['a'])],
			['delete', () => vault.delete('a')],
			['has', () => vault.has(['a'])],
			['list', () => vault.list()],
			[
				'iterate',
				async () => {
					for await (const record of vault.iterate()) void record;
				},
			],
			['reseal', () => vault.reseal()],
			['reseal []', () => vault.reseal({ epochs: [] })],
			['stats', () => vault.stats()],
			['verify', () => vault.verify()],
			['rotate', () => vault.rotate()],
		];
		for (const [name, call] of calls) {
			const error = await rejection(call());
			expect(error, name).toBeInstanceOf(InvalidInputError);
			expect(error, name).toMatchObject({ field: 'vault' });
		}
		const stats = await withStorage((s) => s.stats());
		expect(stats.records).toBe(1);
	});
});

async function withStorage<T>(use: (s: VaultStorage) => Promise<T>): Promise<T> {
	const storage = await openSqliteStorage({ path: dbPath(), mode: 'open' });
	try {
		return await use(storage);
	} finally {
		await storage.close();
	}
}

describe('reseal', () => {
	it('epochs: [] or more than 500 → InvalidInputError(epochs); 500 not-yet epochs are a no-op', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('1'));
		for (const epochs of [[], Array.from({ length: 501 }, (_, i) => i)]) {
			const error = await rejection(vault.reseal({ epochs }));
			expect(error, String(epochs.length)).toBeInstanceOf(InvalidInputError);
			expect(error).toMatchObject({ field: 'epochs' });
		}
		const none = await vault.reseal({ epochs: Array.from({ length: 500 }, (_, i) => i + 1) });
		expect(none).toEqual({ epoch: 0, moved: 0, retired: [], current: 0 });
		expect((await vault.stats()).currentEpoch).toBe(0);
		await vault.close();
	});

	it('a reseal interrupted after its first page is finished by the next call, in the same epoch', async () => {
		const vault = await createVault();
		await vault.putMany([
			{ id: 'a', data: bytes('1') },
			{ id: 'b', data: bytes('2') },
		]);
		await vault.rotate();
		const crash = new Error('crash');
		await expect(
			vault.reseal({
				onProgress: () => {
					throw crash;
				},
			}),
		).rejects.toBe(crash);
		// Epoch 2 is resealing 0 and 1; a new call (with any epochs, here one that does not exist
		// yet) finishes it rather than starting another or doing nothing.
		const done = await vault.reseal({ epochs: [99] });
		expect(done).toMatchObject({ epoch: 2, retired: [0, 1], current: 3 });
		expect(text(await vault.get('b'))).toBe('2');
		await vault.close();
	});
});
