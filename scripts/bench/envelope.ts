/**
 * Envelope throughput against Node's native AES-256-GCM on the same bytes, in the same run.
 *
 * - Baseline: one AES-256-GCM stream (`createCipheriv`), fed in 64 KiB pieces, output consumed.
 * - Envelope data path: `encryptChunks` / `decryptChunks` (what `encryptEnvelope` and
 *   `decryptEnvelope` run after the data key is sealed / unsealed), fed the same 64 KiB pieces.
 * - The one-off Seal sealing of the 32-byte data key is timed separately with the real SDK
 *   against in-process key servers when the test support files are present (it does not depend
 *   on the data size).
 * - Memory: peak RSS growth while streaming 256 MiB through the envelope (input generated on the
 *   fly; for decryption the ciphertext is allocated before the baseline sample).
 * Targets: envelope ≥ 0.8× native, memory growth < 64 MiB.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { decryptChunks, encryptChunks } from '../../ts/envelope-stream.js';
import { DEFAULT_CHUNK_SIZE } from '../../ts/envelope.js';

const MiB = 1024 * 1024;
const PIECE = 64 * 1024;

/** `size` bytes as 64 KiB views of one random 1 MiB block (no memory grows with size). */
function* source(block: Uint8Array, size: number): Generator<Uint8Array> {
	for (let offset = 0; offset < size; offset += PIECE) {
		const at = offset % block.length;
		yield block.subarray(at, at + Math.min(PIECE, size - offset));
	}
}

function nativeEncrypt(
	key: Uint8Array,
	input: Iterable<Uint8Array>,
	sink: (b: Uint8Array) => void,
) {
	const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
	for (const piece of input) sink(cipher.update(piece));
	sink(cipher.final());
	sink(cipher.getAuthTag());
}

function nativeDecrypt(
	key: Uint8Array,
	iv: Uint8Array,
	tag: Uint8Array,
	input: Iterable<Uint8Array>,
	sink: (b: Uint8Array) => void,
) {
	const decipher = createDecipheriv('aes-256-gcm', key, iv);
	decipher.setAuthTag(tag);
	for (const piece of input) sink(decipher.update(piece));
	sink(decipher.final());
}

interface Sampler {
	sample(): void;
	peakGrowth(): number;
}

function memorySampler(): Sampler {
	const start = process.memoryUsage.rss();
	let peak = start;
	let calls = 0;
	return {
		sample() {
			if (++calls % 16 === 0) peak = Math.max(peak, process.memoryUsage.rss());
		},
		peakGrowth: () => Math.max(peak, process.memoryUsage.rss()) - start,
	};
}

