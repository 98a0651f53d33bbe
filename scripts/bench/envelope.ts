/**
 * Envelope throughput against Node's native AES-256-GCM on the same bytes, in the same run.
 *
 * - Baseline: one AES-256-GCM stream (`createCipheriv`), fed in 64 KiB pieces, output consumed.
 * - Envelope data path: `encryptChunks` / `decryptChunks` (what `encryptEnvelope` and
 *   `decryptEnvelope` run after the data key is sealed / unsealed), fed the same 64 KiB pieces.
 * - The one-off Seal sealing of the 32-byte data key is timed separately with the real SDK
 *   against in-process key servers when the test support files are present (it does not depend
 *   on the data size).
 * - Sizes: 1 MiB (one full chunk: per-envelope fixed costs show), 1.5 MiB (a half-full final
 *   chunk, which decryption passes over twice: its tag's place is known only at the end) and
 *   ENVELOPE_BENCH_MIB (default 64; 1024 for the 1 GiB figure, whose decryption runs hold both
 *   ciphertexts, ~2 GiB of memory, and take minutes).
 * - Chunk sizes 64 KiB … 4 MiB swept against the same native baseline (justifies the default).
 * - Memory is measured by ./envelope-pieces.ts (live heap after GC; RSS cannot see reused pages).
 * Pairs alternate order; wall and CPU time. Target: envelope ≥ 0.8× native by CPU time, judged by
 * the one verdict rule of ./measure.ts on the per-pair ratios.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { decryptChunks, encryptChunks } from '../../ts/crypto/node/envelope-stream.js';
import { DEFAULT_CHUNK_SIZE } from '../../ts/crypto/node/envelope.js';
import {
	alternatingPairs,
	formatTable,
	mbPerSecond,
	median,
	medians,
	pairRatios,
	step,
	timed,
	verdict,
	wholeNumberFromEnv,
	type Pairs,
	type Target,
} from './measure.js';

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

export interface Compared {
	case: string;
	bytes: number;
	encrypt: Pairs;
	decrypt: Pairs;
}

/** Native and envelope paths on the same `size` bytes, in alternating pairs (measure.ts). */
async function compare(
	label: string,
	size: number,
	count: number,
	block: Uint8Array,
	chunkSize: number,
): Promise<Compared> {
	const key = new Uint8Array(randomBytes(32));
	let processed = 0;
	const sink = (bytes: Uint8Array) => {
		processed += bytes.length;
	};
	const encrypt = await alternatingPairs(
		count,
		() => nativeEncrypt(key, source(block, size), sink),
		async () => {
			for await (const out of encryptChunks(key, chunkSize, source(block, size))) sink(out);
		},
	);
	const { nativeCt, nativeIv, nativeTag, envelopeCt } = await ciphertexts(
		key,
		size,
		block,
		chunkSize,
	);
	const decrypt = await alternatingPairs(
		count,
		() => nativeDecrypt(key, nativeIv, nativeTag, nativeCt, sink),
		async () => {
			for await (const out of decryptChunks(key, chunkSize, envelopeCt)) sink(out);
		},
	);
	if (processed === 0) throw new Error('nothing was processed');
	return { case: label, bytes: size, encrypt, decrypt };
}

/** Ciphertexts for the decryption runs (allocated before any timing or memory sample). */
async function ciphertexts(key: Uint8Array, size: number, block: Uint8Array, chunkSize: number) {
	const nativeIv = new Uint8Array(randomBytes(12));
	const nativeCt: Uint8Array[] = [];
	const cipher = createCipheriv('aes-256-gcm', key, nativeIv);
	for (const piece of source(block, size)) nativeCt.push(cipher.update(piece));
	nativeCt.push(cipher.final());
	const nativeTag = cipher.getAuthTag();
	const envelopeCt: Uint8Array[] = [];
	for await (const out of encryptChunks(key, chunkSize, source(block, size))) envelopeCt.push(out);
	return { nativeCt, nativeIv, nativeTag, envelopeCt };
}

