/**
 * Child-process harness for tests/unit/crypto/hostile-parse.test.ts: feeds seeded hostile Seal objects
 * (long 0xff ULEB runs, forged counts and lengths, random bytes) to every parser that takes
 * them, and measures each input's time and live-memory growth. Run with a small
 * `--max-old-space-size`, so an input that balloons the heap kills the process (a failure).
 * argv: seed count maxSize. Prints one JSON line: per-input worst cases and any untyped error.
 */
import { EncryptedObject } from '@mysten/seal';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { decodeEnvelopeHeader } from '../../ts/crypto/envelope-header.js';
import { HarnessError } from '../../ts/errors.js';
import { concatBytes, readBlob } from '../../ts/crypto/node/format.js';
import { parseItem } from '../../ts/seal/decrypt.js';

export function rng(seed: number) {
	let state = seed >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const int = (n: number) => Math.floor(next() * n);
	const bytes = (n: number) => {
		const out = new Uint8Array(n);
		for (let i = 0; i < n; i++) out[i] = int(256);
		return out;
	};
	return { int, bytes };
}

function uleb(value: number): number[] {
	const out: number[] = [];
	do {
		let byte = value % 128;
		value = Math.floor(value / 128);
		if (value > 0) byte |= 0x80;
		out.push(byte);
	} while (value > 0);
	return out;
}

/** Byte offsets of the ULEB fields of a serialised object with `servers` services and id length `idLength`. */
function fields(idLength: number, servers: number, blobLength: number) {
	const id = 33;
	const services = id + 1 + idLength;
	const kem = services + 1 + servers * 33 + 1;
	const shares = kem + 1 + 96;
	const dem = shares + 1 + servers * 32 + 32;
	const blob = dem + 1;
	const aadOption = blob + uleb(blobLength).length + blobLength;
	return { id, services, kem, shares, dem, blob, aadOption };
}

export function hostileInputs(seed: number, count: number, maxSize: number): Uint8Array[] {
	const r = rng(seed);
	const out: Uint8Array[] = [];
	for (let i = 0; i < count; i++) {
		const servers = 1 + r.int(3);
		const idLength = 1 + r.int(40);
		const blobLength = r.int(64);
		const valid = EncryptedObject.serialize({
			version: 0,
			packageId: r.bytes(32),
			id: Buffer.from(r.bytes(idLength)).toString('hex'),
			services: Array.from({ length: servers }, (_, k) => [r.bytes(32), k + 1] as const),
			threshold: 1,
			encryptedShares: {
				BonehFranklinBLS12381: {
					nonce: r.bytes(96),
					encryptedShares: Array.from({ length: servers }, () => r.bytes(32)),
					encryptedRandomness: r.bytes(32),
				},
			},
			ciphertext: { Aes256Gcm: { blob: r.bytes(blobLength), aad: new Uint8Array() } },
		}).toBytes();
		const at = Object.values(fields(idLength, servers, blobLength))[r.int(7)] as number;
		const size = 1 + r.int(maxSize);
		let input: Uint8Array;
		switch (i % 4) {
			case 0: {
				// A ULEB field replaced by a long 0xff run (defect 1), maybe terminated.
				const run = new Uint8Array(size).fill(0xff);
				if (r.int(2) === 1) run[size - 1] = r.int(128);
				input = concatBytes([valid.subarray(0, at), run, valid.subarray(at + 1)]);
				break;
			}
			case 1: {
				// A count or length forged large, padded with bytes it cannot all describe (defect 2).
				const forged = [2 ** 32 - 1, 2_000_000, 2 ** 53 - 1, size, size + 1, r.int(2 ** 31)][
					r.int(6)
				] as number;
				input = concatBytes([
					valid.subarray(0, at),
					new Uint8Array(uleb(forged)),
					new Uint8Array(size).fill(r.int(256)),
				]);
				break;
			}
			case 2:
				input = r.bytes(Math.min(size, 4096));
				break;
			default: {
				// A valid object with one random byte overwritten and bytes appended or cut.
				const copy = Uint8Array.from(valid);
				copy[r.int(copy.length)] = r.int(256);
				input = r.int(2)
					? copy.subarray(0, r.int(copy.length))
					: concatBytes([copy, r.bytes(r.int(64))]);
			}
		}
		out.push(input);
	}
	return out;
}

/** Every parser a hostile Seal object can reach. Returns the error class names seen. */
export function parseEverywhere(input: Uint8Array): string[] {
	const names: string[] = [];
	const attempt = (run: () => unknown) => {
		try {
			run();
			names.push('ok');
		} catch (error) {
			if (!(error instanceof HarnessError)) throw error;
			names.push(error.name);
		}
	};
	attempt(() => readBlob(input));
	attempt(() => readBlob(concatBytes([new Uint8Array([2, 0]), input])));
	attempt(() => parseItem({ data: input, policy: 'allowlist' }));
	// As an envelope's sealed key: header with one server, 64-byte chunks.
	const header = new Uint8Array(5 + 33 + 32 + 2 + 8);
	header.set([2, 1, 2, 1, 1]);
	new DataView(header.buffer).setUint32(header.length - 8, 64);
	new DataView(header.buffer).setUint32(header.length - 4, input.length);
	attempt(() => decodeEnvelopeHeader(concatBytes([header, input, new Uint8Array(32)])));
	return names;
}

async function main(): Promise<void> {
	const [seed, count, maxSize] = process.argv.slice(2).map(Number) as [number, number, number];
	setFlagsFromString('--expose_gc');
	const gc = runInNewContext('gc') as () => void;
	const report = {
		inputs: 0,
		worstMsPerInput: 0,
		worstGrowth: 0,
		outcomes: {} as Record<string, number>,
		untyped: [] as string[],
	};
	for (const [index, input] of hostileInputs(seed, count, maxSize).entries()) {
		gc();
		const before = process.memoryUsage();
		const start = process.hrtime.bigint();
		let names: string[] = [];
		try {
			names = parseEverywhere(input);
		} catch (error) {
			report.untyped.push(`input ${index}: ${String(error)}`);
		}
		const ms = Number(process.hrtime.bigint() - start) / 1e6;
		const after = process.memoryUsage();
		const growth = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
		report.inputs++;
		report.worstMsPerInput = Math.max(report.worstMsPerInput, ms);
		report.worstGrowth = Math.max(report.worstGrowth, growth);
		for (const name of names) report.outcomes[name] = (report.outcomes[name] ?? 0) + 1;
	}
	process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (process.argv[1]?.endsWith('hostile-parse-fuzz.ts')) await main();
