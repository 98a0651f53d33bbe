/**
 * How pieces reach the chunk ciphers. Pieces under 64 KiB are staged into one buffer, so tests
 * that split a small envelope into tiny pieces hand the ciphers a single piece; here pieces of
 * 64 KiB or more (passed straight on) put the cipher-level piece boundaries anywhere: inside a
 * chunk, inside a full chunk's tag, inside the final chunk's tag, in two or three places. Also the
 * staging contract itself (held-back bytes, release at 64 KiB, few outputs for tiny pieces) and
 * version-1 reading with its own piece handling.
 */
import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
	collectBytes,
	decryptChunks,
	encryptChunks,
	pieces,
	STAGE_SIZE,
} from '../../../ts/crypto/node/envelope-stream.js';
import { DecryptionFailedError, TruncatedInputError } from '../../../ts/crypto/errors.js';
import { encryptChunksV1 } from '../../support/envelope-v1.js';

const key = new Uint8Array(randomBytes(32));
const aad = new Uint8Array([7, 7]);
const TAG = 16;

/** `bytes` cut at `cuts` (ascending). */
function cut(bytes: Uint8Array, ...cuts: number[]): Uint8Array[] {
	const out: Uint8Array[] = [];
	let from = 0;
	for (const at of [...cuts, bytes.length]) {
		out.push(bytes.subarray(from, at));
		from = at;
	}
	return out;
}

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('version 2: cipher-level piece boundaries anywhere', () => {
	const CHUNK = 1024;
	const UNIT = CHUNK + TAG;
	/** Cut offsets near both ends of the span [from, to). */
	const ends = (from: number, to: number, near: number) => {
		const offsets = new Set<number>();
		for (let at = from - 2; at < Math.min(to, from + near); at++) offsets.add(at);
		for (let at = Math.max(from, to - near); at < to; at++) offsets.add(at);
		return [...offsets];
	};

	it('two pieces cut near the edges of a full chunk, its tag and the final chunk', async () => {
		for (const finalLength of [0, 1, 20, CHUNK - 1]) {
			// More than 64 KiB of full chunks, so the first piece passes the staging buffer.
			const plain = new Uint8Array(randomBytes(70 * CHUNK + finalLength));
			const data = await collectBytes(encryptChunks(key, CHUNK, plain, { aad }));
			const offsets = [
				...ends(66 * UNIT, 67 * UNIT, 24),
				...ends(70 * UNIT, data.length, 40),
			].filter((at) => at > STAGE_SIZE && at < data.length);
			for (const at of offsets) {
				const out = await collectBytes(decryptChunks(key, CHUNK, cut(data, at), { aad }));
				expect(equal(out, plain), `cut at ${at}`).toBe(true);
			}
		}
	});

	it('a full chunk tag or the final tag split over three pieces still verifies; a wrong one fails', async () => {
		const plain = new Uint8Array(randomBytes(140 * CHUNK + 30));
		const data = await collectBytes(encryptChunks(key, CHUNK, plain, { aad }));
		// Chunk 66's tag; the middle piece stays small (staged, then flushed alone by the next
		// large piece).
		const tagAt = 66 * UNIT + CHUNK;
		const bad = Uint8Array.from(data);
		bad[tagAt + 7] = (bad[tagAt + 7] as number) ^ 0x80;
		for (let first = tagAt - 3; first < tagAt + TAG; first++) {
			for (const width of [1, 4, 15, 20]) {
				const parts = cut(data, first, first + width);
				const out = await collectBytes(decryptChunks(key, CHUNK, parts, { aad }));
				expect(equal(out, plain), `cuts at ${first}, ${first + width}`).toBe(true);
				await expect(
					collectBytes(decryptChunks(key, CHUNK, cut(bad, first, first + width), { aad })),
				).rejects.toThrow(DecryptionFailedError);
			}
		}
		// The final chunk (30 bytes + tag): the last large piece ends inside it, then a small one.
		const swapped = Uint8Array.from(data);
		swapped.set(data.subarray(CHUNK, UNIT), data.length - TAG);
		for (let first = data.length - 46; first < data.length; first++) {
			const out = await collectBytes(decryptChunks(key, CHUNK, cut(data, first), { aad }));
			expect(equal(out, plain)).toBe(true);
			await expect(
				collectBytes(decryptChunks(key, CHUNK, cut(swapped, first), { aad })),
			).rejects.toThrow(DecryptionFailedError);
		}
	});

	it('chunks larger than the staging buffer: any piece split gives the same ciphertext and plaintext', async () => {
		const chunk = STAGE_SIZE + 4464; // 70000
		const plain = new Uint8Array(randomBytes(3 * chunk + 100));
		const data = await collectBytes(encryptChunks(key, chunk, plain, { aad }));
		expect(data.length).toBe(plain.length + 4 * TAG);
		const splits = [
			[STAGE_SIZE, 2 * STAGE_SIZE + 1],
			[chunk - 1, 2 * chunk + 5],
			[chunk + 1, chunk + STAGE_SIZE + 2],
			[STAGE_SIZE + 3, chunk + 9, 2 * chunk + STAGE_SIZE],
		];
		for (const at of splits) {
			const again = await collectBytes(encryptChunks(key, chunk, cut(plain, ...at), { aad }));
			expect(equal(again, data), `encrypt cut at ${at}`).toBe(true);
		}
		const cipherSplits = [
			[STAGE_SIZE, chunk + 8, chunk + TAG + STAGE_SIZE + 1],
			[chunk + 3, 2 * (chunk + TAG) - 5, 3 * (chunk + TAG) + 1],
			[STAGE_SIZE + 1, chunk + TAG + STAGE_SIZE + 7, data.length - 10],
		];
		for (const at of cipherSplits) {
			const out = await collectBytes(decryptChunks(key, chunk, cut(data, ...at), { aad }));
			expect(equal(out, plain), `decrypt cut at ${at}`).toBe(true);
		}
	});

	it('cut off inside the final chunk or after a full chunk: TruncatedInputError', async () => {
		const plain = new Uint8Array(randomBytes(70 * CHUNK + 10));
		const data = await collectBytes(encryptChunks(key, CHUNK, plain, { aad }));
		for (const end of [70 * UNIT, 70 * UNIT + 1, 70 * UNIT + TAG - 1, 69 * UNIT + 5]) {
			await expect(
				collectBytes(
					decryptChunks(key, CHUNK, cut(data.subarray(0, end), STAGE_SIZE + 1), { aad }),
				),
			).rejects.toThrow(TruncatedInputError);
		}
	});
});