async function time(run: () => Promise<void> | void): Promise<number> {
	const start = process.hrtime.bigint();
	await run();
	return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1
		? (sorted[middle] as number)
		: ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

interface Row {
	case: string;
	/** Median bytes per second. */
	native: number;
	envelope: number;
	/** Median of per-pair ratios (each pair ran back to back, so both saw the same load). */
	ratio: number;
	memory: number;
}

/** Runs baseline and envelope alternately `repeats` times. */
async function pairs(
	label: string,
	size: number,
	repeats: number,
	native: () => void,
	envelope: (sampler: Sampler) => Promise<void>,
): Promise<Row> {
	const nativeTimes: number[] = [];
	const envelopeTimes: number[] = [];
	const ratios: number[] = [];
	let memory = 0;
	for (let i = 0; i < repeats; i++) {
		const a = await time(native);
		const sampler = memorySampler();
		const b = await time(() => envelope(sampler));
		memory = Math.max(memory, sampler.peakGrowth());
		nativeTimes.push(a);
		envelopeTimes.push(b);
		ratios.push(a / b);
	}
	return {
		case: label,
		native: size / median(nativeTimes),
		envelope: size / median(envelopeTimes),
		ratio: median(ratios),
		memory,
	};
}

async function measure(size: number, repeats: number, block: Uint8Array): Promise<Row[]> {
	const key = new Uint8Array(randomBytes(32));
	let count = 0;
	const sink = (bytes: Uint8Array) => {
		count += bytes.length;
	};
	const label = `${size / MiB} MiB`;

	const encrypt = await pairs(
		`encrypt ${label}`,
		size,
		repeats,
		() => nativeEncrypt(key, source(block, size), sink),
		async (sampler) => {
			for await (const out of encryptChunks(key, DEFAULT_CHUNK_SIZE, source(block, size))) {
				count += out.length;
				sampler.sample();
			}
		},
	);

	// Ciphertexts for the decryption runs (allocated before any memory sample).
	const nativeIv = new Uint8Array(randomBytes(12));
	const nativeCt: Uint8Array[] = [];
	const cipher = createCipheriv('aes-256-gcm', key, nativeIv);
	for (const piece of source(block, size)) nativeCt.push(cipher.update(piece));
	nativeCt.push(cipher.final());
	const nativeTag = cipher.getAuthTag();
	const envelopeCt: Uint8Array[] = [];
	for await (const out of encryptChunks(key, DEFAULT_CHUNK_SIZE, source(block, size))) {
		envelopeCt.push(out);
	}

	const decrypt = await pairs(
		`decrypt ${label}`,
		size,
		repeats,
		() => nativeDecrypt(key, nativeIv, nativeTag, nativeCt, sink),
		async (sampler) => {
			for await (const out of decryptChunks(key, DEFAULT_CHUNK_SIZE, envelopeCt)) {
				count += out.length;
				sampler.sample();
			}
		},
	);
	if (count === 0) throw new Error('nothing was processed');
	return [encrypt, decrypt];
}

/** Times sealing one 32-byte key with the real SDK against in-process key servers, if present. */
async function sealCost(): Promise<string> {
	try {
		const { startSealTestbed } = await import('../../tests/support/seal-testbed.js');
		const { SealClient } = await import('@mysten/seal');
		const bed = await startSealTestbed({ serverCount: 3 });
		try {
			const client = new SealClient({
				suiClient: bed.suiClient,
				serverConfigs: bed.serverConfigs(),
			});
			const seal = () =>
				client.encrypt({ threshold: 2, packageId: bed.packageId, id: '00', data: randomBytes(32) });
			await seal(); // warm-up: loads key-server objects
			const times: number[] = [];
			for (let i = 0; i < 5; i++) {
				times.push(
					await time(async () => {
						await seal();
					}),
				);
			}
			const seconds = median(times);
			return `${(seconds * 1000).toFixed(1)} ms per envelope (SDK encrypt of the 32-byte key, 2-of-3, in-process key servers)`;
		} finally {
			await bed.close();
		}
	} catch (error) {
		return `not measured (${(error as Error).message}); the rows above are the data path only`;
	}
}

export async function run(): Promise<void> {
	const block = new Uint8Array(randomBytes(MiB));
	await measure(MiB, 20, block); // warm-up (JIT)
	const rows = [...(await measure(MiB, 51, block)), ...(await measure(256 * MiB, 7, block))];
	const mbps = (bytesPerSecond: number) => `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;
	const table = rows.map((row) => ({
		case: row.case,
		'native AES-256-GCM': mbps(row.native),
		envelope: mbps(row.envelope),
		ratio: `${row.ratio.toFixed(2)}x ${row.ratio >= 0.8 ? 'ok' : 'BELOW 0.8x'}`,
		'peak memory growth': row.case.includes('256')
			? `${(row.memory / MiB).toFixed(1)} MiB ${row.memory < 64 * MiB ? 'ok' : 'OVER 64 MiB'}`
			: '-',
	}));
	process.stdout.write(
		`envelope data path (chunk size ${DEFAULT_CHUNK_SIZE / 1024} KiB, input in 64 KiB pieces); medians of back-to-back pairs\n`,
	);
	console.table(table);
	process.stdout.write(`Seal key sealing: ${await sealCost()}\n`);
}
