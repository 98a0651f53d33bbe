/**
 * Records vault against the offline key servers with the real `@mysten/seal` SDK: round trips,
 * tampering, rotation, revocation, batched epoch-key fetches, servers down, reseal and
 * auto-rotation. Storage is the default SQLite file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { NoAccessError } from '@mysten/seal';
import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { SealAccessDeniedError, SealKeyServerError } from '../../ts/crypto/seal-errors.js';
import { VaultDatabaseError, VaultRecordTamperedError, VaultUnknownEpochError } from '../../ts/vault/errors.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import { Vault, type MembershipSource, type OpenVaultOptions } from '../../ts/vault/vault.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
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
	dir = await mkdtemp(join(tmpdir(), 'vault-protocol-'));
	return () => rm(dir, { recursive: true, force: true });
});

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (data: Uint8Array | undefined) =>
	data === undefined ? undefined : Buffer.from(data).toString('utf8');

async function createVault(
	path = join(dir, 'v.db'),
	extra: Partial<OpenVaultOptions> = {},
): Promise<Vault> {
	const allowlistId = randomObjectId();
	const vault = await Vault.create({
		storage: await openSqliteStorage({ path, mode: 'create' }),
		target: { policy: 'allowlist', allowlistId },
		packageId: bed.packageId,
		threshold: 2,
		...(await vaultSealFor(bed, owner)),
		...extra,
	});
	return vault;
}

/**
 * The same vault file opened by `user` in a new "process" (fresh SealClient, no cached keys),
 * trusting epoch 0 as stored unless a pin is given (tests/protocol/vault-tamper.test.ts has pins).
 */
async function openAs(
	user: Ed25519Keypair,
	path = join(dir, 'v.db'),
	extra: Partial<OpenVaultOptions> = {},
): Promise<Vault> {
	return Vault.open({
		storage: await openSqliteStorage({ path, mode: 'open' }),
		...(await vaultSealFor(bed, user)),
		...(extra.pin === undefined ? { trustFirstUse: true } : {}),
		...extra,
	});
}

function rawDb(path = join(dir, 'v.db')): DatabaseSync {
	return new DatabaseSync(path);
}

describe('round trips', () => {
	it('put/get/getMany/list/delete/iterate/stats; a member in a new session reads with one request per server', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('alpha'));
		await vault.putMany([
			{ id: 'b', data: new Uint8Array() },
			{ id: 'c', data: new Uint8Array(1024).fill(7) },
			{ id: 'ünï', data: bytes('unicode id') },
		]);
		expect(text(await vault.get('a'))).toBe('alpha');
		expect(await vault.get('missing')).toBeUndefined();
		const many = await vault.getMany(['c', 'missing', 'b']);
		expect(many[0]).toEqual(new Uint8Array(1024).fill(7));
		expect(many[1]).toBeUndefined();
		expect(many[2]).toEqual(new Uint8Array());
		expect(await vault.list()).toEqual(['a', 'b', 'c', 'ünï']);
		expect(await vault.list({ after: 'a', limit: 2 })).toEqual(['b', 'c']);
		await vault.put('a', bytes('replaced'));
		expect(text(await vault.get('a'))).toBe('replaced');
		expect(await vault.delete(['b', 'nope'])).toBe(1);
		const seen: string[] = [];
		for await (const r of vault.iterate({ pageSize: 2 })) seen.push(r.id);
		expect(seen).toEqual(['a', 'c', 'ünï']);
		const stats = await vault.stats();
		expect(stats).toMatchObject({ records: 3, currentEpoch: 0, threshold: 2, policy: 'allowlist' });
		expect(stats.servers).toHaveLength(3);
		// 5 encryptions charged to epoch 0 (the replaced 'a' and the deleted 'b' included).
		expect(stats.epochs).toEqual([
			expect.objectContaining({ epoch: 0, records: 3, encryptions: 5 }),
		]);
		await vault.close();

		const member = bed.newUser();
		const reopened = await openAs(member);
		allowEpochs(bed, reopened.meta, [0], member.toSuiAddress());
		const before = fetchCounts(bed);
		expect(text(await reopened.get('ünï'))).toBe('unicode id');
		expect(text((await reopened.getMany(['a', 'c']))[0])).toBe('replaced');
		expect(fetchCounts(bed).map((n, i) => n - before[i]!)).toEqual([1, 1, 1]);
		expect(reopened.cachedEpochs).toBe(1);
		reopened.forgetKeys();
		expect(reopened.cachedEpochs).toBe(0);
		await reopened.close();
	});

	it('bad input is a typed error and writes nothing', async () => {
		const vault = await createVault();
		await expect(vault.put('', bytes('x'))).rejects.toThrow(/non-empty/);
		await expect(vault.put('x'.repeat(513), bytes('x'))).rejects.toThrow(/512 bytes/);
		await expect(
			vault.putMany([
				{ id: 'd', data: bytes('1') },
				{ id: 'd', data: bytes('2') },
			]),
		).rejects.toThrow(/twice/);
		expect((await vault.stats()).records).toBe(0);
		await vault.close();
	});

	it('a reader without a session key gets a typed error', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('alpha'));
		await vault.close();
		const { sealClient } = await vaultSealFor(bed, owner);
		const anonymous = await Vault.open({
			storage: await openSqliteStorage({ path: join(dir, 'v.db'), mode: 'open' }),
			sealClient,
			trustFirstUse: true,
		});
		await expect(anonymous.get('a')).rejects.toThrow(/session key/);
		await anonymous.close();
	});
});