describe('staging of pieces under 64 KiB', () => {
	const CHUNK = 1024;
	const cipherLength = (n: number) => n + TAG * Math.floor(n / CHUNK);

	/** Encrypts pieces of `sizes`; after each piece, how many ciphertext bytes were out. */
	async function released(sizes: number[]): Promise<{ out: number[]; arrays: number }> {
		let received = 0;
		let arrays = 0;
		const out: number[] = [];
		async function* paced(): AsyncGenerator<Uint8Array> {
			for (const size of sizes) {
				yield new Uint8Array(size);
				// Resumed when the next piece is asked for: this one has been fully handed on.
				out.push(received);
			}
		}
		for await (const part of encryptChunks(key, CHUNK, paced(), { aad })) {
			received += part.length;
			arrays++;
		}
		return { out, arrays };
	}

	it('bytes are released as soon as 64 KiB are staged, and a 64 KiB piece is never held', async () => {
		const quarter = STAGE_SIZE / 4;
		const { out } = await released([quarter, quarter, quarter, quarter, 10, STAGE_SIZE, 5]);
		expect(out).toEqual([
			0,
			0,
			0,
			cipherLength(STAGE_SIZE),
			cipherLength(STAGE_SIZE),
			cipherLength(2 * STAGE_SIZE + 10),
			cipherLength(2 * STAGE_SIZE + 10),
		]);
	});

	it('held-back bytes stay under 64 KiB whatever the piece sizes', async () => {
		const sizes = [40_000, 40_000, 30_000, STAGE_SIZE - 1, 1, 1, STAGE_SIZE + 1, 3];
		const { out } = await released(sizes);
		let fed = 0;
		sizes.forEach((size, i) => {
			fed += size;
			expect(out[i] as number, `after piece ${i}`).toBeGreaterThanOrEqual(
				cipherLength(fed - STAGE_SIZE + 1),
			);
		});
		// And what was held back comes out in order (the staged copy is the right bytes).
		const plain = new Uint8Array(randomBytes(sizes.reduce((a, b) => a + b, 0)));
		const data = await collectBytes(
			encryptChunks(key, CHUNK, cut(plain, ...prefixSums(sizes)), { aad }),
		);
		expect(equal(data, await collectBytes(encryptChunks(key, CHUNK, plain, { aad })))).toBe(true);
		expect(
			equal(
				await collectBytes(decryptChunks(key, CHUNK, cut(data, ...prefixSums(sizes)), { aad })),
				plain,
			),
		).toBe(true);
	});

	it('tiny pieces are gathered: 64 KiB in 1-byte pieces gives a few outputs per chunk, not one per byte', async () => {
		const { arrays } = await released(new Array(STAGE_SIZE).fill(1));
		// 64 chunks (+ the empty final one): a ciphertext and a tag each.
		expect(arrays).toBeLessThanOrEqual(2 * (STAGE_SIZE / CHUNK + 1));
	});
});

