import { randomBytes } from 'node:crypto';

import { EncryptedObject } from '@mysten/seal';
import { describe, expect, it } from 'vitest';

import { encodeEnvelopeHeader, headerFromSealedKey } from '../../../ts/crypto/envelope-header.js';
import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError, UnknownFormatTagError } from '../../../ts/crypto/errors.js';
import {
	encodeLegacyAesBlob,
	encodeWalletBlob,
	parseSealObject,
	readBlob,
	SEAL_KIND_ENVELOPE,
	SEAL_KIND_OBJECT,
	TAG_SEAL,
	TAG_WALLET_AES,
	tagSealObject,
} from '../../../ts/crypto/node/format.js';
import { toHex } from '../../../ts/identity.js';

const PKG = `0x${'5e'.repeat(32)}`;
const SERVER = `0x${'a1'.repeat(32)}`;

/** A structurally valid Seal EncryptedObject (random crypto fields; enough for format tests). */
function sealObjectBytes(id = 'aabbcc'): Uint8Array {
	return EncryptedObject.serialize({
		version: 0,
		packageId: PKG,
		id,
		services: [[SERVER, 1]],
		threshold: 1,
		encryptedShares: {
			BonehFranklinBLS12381: {
				nonce: randomBytes(96),
				encryptedShares: [randomBytes(32)],
				encryptedRandomness: randomBytes(32),
			},
		},
		ciphertext: { Aes256Gcm: { blob: randomBytes(48), aad: new Uint8Array() } },
	}).toBytes();
}

const key = new Uint8Array(randomBytes(32));
const otherKey = new Uint8Array(randomBytes(32));
const plaintext = new TextEncoder().encode('the quick brown fox');

describe('tag 0x01: wallet-derived AES-256-GCM', () => {
	it('round-trips and starts with 01 + key version', () => {
		const blob = encodeWalletBlob(key, plaintext, 1);
		expect(blob[0]).toBe(TAG_WALLET_AES);
		expect(blob[1]).toBe(1);
		const result = readBlob(blob, { key });
		expect(result.format).toBe('wallet-aes');
		expect(result.format === 'wallet-aes' && Buffer.from(result.plaintext).equals(plaintext)).toBe(
			true,
		);
	});

	it('wrong key → DecryptionFailedError; missing key → DecryptionFailedError', () => {
		const blob = encodeWalletBlob(key, plaintext, 1);
		expect(() => readBlob(blob, { key: otherKey })).toThrow(DecryptionFailedError);
		expect(() => readBlob(blob)).toThrow(DecryptionFailedError);
	});

	it('key version mismatch is reported', () => {
		const blob = encodeWalletBlob(key, plaintext, 2);
		expect(() => readBlob(blob, { key })).toThrow(/version 2/);
		expect(readBlob(blob, { key, keyVersion: 2 }).format).toBe('wallet-aes');
	});

	it('the tag and version bytes are authenticated (AAD)', () => {
		const blob = encodeWalletBlob(key, plaintext, 1);
		blob[1] = 2;
		expect(() => readBlob(blob, { key, keyVersion: 2 })).toThrow(DecryptionFailedError);
	});

	it('truncated below the minimum → TruncatedInputError', () => {
		const blob = encodeWalletBlob(key, plaintext, 1);
		expect(() => readBlob(blob.subarray(0, 20), { key })).toThrow(TruncatedInputError);
		expect(() => readBlob(new Uint8Array(), { key })).toThrow(TruncatedInputError);
	});
});

