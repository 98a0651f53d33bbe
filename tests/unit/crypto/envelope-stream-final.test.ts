// Version-2 decryption deciphers a chunk's bytes as they arrive and recovers the final (short)
// chunk afterwards: every final-chunk length, every piece size, and a tamper anywhere in the
// final chunk is refused without releasing its plaintext.
import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { collectBytes, decryptChunks, encryptChunks } from '../../../ts/crypto/node/envelope-stream.js';
import { DecryptionFailedError, TruncatedInputError } from '../../../ts/crypto/errors.js';

const key = new Uint8Array(randomBytes(32));
const aad = new Uint8Array([1, 2, 3]);
const CHUNK = 64;

function* split(bytes: Uint8Array, size: number): Generator<Uint8Array> {
	for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function sealed(plain: Uint8Array): Promise<Uint8Array> {
	return collectBytes(encryptChunks(key, CHUNK, plain, { aad }));
}

describe('version-2 final chunk', () => {
	it('every final-chunk length 0..chunkSize-1 round-trips in pieces of 1, 5, 16, 17 and 80 bytes', async () => {
		for (let length = 2 * CHUNK; length < 3 * CHUNK; length++) {
			const plain = new Uint8Array(randomBytes(length));
			const data = await sealed(plain);
			for (const size of [1, 5, 16, 17, 80, data.length]) {
				const out = await collectBytes(decryptChunks(key, CHUNK, split(data, size), { aad }));
				expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true);
			}
		}
	});

	it('a flipped bit anywhere in the final chunk fails it and releases none of its plaintext', async () => {
		for (const finalLength of [0, 1, CHUNK - 17, CHUNK - 16, CHUNK - 1]) {
			const plain = new Uint8Array(randomBytes(CHUNK + finalLength));
			const data = await sealed(plain);
			for (let at = CHUNK + 16; at < data.length; at++) {
				const bad = Uint8Array.from(data);
				bad[at] = (bad[at] as number) ^ 0x01;
				const released: Uint8Array[] = [];
				let error: unknown;
				try {
					for await (const out of decryptChunks(key, CHUNK, split(bad, 7), { aad })) {
						released.push(out);
					}
				} catch (caught) {
					error = caught;
				}
				expect(error).toBeInstanceOf(DecryptionFailedError);
				// At most the verified first chunk (the staging layer may hold it back too).
				expect(released.reduce((n, part) => n + part.length, 0)).toBeLessThanOrEqual(CHUNK);
			}
		}
	});

	it('a final chunk cut to fewer than 16 bytes is truncation; dropping it too', async () => {
		const data = await sealed(new Uint8Array(randomBytes(CHUNK + 10)));
		await expect(
			collectBytes(decryptChunks(key, CHUNK, data.subarray(0, CHUNK + 16 + 15), { aad })),
		).rejects.toThrow(TruncatedInputError);
		await expect(
			collectBytes(decryptChunks(key, CHUNK, data.subarray(0, CHUNK + 16), { aad })),
		).rejects.toThrow(/without its final chunk/);
	});

	it('the speculatively deciphered tag bytes are zeroed, not left behind the released plaintext', async () => {
		for (const finalLength of [1, 10, CHUNK - 1]) {
			const plain = new Uint8Array(randomBytes(CHUNK + finalLength));
			const data = await sealed(plain);
			// One piece: the final chunk's plaintext and its 16 speculative bytes share one buffer.
			const parts: Uint8Array[] = [];
			for await (const out of decryptChunks(key, CHUNK, data, { aad })) parts.push(out);
			const last = parts.at(-1) as Uint8Array;
			expect(Buffer.concat(parts).equals(Buffer.from(plain))).toBe(true);
			// Deciphered speculatively: the final chunk's bytes up to `CHUNK` (the rest is the tag).
			const cut = Math.min(finalLength + 16, CHUNK) - finalLength;
			const after = new Uint8Array(last.buffer, last.byteOffset + last.length, cut);
			expect([...after]).toEqual(new Array(cut).fill(0));
		}
	});

	it('the tag compared for the final chunk is its last 16 bytes, however the pieces fall', async () => {
		const plain = new Uint8Array(randomBytes(CHUNK + 20));
		const data = await sealed(plain);
		for (const size of [1, 3, 15, 16, 17, 31, 33]) {
			// Swap the final chunk's tag for the full chunk's: right length, wrong tag.
			const bad = Uint8Array.from(data);
			bad.set(data.subarray(CHUNK, CHUNK + 16), data.length - 16);
			await expect(
				collectBytes(decryptChunks(key, CHUNK, split(bad, size), { aad })),
			).rejects.toThrow(DecryptionFailedError);
			const out = await collectBytes(decryptChunks(key, CHUNK, split(data, size), { aad }));
			expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true);
		}
	});
});
