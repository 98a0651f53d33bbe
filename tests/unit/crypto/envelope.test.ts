/**
 * Envelope pieces that need no key server: the header codec and the chunked data path
 * (order, truncation and tamper detection, streaming inputs). Seal round trips and rewrap run in
 * tests/protocol/core-envelope.test.ts against real key servers.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { EncryptedObject } from '@mysten/seal';
import { describe, expect, it } from 'vitest';

import {
	decodeEnvelopeHeader,
	encodeEnvelopeHeader,
	envelopeHeaderLength,
	headerFromSealedKey,
} from '../../../ts/crypto/envelope-header.js';
import { collectBytes, decryptChunks, encryptChunks } from '../../../ts/crypto/node/envelope-stream.js';
import { readEnvelopeHeader } from '../../../ts/crypto/node/envelope.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError } from '../../../ts/crypto/errors.js';
import { concatBytes } from '../../../ts/crypto/node/format.js';
import { toHex } from '../../../ts/identity.js';

const CHUNK = 64;
const TAG = 16;
const key = new Uint8Array(randomBytes(32));

function sealedKeyBytes(servers: [string, number][], threshold: number, id = 'c0ffee'): Uint8Array {
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

async function encrypt(plaintext: Uint8Array, chunk = CHUNK) {
	return collectBytes(encryptChunks(key, chunk, plaintext));
}

async function decrypt(ciphertext: Uint8Array | Iterable<Uint8Array>, chunk = CHUNK) {
	return collectBytes(decryptChunks(key, chunk, ciphertext));
}

/** Splits `bytes` into pieces of random sizes (1..max). */
function splitRandomly(bytes: Uint8Array, max: number): Uint8Array[] {
	const pieces: Uint8Array[] = [];
	for (let at = 0; at < bytes.length;) {
		const size = 1 + Math.floor(Math.random() * max);
		pieces.push(bytes.subarray(at, at + size));
		at += size;
	}
	return pieces;
}

describe('data chunks', () => {
	for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7]) {
		it(`${size} bytes: round trip; one 16-byte tag per chunk`, async () => {
			const plaintext = new Uint8Array(randomBytes(size));
			const ciphertext = await encrypt(plaintext);
			// Version 2: full chunks, then a last one of 0..CHUNK-1 bytes (possibly empty).
			const chunks = Math.floor(size / CHUNK) + 1;
			expect(ciphertext.length).toBe(size + chunks * TAG);
			expect(Buffer.from(await decrypt(ciphertext)).equals(plaintext)).toBe(true);
		});
	}

	it('accepts any piece sizes, Readables and async iterables on both sides', async () => {
		const plaintext = new Uint8Array(randomBytes(10 * CHUNK + 13));
		const ciphertext = await collectBytes(
			encryptChunks(key, CHUNK, Readable.from(splitRandomly(plaintext, 150))),
		);
		expect(toHex(ciphertext)).not.toBe('');
		async function* slowly() {
			for (const piece of splitRandomly(ciphertext, 40)) yield piece;
		}
		expect(
			Buffer.from(await collectBytes(decryptChunks(key, CHUNK, slowly()))).equals(plaintext),
		).toBe(true);
	});

	it('rejects string pieces with InvalidInputError', async () => {
		await expect(
			collectBytes(encryptChunks(key, CHUNK, Readable.from(['text'], { objectMode: true }))),
		).rejects.toThrow(InvalidInputError);
	});

	it('a flipped bit anywhere → DecryptionFailedError', async () => {
		const ciphertext = await encrypt(new Uint8Array(randomBytes(3 * CHUNK)));
		for (const at of [0, CHUNK, CHUNK + TAG + 5, ciphertext.length - TAG, ciphertext.length - 1]) {
			const bad = Uint8Array.from(ciphertext);
			bad[at] = (bad[at] as number) ^ 1;
			await expect(decrypt(bad)).rejects.toThrow(DecryptionFailedError);
		}
	});

	it('swapped chunks → DecryptionFailedError (index is authenticated)', async () => {
		const ciphertext = await encrypt(new Uint8Array(randomBytes(3 * CHUNK + 5)));
		const unit = CHUNK + TAG;
		const swapped = concatBytes([
			ciphertext.subarray(unit, 2 * unit),
			ciphertext.subarray(0, unit),
			ciphertext.subarray(2 * unit),
		]);
		await expect(decrypt(swapped)).rejects.toThrow(DecryptionFailedError);
	});

	it('dropping the final chunk → TruncatedInputError; cutting mid-chunk → typed error', async () => {
		const ciphertext = await encrypt(new Uint8Array(randomBytes(3 * CHUNK + 5)));
		const unit = CHUNK + TAG;
		await expect(decrypt(ciphertext.subarray(0, 3 * unit))).rejects.toThrow(TruncatedInputError);
		await expect(decrypt(ciphertext.subarray(0, unit))).rejects.toThrow(/without its final chunk/);
		await expect(decrypt(ciphertext.subarray(0, unit + 9))).rejects.toThrow(TruncatedInputError);
		await expect(decrypt(ciphertext.subarray(0, unit + 30))).rejects.toThrow(DecryptionFailedError);
		// A plaintext of whole chunks ends with an empty final chunk; dropping it is truncation.
		const whole = await encrypt(new Uint8Array(randomBytes(2 * CHUNK)));
		expect(whole.length).toBe(2 * unit + TAG);
		await expect(decrypt(whole.subarray(0, 2 * unit))).rejects.toThrow(/without its final chunk/);
		await expect(decrypt(new Uint8Array())).rejects.toThrow(TruncatedInputError);
	});

	it('appending data after the final chunk → typed error', async () => {
		const ciphertext = await encrypt(new Uint8Array(randomBytes(CHUNK + 5)));
		const extended = concatBytes([ciphertext, ciphertext.subarray(0, CHUNK + TAG)]);
		await expect(decrypt(extended)).rejects.toThrow(DecryptionFailedError);
	});

	it('a wrong key → DecryptionFailedError and no plaintext is released', async () => {
		const ciphertext = await encrypt(new Uint8Array(randomBytes(2 * CHUNK)));
		const released: Uint8Array[] = [];
		await expect(
			(async () => {
				for await (const piece of decryptChunks(new Uint8Array(32), CHUNK, ciphertext)) {
					released.push(piece);
				}
			})(),
		).rejects.toThrow(DecryptionFailedError);
		expect(released).toEqual([]);
	});

	it('memory stays bounded: 64 MiB streams through with < 48 MiB heap+buffers growth', async () => {
		const block = new Uint8Array(randomBytes(1 << 20));
		function* source() {
			for (let i = 0; i < 64 * 4; i++) yield block.subarray((i % 4) << 18, ((i % 4) + 1) << 18);
		}
		// Sample live memory only: collect garbage first, or GC lag on a busy machine looks like growth.
		setFlagsFromString('--expose_gc');
		const gc = runInNewContext('gc') as () => void;
		gc();
		const before = process.memoryUsage();
		let peak = 0;
		let bytes = 0;
		let pieces = 0;
		for await (const piece of encryptChunks(key, 1 << 20, source())) {
			bytes += piece.length;
			if (++pieces % 16 !== 0) continue;
			gc();
			const now = process.memoryUsage();
			peak = Math.max(
				peak,
				now.heapUsed + now.arrayBuffers - (before.heapUsed + before.arrayBuffers),
			);
		}
		expect(bytes).toBeGreaterThan(64 << 20);
		expect(peak).toBeLessThan(48 << 20);
	});
});

