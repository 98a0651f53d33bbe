/**
 * Hostile Seal objects (issue 13, defects 1 and 2): long 0xff ULEB runs, counts and lengths
 * forged far beyond the bytes present, random bytes. Every parser that takes a Seal object must
 * answer with a typed error in time linear in the bytes it examines and without allocating what
 * a forged count claims.
 *
 * The seeded fuzz runs in a child process with a 96 MiB heap, so one ballooning input kills it;
 * each input's time and live-memory growth are bounded too. Replay: HOSTILE_SEED=<seed>.
 * Nightly / bench scale: HOSTILE_COUNT=5000 HOSTILE_MAX_SIZE=16777216.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { EncryptedObject } from '@mysten/seal';
import { describe, expect, it } from 'vitest';

import { MalformedCiphertextError, TruncatedInputError } from '../../../ts/crypto/errors.js';
import {
	MAX_SEAL_OBJECT_LENGTH,
	parseSealObject,
	readBlob,
	scanSealObject,
	SEAL_LIMITS,
} from '../../../ts/crypto/node/format.js';
import { parseItem } from '../../../ts/seal/decrypt.js';
import { hostileInputs, parseEverywhere } from '../../support/hostile-parse-fuzz.js';

const seed = Number(process.env['HOSTILE_SEED'] ?? Date.now() % 2 ** 31);
const count = Number(process.env['HOSTILE_COUNT'] ?? 120);
const maxSize = Number(process.env['HOSTILE_MAX_SIZE'] ?? 128 * 1024);
const harness = fileURLToPath(new URL('../../support/hostile-parse-fuzz.ts', import.meta.url));

/** A Seal object prefix up to its id length, then `run` bytes of 0xff. */
function ulebRun(length: number): Uint8Array {
	const bytes = new Uint8Array(33 + length).fill(0xff);
	bytes.fill(0, 0, 33);
	return bytes;
}

function timed(run: () => void): number {
	const start = process.hrtime.bigint();
	run();
	return Number(process.hrtime.bigint() - start) / 1e6;
}