describe('tampering', () => {
	async function seeded(): Promise<{ vault: Vault; path: string }> {
		const path = join(dir, 'v.db');
		const vault = await createVault(path);
		allowEpochs(bed, vault.meta, [0, 1], owner.toSuiAddress());
		await vault.putMany([
			{ id: 'r1', data: bytes('one') },
			{ id: 'r2', data: bytes('two') },
		]);
		await vault.rotate();
		await vault.put('r3', bytes('three'));
		return { vault, path };
	}

	function flipByte(
		path: string,
		column: 'iv' | 'ciphertext',
		id: string,
		at: (n: number) => number,
	) {
		const db = rawDb(path);
		const row = db.prepare(`SELECT ${column} AS v FROM vault_records WHERE id = ?`).get(id)!;
		const value = Buffer.from(row.v as Uint8Array);
		const i = at(value.length);
		value[i] = value[i]! ^ 1;
		db.prepare(`UPDATE vault_records SET ${column} = ? WHERE id = ?`).run(value, id);
		db.close();
	}

	for (const [what, column, at] of [
		['IV', 'iv', () => 0],
		['ciphertext', 'ciphertext', () => 0],
		['tag', 'ciphertext', (n: number) => n - 1],
	] as const) {
		it(`a flipped ${what} bit → VaultRecordTamperedError`, async () => {
			const { vault, path } = await seeded();
			flipByte(path, column, 'r1', at);
			const error = await vault.get('r1').catch((e: unknown) => e);
			expect(error).toBeInstanceOf(VaultRecordTamperedError);
			expect(error).toMatchObject({ recordId: 'r1', epoch: 0 });
			expect(text(await vault.get('r2'))).toBe('two');
			await vault.close();
		});
	}

	it('a record moved to another id, to another epoch, or cut short → VaultRecordTamperedError', async () => {
		const { vault, path } = await seeded();
		const db = rawDb(path);
		// r1's row copied under id r9; r2 relabelled as epoch 1 (a key that exists).
		db.exec(
			"INSERT INTO vault_records (id, epoch, version, iv, ciphertext) SELECT 'r9', epoch, version, iv, ciphertext FROM vault_records WHERE id = 'r1'",
		);
		db.exec("UPDATE vault_records SET epoch = 1 WHERE id = 'r2'");
		db.exec("UPDATE vault_records SET ciphertext = substr(ciphertext, 1, 8) WHERE id = 'r3'");
		db.close();
		for (const id of ['r9', 'r2', 'r3']) {
			await expect(vault.get(id)).rejects.toBeInstanceOf(VaultRecordTamperedError);
		}
		// Nothing is returned for a batch containing a bad record.
		await expect(vault.getMany(['r1', 'r9'])).rejects.toBeInstanceOf(VaultRecordTamperedError);
		expect(text(await vault.get('r1'))).toBe('one');
		await vault.close();
	});

	it('an unknown epoch → VaultUnknownEpochError', async () => {
		const { vault, path } = await seeded();
		const db = rawDb(path);
		db.exec("UPDATE vault_records SET epoch = 7 WHERE id = 'r1'");
		db.close();
		const error = await vault.get('r1').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultUnknownEpochError);
		expect(error).toMatchObject({ epoch: 7 });
		await vault.close();
	});

	it('a record copied from another vault → VaultRecordTamperedError', async () => {
		const { vault: a, path: pathA } = await seeded();
		await a.close();
		const pathB = join(dir, 'b.db');
		const b = await createVault(pathB);
		allowEpochs(bed, b.meta, [0], owner.toSuiAddress());
		await b.put('other', bytes('b'));
		const db = rawDb(pathB);
		db.exec(`ATTACH DATABASE '${pathA}' AS a`);
		db.exec("INSERT INTO vault_records SELECT * FROM a.vault_records WHERE id = 'r1'");
		db.close();
		await expect(b.get('r1')).rejects.toBeInstanceOf(VaultRecordTamperedError);
		expect(text(await b.get('other'))).toBe('b');
		await b.close();
	});

	it("an epoch's sealed key swapped for another epoch's → VaultDatabaseError (corrupt)", async () => {
		const { vault, path } = await seeded();
		await vault.close();
		const db = rawDb(path);
		// Epoch 0's key copied over epoch 1's, the newest: no later epoch's hash covers it, so the
		// sealed key's identity check is what catches it.
		db.exec(
			'UPDATE vault_epochs SET sealed_key = (SELECT sealed_key FROM vault_epochs WHERE epoch = 0) WHERE epoch = 1',
		);
		db.close();
		const error = await openAs(owner, path)
			.then((reader) => reader.get('r3'))
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).toMatchObject({ problem: 'corrupt' });
	});
});

