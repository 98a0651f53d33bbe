/**
 * Plaintext of a chunk that fails (authentication or truncation) is never released, and the
 * deciphered bytes held for it are zeroed rather than left for the garbage collector. The
 * decipher is wrapped (node:crypto mocked for this file only) to see every buffer it returned.
 */
import { randomBytes } from 'node:crypto';

import { describe, expect, it, vi } from 'vitest';

const deciphered: Uint8Array[] = [];

vi.mock('node:crypto', async (importOriginal) => {
	const real = await importOriginal<typeof import('node:crypto')>();
	return {
		...real,
		createDecipheriv: (...args: Parameters<typeof real.createDecipheriv>) => {
			const decipher = real.createDecipheriv(...args);
			const update = decipher.update.bind(decipher) as (data: Uint8Array) => Buffer;
			Object.assign(decipher, {
				update: (data: Uint8Array) => {
					const out = update(data);
					deciphered.push(out);
					return out;
				},
			});
			return decipher;
		},
	};
});

const { collectBytes, decryptChunks, encryptChunks } =
	await import('../../../ts/crypto/node/envelope-stream.js');
const { DecryptionFailedError, TruncatedInputError } = await import('../../../ts/crypto/errors.js');
const { encryptChunksV1 } = await import('../../support/envelope-v1.js');

const key = new Uint8Array(randomBytes(32));
const aad = new Uint8Array([5]);
const CHUNK = 64;
const UNIT = CHUNK + 16;

/** Decrypts; returns the error and the deciphered buffers of this run that were not released. */
async function run(data: Uint8Array, version: 1 | 2 = 2) {
	deciphered.length = 0;
	const released: Uint8Array[] = [];
	let error: unknown;
	try {
		const options = version === 1 ? { version: 1 as const } : { aad };
		for await (const out of decryptChunks(key, CHUNK, data, options)) released.push(out);
	} catch (caught) {
		error = caught;
	}
	const kept = deciphered.filter(
		(buffer) => buffer.length > 0 && !released.some((out) => out.buffer === buffer.buffer),
	);
	return { error, kept, released };
}

const allZero = (buffers: Uint8Array[]) => buffers.every((b) => b.every((byte) => byte === 0));

describe('failed chunks leave no plaintext behind (version 2)', () => {
	it('a modified full chunk', async () => {
		const data = await collectBytes(
			encryptChunks(key, CHUNK, new Uint8Array(randomBytes(3 * CHUNK)), { aad }),
		);
		data[CHUNK + 2] = (data[CHUNK + 2] as number) ^ 1; // chunk 0's tag (the only chunk deciphered: all its bytes must be gone)
		const { error, kept } = await run(data);
		expect(error).toBeInstanceOf(DecryptionFailedError);
		expect(kept).toHaveLength(1);
		expect(allZero(kept)).toBe(true);
	});

	it('a chunk verified in the same piece as a failing one is zeroed too', async () => {
		const data = await collectBytes(
			encryptChunks(key, CHUNK, new Uint8Array(randomBytes(3 * CHUNK)), { aad }),
		);
		data[UNIT + 3] = (data[UNIT + 3] as number) ^ 1; // chunk 1; chunk 0 verifies first
		const { error, kept, released } = await run(data);
		expect(error).toBeInstanceOf(DecryptionFailedError);
		expect(released).toHaveLength(0);
		expect(kept.map((buffer) => buffer.length)).toEqual([CHUNK, CHUNK]);
		expect(allZero(kept)).toBe(true);
	});

	it('a modified final chunk', async () => {
		const data = await collectBytes(
			encryptChunks(key, CHUNK, new Uint8Array(randomBytes(40)), { aad }),
		);
		data[data.length - 30] = (data[data.length - 30] as number) ^ 1;
		const { error, kept } = await run(data);
		expect(error).toBeInstanceOf(DecryptionFailedError);
		expect(kept).toHaveLength(1);
		expect(allZero(kept)).toBe(true);
	});

	it('a final chunk cut below its tag length', async () => {
		const data = await collectBytes(
			encryptChunks(key, CHUNK, new Uint8Array(randomBytes(40)), { aad }),
		);
		const { error, kept } = await run(data.subarray(0, 10));
		expect(error).toBeInstanceOf(TruncatedInputError);
		expect(kept).toHaveLength(1);
		expect(allZero(kept)).toBe(true);
	});
});

describe('failed chunks leave no plaintext behind (version 1)', () => {
	it('a modified chunk, and a complete chunk that verifies only as a middle one', async () => {
		const plain = new Uint8Array(randomBytes(2 * CHUNK));
		const data = encryptChunksV1(key, CHUNK, plain);
		const bad = Uint8Array.from(data);
		bad[5] = (bad[5] as number) ^ 1;
		const modified = await run(bad, 1);
		expect(modified.error).toBeInstanceOf(DecryptionFailedError);
		expect(modified.kept).toHaveLength(1);
		expect(allZero(modified.kept)).toBe(true);
		// Final chunk dropped: chunk 0 fails as final, deciphers as a middle chunk; both zeroed.
		const dropped = await run(data.subarray(0, UNIT), 1);
		expect(dropped.error).toBeInstanceOf(TruncatedInputError);
		expect(dropped.kept.map((buffer) => buffer.length)).toEqual([CHUNK, CHUNK]);
		expect(allZero(dropped.kept)).toBe(true);
	});

	it('a chunk verified in the same piece as a failing one is zeroed too', async () => {
		const data = encryptChunksV1(key, CHUNK, new Uint8Array(randomBytes(3 * CHUNK)));
		data[UNIT + 3] = (data[UNIT + 3] as number) ^ 1; // chunk 1; chunk 0 verifies first
		const { error, kept, released } = await run(data, 1);
		expect(error).toBeInstanceOf(DecryptionFailedError);
		expect(released).toHaveLength(0);
		expect(kept.map((buffer) => buffer.length)).toEqual([CHUNK, CHUNK]);
		expect(allZero(kept)).toBe(true);
	});
});