describe('Seal object parsing is linear and bounded', () => {
	it('a 0xff ULEB run is rejected after at most 10 bytes, whatever its length', () => {
		for (const length of [11, 1024, 1 << 20, 8 << 20]) {
			const input = ulebRun(length);
			let error: unknown;
			const ms = timed(() => {
				try {
					parseSealObject(input);
				} catch (caught) {
					error = caught;
				}
			});
			expect(error).toBeInstanceOf(MalformedCiphertextError);
			expect(String(error)).toMatch(/exceeds the limit|longer than 10 bytes/);
			// The old reader took 21–52 s at 256 KB: linear time here is milliseconds.
			expect(ms).toBeLessThan(200);
		}
		// A terminated 11-byte ULEB is too long even when its value would be small.
		const long = new Uint8Array([...new Uint8Array(33), ...new Array(10).fill(0x80), 0x01]);
		expect(() => scanSealObject(long)).toThrow(/exceeds|longer than 10 bytes/);
		expect(() => scanSealObject(new Uint8Array([...new Uint8Array(33), 0x80, 0x00]))).toThrow(
			/not canonically encoded/,
		);
	});

	it('objects over the derived maximum are refused before any field is read', () => {
		expect(MAX_SEAL_OBJECT_LENGTH).toBe(16_925_073);
		const big = new Uint8Array(MAX_SEAL_OBJECT_LENGTH + 1);
		expect(() => scanSealObject(big)).toThrow(/over the maximum 16925073/);
		const tagged = new Uint8Array(big.length + 2);
		tagged.set([2, 0]);
		expect(() => readBlob(tagged)).toThrow(/over the maximum/);
	});

	it('counts are bounded by the protocol limits and by the bytes that remain', () => {
		const prefix = [...new Uint8Array(33), 1, 0xab]; // version, package, id of 1 byte
		// 256 services: over the u8 share-index limit, whatever follows.
		expect(() => scanSealObject(new Uint8Array([...prefix, 0x80, 0x02]))).toThrow(
			/services count exceeds the limit 255/,
		);
		// 200 services claimed, bytes for 1.
		const short = new Uint8Array([...prefix, 0xc8, 0x01, ...new Uint8Array(33)]);
		expect(() => scanSealObject(short)).toThrow(TruncatedInputError);
		expect(() => scanSealObject(short)).toThrow(/needs 6600 bytes, 33 left/);
		// 2^32-1 encoded: refused at the byte that crosses the limit.
		expect(() => scanSealObject(new Uint8Array([...prefix, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow(
			/exceeds the limit/,
		);
		expect(SEAL_LIMITS).toEqual({
			services: 255,
			idLength: 65535,
			blobLength: 16 * 1024 * 1024,
			aadLength: 64 * 1024,
		});
	});

	it('batch decryption parses items through the same bounded scan', () => {
		const ms = timed(() =>
			expect(() => parseItem({ data: ulebRun(4 << 20), policy: 'owner' })).toThrow(
				/not a Seal encrypted object/,
			),
		);
		expect(ms).toBeLessThan(200);
	});

	it('in-process smoke of the fuzz corpus: only typed errors', () => {
		for (const input of hostileInputs(seed, 40, 4096)) {
			for (const name of parseEverywhere(input)) expect(name).toMatch(/Error$|^ok$/);
		}
	});

	it(`seeded fuzz in a 96 MiB heap (seed ${seed}, ${count} inputs up to ${maxSize} bytes): typed errors, per-input time and memory bounded`, () => {
		const child = spawnSync(
			process.execPath,
			[
				'--import',
				'tsx',
				'--max-old-space-size=96',
				harness,
				String(seed),
				String(count),
				String(maxSize),
			],
			{ encoding: 'utf8', timeout: 240_000 },
		);
		expect(child.status, `seed ${seed}: ${child.stderr.slice(-2000)}`).toBe(0);
		const report = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
			inputs: number;
			worstMsPerInput: number;
			worstGrowth: number;
			outcomes: Record<string, number>;
			untyped: string[];
		};
		expect(report.untyped, `seed ${seed}`).toEqual([]);
		expect(report.inputs).toBe(count);
		// Linear: ~1 ms per 128 KiB examined; the bound leaves room for a loaded machine.
		expect(report.worstMsPerInput, `seed ${seed}`).toBeLessThan(500 + maxSize / 4096);
		// Nothing a forged count claims is allocated: live growth stays near the input's size.
		expect(report.worstGrowth, `seed ${seed}`).toBeLessThan(4 * 1024 * 1024 + 2 * maxSize);
		expect(report.outcomes['MalformedCiphertextError']).toBeGreaterThan(0);
		expect(report.outcomes['TruncatedInputError']).toBeGreaterThan(0);
	}, 300_000);
});

describe('every Seal ciphertext kind and field of the layout is walked exactly', () => {
	const base = {
		version: 0,
		packageId: `0x${'11'.repeat(32)}`,
		id: 'aabb',
		services: [[`0x${'22'.repeat(32)}`, 1]] as [string, number][],
		threshold: 1,
		encryptedShares: {
			BonehFranklinBLS12381: {
				nonce: new Uint8Array(96),
				encryptedShares: [new Uint8Array(32)],
				encryptedRandomness: new Uint8Array(32),
			},
		},
	};
	const serialize = (ciphertext: object) =>
		EncryptedObject.serialize({ ...base, ciphertext } as never).toBytes();
	const kinds = {
		'Aes256Gcm, empty aad': { Aes256Gcm: { blob: new Uint8Array(20), aad: new Uint8Array() } },
		'Aes256Gcm, aad': { Aes256Gcm: { blob: new Uint8Array(20), aad: new Uint8Array([1, 2, 3]) } },
		'Aes256Gcm, no aad': { Aes256Gcm: { blob: new Uint8Array(20), aad: null } },
		'Hmac256Ctr, aad': {
			Hmac256Ctr: { blob: new Uint8Array(9), aad: new Uint8Array([4]), mac: new Uint8Array(32) },
		},
		Plain: { Plain: {} },
	};

	for (const [name, ciphertext] of Object.entries(kinds)) {
		it(`${name}: accepted whole, refused one byte short or one byte long`, () => {
			const bytes = serialize(ciphertext);
			expect(() => scanSealObject(bytes)).not.toThrow();
			expect(parseSealObject(bytes).threshold).toBe(1);
			expect(() => scanSealObject(bytes.subarray(0, bytes.length - 1))).toThrow(
				TruncatedInputError,
			);
			const longer = new Uint8Array(bytes.length + 1);
			longer.set(bytes);
			expect(() => scanSealObject(longer)).toThrow(/1 trailing bytes/);
		});
	}

	it('an aad option byte other than 0 or 1, an unknown kind or share scheme is refused', () => {
		const bytes = serialize(kinds['Aes256Gcm, aad']);
		const optionAt = bytes.length - 1 - 3 - 1; // option, uleb length 3, three aad bytes
		const bad = Uint8Array.from(bytes);
		bad[optionAt] = 2;
		expect(() => scanSealObject(bad)).toThrow(/aad option is not 0 or 1/);
		const demAt = bytes.length - 3 - 1 - 1 - 20 - 1 - 1;
		const kind = Uint8Array.from(bytes);
		kind[demAt] = 3;
		expect(() => scanSealObject(kind)).toThrow(/ciphertext kind exceeds the limit 2/);
		const kemAt = 33 + 1 + 2 + 1 + 33 + 1;
		const scheme = Uint8Array.from(bytes);
		scheme[kemAt] = 1;
		expect(() => scanSealObject(scheme)).toThrow(/share scheme exceeds the limit 0/);
	});

	it('a ULEB cut off by the end of the bytes is a truncation; exactly the maximum size is not refused for its size', () => {
		expect(() => scanSealObject(new Uint8Array([...new Uint8Array(33), 0x80]))).toThrow(
			/ends inside the id count/,
		);
		const max = new Uint8Array(MAX_SEAL_OBJECT_LENGTH);
		// All zeros: a valid empty object, then trailing bytes (not refused for its size).
		expect(() => scanSealObject(max)).toThrow(/trailing bytes/);
	});

	it('a ULEB of 10 continuation bytes is refused as too long, not read on', () => {
		const run = new Uint8Array([...new Uint8Array(33), ...new Array(10).fill(0x80), 0x01]);
		expect(() => scanSealObject(run)).toThrow(/longer than 10 bytes/);
	});
});
