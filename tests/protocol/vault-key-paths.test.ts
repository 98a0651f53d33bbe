/**
 * The vault's key paths against the offline key servers (issue 17 item 9, mutation survivors of
 * ts/vault/vault.ts): how long made and fetched keys stay cached, what the stored epoch rows say
 * after reseals, epochs another handle added (checked, their keys fetched in one request and
 * cached), shared key requests, leases released (every fetched key zeroed once forgotten), the
 * one retry of a key request on a reset connection, and an unsealed key of the wrong size.
 * The SealClient is wrapped to count requests, keep the keys it returns and inject failures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { InvalidParameterError, type SessionKey } from '@mysten/seal';
import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../ts/errors.js';
import { sessionKeyExpiresAt } from '../../ts/seal/session.js';
import {
	VaultDatabaseError,
	VaultIntegrityError,
	VaultUnknownEpochError,
} from '../../ts/vault/errors.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import {
	DEFAULT_KEY_TTL_MS,
	Vault,
	type OpenVaultOptions,
	type VaultSealOptions,
} from '../../ts/vault/vault.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import { allowEpochs, fetchCounts, vaultSealFor } from '../support/vault-helpers.js';

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
	dir = await mkdtemp(join(tmpdir(), 'vault-key-paths-'));
	file = 'v.db';
	return () => rm(dir, { recursive: true, force: true });
});

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (data: Uint8Array | undefined) =>
	data === undefined ? undefined : Buffer.from(data).toString('utf8');
const zero = (key: Uint8Array) => key.every((b) => b === 0);
let file = 'v.db';
const path = () => join(dir, file);

/** What the wrapped SealClient saw and should do. */
interface Tap {
	/** fetchKeys calls (each one key request to the servers unless it failed here). */
	fetches: number;
	/** Arrays decrypt returned (the epoch keys the vault got), in order. */
	decrypted: Uint8Array[];
	/** Errors the next fetchKeys calls throw instead of asking the servers. */
	failFetch: unknown[];
	/** decrypt returns 16 of the key's bytes. */
	shortKeys: boolean;
	/** encrypt throws (after keeping the data it was given here). */
	failEncrypt: boolean;
	encryptData: Uint8Array[];
}

function tapped(seal: VaultSealOptions): { seal: VaultSealOptions; tap: Tap } {
	const client = seal.sealClient;
	const tap: Tap = {
		fetches: 0,
		decrypted: [],
		failFetch: [],
		shortKeys: false,
		failEncrypt: false,
		encryptData: [],
	};
	const sealClient: VaultSealOptions['sealClient'] = {
		fetchKeys: async (options) => {
			tap.fetches += 1;
			const failure = tap.failFetch.shift();
			if (failure !== undefined) throw failure;
			return client.fetchKeys(options);
		},
		decrypt: async (options) => {
			let out = await client.decrypt(options);
			if (tap.shortKeys) out = out.slice(0, 16);
			tap.decrypted.push(out);
			return out;
		},
		encrypt: async (options) => {
			if (tap.failEncrypt) {
				tap.encryptData.push(options.data);
				throw new Error('encrypt refused by the test');
			}
			return client.encrypt(options);
		},
	};
	return { seal: { ...seal, sealClient }, tap };
}

async function createVault(extra: Partial<OpenVaultOptions> = {}): Promise<Vault> {
	const vault = await Vault.create({
		storage: await openSqliteStorage({ path: path(), mode: 'create' }),
		target: { policy: 'allowlist', allowlistId: randomObjectId() },
		packageId: bed.packageId,
		threshold: 2,
		...(await vaultSealFor(bed, owner)),
		...extra,
	});
	allowEpochs(bed, vault.meta, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], owner.toSuiAddress());
	return vault;
}

/** Another handle on the same file (another process), trusting epoch 0 unless a pin is given. */
async function openOther(extra: Partial<OpenVaultOptions> = {}): Promise<Vault> {
	return Vault.open({
		storage: await openSqliteStorage({ path: path(), mode: 'open' }),
		...(await vaultSealFor(bed, owner)),
		...(extra.pin === undefined ? { trustFirstUse: true } : {}),
		...extra,
	});
}

