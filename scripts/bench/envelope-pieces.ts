/**
 * Envelope memory whatever the piece size (issue 13): peak live growth (heap + array buffers,
 * sampled after a GC every 2 MiB) while streaming through the envelope data path
 * (`encryptChunks` / `decryptChunks` with a version-2-sized chunk AAD) in 1 B, 64 KiB and 4 MiB
 * pieces, encrypt and decrypt. Target: ≤ 32 MiB for every piece size, judged by the one verdict
 * rule of ./measure.ts (one measurement each). Size: ENVELOPE_BENCH_MIB (default 64, as
 * ./envelope.ts; 1 B pieces stream 4 MiB). Throughput against native AES-256-GCM is in ./envelope.ts.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { decryptChunks, encryptChunks } from '../../ts/crypto/node/envelope-stream.js';
import { DEFAULT_CHUNK_SIZE } from '../../ts/crypto/node/envelope.js';
import { DEFAULT_ENVELOPE_MIB } from './envelope.js';
import { formatTable, step, verdict, wholeNumberFromEnv, type Target } from './measure.js';

const MiB = 1024 * 1024;
const PIECE = 64 * 1024;
/** Stands in for a real header binding (label + SHA-256): same length, same per-chunk cost. */
const AAD = new Uint8Array(57).fill(7);

/** `size` bytes as `piece`-byte views of `block`, repeated (no memory grows with size). */
function* views(block: Uint8Array, size: number, piece = PIECE): Generator<Uint8Array> {
	for (let at = 0; at < size;) {
		const offset = at % block.length;
		const view = block.subarray(offset, offset + Math.min(piece, size - at, block.length - offset));
		yield view;
		at += view.length;
	}
}

/** Peak live growth in bytes, and how many samples it is the highest of. */
export interface MemoryReading {
	peak: number;
	samples: number;
}

/**
 * Peak live growth (heap + array buffers, after a GC every 2 MiB) while `transform` consumes
 * `input` fed in `piece`-byte pieces; its output is dropped.
 */
async function peakGrowth(
	input: Uint8Array,
	size: number,
	piece: number,
	transform: (source: Iterable<Uint8Array>) => AsyncIterable<Uint8Array>,
): Promise<MemoryReading> {
	setFlagsFromString('--expose_gc');
	const gc = runInNewContext('gc') as () => void;
	gc();
	const base = process.memoryUsage();
	let peak = 0;
	let samples = 0;
	let since = 0;
	const tick = (bytes: number) => {
		since += bytes;
		if (since < 2 * MiB) return;
		since = 0;
		gc();
		const now = process.memoryUsage();
		samples += 1;
		peak = Math.max(peak, now.heapUsed + now.arrayBuffers - base.heapUsed - base.arrayBuffers);
	};
	function* source() {
		for (const view of views(input, size, piece)) {
			yield view;
			tick(view.length);
		}
	}
	for await (const out of transform(source())) tick(out.length);
	return { peak, samples };
}

/** Peak live growth while streaming `size` bytes in `piece`-byte pieces through both directions. */
async function memory(
	piece: number,
	size: number,
	block: Uint8Array,
): Promise<readonly [MemoryReading, MemoryReading]> {
	const key = new Uint8Array(randomBytes(32));
	const encryptPeak = await peakGrowth(block, size, piece, (source) =>
		encryptChunks(key, DEFAULT_CHUNK_SIZE, source, { aad: AAD }),
	);
	// Decrypt: ciphertext made first (counted in the base), then fed in `piece`-byte pieces.
	const parts: Uint8Array[] = [];
	for await (const out of encryptChunks(key, DEFAULT_CHUNK_SIZE, views(block, size), {
		aad: AAD,
	})) {
		parts.push(out);
	}
	const ciphertext = Buffer.concat(parts);
	parts.length = 0;
	const decryptPeak = await peakGrowth(ciphertext, ciphertext.length, piece, (source) =>
		decryptChunks(key, DEFAULT_CHUNK_SIZE, source, { aad: AAD }),
	);
	return [encryptPeak, decryptPeak] as const;
}

const LIMIT: Target = { bound: 'at most', value: 32, unit: ' MiB', digits: 2 };

/**
 * A peak as a verdict. Live memory after a GC may well not grow at all (0.00 MiB is then a
 * reading); but a stream too short to take a sample is no reading, never an "ok".
 */
export function memoryVerdict({ peak, samples }: MemoryReading): string {
	return samples === 0 ? 'no reading (no sample taken)' : verdict([peak / MiB], LIMIT).text;
}

export async function run(): Promise<void> {
	const sizeMiB = wholeNumberFromEnv('ENVELOPE_BENCH_MIB', DEFAULT_ENVELOPE_MIB);
	const block = new Uint8Array(randomBytes(4 * MiB));
	const rows = [['pieces', 'streamed', 'encrypt peak', 'decrypt peak']];
	for (const [piece, size] of [
		[1, 4 * MiB],
		[PIECE, sizeMiB * MiB],
		[4 * MiB, sizeMiB * MiB],
	] as const) {
		const pieces = piece === 1 ? '1 B' : `${piece / 1024} KiB`;
		step(`envelope-pieces: ${size / MiB} MiB in ${pieces} pieces`);
		const [encrypt, decrypt] = await memory(piece, size, block);
		rows.push([pieces, `${size / MiB} MiB`, memoryVerdict(encrypt), memoryVerdict(decrypt)]);
	}
	process.stdout.write('peak live memory growth (heap + array buffers, after GC) by piece size\n');
	process.stdout.write(formatTable(rows));
}
