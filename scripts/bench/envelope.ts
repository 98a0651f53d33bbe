/**
 * Envelope throughput against Node's native AES-256-GCM on the same bytes, in the same run, as
 * CPU-time ratios (process user + system time: wall time drifts on a shared machine).
 *
 * - Baseline: one AES-256-GCM stream (`createCipheriv` / `createDecipheriv`), fed the same
 *   64 KiB pieces, output consumed.
 * - Envelope data path: `encryptChunks` / `decryptChunks` with a version-2 chunk AAD (what
 *   `encryptEnvelope` and `decryptEnvelope` run after the data key is sealed / unsealed).
 * - The one-off Seal sealing of the 32-byte data key is timed separately with the real SDK
 *   against in-process key servers when the test support files are present.
 * - Memory: peak live growth (heap + array buffers, sampled after a GC every 2 MiB) while
 *   streaming through the envelope in 1 B, 64 KiB and 4 MiB pieces, encrypt and decrypt.
 * Targets (issue 13): envelope ≥ 0.8× native for both directions; peak growth ≤ 32 MiB for
 * every piece size. Size: ENVELOPE_BENCH_MIB (default 256; the run used 1024).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { decryptChunks, encryptChunks } from '../../ts/envelope-stream.js';
import { DEFAULT_CHUNK_SIZE } from '../../ts/envelope.js';

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

function cpuSeconds(): number {
	const { user, system } = process.cpuUsage();
	return (user + system) / 1e6;
}

async function cpuTime(run: () => Promise<void> | void): Promise<number> {
	const start = cpuSeconds();
	await run();
	return cpuSeconds() - start;
}

async function wallTime(run: () => Promise<void>): Promise<number> {
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
	/** Bytes per CPU second (medians). */
	native: number;
	envelope: number;
	/** Median of per-pair ratios (each pair ran back to back, so both saw the same load). */
	ratio: number;
}

/** Runs baseline and envelope alternately `repeats` times. */
async function pairs(
	label: string,
	size: number,
	repeats: number,
	native: () => void,
	envelope: () => Promise<void>,
): Promise<Row> {
	const nativeTimes: number[] = [];
	const envelopeTimes: number[] = [];
	const ratios: number[] = [];
	for (let i = 0; i < repeats; i++) {
		// Alternate the order so neither side always runs right after a GC of the other's garbage.
		const [a, b] =
			i % 2 === 0
				? [await cpuTime(native), await cpuTime(envelope)]
				: (([y, x]) => [x, y])([await cpuTime(envelope), await cpuTime(native)]);
		nativeTimes.push(a as number);
		envelopeTimes.push(b as number);
		ratios.push((a as number) / (b as number));
	}
	return {
		case: label,
		native: size / median(nativeTimes),
		envelope: size / median(envelopeTimes),
		ratio: median(ratios),
	};
}

async function throughput(size: number, repeats: number, block: Uint8Array): Promise<Row[]> {
	const key = new Uint8Array(randomBytes(32));
	let count = 0;
	const label = `${size / MiB} MiB`;

	const encrypt = await pairs(
		`encrypt ${label}`,
		size,
		repeats,
		() => {
			const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
			for (const piece of views(block, size)) count += cipher.update(piece).length;
			count += cipher.final().length + cipher.getAuthTag().length;
		},
		async () => {
			for await (const out of encryptChunks(key, DEFAULT_CHUNK_SIZE, views(block, size), {
				aad: AAD,
			})) {
				count += out.length;
			}
		},
	);

	// One envelope ciphertext (held, allocated before timing); both sides decrypt its bytes in
	// 64 KiB pieces. The native stream's tag check fails (different framing) but does the work.
	const parts: Uint8Array[] = [];
	for await (const out of encryptChunks(key, DEFAULT_CHUNK_SIZE, views(block, size), {
		aad: AAD,
	})) {
		parts.push(out);
	}
	const ciphertext = Buffer.concat(parts);
	parts.length = 0;
	const decrypt = await pairs(
		`decrypt ${label}`,
		size,
		repeats,
		() => {
			const decipher = createDecipheriv('aes-256-gcm', key, randomBytes(12));
			decipher.setAuthTag(new Uint8Array(16));
			for (const piece of views(ciphertext, ciphertext.length)) {
				count += decipher.update(piece).length;
			}
			try {
				decipher.final();
			} catch {
				// expected: the baseline measures the cipher work only
			}
		},
		async () => {
			for await (const out of decryptChunks(
				key,
				DEFAULT_CHUNK_SIZE,
				views(ciphertext, ciphertext.length),
				{ aad: AAD },
			)) {
				count += out.length;
			}
		},
	);
	if (count === 0) throw new Error('nothing was processed');
	return [encrypt, decrypt];
}

