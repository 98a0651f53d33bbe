/**
 * The epoch-key cache's leases (issue 17 item 1): a key dropped (forgetKeys, expiry, replacement,
 * clear) while an operation holds it is never zeroed under that operation, and is never handed
 * out again; its bytes are zeroed when the last holder releases it.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { VaultError } from '../../../ts/vault/errors.js';
import { VaultKeyDroppedError } from '../../../ts/vault/errors.js';
import { EpochKeyCache } from '../../../ts/vault/key-cache.js';

const key = () => new Uint8Array(randomBytes(32));
const zero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

describe('epoch key cache leases', () => {
	it('a key dropped while leased keeps its bytes until the last lease is released', () => {
		const cache = new EpochKeyCache(() => 0);
		const k = key();
		const copy = Uint8Array.from(k);
		const a = cache.set(7, k, 100);
		const b = cache.lease(7)!;
		expect(a.epoch).toBe(7);
		expect(b.epoch).toBe(7);
		expect(a.key).toBe(k);
		cache.clear();
		// Dropped: no new lease, the held ones refuse the key, the bytes are intact.
		expect(cache.lease(7)).toBeUndefined();
		expect(cache.size).toBe(0);
		expect(a.live).toBe(false);
		expect(() => a.key).toThrow(VaultKeyDroppedError);
		expect(k).toEqual(copy);
		a.release();
		a.release(); // idempotent: does not count as b's release
		expect(k).toEqual(copy);
		b.release();
		expect(zero(k)).toBe(true);
	});

	it('drop of a key nobody leases zeroes it at once; drop of an unknown epoch is a no-op', () => {
		const cache = new EpochKeyCache(() => 0);
		const k = key();
		cache.set(1, k, 100).release();
		expect(zero(k)).toBe(false);
		cache.drop(2);
		expect(zero(k)).toBe(false);
		cache.drop(1);
		expect(zero(k)).toBe(true);
		expect(cache.lease(1)).toBeUndefined();
	});

	it('replacing a key drops the old one (zeroed after its lease ends); the new one is served', () => {
		const cache = new EpochKeyCache(() => 0);
		const old = key();
		const held = cache.set(3, old, 100);
		const fresh = key();
		cache.set(3, fresh, 100).release();
		expect(held.live).toBe(false);
		expect(zero(old)).toBe(false);
		const lease = cache.lease(3)!;
		expect(lease.key).toBe(fresh);
		held.release();
		expect(zero(old)).toBe(true);
		expect(zero(fresh)).toBe(false);
		lease.release();
		expect(zero(fresh)).toBe(false);
		expect(cache.size).toBe(1);
	});

	it('expiry: live until the instant before expiresAtMs; then dropped, zeroed after release', () => {
		let now = 1000;
		const cache = new EpochKeyCache(() => now);
		const k = key();
		const lease = cache.set(0, k, 2000);
		now = 1999;
		expect(lease.live).toBe(true);
		expect(cache.size).toBe(1);
		const second = cache.lease(0)!;
		second.release();
		now = 2000;
		expect(lease.live).toBe(false);
		expect(() => lease.key).toThrow(/epoch 0's key was dropped/);
		expect(zero(k)).toBe(false);
		expect(cache.lease(0)).toBeUndefined();
		expect(zero(k)).toBe(false);
		lease.release();
		expect(zero(k)).toBe(true);
	});

	it('size drops expired keys (zeroing unleased ones) and counts only live ones', () => {
		let now = 0;
		const cache = new EpochKeyCache(() => now);
		const a = key();
		const b = key();
		cache.set(0, a, 10).release();
		cache.set(1, b, 20).release();
		expect(cache.size).toBe(2);
		now = 10;
		expect(cache.size).toBe(1);
		expect(zero(a)).toBe(true);
		expect(zero(b)).toBe(false);
		now = 20;
		expect(cache.size).toBe(0);
		expect(zero(b)).toBe(true);
	});

	it('a released lease refuses its key even while the key is still cached', () => {
		const cache = new EpochKeyCache(() => 0);
		const lease = cache.set(5, key(), 100);
		lease.release();
		expect(lease.live).toBe(false);
		let error: unknown;
		try {
			void lease.key;
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(VaultKeyDroppedError);
		expect(error).toBeInstanceOf(VaultError);
		expect((error as VaultKeyDroppedError).epoch).toBe(5);
		expect((error as Error).name).toBe('VaultKeyDroppedError');
		expect(cache.lease(5)!.live).toBe(true);
	});

	it('a key set with an expiry already past is handed to its setter dead, and zeroed on release', () => {
		const cache = new EpochKeyCache(() => 50);
		const k = key();
		const lease = cache.set(0, k, 50);
		expect(lease.live).toBe(false);
		expect(cache.lease(0)).toBeUndefined();
		lease.release();
		expect(zero(k)).toBe(true);
	});

	it('the default clock is Date.now', () => {
		const cache = new EpochKeyCache();
		const live = cache.set(0, key(), Date.now() + 60_000);
		const dead = cache.set(1, key(), Date.now() - 1);
		expect(live.live).toBe(true);
		expect(dead.live).toBe(false);
	});
});