/** A tapped handle opened on the same file. */
async function openTapped(extra: Partial<OpenVaultOptions> = {}) {
	const { seal, tap } = tapped(await vaultSealFor(bed, owner));
	const vault = await openOther({ ...seal, ...extra });
	return { vault, tap };
}

function sql<T>(fn: (db: DatabaseSync) => T): T {
	const db = new DatabaseSync(path());
	try {
		return fn(db);
	} finally {
		db.close();
	}
}

/** A database writer flips one byte of an epoch's sealed key. */
function alterSealedKey(epoch: number) {
	sql((db) => {
		const row = db.prepare('SELECT sealed_key FROM vault_epochs WHERE epoch = ?').get(epoch) as {
			sealed_key: Uint8Array;
		};
		const altered = Buffer.from(row.sealed_key);
		altered[altered.length - 1]! ^= 1;
		db.prepare('UPDATE vault_epochs SET sealed_key = ? WHERE epoch = ?').run(altered, epoch);
	});
}

/** A database writer copies record `id` as `as`, naming `epoch`. */
function plantRecord(id: string, as: string, epoch: number) {
	sql((db) => {
		const row = db
			.prepare('SELECT version, iv, ciphertext FROM vault_records WHERE id = ?')
			.get(id) as { version: number; iv: Uint8Array; ciphertext: Uint8Array };
		db.prepare(
			'INSERT INTO vault_records (id, epoch, version, iv, ciphertext) VALUES (?, ?, ?, ?, ?)',
		).run(as, epoch, row.version, row.iv, row.ciphertext);
	});
}

const delta = (before: number[]) => fetchCounts(bed).map((n, i) => n - before[i]!);

describe('the newest epoch as checked', () => {
	it('a newest epoch row altered after this vault checked it is epoch-forged', async () => {
		const vault = await createVault();
		const pin = await vault.verify();
		alterSealedKey(0);
		const error = await vault.verify().catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultIntegrityError);
		expect((error as VaultIntegrityError).problem).toBe('epoch-forged');
		await expect(vault.put('a', bytes('x'))).rejects.toBeInstanceOf(VaultIntegrityError);
		expect(vault.pin).toBe(pin);
		await vault.close();
	});

	it('a closed vault refuses verify and rotate with a typed error', async () => {
		const vault = await createVault();
		await vault.close();
		for (const call of [() => vault.verify(), () => vault.rotate()]) {
			const error = await call().catch((e: unknown) => e);
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).field).toBe('vault');
		}
	});
});

describe('how long keys stay cached', () => {
	it('with a renewer, keys of epochs made here last DEFAULT_KEY_TTL_MS, not the session key', async () => {
		const seal = await vaultSealFor(bed, owner);
		const sessionKey = seal.session as SessionKey;
		// An hour before the session key was made: its expiry is far after DEFAULT_KEY_TTL_MS.
		let now = Date.now() - 3_600_000;
		const vault = await createVault({
			...seal,
			session: { current: async () => sessionKey },
			now: () => now,
		});
		expect(await vault.rotate()).toBe(1);
		expect(vault.cachedEpochs).toBe(2);
		now += DEFAULT_KEY_TTL_MS - 1;
		expect(vault.cachedEpochs).toBe(2);
		now += 2;
		expect(vault.cachedEpochs).toBe(0);
		await vault.close();
	});

	it('with a plain session key, keys of epochs made here last as long as the session key', async () => {
		const seal = await vaultSealFor(bed, owner);
		let now = Date.now() - 3_600_000;
		const vault = await createVault({ ...seal, now: () => now });
		now += DEFAULT_KEY_TTL_MS + 1;
		expect(vault.cachedEpochs).toBe(1);
		now = sessionKeyExpiresAt(seal.session as SessionKey);
		expect(vault.cachedEpochs).toBe(0);
		await vault.close();
	});

	it("keys fetched to check another handle's epochs last until the renewer's session key expires", async () => {
		const creator = await createVault();
		await creator.put('r0', bytes('zero'));
		const other = await openOther();
		await other.rotate();
		await other.rotate();
		const seal = await vaultSealFor(bed, owner);
		const sessionKey = seal.session as SessionKey;
		let now = Date.now() - 3_600_000;
		const reader = await openOther({
			...seal,
			session: { current: async () => sessionKey },
			now: () => now,
		});
		expect(await reader.verify()).toBe(other.pin);
		// Epochs 0 and 1 were needed to check epochs 1 and 2.
		expect(reader.cachedEpochs).toBe(2);
		now += DEFAULT_KEY_TTL_MS + 1;
		expect(reader.cachedEpochs).toBe(2);
		now = sessionKeyExpiresAt(sessionKey);
		expect(reader.cachedEpochs).toBe(0);
		for (const v of [creator, other, reader]) await v.close();
	});
});

