/**
 * The envelope header's checks, one test per check so that deleting or inverting any of them
 * fails a test (issue 13, mutation targets): agreement of every header field with the sealed
 * key, the server-count and length bounds, the version-2 MAC and chunk AAD, version-1 data read
 * against data written by the v1 code (tests/fixtures/envelope-v1-chunks.json).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { EncryptedObject } from '@mysten/seal';
import { describe, expect, it } from 'vitest';

import {
	chunkAad,
	decodeEnvelopeHeader,
	encodeEnvelopeHeader,
	envelopeHeaderLength,
	headerFromSealedKey,
	MAX_SEALED_KEY_LENGTH,
	verifyEnvelopeHeader,
	type EnvelopeHeader,
} from '../../../ts/crypto/envelope-header.js';
import { collectBytes, decryptChunks, encryptChunks } from '../../../ts/crypto/node/envelope-stream.js';
import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError } from '../../../ts/crypto/errors.js';
import { toHex } from '../../../ts/identity.js';
import { encryptChunksV1 } from '../../support/envelope-v1.js';

const A = `0x${'a1'.repeat(32)}`;
const B = `0x${'b2'.repeat(32)}`;
const key = new Uint8Array(randomBytes(32));

function sealedKey(servers: [string, number][], threshold: number, id = 'c0ffee'): Uint8Array {
	return EncryptedObject.serialize({
		version: 0,
		packageId: `0x${'5e'.repeat(32)}`,
		id,
		services: servers,
		threshold,
		encryptedShares: {
			BonehFranklinBLS12381: {
				nonce: randomBytes(96),
				encryptedShares: servers.map(() => randomBytes(32)),
				encryptedRandomness: randomBytes(32),
			},
		},
		ciphertext: { Aes256Gcm: { blob: randomBytes(48), aad: new Uint8Array() } },
	}).toBytes();
}

// Two servers (A twice, B once) 2-of-3; inner id 'c0ffee' (3 bytes).
const header = headerFromSealedKey(
	sealedKey(
		[
			[A, 1],
			[A, 2],
			[B, 3],
		],
		2,
	),
	4096,
);
const bytes = encodeEnvelopeHeader(header, key);
const SERVERS_AT = 5;
const PACKAGE_AT = SERVERS_AT + 2 * 33;
const INNER_AT = PACKAGE_AT + 32 + 2;
const CHUNK_AT = INNER_AT + 3;

function flipped(at: number): Uint8Array {
	const copy = Uint8Array.from(bytes);
	copy[at] = (copy[at] as number) ^ 0x01;
	return copy;
}

describe('the header must agree with its sealed key, field by field', () => {
	it('the untouched header decodes to what was encoded', () => {
		const { header: decoded, length } = decodeEnvelopeHeader(bytes);
		expect(decoded).toEqual(header);
		expect(length).toBe(bytes.length);
	});

	for (const [field, at] of [
		['threshold', 3],
		['first server id', SERVERS_AT],
		['first server weight', SERVERS_AT + 32],
		['second server id', SERVERS_AT + 33 + 31],
		['package id', PACKAGE_AT],
		['package id (last byte)', PACKAGE_AT + 31],
		['inner id', INNER_AT],
		['inner id (last byte)', INNER_AT + 2],
	] as const) {
		it(`a changed ${field} is refused before any key request`, () => {
			expect(() => decodeEnvelopeHeader(flipped(at))).toThrow(MalformedCiphertextError);
			expect(() => decodeEnvelopeHeader(flipped(at))).toThrow(/disagrees with its sealed key/);
		});
	}

	it('a header listing one server more than its sealed key is refused', () => {
		const one = encodeEnvelopeHeader(headerFromSealedKey(sealedKey([[A, 1]], 1), 4096), key);
		const extra = new Uint8Array(one.length + 33);
		extra.set(one.subarray(0, 5 + 33));
		extra.set(bytes.subarray(SERVERS_AT + 33, SERVERS_AT + 66), 5 + 33); // B, weight 1
		extra.set(one.subarray(5 + 33), 5 + 66);
		extra[4] = 2;
		expect(() => decodeEnvelopeHeader(extra)).toThrow(/disagrees/);
	});

	it('servers are compared in order and with their weights', () => {
		const swapped = Uint8Array.from(bytes);
		swapped.set(bytes.subarray(SERVERS_AT + 33, SERVERS_AT + 66), SERVERS_AT);
		swapped.set(bytes.subarray(SERVERS_AT, SERVERS_AT + 33), SERVERS_AT + 33);
		expect(() => decodeEnvelopeHeader(swapped)).toThrow(/disagrees/);
	});
});

describe('bounds', () => {
	const fake = (count: number): EnvelopeHeader => ({
		...header,
		servers: Array.from({ length: count }, () => ({ objectId: A, weight: 1 })),
	});

	it('an envelope header lists 1 to 255 key servers', () => {
		expect(() => encodeEnvelopeHeader(fake(0), key)).toThrow(/1 to 255 key servers/);
		expect(() => encodeEnvelopeHeader(fake(256), key)).toThrow(/1 to 255 key servers/);
		expect(encodeEnvelopeHeader(fake(1), key)[4]).toBe(1);
		expect(encodeEnvelopeHeader(fake(255), key)[4]).toBe(255);
		const none = Uint8Array.from(bytes);
		none[4] = 0;
		expect(() => envelopeHeaderLength(none)).toThrow(/no key servers/);
	});

	it('inner id and sealed key must fit their length fields', () => {
		expect(() =>
			encodeEnvelopeHeader({ ...header, innerId: new Uint8Array(0x10000) }, key),
		).toThrow(/too long/);
		expect(encodeEnvelopeHeader({ ...header, innerId: new Uint8Array(0xffff) }, key).length).toBe(
			bytes.length + 0xffff - 3,
		);
		expect(() =>
			encodeEnvelopeHeader(
				{ ...header, sealedKey: new Uint8Array(MAX_SEALED_KEY_LENGTH + 1) },
				key,
			),
		).toThrow(/too long/);
		expect(() => headerFromSealedKey(new Uint8Array(MAX_SEALED_KEY_LENGTH + 1), 4096)).toThrow(
			/over the limit/,
		);
	});

	it('the declared sealed-key length is 1..64 KiB; tag and version are checked from the prefix', () => {
		const at = CHUNK_AT + 4;
		for (const length of [0, MAX_SEALED_KEY_LENGTH + 1]) {
			const bad = Uint8Array.from(bytes);
			new DataView(bad.buffer).setUint32(at, length);
			expect(() => envelopeHeaderLength(bad)).toThrow(/sealed key length/);
		}
		expect(() => envelopeHeaderLength(new Uint8Array([2, 0, 2, 1, 1]))).toThrow(/02 01/);
		expect(() => envelopeHeaderLength(new Uint8Array([3, 1, 2, 1, 1]))).toThrow(/02 01/);
		expect(() => envelopeHeaderLength(new Uint8Array([2, 1, 3, 1, 1]))).toThrow(/version 3/);
		expect(() => envelopeHeaderLength(new Uint8Array([2, 1, 0, 1, 1]))).toThrow(/version 0/);
		expect(envelopeHeaderLength(new Uint8Array([2, 1, 2, 1, 1]))).toEqual({ need: 5 + 33 + 34 });
		expect(envelopeHeaderLength(bytes.subarray(0, CHUNK_AT))).toEqual({ need: CHUNK_AT + 8 });
		expect(() => decodeEnvelopeHeader(bytes.subarray(0, bytes.length - 1))).toThrow(
			TruncatedInputError,
		);
	});

	it('exact limits are inclusive; encoding checks version and chunk size too', () => {
		expect(() => headerFromSealedKey(new Uint8Array(MAX_SEALED_KEY_LENGTH), 4096)).not.toThrow(
			/over the limit/,
		);
		expect(
			encodeEnvelopeHeader({ ...header, sealedKey: new Uint8Array(MAX_SEALED_KEY_LENGTH) }, key)
				.length,
		).toBe(bytes.length - header.sealedKey.length + MAX_SEALED_KEY_LENGTH);
		const at = CHUNK_AT + 4;
		const max = Uint8Array.from(bytes);
		new DataView(max.buffer).setUint32(at, MAX_SEALED_KEY_LENGTH);
		expect(envelopeHeaderLength(max)).toEqual({ length: at + 4 + MAX_SEALED_KEY_LENGTH + 32 });
		expect(() => encodeEnvelopeHeader({ ...header, version: 3 }, key)).toThrow(/version 3/);
		expect(() => encodeEnvelopeHeader({ ...header, chunkSize: 63 }, key)).toThrow(/chunk size 63/);
		expect(envelopeHeaderLength(bytes.subarray(0, 10))).toEqual({ need: PACKAGE_AT + 32 + 2 });
		// A 4-byte length with its top byte set is read as such (16 MiB + 64), not truncated.
		const v1 = encodeEnvelopeHeader({ ...header, version: 1 });
		new DataView(v1.buffer).setUint32(CHUNK_AT, 16 * 1024 * 1024 + 64);
		expect(() => decodeEnvelopeHeader(v1)).toThrow(/chunk size 16777280 is outside/);
	});

	it('chunk sizes: v2 64 B..4 MiB, v1 up to 16 MiB', () => {
		expect(() => headerFromSealedKey(header.sealedKey, 63)).toThrow(/chunk size 63/);
		expect(() => headerFromSealedKey(header.sealedKey, 4 * 1024 * 1024 + 1)).toThrow(/chunk size/);
		expect(headerFromSealedKey(header.sealedKey, 4 * 1024 * 1024).chunkSize).toBe(4 * 1024 * 1024);
		expect(headerFromSealedKey(header.sealedKey, 64).chunkSize).toBe(64);
		// The decoder's own check at the lower bound: 64 decodes, 63 is refused.
		const smallest = encodeEnvelopeHeader({ ...header, chunkSize: 64 }, key);
		expect(decodeEnvelopeHeader(smallest).header.chunkSize).toBe(64);
		const v1 = encodeEnvelopeHeader({ ...header, version: 1, chunkSize: 64 });
		new DataView(v1.buffer).setUint32(CHUNK_AT, 63);
		expect(() => decodeEnvelopeHeader(v1)).toThrow(/chunk size 63 is outside/);
		expect(headerFromSealedKey(header.sealedKey, 16 * 1024 * 1024, 1).version).toBe(1);
		expect(() => headerFromSealedKey(header.sealedKey, 16 * 1024 * 1024 + 1, 1)).toThrow(
			/chunk size/,
		);
		expect(() => headerFromSealedKey(header.sealedKey, 4096, 3)).toThrow(/version 3/);
	});
});

describe('version 2 authenticates the whole header', () => {
	it('the MAC verifies with the data key and fails for any changed byte or another key', () => {
		expect(() => verifyEnvelopeHeader(bytes, key)).not.toThrow();
		for (const at of [0, 2, 3, CHUNK_AT, CHUNK_AT + 3, bytes.length - 33, bytes.length - 1]) {
			expect(() => verifyEnvelopeHeader(flipped(at), key), `byte ${at}`).toThrow(
				DecryptionFailedError,
			);
		}
		expect(() => verifyEnvelopeHeader(bytes, new Uint8Array(32))).toThrow(/header failed/);
		expect(() => encodeEnvelopeHeader(header)).toThrow(/needs the data key/);
		expect(() => verifyEnvelopeHeader(new Uint8Array([2, 1, 2]), key)).toThrow(TruncatedInputError);
	});

	it('version 1 headers carry no MAC and are not checked', () => {
		const v1 = encodeEnvelopeHeader({ ...header, version: 1 });
		expect(v1.length).toBe(bytes.length - 32);
		expect(v1[2]).toBe(1);
		expect(() => verifyEnvelopeHeader(v1, new Uint8Array(32))).not.toThrow();
		expect(decodeEnvelopeHeader(v1).header.version).toBe(1);
	});

	it('the chunk AAD binds version, chunk size, package and inner id', () => {
		const base = toHex(chunkAad(header));
		expect(toHex(chunkAad({ ...header, chunkSize: 8192 }))).not.toBe(base);
		expect(toHex(chunkAad({ ...header, version: 3 }))).not.toBe(base);
		expect(toHex(chunkAad({ ...header, packageId: `0x${'5f'.repeat(32)}` }))).not.toBe(base);
		expect(toHex(chunkAad({ ...header, innerId: Uint8Array.from([0xc0, 0xff, 0xef]) }))).not.toBe(
			base,
		);
		// A rewrap changes servers, threshold and sealed key only: the AAD stays.
		expect(toHex(chunkAad({ ...header, threshold: 3, servers: [] }))).toBe(base);
	});

	it('chunks written under one header do not decrypt under another binding', async () => {
		const data = await collectBytes(
			encryptChunks(key, 4096, new Uint8Array(100), { aad: chunkAad(header) }),
		);
		await expect(
			collectBytes(
				decryptChunks(key, 4096, data, { aad: chunkAad({ ...header, chunkSize: 8192 }) }),
			),
		).rejects.toThrow(DecryptionFailedError);
		expect(
			(await collectBytes(decryptChunks(key, 4096, data, { aad: chunkAad(header) }))).length,
		).toBe(100);
	});
});

describe('version-1 data sections stay readable', () => {
	const fixture = JSON.parse(
		readFileSync(new URL('../../fixtures/envelope-v1-chunks.json', import.meta.url), 'utf8'),
	) as { key: string; chunkSize: number; cases: { size: number; ciphertext: string }[] };
	const fixtureKey = Buffer.from(fixture.key, 'hex');

	for (const { size, ciphertext } of fixture.cases) {
		it(`${size} bytes written by the v1 code decrypt; the test writer reproduces them`, async () => {
			const expected = Uint8Array.from({ length: size }, (_, i) => (i * 7) % 256);
			const data = Buffer.from(ciphertext, 'hex');
			const plain = await collectBytes(
				decryptChunks(fixtureKey, fixture.chunkSize, data, { version: 1 }),
			);
			expect(toHex(plain)).toBe(toHex(expected));
			expect(toHex(encryptChunksV1(fixtureKey, fixture.chunkSize, expected))).toBe(ciphertext);
			// Read as version 2 the same bytes fail: the version is part of the data's meaning.
			await expect(
				collectBytes(decryptChunks(fixtureKey, fixture.chunkSize, data)),
			).rejects.toThrow();
		});
	}

	it('v1 truncation at a chunk boundary and tampering are still detected', async () => {
		const data = Buffer.from(fixture.cases.at(-1)?.ciphertext ?? '', 'hex'); // 200 bytes, 4 chunks
		const unit = fixture.chunkSize + 16;
		await expect(
			collectBytes(decryptChunks(fixtureKey, 64, data.subarray(0, 2 * unit), { version: 1 })),
		).rejects.toThrow(/without its final chunk/);
		const bad = Uint8Array.from(data);
		bad[unit + 3] = (bad[unit + 3] as number) ^ 1;
		await expect(collectBytes(decryptChunks(fixtureKey, 64, bad, { version: 1 }))).rejects.toThrow(
			DecryptionFailedError,
		);
		await expect(
			collectBytes(decryptChunks(fixtureKey, 64, new Uint8Array(), { version: 1 })),
		).rejects.toThrow(/no data section/);
	});
});