describe('untagged legacy AES-GCM (try-parse fallback)', () => {
	it('is read with the key whatever its first byte is (including 0x01 and 0x02)', () => {
		const seen = new Set<number>();
		for (let i = 0; i < 4000 && seen.size < 256; i++) {
			const blob = encodeLegacyAesBlob(key, plaintext);
			seen.add(blob[0] as number);
			if (blob[0] === 0x01 || blob[0] === 0x02 || blob[0] === 0x00 || i < 20) {
				const result = readBlob(blob, { key });
				expect(result.format).toBe('legacy-aes');
			}
		}
		expect(seen.has(0x01) && seen.has(0x02) && seen.has(0x00)).toBe(true);
	});

	it('without a key an untagged blob is UnknownFormatTagError (hint: pass the key)', () => {
		let blob = encodeLegacyAesBlob(key, plaintext);
		while (blob[0] === 0x00 || blob[0] === 0x01 || blob[0] === 0x02) {
			blob = encodeLegacyAesBlob(key, plaintext);
		}
		expect(() => readBlob(blob)).toThrow(UnknownFormatTagError);
		expect(() => readBlob(blob)).toThrow(/pass its key/);
		expect(() => readBlob(blob, { key: otherKey })).toThrow(UnknownFormatTagError);
	});
});

describe('tag 0x02: Seal', () => {
	it('02 00 wraps a Seal EncryptedObject; reading returns its bytes untouched', () => {
		const object = sealObjectBytes();
		const blob = tagSealObject(object);
		expect([blob[0], blob[1]]).toEqual([TAG_SEAL, SEAL_KIND_OBJECT]);
		const result = readBlob(blob);
		expect(result.format).toBe('seal-object');
		if (result.format !== 'seal-object') return;
		expect(result.tagged).toBe(true);
		expect(toHex(result.encryptedObject)).toBe(toHex(object));
		expect(result.parsed.packageId).toBe(PKG);
	});

	it('a raw untagged Seal object (version byte 0x00) is read by the fallback', () => {
		const object = sealObjectBytes();
		const result = readBlob(object);
		expect(result.format === 'seal-object' && !result.tagged).toBe(true);
	});

	it('02 01 is an envelope; the header is parsed', () => {
		const header = headerFromSealedKey(sealObjectBytes('0102'), 4096);
		const blob = encodeEnvelopeHeader(header, new Uint8Array(32));
		expect([blob[0], blob[1]]).toEqual([TAG_SEAL, SEAL_KIND_ENVELOPE]);
		const result = readBlob(blob);
		expect(result.format).toBe('seal-envelope');
		if (result.format !== 'seal-envelope') return;
		expect(result.headerLength).toBe(blob.length);
		expect(result.header.chunkSize).toBe(4096);
		expect(toHex(result.header.innerId)).toBe('0102');
		expect(result.header.servers).toEqual([{ objectId: SERVER, weight: 1 }]);
	});

	it('unknown sub-kind, trailing bytes and bad object versions are MalformedCiphertextError', () => {
		const object = sealObjectBytes();
		expect(() => readBlob(new Uint8Array([0x02, 0x07, ...object]))).toThrow(
			MalformedCiphertextError,
		);
		expect(() => readBlob(new Uint8Array([0x02, 0x00, ...object, 0]))).toThrow(
			MalformedCiphertextError,
		);
		const v1 = Uint8Array.from(object);
		v1[0] = 1;
		expect(() => parseSealObject(v1)).toThrow(/version 1/);
		expect(() => readBlob(new Uint8Array([0x02]))).toThrow(TruncatedInputError);
	});

	it('an envelope header that disagrees with its sealed key is rejected', () => {
		const blob = encodeEnvelopeHeader(
			headerFromSealedKey(sealObjectBytes('0102'), 4096),
			new Uint8Array(32),
		);
		blob[3] = 2; // threshold byte
		expect(() => readBlob(blob)).toThrow(/disagrees with its sealed key/);
	});
});

describe('unknown tags', () => {
	it('any other first byte without a key → UnknownFormatTagError carrying the tag', () => {
		try {
			readBlob(new Uint8Array([0x7f, 1, 2, 3]));
			expect.unreachable();
		} catch (error) {
			expect(error).toBeInstanceOf(UnknownFormatTagError);
			expect((error as UnknownFormatTagError).tag).toBe(0x7f);
		}
	});
});