/** Peak live growth while streaming `size` bytes in `piece`-byte pieces through both directions. */
async function memory(piece: number, size: number, block: Uint8Array): Promise<number[]> {
	setFlagsFromString('--expose_gc');
	const gc = runInNewContext('gc') as () => void;
	const key = new Uint8Array(randomBytes(32));
	// Encrypt: output consumed and dropped.
	let encryptPeak = 0;
	{
		gc();
		const base = process.memoryUsage();
		let since = 0;
		const tick = (bytes: number) => {
			since += bytes;
			if (since < 2 * MiB) return;
			since = 0;
			gc();
			const now = process.memoryUsage();
			encryptPeak = Math.max(
				encryptPeak,
				now.heapUsed + now.arrayBuffers - base.heapUsed - base.arrayBuffers,
			);
		};
		function* source() {
			for (const view of views(block, size, piece)) {
				yield view;
				tick(view.length);
			}
		}
		for await (const out of encryptChunks(key, DEFAULT_CHUNK_SIZE, source(), { aad: AAD })) {
			tick(out.length);
		}
	}
	// Decrypt: ciphertext made first (counted in the base), then fed in `piece`-byte pieces.
	const parts: Uint8Array[] = [];
	for await (const out of encryptChunks(key, DEFAULT_CHUNK_SIZE, views(block, size), {
		aad: AAD,
	})) {
		parts.push(out);
	}
	const ciphertext = Buffer.concat(parts);
	parts.length = 0;
	let decryptPeak = 0;
	{
		gc();
		const base = process.memoryUsage();
		let since = 0;
		const tick = (bytes: number) => {
			since += bytes;
			if (since < 2 * MiB) return;
			since = 0;
			gc();
			const now = process.memoryUsage();
			decryptPeak = Math.max(
				decryptPeak,
				now.heapUsed + now.arrayBuffers - base.heapUsed - base.arrayBuffers,
			);
		};
		function* source() {
			for (const view of views(ciphertext, ciphertext.length, piece)) {
				yield view;
				tick(view.length);
			}
		}
		for await (const out of decryptChunks(key, DEFAULT_CHUNK_SIZE, source(), { aad: AAD })) {
			tick(out.length);
		}
	}
	return [encryptPeak, decryptPeak];
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
					await wallTime(async () => {
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
	const sizeMiB = Number(process.env['ENVELOPE_BENCH_MIB'] ?? 256);
	const block = new Uint8Array(randomBytes(4 * MiB));
	await throughput(8 * MiB, 5, block); // warm-up (JIT)
	const rows = await throughput(sizeMiB * MiB, 5, block);
	const mbps = (bytesPerSecond: number) => `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;
	process.stdout.write(
		`envelope data path vs native AES-256-GCM: ${sizeMiB} MiB in 64 KiB pieces, chunk size ${DEFAULT_CHUNK_SIZE / 1024} KiB; bytes per CPU second, medians of 5 back-to-back pairs\n`,
	);
	console.table(
		rows.map((row) => ({
			case: row.case,
			'native AES-256-GCM': mbps(row.native),
			envelope: mbps(row.envelope),
			'ratio (CPU time)': `${row.ratio.toFixed(2)}x ${row.ratio >= 0.8 ? 'ok' : 'BELOW 0.8x'}`,
		})),
	);
	const memoryRows = [];
	for (const [piece, size] of [
		[1, 4 * MiB],
		[PIECE, Math.min(sizeMiB, 256) * MiB],
		[4 * MiB, Math.min(sizeMiB, 256) * MiB],
	] as const) {
		const [encrypt, decrypt] = await memory(piece, size, block);
		const show = (bytes = 0) =>
			`${(bytes / MiB).toFixed(1)} MiB ${bytes <= 32 * MiB ? 'ok' : 'OVER 32 MiB'}`;
		memoryRows.push({
			pieces: piece === 1 ? '1 B' : `${piece / 1024} KiB`,
			streamed: `${size / MiB} MiB`,
			'encrypt peak growth': show(encrypt),
			'decrypt peak growth': show(decrypt),
		});
	}
	process.stdout.write('peak live memory growth (heap + array buffers, after GC) by piece size\n');
	console.table(memoryRows);
	process.stdout.write(`Seal key sealing: ${await sealCost()}\n`);
}
