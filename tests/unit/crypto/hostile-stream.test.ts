/**
 * Streaming memory (issue 13, defect 6): the data path buffers by bytes in a fixed number of
 * preallocated buffers, so live memory stays bounded whatever the piece size (1 B … 4 MiB) and
 * whatever chunk size a forged header declares. Each case asserts its peak live growth (sampled
 * after a forced GC while streaming) and a time bound. Seeded and replayable (HOSTILE_SEED);
 * nightly / bench scale: HOSTILE_STREAM_MIB=256.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { describe, expect, it } from 'vitest';

import { decryptChunks, encryptChunks } from '../../../ts/crypto/node/envelope-stream.js';
import { readEnvelopeHeader } from '../../../ts/crypto/node/envelope.js';
import { MAX_CHUNK_SIZE, MAX_CHUNK_SIZE_V1 } from '../../../ts/crypto/envelope-header.js';
import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError } from '../../../ts/crypto/errors.js';
import { rng } from '../../support/hostile-parse-fuzz.js';

const MiB = 1024 * 1024;
const seed = Number(process.env['HOSTILE_SEED'] ?? Date.now() % 2 ** 31);
const scale = Number(process.env['HOSTILE_STREAM_MIB'] ?? 16);
const LIMIT = 32 * MiB;

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** Peak growth of live heap + array buffers, sampled (after a GC) every 2 MiB streamed. */
function sampler() {
	gc();
	const base = process.memoryUsage();
	let peak = 0;
	let bytes = 0;
	return {
		tick(length: number) {
			bytes += length;
			if (bytes < 2 * MiB) return;
			bytes = 0;
			gc();
			const now = process.memoryUsage();
			peak = Math.max(peak, now.heapUsed + now.arrayBuffers - (base.heapUsed + base.arrayBuffers));
		},
		get peak() {
			return peak;
		},
	};
}

/** `size` bytes as `piece`-byte views of `block` (repeated); ticks the sampler per piece. */
function* views(block: Uint8Array, size: number, piece: number, tick: (length: number) => void) {
	for (let at = 0; at < size;) {
		const offset = at % block.length;
		const view = block.subarray(offset, offset + Math.min(piece, size - at, block.length - offset));
		yield view;
		at += view.length;
		tick(view.length);
	}
}

describe(`streaming memory is bounded whatever the piece size (seed ${seed})`, () => {
	const r = rng(seed);
	const key = new Uint8Array(randomBytes(32));
	const block = r.bytes(4 * MiB);

	for (const piece of [1, 13, 4096, 64 * 1024, MiB, 4 * MiB]) {
		// 1-byte pieces cost ~1 µs each: keep that case small in npm test.
		const size = piece < 4096 ? Math.min(scale * MiB, MiB / 4) : scale * MiB;
		it(`${size / MiB} MiB in ${piece}-byte pieces: round trip, peak growth < 32 MiB`, async () => {
			const chunkSize = [64 * 1024, MiB, MAX_CHUNK_SIZE][r.int(3)] as number;
			const start = Date.now();
			const encryptMemory = sampler();
			const expected = createHash('sha256');
			const ciphertext: Uint8Array[] = [];
			const source = views(block, size, piece, (n) => encryptMemory.tick(n));
			const hashing = function* () {
				for (const view of source) {
					expected.update(view);
					yield view;
				}
			};
			let cipherBytes = 0;
			for await (const out of encryptChunks(key, chunkSize, hashing())) {
				cipherBytes += out.length;
				ciphertext.push(out);
			}
			expect(cipherBytes).toBe(size + 16 * (Math.floor(size / chunkSize) + 1));
			// The ciphertext is held by the test; growth beyond it is the encryptor's.
			expect(encryptMemory.peak - cipherBytes, `seed ${seed}`).toBeLessThan(LIMIT);

			// Decrypt the same bytes re-cut into `piece`-byte pieces.
			const whole = Buffer.concat(ciphertext);
			ciphertext.length = 0;
			const decryptMemory = sampler();
			const actual = createHash('sha256');
			for await (const out of decryptChunks(
				key,
				chunkSize,
				views(whole, whole.length, piece, (n) => decryptMemory.tick(n)),
			)) {
				actual.update(out);
			}
			expect(actual.digest('hex')).toBe(expected.digest('hex'));
			expect(decryptMemory.peak, `seed ${seed}`).toBeLessThan(LIMIT);
			expect(Date.now() - start).toBeLessThan(60_000);
		}, 120_000);
	}

	it('a forged maximum chunk size fed in 1-byte pieces: bounded memory, typed error (v2 and v1)', async () => {
		const size = Math.min(scale, 2) * MiB;
		for (const [version, chunkSize] of [
			[2, MAX_CHUNK_SIZE],
			[1, MAX_CHUNK_SIZE_V1],
		] as const) {
			const memory = sampler();
			const start = Date.now();
			const garbage = r.bytes(MiB);
			await expect(
				(async () => {
					for await (const _ of decryptChunks(
						key,
						chunkSize,
						views(garbage, size, 1, (n) => memory.tick(n)),
						{ version },
					));
				})(),
			).rejects.toSatisfy(
				(error) => error instanceof DecryptionFailedError || error instanceof TruncatedInputError,
			);
			// v1 gathers one chunk (≤ 16 MiB + tag) in one buffer; v2 holds ≤ one chunk of plaintext.
			expect(memory.peak, `seed ${seed} v${version}`).toBeLessThan(LIMIT);
			expect(Date.now() - start).toBeLessThan(60_000);
		}
	}, 180_000);

	it('a header declaring a chunk size above the cap is refused on read', async () => {
		const header = new Uint8Array(5 + 33 + 32 + 2 + 8);
		header.set([2, 1, 2, 1, 1]);
		const view = new DataView(header.buffer);
		view.setUint32(header.length - 8, MAX_CHUNK_SIZE + 1);
		view.setUint32(header.length - 4, 8);
		const bytes = new Uint8Array(header.length + 8 + 32);
		bytes.set(header);
		await expect(readEnvelopeHeader(bytes)).rejects.toThrow(MalformedCiphertextError);
		await expect(readEnvelopeHeader(bytes)).rejects.toThrow(/chunk size 4194305 is outside/);
	});

	it('reading a maximal header in 1-byte pieces is linear (one growing buffer, not per piece)', async () => {
		// 255 servers and a 65535-byte inner id: ~74 KiB of header before the sealed key.
		const head = new Uint8Array(5 + 255 * 33 + 32 + 2 + 0xffff + 8);
		head.set([2, 1, 2, 1, 255]);
		const view = new DataView(head.buffer);
		view.setUint16(5 + 255 * 33 + 32, 0xffff);
		view.setUint32(head.length - 8, 64);
		view.setUint32(head.length - 4, 100);
		const start = Date.now();
		function* bytewise() {
			for (let i = 0; i < head.length + 100 + 32; i++) yield new Uint8Array([head[i] ?? 0]);
		}
		// The sealed key is zeros: refused by the Seal-object scan, i.e. after the whole header was read.
		await expect(readEnvelopeHeader(bytewise())).rejects.toThrow(/Seal EncryptedObject/);
		expect(Date.now() - start).toBeLessThan(5_000);
	});
});