describe('rotation and revocation', () => {
	it('rotate: later records use the new epoch; old ones still read', async () => {
		const vault = await createVault();
		await vault.put('old', bytes('o'));
		expect(await vault.rotate()).toBe(1);
		const { epoch } = await vault.putMany([{ id: 'new', data: bytes('n') }]);
		expect(epoch).toBe(1);
		const db = rawDb();
		const rows = db.prepare('SELECT id, epoch FROM vault_records ORDER BY id').all();
		db.close();
		expect(rows).toEqual([
			{ id: 'new', epoch: 1 },
			{ id: 'old', epoch: 0 },
		]);
		expect((await vault.stats()).currentEpoch).toBe(1);
		await vault.close();
	});

	it('an epoch that reached its record limit starts a new one by itself', async () => {
		const vault = await createVault(undefined, { maxRecordsPerEpoch: 3 });
		for (const id of ['a', 'b', 'c', 'd']) await vault.put(id, bytes(id));
		await vault.putMany([
			{ id: 'e', data: bytes('e') },
			{ id: 'f', data: bytes('f') },
		]);
		const stats = await vault.stats();
		expect(stats.epochs.map((e) => [e.epoch, e.encryptions])).toEqual([
			[0, 3],
			[1, 3],
		]);
		await expect(
			vault.putMany(['w', 'x', 'y', 'z'].map((id) => ({ id, data: bytes(id) }))),
		).rejects.toThrow(/at most 3/);
		await vault.close();
	});

	it('a non-member is refused every epoch; a removed member loses access to every epoch', async () => {
		const vault = await createVault();
		const member = bed.newUser();
		for (let epoch = 0; epoch < 3; epoch++) {
			if (epoch > 0) await vault.rotate();
			await vault.put(`r${epoch}`, bytes(`record ${epoch}`));
		}
		allowEpochs(bed, vault.meta, [0, 1, 2], member.toSuiAddress());
		await vault.close();

		const stranger = bed.newUser();
		for (const id of ['r0', 'r1', 'r2']) {
			const reader = await openAs(stranger);
			const error = await reader.get(id).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(SealAccessDeniedError);
			expect((error as Error).cause).toBeInstanceOf(NoAccessError);
			await reader.close();
		}

		const before = await openAs(member);
		expect((await before.getMany(['r0', 'r1', 'r2'])).map(text)).toEqual([
			'record 0',
			'record 1',
			'record 2',
		]);
		await before.close();
		denyEpochs(bed, before.meta, [0, 1, 2], member.toSuiAddress());
		for (const id of ['r0', 'r1', 'r2']) {
			const reader = await openAs(member);
			const error = await reader.get(id).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(SealAccessDeniedError);
			expect((error as Error).cause).toBeInstanceOf(NoAccessError);
			await reader.close();
		}
	});

	it('auto-rotation: a member removed since the epoch began starts a new epoch on open', async () => {
		let members = [owner.toSuiAddress(), randomObjectId()];
		const membership: MembershipSource = { members: async () => members };
		const vault = await createVault(undefined, { membership });
		// Rotating takes the current epoch's key (only a member can commit to the next epoch).
		allowEpochs(bed, vault.meta, [0, 1], owner.toSuiAddress());
		await vault.close();
		const again = await openAs(owner, undefined, { membership, autoRotate: true });
		expect((await again.stats()).currentEpoch).toBe(0);
		await again.close();
		members = [...members, randomObjectId()];
		const grown = await openAs(owner, undefined, { membership, autoRotate: true });
		expect((await grown.stats()).currentEpoch).toBe(0);
		await grown.close();
		members = [owner.toSuiAddress()];
		const shrunk = await openAs(owner, undefined, { membership, autoRotate: true });
		expect((await shrunk.stats()).currentEpoch).toBe(1);
		expect(await shrunk.rotateIfMembershipShrank()).toBe(false);
		await shrunk.close();
	});

	it('reseal moves the records of old epochs under a new one', async () => {
		const vault = await createVault();
		allowEpochs(bed, vault.meta, [0, 1, 2], owner.toSuiAddress());
		await vault.putMany([
			{ id: 'a', data: bytes('A') },
			{ id: 'b', data: bytes('B') },
		]);
		await vault.rotate();
		await vault.put('c', bytes('C'));
		expect(await vault.reseal({ epochs: [0] })).toEqual({
			epoch: 2,
			moved: 2,
			retired: [0],
			current: 3,
		});
		const stats = await vault.stats();
		expect(stats.epochs.map((e) => [e.epoch, e.records])).toEqual([
			[0, 0],
			[1, 1],
			[2, 2],
			[3, 0],
		]);
		await vault.close();
		allowEpochs(bed, vault.meta, [3], owner.toSuiAddress());
		const reader = await openAs(owner);
		expect((await reader.getMany(['a', 'b', 'c'])).map(text)).toEqual(['A', 'B', 'C']);
		await reader.close();
	});
});

