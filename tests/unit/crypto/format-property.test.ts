/**
 * Property test: readers never throw anything but a typed FormatError, and never return
 * plaintext that differs from what was encrypted, for random and mutated inputs.
 */
import { EncryptedObject } from '@mysten/seal';
import { describe, expect, it } from 'vitest';

import {
	chunkAad,
	encodeEnvelopeHeader,
	headerFromSealedKey,
	verifyEnvelopeHeader,
} from '../../../ts/crypto/envelope-header.js';
import { collectBytes, decryptChunks, encryptChunks } from '../../../ts/crypto/node/envelope-stream.js';
import { FormatError } from '../../../ts/crypto/errors.js';
import {
	concatBytes,
	encodeLegacyAesBlob,
	encodeWalletBlob,
	readBlob,
	tagSealObject,
} from '../../../ts/crypto/node/format.js';
import { EXHAUSTIVE } from '../../support/exhaustive.js';

/** Seeded PRNG (mulberry32) so a failure can be replayed from the printed seed. */
function rng(seed: number) {
	let state = seed >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const int = (n: number) => Math.floor(next() * n);
	const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
	return { int, bytes };
}

const seed = Number(process.env['FORMAT_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const r = rng(seed);

/** One random change that always alters the bytes. */
function mutate(input: Uint8Array): Uint8Array {
	for (;;) {
		const bytes = Uint8Array.from(input);
		const at = r.int(Math.max(1, bytes.length));
		let out: Uint8Array;
		switch (r.int(6)) {
			case 0: // flip one bit
				bytes[at] = (bytes[at] ?? 0) ^ (1 << r.int(8));
				out = bytes;
				break;
			case 1: // truncate
				out = bytes.subarray(0, at);
				break;
			case 2: // insert a byte
				out = concatBytes([bytes.subarray(0, at), r.bytes(1), bytes.subarray(at)]);
				break;
			case 3: // delete a run
				out = concatBytes([bytes.subarray(0, at), bytes.subarray(at + 1 + r.int(40))]);
				break;
			case 4: {
				// swap two regions of equal length
				const length = 1 + r.int(64);
				const other = r.int(Math.max(1, bytes.length - length));
				const a = bytes.slice(at, at + length);
				const b = bytes.slice(other, other + length);
				if (a.length === b.length) {
					bytes.set(b, at);
					bytes.set(a, other);
				}
				out = bytes;
				break;
			}
			default: // overwrite a byte
				bytes[at] = r.int(256);
				out = bytes;
		}
		if (Buffer.compare(Buffer.from(out), Buffer.from(input)) !== 0) return out;
	}
}

function sealObject(): Uint8Array {
	const servers = 1 + r.int(3);
	return EncryptedObject.serialize({
		version: 0,
		packageId: r.bytes(32),
		id: Buffer.from(r.bytes(32 + r.int(8))).toString('hex'),
		services: Array.from({ length: servers }, (_, i) => [r.bytes(32), i + 1] as const),
		threshold: 1 + r.int(servers),
		encryptedShares: {
			BonehFranklinBLS12381: {
				nonce: r.bytes(96),
				encryptedShares: Array.from({ length: servers }, () => r.bytes(32)),
				encryptedRandomness: r.bytes(32),
			},
		},
		ciphertext: { Aes256Gcm: { blob: r.bytes(48), aad: new Uint8Array() } },
	}).toBytes();
}

type Outcome = 'ok' | string;

/** Reads `blob` fully (envelopes: header + data with `key`); returns 'ok' or the error name. */
async function read(blob: Uint8Array, key: Uint8Array, expected: Uint8Array): Promise<Outcome> {
	try {
		const result = readBlob(blob, { key });
		let plaintext: Uint8Array | undefined;
		if (result.format === 'wallet-aes' || result.format === 'legacy-aes') {
			plaintext = result.plaintext;
		} else if (result.format === 'seal-envelope') {
			verifyEnvelopeHeader(blob.subarray(0, result.headerLength), key);
			plaintext = await collectBytes(
				decryptChunks(key, result.header.chunkSize, blob.subarray(result.headerLength), {
					aad: chunkAad(result.header),
				}),
			);
		}
		if (plaintext !== undefined && !Buffer.from(plaintext).equals(Buffer.from(expected))) {
			throw new Error(`seed ${seed}: a reader returned plaintext that was never encrypted`);
		}
		return 'ok';
	} catch (error) {
		if (error instanceof FormatError) return error.name;
		throw new Error(`seed ${seed}: untyped error ${String(error)}`, { cause: error });
	}
}

/**
 * Inputs per kind: 10,000 in all under TEST_EXHAUSTIVE=1 (.ci/run), a quarter by default — each
 * kind still meets every reader path hundreds of times; the seed above replays either run.
 */
const SCALE = EXHAUSTIVE ? 1 : 0.25;
const COUNTS = { random: 2500, wallet: 2000, legacy: 1000, sealObject: 2000, envelope: 2500 };
const n = (kind: keyof typeof COUNTS) => Math.round(COUNTS[kind] * SCALE);
const TOTAL = Object.keys(COUNTS).reduce((sum, kind) => sum + n(kind as keyof typeof COUNTS), 0);

describe(`format readers under random and mutated input (seed ${seed})`, () => {
	it(`${TOTAL} inputs (10,000 under TEST_EXHAUSTIVE=1): only typed FormatErrors, never forged plaintext`, async () => {
		const key = r.bytes(32);
		const counts = new Map<string, number>();
		const tally = (kind: string, outcome: Outcome) => {
			const name = `${kind}:${outcome}`;
			counts.set(name, (counts.get(name) ?? 0) + 1);
		};
		let total = 0;

		// Pure random bytes, half of them with a known tag in front.
		for (let i = 0; i < n('random'); i++, total++) {
			const body = r.bytes(r.int(300));
			const blob = i % 2 === 0 ? body : concatBytes([new Uint8Array([r.int(3), r.int(3)]), body]);
			tally('random', await read(blob, key, new Uint8Array()));
		}

		// Mutations of each valid format; AES forms must always fail after any change.
		for (let i = 0; i < n('wallet'); i++, total++) {
			const plaintext = r.bytes(r.int(200));
			const outcome = await read(mutate(encodeWalletBlob(key, plaintext, 1)), key, plaintext);
			expect(outcome).not.toBe('ok');
			tally('wallet', outcome);
		}
		for (let i = 0; i < n('legacy'); i++, total++) {
			const plaintext = r.bytes(r.int(200));
			const outcome = await read(mutate(encodeLegacyAesBlob(key, plaintext)), key, plaintext);
			expect(outcome).not.toBe('ok');
			tally('legacy', outcome);
		}
		for (let i = 0; i < n('sealObject'); i++, total++) {
			const object = sealObject();
			tally(
				'seal-object',
				await read(mutate(i % 2 ? tagSealObject(object) : object), key, new Uint8Array()),
			);
		}
		for (let i = 0; i < n('envelope'); i++, total++) {
			const plaintext = r.bytes(r.int(400));
			const fields = headerFromSealedKey(sealObject(), 64);
			const header = encodeEnvelopeHeader(fields, key);
			const data = await collectBytes(encryptChunks(key, 64, plaintext, { aad: chunkAad(fields) }));
			// Every header and data byte is authenticated (v2): no change may still decrypt.
			const outcome = await read(mutate(concatBytes([header, data])), key, plaintext);
			expect(outcome).not.toBe('ok');
			tally('envelope', outcome);
		}

		expect(total).toBe(TOTAL);
		if (EXHAUSTIVE) expect(total).toBe(10_000);
		// Every typed error class shows up, so each reader path was exercised.
		const names = [...counts.keys()].map((k) => k.split(':')[1]);
		for (const name of [
			'TruncatedInputError',
			'UnknownFormatTagError',
			'MalformedCiphertextError',
			'DecryptionFailedError',
		]) {
			expect(names).toContain(name);
		}
	}, 120_000);
});