describe('new epoch rows', () => {
	it('retired and resealing lists are stored sorted ascending', async () => {
		const vault = await createVault();
		await vault.rotate();
		await vault.rotate();
		// Epoch 3 reseals epoch 2, epoch 4 retires it.
		expect(await vault.reseal({ epochs: [2] })).toMatchObject({ epoch: 3, retired: [2] });
		// Epoch 5 reseals 1 and 0 (asked in that order), epoch 6 retires them after 2.
		expect(await vault.reseal({ epochs: [1, 0] })).toMatchObject({
			epoch: 5,
			retired: [0, 1, 2],
			current: 6,
		});
		const rows = await vault.storage.listEpochs();
		expect(rows.map((r) => [r.epoch, r.resealing, r.retired])).toEqual([
			[0, [], []],
			[1, [], []],
			[2, [], []],
			[3, [2], []],
			[4, [], [2]],
			[5, [0, 1], [2]],
			[6, [], [0, 1, 2]],
		]);
		await vault.close();
	});

	it('a failing Seal encrypt zeroes the new key and adds no epoch', async () => {
		const { seal, tap } = tapped(await vaultSealFor(bed, owner));
		const vault = await createVault(seal);
		tap.failEncrypt = true;
		await expect(vault.rotate()).rejects.toThrow(/encrypt refused/);
		expect(tap.encryptData).toHaveLength(1);
		expect(tap.encryptData[0]).toHaveLength(32);
		expect(zero(tap.encryptData[0]!)).toBe(true);
		expect((await vault.storage.listEpochs()).map((r) => r.epoch)).toEqual([0]);
		await vault.close();
	});
});