/**
 * One row per direction: median CPU throughput of each side, the wall-time ratio for
 * information, and the verdict on the per-pair CPU ratios (measure.ts `verdict`).
 */
export function rowsOf(compared: Compared): string[][] {
	return (['encrypt', 'decrypt'] as const).map((direction) => {
		const pairs = compared[direction];
		const native = medians(pairs.baseline);
		const envelope = medians(pairs.candidate);
		const wall = verdict(pairRatios(pairs, 'wallMs'), TARGET);
		return [
			`${direction} ${compared.case}`,
			String(pairs.baseline.length),
			mbPerSecond(compared.bytes, native.cpuMs).toFixed(1),
			mbPerSecond(compared.bytes, envelope.cpuMs).toFixed(1),
			wall.figure,
			verdict(pairRatios(pairs, 'cpuMs'), TARGET).text,
		];
	});
}

const TARGET: Target = { bound: 'at least', value: 0.8, unit: '×', digits: 2 };
const HEADER = ['case', 'pairs', 'native MB/s', 'envelope MB/s', 'wall', 'verdict (CPU)'];

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
					(
						await timed(async () => {
							await seal();
						})
					).wallMs / 1000,
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

/** ENVELOPE_BENCH_MIB's default: a run of about a minute. 1024 gives the 1 GiB figure. */
export const DEFAULT_ENVELOPE_MIB = 64;

export async function run(): Promise<void> {
	const large = wholeNumberFromEnv('ENVELOPE_BENCH_MIB', DEFAULT_ENVELOPE_MIB);
	const block = new Uint8Array(randomBytes(MiB));
	step('envelope: warm-up');
	await compare('warm-up', MiB, 10, block, DEFAULT_CHUNK_SIZE); // JIT
	const cases: [string, number, number][] = [
		['1 MiB', MiB, 21],
		['1.5 MiB', 1.5 * MiB, 21],
		[`${large} MiB`, large * MiB, large >= 256 ? 5 : 9],
	];
	const rows = [HEADER];
	for (const [label, size, count] of cases) {
		step(`envelope: ${label}, ${count} pairs`);
		rows.push(...rowsOf(await compare(label, size, count, block, DEFAULT_CHUNK_SIZE)));
	}
	process.stdout.write(
		`envelope data path (chunk ${DEFAULT_CHUNK_SIZE / 1024} KiB) vs native AES-256-GCM, input in 64 KiB pieces.\n` +
			'MB/s: medians by CPU time; wall: median of the per-pair wall ratios (information);\n' +
			'verdict: median of the per-pair CPU ratios, and how many pairs met the target.\n' +
			'Decryption passes over the final (short) chunk twice, so inputs mostly in it decrypt nearer 0.5×.\n',
	);
	process.stdout.write(formatTable(rows));

	process.stdout.write('\nchunk size sweep (16 MiB, envelope vs native in the same pairs):\n');
	const sweep = [HEADER];
	for (const chunk of CHUNK_SIZES) {
		const name = chunk >= MiB ? `${chunk / MiB} MiB` : `${chunk / 1024} KiB`;
		step(`envelope: chunk size ${name}, 7 pairs of 16 MiB`);
		const label = `chunk ${name}${chunk === DEFAULT_CHUNK_SIZE ? ' (default)' : ''}`;
		sweep.push(...rowsOf(await compare(label, 16 * MiB, 7, block, chunk)));
	}
	process.stdout.write(formatTable(sweep));
	process.stdout.write(
		'(larger chunks cost more memory per chunk in flight and more re-read on a damaged chunk;\n smaller ones add a 16-byte tag and a cipher setup per chunk)\n',
	);
	step('envelope: sealing the data key');
	process.stdout.write(`Seal key sealing: ${await sealCost()}\n`);
}

const CHUNK_SIZES = [64 * 1024, 256 * 1024, MiB, 4 * MiB];
