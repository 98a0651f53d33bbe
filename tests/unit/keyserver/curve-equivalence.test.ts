/**
 * The mcl-wasm backend answers byte for byte like the @noble/curves reference: 1,000 seeded
 * random vectors per operation (replayable: the seed is printed in each test name; the default
 * run checks a seeded sample of them, `TEST_EXHAUSTIVE=1` all — see support/exhaustive.ts), off-subgroup
 * and malformed points refused alike, and whole `fetch_key` responses equal for a fixed
 * randomness source.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCurveBackend } from '../../../ts/keyserver/curve/backend.js';
import {
	SCALAR_ORDER,
	type CurveBackend,
	type ScalarSource,
} from '../../../ts/keyserver/curve/curve.js';
import { nobleBackend } from '../../../ts/keyserver/curve/noble.js';
import { FixedEvaluator } from '../../../ts/keyserver/evaluator.js';
import { StaticPackageResolver } from '../../../ts/keyserver/packages.js';
import { startKeyServer } from '../../../ts/keyserver/server.js';
import { handRequest } from '../../support/fetch-key-request.js';
import { sampleVectors } from '../../support/exhaustive.js';
import { randomObjectId } from '../../support/offline-sui-registry.js';

const VECTORS = 1000;
/** Vectors a default run checks per operation (all under TEST_EXHAUSTIVE=1). */
const SAMPLED = 60;
/** noble needs ~5–15 ms per multiplication: a few seconds per operation on an idle core. */
const SLOW = 600_000;
const SEED = 'keyserver-curve-equivalence-1';

/** Deterministic byte stream: SHA-256(seed ‖ label ‖ counter). */
function stream(label: string) {
	let counter = 0;
	return (length: number): Uint8Array => {
		const out = new Uint8Array(length);
		for (let filled = 0; filled < length; filled += 32) {
			const block = sha256(new TextEncoder().encode(`${SEED}/${label}/${counter++}`));
			out.set(block.subarray(0, Math.min(32, length - filled)), filled);
		}
		return out;
	};
}