describe('epochs another handle added', () => {
	it('are checked with one key request; the keys are cached and the request copies zeroed', async () => {
		const creator = await createVault();
		await creator.put('r0', bytes('zero'));
		const { vault: reader, tap } = await openTapped();
		expect(text(await reader.get('r0'))).toBe('zero');
		expect(tap.decrypted).toHaveLength(1);
		const k0 = tap.decrypted[0]!;
		expect(zero(k0)).toBe(false);
		const other = await openOther();
		await other.rotate();
		await other.rotate();
		const before = fetchCounts(bed);
		// Epoch 0 is cached; epoch 1's key is needed to check epoch 2.
		expect(await reader.verify()).toBe(other.pin);
		expect(delta(before)).toEqual([1, 1, 1]);
		expect(tap.decrypted).toHaveLength(2);
		// The key the request returned was copied into the cache and zeroed.
		expect(zero(tap.decrypted[1]!)).toBe(true);
		expect(reader.cachedEpochs).toBe(2);
		expect(zero(k0)).toBe(false);
		// No lease is left over: forgetting zeroes the key the first request returned.
		reader.forgetKeys();
		expect(reader.cachedEpochs).toBe(0);
		expect(zero(k0)).toBe(true);
		for (const v of [creator, other, reader]) await v.close();
	});

	it('a key needed by a read is fetched in the same request that checks the new epochs', async () => {
		const creator = await createVault();
		await creator.put('r0', bytes('zero'));
		await creator.rotate();
		const other = await openOther();
		await other.rotate();
		// Trusts epochs 0 and 1; epoch 2 is new to it.
		const { vault: reader, tap } = await openTapped({ pin: creator.pin });
		const before = fetchCounts(bed);
		expect(text(await reader.get('r0'))).toBe('zero');
		expect(delta(before)).toEqual([1, 1, 1]);
		expect(tap.fetches).toBe(1);
		expect(reader.cachedEpochs).toBe(2);
		expect(reader.pin).toBe(other.pin);
		// Cached: no request.
		expect(text(await reader.get('r0'))).toBe('zero');
		expect(tap.fetches).toBe(1);
		for (const v of [creator, other, reader]) await v.close();
	});

	it('a record naming an epoch one past the newest is VaultUnknownEpochError', async () => {
		const creator = await createVault();
		await creator.put('r0', bytes('zero'));
		const other = await openOther();
		await other.rotate();
		plantRecord('r0', 'planted', 2);
		const reader = await openOther();
		const error = await reader.get('planted').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultUnknownEpochError);
		expect((error as VaultUnknownEpochError).epoch).toBe(2);
		expect(reader.pin).toBe(other.pin);
		for (const v of [creator, other, reader]) await v.close();
	});

	it('a writer without a session key checks them with its cached key, and asks for none it lacks', async () => {
		const { sealClient } = await vaultSealFor(bed, owner);
		const writer = await Vault.create({
			storage: await openSqliteStorage({ path: path(), mode: 'create' }),
			target: { policy: 'allowlist', allowlistId: randomObjectId() },
			packageId: bed.packageId,
			threshold: 2,
			sealClient,
		});
		allowEpochs(bed, writer.meta, [0, 1, 2, 3], owner.toSuiAddress());
		await writer.put('r0', bytes('zero'));
		const other = await openOther();
		await other.rotate();
		// Epoch 1 needs only epoch 0's key, which the writer made.
		expect(await writer.verify()).toBe(other.pin);
		// A planted record naming an epoch that does not exist: refused for want of a session key.
		plantRecord('r0', 'planted', 5);
		const planted = await writer.get('planted').catch((e: unknown) => e);
		expect(planted).toBeInstanceOf(InvalidInputError);
		expect((planted as InvalidInputError).field).toBe('session');
		const pinBefore = writer.pin;
		await other.rotate();
		// Checking epoch 3 needs epoch 2's key, which only a session key can fetch.
		const error = await writer.verify().catch((e: unknown) => e);
		expect(error).toBeInstanceOf(InvalidInputError);
		expect((error as InvalidInputError).field).toBe('session');
		expect(writer.pin).toBe(pinBefore);
		for (const v of [writer, other]) await v.close();
	});
});

describe('key requests and leases', () => {
	it('two concurrent reads of one uncached epoch share one key request', async () => {
		const creator = await createVault();
		await creator.putMany([
			{ id: 'a', data: bytes('A') },
			{ id: 'b', data: bytes('B') },
		]);
		const { vault: reader, tap } = await openTapped();
		const before = fetchCounts(bed);
		const [a, b] = await Promise.all([reader.get('a'), reader.get('b')]);
		expect([text(a), text(b)]).toEqual(['A', 'B']);
		expect(delta(before)).toEqual([1, 1, 1]);
		expect(tap.fetches).toBe(1);
		// Every lease was released: forgetting zeroes the key.
		reader.forgetKeys();
		expect(tap.decrypted.every(zero)).toBe(true);
		for (const v of [creator, reader]) await v.close();
	});

	it('a fetched key is zeroed by forgetKeys after a read (no lease left over)', async () => {
		const creator = await createVault();
		await creator.put('a', bytes('A'));
		const { vault: reader, tap } = await openTapped();
		expect(text(await reader.get('a'))).toBe('A');
		expect(tap.decrypted).toHaveLength(1);
		expect(zero(tap.decrypted[0]!)).toBe(false);
		reader.forgetKeys();
		expect(zero(tap.decrypted[0]!)).toBe(true);
		for (const v of [creator, reader]) await v.close();
	});
});