describe('header', () => {
	const A = `0x${'a1'.repeat(32)}`;
	const B = `0x${'b2'.repeat(32)}`;

	it('servers and weights come from the sealed key, in order', () => {
		const header = headerFromSealedKey(
			sealedKeyBytes(
				[
					[A, 1],
					[A, 2],
					[B, 3],
				],
				2,
			),
			4096,
		);
		expect(header.servers).toEqual([
			{ objectId: A, weight: 2 },
			{ objectId: B, weight: 1 },
		]);
		expect(header.threshold).toBe(2);
		expect(toHex(header.identity)).toBe(`${'5e'.repeat(32)}c0ffee`);
	});

	it('encode → decode round trip; length is known from a prefix', () => {
		const header = headerFromSealedKey(sealedKeyBytes([[A, 1]], 1), 1 << 20);
		const bytes = encodeEnvelopeHeader(header, key);
		const { header: decoded, length } = decodeEnvelopeHeader(
			concatBytes([bytes, new Uint8Array(9)]),
		);
		expect(length).toBe(bytes.length);
		expect(decoded).toEqual(header);
		expect(envelopeHeaderLength(bytes.subarray(0, 3))).toEqual({ need: 5 });
		expect(envelopeHeaderLength(bytes)).toEqual({ length: bytes.length });
	});

	it('readEnvelopeHeader takes exactly the header from a stream and hands on the rest', async () => {
		const header = encodeEnvelopeHeader(
			headerFromSealedKey(sealedKeyBytes([[A, 1]], 1), CHUNK),
			key,
		);
		const data = await encrypt(new Uint8Array(randomBytes(200)));
		const all = concatBytes([header, data]);
		const opened = await readEnvelopeHeader(Readable.from(splitRandomly(all, 17)));
		expect(toHex(opened.headerBytes)).toBe(toHex(header));
		expect(toHex(await collectBytes(opened.body))).toBe(toHex(data));
	});

	it('tampered or cut headers → MalformedCiphertextError / TruncatedInputError', async () => {
		const bytes = encodeEnvelopeHeader(
			headerFromSealedKey(sealedKeyBytes([[A, 1]], 1), CHUNK),
			key,
		);
		await expect(readEnvelopeHeader(bytes.subarray(0, bytes.length - 1))).rejects.toThrow(
			TruncatedInputError,
		);
		const otherServer = Uint8Array.from(bytes);
		otherServer[5] = (otherServer[5] as number) ^ 0xff; // first byte of the server id
		expect(() => decodeEnvelopeHeader(otherServer)).toThrow(MalformedCiphertextError);
		const version = Uint8Array.from(bytes);
		version[2] = 9;
		expect(() => decodeEnvelopeHeader(version)).toThrow(/version 9/);
		const chunk = Uint8Array.from(bytes);
		const at = 5 + 33 + 32 + 2 + 3; // innerId 'c0ffee' is 3 bytes
		chunk.set([0, 0, 0, 1], at);
		expect(() => decodeEnvelopeHeader(chunk)).toThrow(/chunk size 1/);
	});
});