describe('key fetches', () => {
	// 101 epochs would cost ~300 pairing checks (minutes on a shared 2-core machine); the chunk
	// size is a parameter, so the same grouping is shown with 5 epochs and chunks of 100 and 2.
	it('one request per server per chunk of epochs (≤ 100), then served from the cache', async () => {
		const vault = await createVault(undefined, { maxRecordsPerEpoch: 1 });
		const ids = ['r0', 'r1', 'r2', 'r3', 'r4'];
		for (const [i, id] of ids.entries()) await vault.put(id, bytes(`value ${i}`));
		expect((await vault.stats()).currentEpoch).toBe(4);
		await vault.close();
		allowEpochs(bed, vault.meta, [0, 1, 2, 3, 4], owner.toSuiAddress());

		const reader = await openAs(owner);
		let before = fetchCounts(bed);
		expect((await reader.getMany(ids)).map(text)).toEqual(ids.map((_, i) => `value ${i}`));
		expect(fetchCounts(bed).map((n, i) => n - before[i]!)).toEqual([1, 1, 1]);
		before = fetchCounts(bed);
		let count = 0;
		for await (const r of reader.iterate({ pageSize: 2 })) {
			expect(text(r.data)).toBe(`value ${count}`);
			count += 1;
		}
		expect(count).toBe(5);
		expect(fetchCounts(bed)).toEqual(before);
		await reader.close();

		const chunked = await openAs(owner, undefined, { keyBatchSize: 2 });
		before = fetchCounts(bed);
		expect((await chunked.getMany(ids)).map(text)).toEqual(ids.map((_, i) => `value ${i}`));
		expect(fetchCounts(bed).map((n, i) => n - before[i]!)).toEqual([3, 3, 3]);
		await chunked.close();
	});

	it('a key request that hits a reset connection is retried once; twice in a row fails', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('alpha'));
		await vault.close();
		allowEpochs(bed, vault.meta, [0], owner.toSuiAddress());
		for (const [resets, ok] of [
			[1, true],
			[2, false],
		] as const) {
			const seal = await vaultSealFor(bed, owner);
			const real = seal.sealClient;
			let calls = 0;
			const flaky: typeof real = {
				encrypt: (o) => real.encrypt(o),
				decrypt: (o) => real.decrypt(o),
				fetchKeys: async (o) => {
					if (calls++ < resets) {
						const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
						throw new TypeError('fetch failed', { cause: reset });
					}
					return real.fetchKeys(o);
				},
			};
			const reader = await Vault.open({
				storage: await openSqliteStorage({ path: join(dir, 'v.db'), mode: 'open' }),
				...seal,
				sealClient: flaky,
				trustFirstUse: true,
			});
			if (ok) expect(text(await reader.get('a'))).toBe('alpha');
			else await expect(reader.get('a')).rejects.toBeInstanceOf(SealKeyServerError);
			expect(calls).toBe(2);
			await reader.close();
		}
	});

	it('too few key servers up → SealKeyServerError, nothing returned; works again once back', async () => {
		const vault = await createVault();
		await vault.put('a', bytes('alpha'));
		await vault.close();
		allowEpochs(bed, vault.meta, [0], owner.toSuiAddress());
		await bed.servers[0]!.stop();
		await bed.servers[1]!.stop();
		try {
			const reader = await openAs(owner);
			await expect(reader.get('a')).rejects.toBeInstanceOf(SealKeyServerError);
			await reader.close();
		} finally {
			await bed.servers[0]!.start();
			await bed.servers[1]!.start();
		}
		const reader = await openAs(owner);
		expect(text(await reader.get('a'))).toBe('alpha');
		await reader.close();
	});
});