describe('options passed on to the key request', () => {
	it("the vault's retry policy, access log and logger reach the key request", async () => {
		const creator = await createVault();
		await creator.put('a', bytes('A'));
		const slept: number[] = [];
		const audited: unknown[] = [];
		const lines: string[] = [];
		const log = (line: string) => void lines.push(line);
		const { vault: reader, tap } = await openTapped({
			retry: {
				policy: { attempts: 2, baseDelayMs: 7, maxDelayMs: 7 },
				sleep: async (ms) => void slept.push(ms),
			},
			audit: { append: async (entry) => void audited.push(entry) },
			logger: { info: log, warn: log, debug: log },
		});
		// The key servers do not see the object yet, once: the vault's policy retries after 7 ms.
		tap.failFetch.push(new InvalidParameterError('not visible yet'));
		expect(text(await reader.get('a'))).toBe('A');
		expect(tap.fetches).toBe(2);
		expect(slept).toEqual([7]);
		expect(audited.length).toBeGreaterThan(0);
		// batchDecrypt's own line: the vault's logger was passed on.
		expect(lines.some((line) => /fetching keys for 1 ids/.test(line))).toBe(true);
		for (const v of [creator, reader]) await v.close();
	});
});

/** An error whose `code` sits `depth` causes below it (no code at all when undefined). */
function socketError(code: string | undefined, depth = 0): Error {
	let error: Error = Object.assign(new Error('socket'), code === undefined ? {} : { code });
	for (let i = 0; i < depth; i++) error = new Error(`wrapped ${i}`, { cause: error });
	return error;
}

describe('a key request on a reset connection', () => {
	let n = 0;
	async function readWith(failures: unknown[]) {
		file = `r${n++}.db`;
		const creator = await createVault();
		await creator.put('a', bytes('A'));
		await creator.close();
		const { vault: reader, tap } = await openTapped();
		tap.failFetch.push(...failures);
		const result = await reader.get('a').then(
			(data) => ({ data: text(data) }),
			(error: unknown) => ({ error }),
		);
		await reader.close();
		return { result, fetches: tap.fetches };
	}

	it('is retried once for ECONNRESET or UND_ERR_SOCKET, also as a cause', async () => {
		for (const failure of [
			socketError('ECONNRESET'),
			socketError('UND_ERR_SOCKET'),
			socketError('ECONNRESET', 2),
			socketError('UND_ERR_SOCKET', 1),
			// The SDK error arrives wrapped once (explainSealError): 7 levels down is the deepest seen.
			socketError('ECONNRESET', 6),
		]) {
			expect(await readWith([failure])).toEqual({ result: { data: 'A' }, fetches: 2 });
		}
	});

	it('is retried only once, and other errors not at all', async () => {
		const twice = await readWith([socketError('ECONNRESET'), socketError('ECONNRESET')]);
		expect(twice.fetches).toBe(2);
		expect('error' in twice.result).toBe(true);
		for (const failure of [
			socketError('EPIPE'),
			socketError(undefined),
			socketError(undefined, 3),
			socketError('ECONNRESET', 7),
		]) {
			const { result, fetches } = await readWith([failure]);
			expect(fetches).toBe(1);
			expect('error' in result).toBe(true);
		}
	});

	it('an unsealed key that is not 32 bytes is a corrupt database, and is zeroed', async () => {
		const creator = await createVault();
		await creator.put('a', bytes('A'));
		const { vault: reader, tap } = await openTapped();
		tap.shortKeys = true;
		const error = await reader.get('a').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect((error as VaultDatabaseError).problem).toBe('corrupt');
		expect(tap.decrypted).toHaveLength(1);
		expect(tap.decrypted[0]).toHaveLength(16);
		expect(zero(tap.decrypted[0]!)).toBe(true);
		expect(reader.cachedEpochs).toBe(0);
		for (const v of [creator, reader]) await v.close();
	});
});