function scalarFrom(bytes: (n: number) => Uint8Array): Uint8Array {
	const wide = BigInt(`0x${Buffer.from(bytes(48)).toString('hex')}`);
	const scalar = (wide % (SCALAR_ORDER - 1n)) + 1n;
	return Uint8Array.from(Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex'));
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** A valid G1 point, cheaply (noble's precomputed base-point tables). */
const g1Base = (scalar: Uint8Array) =>
	bls12_381.G1.Point.BASE.multiply(BigInt(`0x${hex(scalar)}`)).toBytes();

let mcl: CurveBackend;
const noble = nobleBackend;
beforeAll(async () => {
	mcl = await loadCurveBackend('mcl');
});

const sample = sampleVectors('keyserver-curve-equivalence', VECTORS, SAMPLED);

describe(`mcl vs noble, ${sample.label} vectors per operation (seed ${SEED})`, () => {
	it(
		'hash_to_G1 of random messages (Seal id DST and proof-of-possession messages)',
		() => {
			const bytes = stream('hash');
			for (let i = 0; i < VECTORS; i++) {
				const message = bytes(bytes(1)[0]! % 97);
				if (!sample.has(i)) continue;
				expect(hex(mcl.hashToG1(message)), `vector ${i}`).toBe(hex(noble.hashToG1(message)));
			}
		},
		SLOW,
	);

	it(
		'user keys H(DST_ID ‖ id)^msk under random master keys',
		() => {
			const bytes = stream('user-key');
			for (let i = 0; i < VECTORS; i++) {
				const msk = scalarFrom(bytes);
				const id = bytes(32 + (bytes(1)[0]! % 64));
				if (!sample.has(i)) continue;
				expect(hex(mcl.withMasterKey(msk).userKey(id)), `vector ${i}`).toBe(
					hex(noble.withMasterKey(msk).userKey(id)),
				);
			}
		},
		SLOW,
	);

	it(
		'G1 signatures (proof of possession) under random master keys',
		() => {
			const bytes = stream('sign');
			for (let i = 0; i < VECTORS; i++) {
				const msk = scalarFrom(bytes);
				const message = bytes(60 + (bytes(1)[0]! % 100));
				if (!sample.has(i)) continue;
				expect(hex(mcl.withMasterKey(msk).signG1(message)), `vector ${i}`).toBe(
					hex(noble.withMasterKey(msk).signG1(message)),
				);
			}
		},
		SLOW,
	);

	it(
		'G2 public keys g2^msk',
		() => {
			const bytes = stream('public-key');
			for (let i = 0; i < VECTORS; i++) {
				const msk = scalarFrom(bytes);
				if (!sample.has(i)) continue;
				expect(hex(mcl.withMasterKey(msk).publicKey()), `vector ${i}`).toBe(
					hex(noble.withMasterKey(msk).publicKey()),
				);
			}
		},
		SLOW,
	);

	it(
		'ElGamal-wrapped user keys [c0, c1] for fixed randomness',
		() => {
			const bytes = stream('wrap');
			for (let i = 0; i < VECTORS; i++) {
				const msk = scalarFrom(bytes);
				const encKeyScalar = scalarFrom(bytes);
				const id = bytes(40);
				const r = scalarFrom(bytes);
				if (!sample.has(i)) continue;
				const encKey = g1Base(encKeyScalar);
				const [a] = mcl.withMasterKey(msk).wrapUserKeys(encKey, [id], () => r);
				const [b] = noble.withMasterKey(msk).wrapUserKeys(encKey, [id], () => r);
				expect([hex(a![0]), hex(a![1])], `vector ${i}`).toEqual([hex(b![0]), hex(b![1])]);
			}
		},
		SLOW,
	);

	it(
		'point validation: valid, off-subgroup and malformed G1/G2 encodings get the same answer',
		() => {
			const bytes = stream('points');
			const { Fp } = bls12_381.fields;
			const publicKeys = Array.from({ length: 16 }, () =>
				noble.withMasterKey(scalarFrom(bytes)).publicKey(),
			);
			let offSubgroup = 0;
			let valid = 0;
			for (let i = 0; i < VECTORS; i++) {
				// An on-curve point outside G1 (random x with a square x^3 + 4): both must refuse it.
				const x = Fp.create(BigInt(`0x${hex(bytes(48))}`));
				const rhs = Fp.add(Fp.pow(x, 3n), 4n);
				let candidate: Uint8Array;
				if (Fp.eql(Fp.pow(rhs, (Fp.ORDER - 1n) / 2n), Fp.ONE)) {
					candidate = Uint8Array.from(Buffer.from(x.toString(16).padStart(96, '0'), 'hex'));
					candidate[0]! |= 0x80 | (bytes(1)[0]! & 0x20);
					offSubgroup++;
				} else {
					candidate = g1Base(scalarFrom(bytes));
					valid++;
				}
				const checked = sample.has(i);
				if (checked) expect(mcl.isG1(candidate), `G1 vector ${i}`).toBe(noble.isG1(candidate));
				// Malformed: a random flag byte, x ≥ p, truncated or extended.
				const flip = Uint8Array.from(candidate);
				flip[0] = bytes(1)[0]!;
				const big = Uint8Array.from(candidate);
				big.fill(0xff, 1);
				big[0] = 0x9f;
				for (const bad of [
					flip,
					big,
					candidate.subarray(0, 47),
					new Uint8Array([...candidate, 0]),
				]) {
					if (!checked) break;
					expect(mcl.isG1(bad), `malformed G1 vector ${i}`).toBe(noble.isG1(bad));
				}
				// G2: a valid public key and the same bytes with a flipped flag byte or a flipped bit.
				const pk = publicKeys[i % publicKeys.length]!;
				const pkBad = Uint8Array.from(pk);
				pkBad[1 + (bytes(1)[0]! % 94)]! ^= 1 << (bytes(1)[0]! % 8);
				const pkFlag = Uint8Array.from(pk);
				pkFlag[0] = bytes(1)[0]!;
				if (!checked) continue;
				for (const candidateG2 of [pk, pkBad, pkFlag]) {
					expect(mcl.isG2(candidateG2), `G2 vector ${i}`).toBe(noble.isG2(candidateG2));
				}
			}
			expect(offSubgroup).toBeGreaterThan(100);
			expect(valid).toBeGreaterThan(100);
			// The identity encodes and validates the same way in both.
			const infinity = new Uint8Array(48);
			infinity[0] = 0xc0;
			expect(mcl.isG1(infinity)).toBe(noble.isG1(infinity));
		},
		SLOW,
	);
});

describe('fetch_key responses', () => {
	it('are byte-identical from an mcl server and a noble server for a fixed randomness source', async () => {
		const packageId = randomObjectId();
		const objectId = randomObjectId();
		const masterKey = scalarFrom(stream('server-master-key'));
		const tx = new Transaction();
		const policy = new FixedEvaluator();
		for (let i = 0; i < 5; i++) {
			const id = stream(`inner-${i}`)(16);
			policy.allow(hex(id));
			tx.moveCall({
				target: `${packageId}::policy::seal_approve`,
				arguments: [tx.pure.vector('u8', Array.from(id))],
			});
		}
		const txBytes = await tx.build({ onlyTransactionKind: true });
		const { body } = await handRequest({ user: Ed25519Keypair.generate(), packageId, txBytes });
		const answers: string[] = [];
		for (const curveBackend of ['mcl', 'noble'] as const) {
			const random: ScalarSource = (() => {
				const bytes = stream('elgamal-randomness');
				return () => scalarFrom(bytes);
			})();
			const server = await startKeyServer({
				masterKey,
				objectId,
				evaluator: policy,
				packages: new StaticPackageResolver([[packageId, packageId]]),
				curveBackend,
				workers: 0,
				random,
			});
			try {
				const res = await fetch(`${server.url}/v1/fetch_key`, {
					method: 'POST',
					headers: { 'Content-Type': 'application/json', 'Client-Sdk-Version': '1.4.12' },
					body: JSON.stringify(body),
				});
				expect(res.status).toBe(200);
				answers.push(await res.text());
				const service = await fetch(`${server.url}/v1/service?service_id=${objectId}`, {
					headers: { 'Client-Sdk-Version': '1.4.12' },
				});
				answers.push(await service.text());
			} finally {
				await server.close();
			}
		}
		expect(JSON.parse(answers[0]!).decryption_keys).toHaveLength(5);
		expect(answers[0]).toBe(answers[2]);
		expect(answers[1]).toBe(answers[3]);
	});
});