function prefixSums(sizes: number[]): number[] {
	const sums: number[] = [];
	let total = 0;
	for (const size of sizes.slice(0, -1)) sums.push((total += size));
	return sums;
}

describe('version 1 reading (no staging: every piece reaches the decipher as given)', () => {
	const CHUNK = 64;
	const UNIT = CHUNK + TAG;

	it('round-trips with pieces cut anywhere, in 1-byte pieces and as one array', async () => {
		for (const length of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17]) {
			const plain = new Uint8Array(randomBytes(length));
			const data = encryptChunksV1(key, CHUNK, plain);
			const splits: Uint8Array[][] = [
				[data],
				cut(data, ...Array.from({ length: data.length - 1 }, (_, i) => i + 1)),
			];
			for (let at = 1; at < data.length; at++) splits.push(cut(data, at));
			for (const parts of splits) {
				const out = await collectBytes(decryptChunks(key, CHUNK, parts, { version: 1 }));
				expect(equal(out, plain), `length ${length}`).toBe(true);
			}
		}
	});

	it('large chunks grow the gathering buffer without losing bytes', async () => {
		const chunk = 100_000;
		const plain = new Uint8Array(randomBytes(2 * chunk + 5000));
		const data = encryptChunksV1(key, chunk, plain);
		for (const parts of [[data], cut(data, 3000, 9000, 30_000, 150_000, 200_100)]) {
			const out = await collectBytes(decryptChunks(key, chunk, parts, { version: 1 }));
			expect(equal(out, plain)).toBe(true);
		}
	});

	it('a dropped final chunk is truncation naming the last chunk; a modified one is not', async () => {
		const plain = new Uint8Array(randomBytes(3 * CHUNK));
		const data = encryptChunksV1(key, CHUNK, plain);
		// v1's last chunk may be full: the data is exactly 3 units, the final flag on chunk 2.
		expect(data.length).toBe(3 * UNIT);
		await expect(
			collectBytes(decryptChunks(key, CHUNK, data.subarray(0, 2 * UNIT), { version: 1 })),
		).rejects.toThrow(/ends after chunk 1 without its final chunk/);
		const bad = Uint8Array.from(data);
		bad[2 * UNIT + 3] = (bad[2 * UNIT + 3] as number) ^ 1;
		const error = await collectBytes(decryptChunks(key, CHUNK, bad, { version: 1 })).catch(
			(caught: unknown) => caught,
		);
		expect(error).toBeInstanceOf(DecryptionFailedError);
		expect((error as Error).message).toMatch(/chunk 2 failed/);
		// A shorter final chunk modified: authentication, not truncation.
		const short = encryptChunksV1(key, CHUNK, plain.subarray(0, 2 * CHUNK + 5));
		short[short.length - 1] = (short[short.length - 1] as number) ^ 1;
		await expect(collectBytes(decryptChunks(key, CHUNK, short, { version: 1 }))).rejects.toThrow(
			DecryptionFailedError,
		);
	});

	it('a middle chunk that verifies only as final, or a cut inside a chunk, fails', async () => {
		const plain = new Uint8Array(randomBytes(2 * CHUNK + 3));
		const data = encryptChunksV1(key, CHUNK, plain);
		// Chunk 0 moved to the end: it is not final, and chunk 1 is not at index 0.
		const reordered = new Uint8Array([...data.subarray(UNIT, 2 * UNIT), ...data.subarray(0, UNIT)]);
		await expect(
			collectBytes(decryptChunks(key, CHUNK, reordered, { version: 1 })),
		).rejects.toThrow(DecryptionFailedError);
		for (const end of [UNIT + 15, 1, 15]) {
			await expect(
				collectBytes(decryptChunks(key, CHUNK, data.subarray(0, end), { version: 1 })),
			).rejects.toThrow(/cut off in chunk|no data section/);
		}
		await expect(
			collectBytes(decryptChunks(key, CHUNK, new Uint8Array(), { version: 1 })),
		).rejects.toThrow(/no data section/);
		await expect(
			collectBytes(decryptChunks(key, CHUNK, data.subarray(0, UNIT), { version: 1 })),
		).rejects.toThrow(TruncatedInputError);
	});
});

describe('pieces', () => {
	it('skips empty pieces and an empty array', async () => {
		const a = new Uint8Array([1, 2]);
		const b = new Uint8Array([3]);
		const seen: Uint8Array[] = [];
		for await (const piece of pieces([a, new Uint8Array(), b])) seen.push(piece);
		expect(seen).toEqual([a, b]);
		for await (const piece of pieces(new Uint8Array())) seen.push(piece);
		for await (const piece of pieces(a)) seen.push(piece);
		expect(seen).toEqual([a, b, a]);
	});
});
