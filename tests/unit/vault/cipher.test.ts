/**
 * The vault's record cipher (AES-256-GCM, AAD = vault id, epoch, record id) and its epoch-key
 * cache (keys zeroed when dropped or expired).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../../ts/errors.js';
import { VaultRecordTamperedError } from '../../../ts/vault/errors.js';
import { EpochKeyCache } from '../../../ts/vault/key-cache.js';
import {
	IV_BYTES,
	TAG_BYTES,
	checkRecordId,
	decryptRecord,
	encryptRecord,
	recordAad,
} from '../../../ts/vault/record-cipher.js';

const key = () => new Uint8Array(randomBytes(32));
const vaultId = () => new Uint8Array(randomBytes(16));

describe('record cipher', () => {
	it('round-trips, with a fresh IV per record and the tag appended', () => {
		const k = key();
		const v = vaultId();
		const data = new Uint8Array(randomBytes(1024));
		const a = encryptRecord(k, v, 3, 'id', data, 1);
		const b = encryptRecord(k, v, 3, 'id', data, 1);
		expect(a.iv).toHaveLength(IV_BYTES);
		expect(a.ciphertext).toHaveLength(data.length + TAG_BYTES);
		expect(Buffer.from(a.iv).equals(Buffer.from(b.iv))).toBe(false);
		expect(Buffer.from(decryptRecord(k, v, a)).equals(Buffer.from(data))).toBe(true);
		expect(decryptRecord(k, v, encryptRecord(k, v, 0, 'e', new Uint8Array(), 7))).toEqual(
			new Uint8Array(),
		);
	});

	it('any change to the key, vault, epoch, id, IV, ciphertext or tag is detected', () => {
		const k = key();
		const v = vaultId();
		const sealed = encryptRecord(k, v, 1, 'rec', new Uint8Array([1, 2, 3, 4]), 5);
		const flip = (bytes: Uint8Array, i: number) => {
			const copy = new Uint8Array(bytes);
			copy[i] = copy[i]! ^ 0x80;
			return copy;
		};
		const cases: [Uint8Array, Uint8Array, typeof sealed][] = [
			[key(), v, sealed],
			[k, vaultId(), sealed],
			[k, v, { ...sealed, epoch: 2 }],
			[k, v, { ...sealed, id: 'rec2' }],
			[k, v, { ...sealed, version: 4 }],
			[k, v, { ...sealed, version: 6 }],
			[k, v, { ...sealed, version: 0 }],
			[k, v, { ...sealed, version: 2 ** 53 }],
			[k, v, { ...sealed, iv: flip(sealed.iv, 5) }],
			[k, v, { ...sealed, ciphertext: flip(sealed.ciphertext, 0) }],
			[k, v, { ...sealed, ciphertext: flip(sealed.ciphertext, sealed.ciphertext.length - 1) }],
			[k, v, { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 10) }],
			[k, v, { ...sealed, iv: sealed.iv.subarray(0, 8) }],
		];
		for (const [ck, cv, record] of cases) {
			expect(() => decryptRecord(ck, cv, record)).toThrow(VaultRecordTamperedError);
		}
	});

	it('the AAD frames the id length, so (epoch, id) pairs cannot collide', () => {
		const v = vaultId();
		const aads = new Set(
			[
				[0, 'a'],
				[0, 'ab'],
				[1, 'a'],
			].map(([e, id]) => recordAad(v, e as number, id as string, 1).toString('hex')),
		);
		expect(aads.size).toBe(3);
	});

	it('record ids: 1..512 bytes of UTF-8', () => {
		expect(() => checkRecordId('')).toThrow(InvalidInputError);
		expect(() => checkRecordId('é'.repeat(257))).toThrow(/512 bytes/);
		expect(() => checkRecordId('\ud800')).toThrow(/UTF-8/);
		expect(checkRecordId('é'.repeat(256))).toHaveLength(512);
	});
});

describe('epoch key cache', () => {
	it('zeroes keys when they expire, are replaced, dropped or cleared', () => {
		let now = 1000;
		const cache = new EpochKeyCache(() => now);
		const k0 = key();
		const k1 = key();
		const k2 = key();
		cache.set(0, k0, 2000).release();
		cache.set(1, k1, 5000).release();
		const lease = cache.lease(0)!;
		expect(lease.key).toBe(k0);
		lease.release();
		now = 2000;
		expect(cache.lease(0)).toBeUndefined();
		expect(k0.every((b) => b === 0)).toBe(true);
		cache.set(1, k2, 5000).release();
		expect(k1.every((b) => b === 0)).toBe(true);
		expect(cache.size).toBe(1);
		cache.clear();
		expect(k2.every((b) => b === 0)).toBe(true);
		expect(cache.size).toBe(0);
	});
});
