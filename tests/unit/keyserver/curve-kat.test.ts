/**
 * Both curve backends against a few fixed known answers (fast; the 1,000-vector mcl-vs-noble
 * comparison is keyserver-curve-equivalence.test.ts). External answers come from the Sui
 * framework's BLS12-381 tests (MystenLabs/sui,
 * crates/sui-framework/packages/sui-framework/tests/crypto/bls12381_tests.move at
 * 0bbaee9336a57a166c3034cd50070c6a7c558b19): `test_g1_to_bytes_regression` and
 * `test_g2_to_bytes_regression` (g1^54321, g2^54321, generators, identity) and
 * `test_bls12381_min_sig_valid_sig` (a fastcrypto min-sig signature: hash_to_G1 with the
 * BLS_SIG_…_NUL_ suite). User keys and signatures are checked with pairings against the public
 * key, and byte for byte against @noble/curves' own hash-to-curve.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import * as mclWasm from 'mcl-wasm';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import {
	checkedScalar,
	concat,
	CURVE_BACKENDS,
	DST_ID,
	HASH_TO_G1_DST,
	randomScalar,
	SCALAR_ORDER,
	type CurveBackendName,
} from '../../../ts/keyserver/curve/curve.js';
import {
	DEFAULT_CURVE_BACKEND,
	loadCurveBackend,
	parseCurveBackendName,
} from '../../../ts/keyserver/curve/backend.js';
import { encodeG1Trusted } from '../../../ts/keyserver/curve/noble.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const scalar = (value: bigint) => unhex(value.toString(16).padStart(64, '0'));

// bls12381_tests.move (see the header).
const G1_GEN =
	'97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb';
const G1_54321 =
	'821285b97f9c0420a2d37951edbda3d7c3ebac40c6f194faa0256f6e569eba49829cd69c27f1dd9df2dd83bac1f5aa49';
const G2_54321 =
	'827f4d489fcad0bf484adcc739dfe0dfbe5c0a999fd8aa022e1b66d199f328a5a2ff6ee1e568f09dc39df4c44f9527bc' +
	'011cb2a633188bd08146f6a730de30f8e5cdcaa48d69e27dd945315f5a3950bc311be5a5ea9f3d4a4cdd4315ae65040a';
const G1_IDENTITY = `c0${'00'.repeat(47)}`;
const MIN_SIG = {
	msg: '0101010101',
	pk:
		'8df101606f91f3cad7f54b8aff0f0f64c41c482d9b9f9fe81d2b607bc5f611bdfa8017cf04b47b44b222c356ef555fbd' +
		'11058c52c077f5a7ec6a15ccfd639fdc9bd47d005a111dd6cdb8c02fe49608df55a3c9822986ad0b86bdea3abfdfe464',
	sig: '908e345f2e2803cd941ae88c218c96194233c9053fa1bca52124787d3cca141c36429d7652435a820c72992d5eee6317',
};
/** -g1: the generator with the y-sign flag (0x20) set. */
const G1_NEG_GEN = `b7${G1_GEN.slice(2)}`;

const { G1, G2 } = bls12_381;
const g1 = (bytes: Uint8Array) => G1.Point.fromBytes(bytes);
const g2 = (bytes: Uint8Array) => G2.Point.fromBytes(bytes);
const pairsEqual = (a1: Uint8Array, a2: Uint8Array, b1: Uint8Array, b2: Uint8Array) =>
	bls12_381.fields.Fp12.eql(bls12_381.pairing(g1(a1), g2(a2)), bls12_381.pairing(g1(b1), g2(b2)));
/** Reference hash_to_G1 straight from @noble/curves, with fastcrypto's DST. */
const nobleHash = (message: Uint8Array) =>
	hex(G1.hashToCurve(message, { DST: HASH_TO_G1_DST }).toBytes());

/** A point on E(Fp) outside the order-r subgroup (x^3 + 4 a square, cofactor not cleared). */
function offSubgroupG1(): Uint8Array {
	const { Fp } = bls12_381.fields;
	for (let x = 1n; ; x++) {
		const rhs = Fp.add(Fp.pow(x, 3n), 4n);
		if (!Fp.eql(Fp.pow(rhs, (Fp.ORDER - 1n) / 2n), Fp.ONE)) continue;
		const bytes = unhex(x.toString(16).padStart(96, '0'));
		bytes[0]! |= 0x80;
		return bytes;
	}
}
/** Same on E'(Fp2): x = (k, 0), x^3 + 4(1 + i) a square. */
function offSubgroupG2(): Uint8Array {
	const { Fp2 } = bls12_381.fields;
	const b = Fp2.fromBigTuple([4n, 4n]);
	const half = (bls12_381.fields.Fp.ORDER ** 2n - 1n) / 2n;
	for (let k = 1n; ; k++) {
		const x = Fp2.fromBigTuple([k, 0n]);
		const rhs = Fp2.add(Fp2.pow(x, 3n), b);
		if (!Fp2.eql(Fp2.pow(rhs, half), Fp2.ONE)) continue;
		// Compressed G2: c1 ‖ c0, flags in the first byte of c1.
		const bytes = new Uint8Array(96);
		bytes.set(unhex(k.toString(16).padStart(96, '0')), 48);
		bytes[0] = 0x80;
		return bytes;
	}
}

describe.each(CURVE_BACKENDS.map((name) => [name]))('%s backend', (name: CurveBackendName) => {
	const load = () => loadCurveBackend(name);

	it('has its name', async () => {
		expect((await load()).name).toBe(name);
	});

	it('public key g2^54321 and ElGamal c0 = g1^54321 match the Sui framework vectors', async () => {
		const ops = (await load()).withMasterKey(scalar(54321n));
		expect(hex(ops.publicKey())).toBe(G2_54321);
		const [[c0]] = ops.wrapUserKeys(unhex(G1_GEN), [new Uint8Array([1])], () => scalar(54321n)) as [
			[Uint8Array, Uint8Array],
		];
		expect(hex(c0)).toBe(G1_54321);
		// r = 1 gives the generator itself, r = -1 its negation (y-sign flag set).
		const draws = [scalar(1n), scalar(SCALAR_ORDER - 1n)];
		const [one, minusOne] = ops
			.wrapUserKeys(unhex(G1_GEN), [new Uint8Array([1]), new Uint8Array([2])], () => draws.shift()!)
			.map(([c0]) => c0);
		expect(hex(one!)).toBe(G1_GEN);
		expect(hex(minusOne!)).toBe(G1_NEG_GEN);
	});

	it('hash_to_G1 is fastcrypto’s: verifies the Sui min-sig vector and equals noble’s', async () => {
		const backend = await load();
		const hashed = backend.hashToG1(unhex(MIN_SIG.msg));
		expect(hex(hashed)).toBe(nobleHash(unhex(MIN_SIG.msg)));
		const g2Gen = G2.Point.BASE.toBytes();
		expect(pairsEqual(unhex(MIN_SIG.sig), g2Gen, hashed, unhex(MIN_SIG.pk))).toBe(true);
		expect(hex(backend.hashToG1(new Uint8Array([2, 1, 1, 1, 1])))).not.toBe(hex(hashed));
		// Messages whose hash has the y-sign flag set and clear (both encoder branches).
		const flags = new Set<number>();
		for (let i = 0; flags.size < 2 && i < 16; i++) {
			const message = new TextEncoder().encode(`flag ${i}`);
			const out = backend.hashToG1(message);
			expect(hex(out)).toBe(nobleHash(message));
			flags.add(out[0]! & 0x20);
		}
		expect(flags).toEqual(new Set([0, 0x20]));
	});

	it('user keys are H(DST_ID ‖ id)^msk: the pairing check against the public key passes', async () => {
		const msk = 0x1234_5678_9abc_def0_1122_3344n;
		const ops = (await load()).withMasterKey(scalar(msk));
		const id = unhex('00112233445566778899');
		const usk = ops.userKey(id);
		expect(hex(usk)).toBe(
			hex(G1.hashToCurve(concat(DST_ID, id), { DST: HASH_TO_G1_DST }).multiply(msk).toBytes()),
		);
		const h = (await load()).hashToG1(concat(DST_ID, id));
		expect(pairsEqual(usk, G2.Point.BASE.toBytes(), h, ops.publicKey())).toBe(true);
		expect(hex(ops.userKey(unhex('00112233445566778898')))).not.toBe(hex(usk));
		// Another master key gives another user key for the same id.
		expect(hex((await load()).withMasterKey(scalar(msk + 1n)).userKey(id))).not.toBe(hex(usk));
	});

	it('signG1 is H(message)^msk (the proof-of-possession signature)', async () => {
		const msk = 777n;
		const ops = (await load()).withMasterKey(scalar(msk));
		const message = new TextEncoder().encode('proof of possession');
		const sig = ops.signG1(message);
		expect(hex(sig)).toBe(
			hex(G1.hashToCurve(message, { DST: HASH_TO_G1_DST }).multiply(msk).toBytes()),
		);
		expect(
			pairsEqual(sig, G2.Point.BASE.toBytes(), (await load()).hashToG1(message), ops.publicKey()),
		).toBe(true);
	});

	it('wrapUserKeys: c1 - sk·c0 is the user key, in id order, fresh randomness per id', async () => {
		const ops = (await load()).withMasterKey(scalar(4242n));
		const sk = 99n;
		const encKey = G1.Point.BASE.multiply(sk).toBytes();
		const ids = [unhex('aa'), unhex('bb'), unhex('cc')];
		const drawn: bigint[] = [];
		const wrapped = ops.wrapUserKeys(encKey, ids, () => {
			const r = 1000n + BigInt(drawn.length);
			drawn.push(r);
			return scalar(r);
		});
		expect(drawn).toEqual([1000n, 1001n, 1002n]);
		expect(wrapped).toHaveLength(3);
		for (const [i, [c0, c1]] of wrapped.entries()) {
			expect(hex(c0)).toBe(hex(G1.Point.BASE.multiply(drawn[i]!).toBytes()));
			const usk = g1(c1).subtract(g1(c0).multiply(sk));
			expect(hex(usk.toBytes())).toBe(hex(ops.userKey(ids[i]!)));
		}
		expect(ops.wrapUserKeys(encKey, [], () => scalar(1n))).toEqual([]);
	});

	it('wrapUserKeys uses fresh CSPRNG randomness by default', async () => {
		const ops = (await load()).withMasterKey(scalar(4242n));
		const encKey = G1.Point.BASE.multiply(5n).toBytes();
		const id = unhex('aa');
		const [[a0, a1], [b0, b1]] = ops.wrapUserKeys(encKey, [id, id]) as [
			[Uint8Array, Uint8Array],
			[Uint8Array, Uint8Array],
		];
		expect(hex(a0)).not.toBe(hex(b0));
		// Both still unwrap to the same user key.
		for (const [c0, c1] of [
			[a0, a1],
			[b0, b1],
		] as const) {
			expect(hex(g1(c1).subtract(g1(c0).multiply(5n)).toBytes())).toBe(hex(ops.userKey(id)));
		}
	});

	it('wrapUserKeys refuses an encryption key that is not a G1 point, and bad randomness', async () => {
		const ops = (await load()).withMasterKey(scalar(4242n));
		const id = [unhex('aa')];
		for (const bad of [
			offSubgroupG1(),
			new Uint8Array(48),
			unhex(G1_GEN).subarray(0, 47),
			unhex(`${G1_GEN}00`),
			unhex(MIN_SIG.pk),
		]) {
			expect(() => ops.wrapUserKeys(bad, id, () => scalar(7n))).toThrow(
				'encKey is not a valid G1 point',
			);
		}
		for (const r of [scalar(0n), scalar(SCALAR_ORDER), new Uint8Array(31)]) {
			let error: unknown;
			try {
				ops.wrapUserKeys(unhex(G1_GEN), id, () => r);
			} catch (caught) {
				error = caught;
			}
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).field).toBe('randomness');
		}
	});

	it('refuses master keys that are not scalars in 1..r-1', async () => {
		const backend = await load();
		for (const bad of [scalar(0n), scalar(SCALAR_ORDER), new Uint8Array(33).fill(1)]) {
			expect(() => backend.withMasterKey(bad)).toThrow(InvalidInputError);
		}
		expect(hex(backend.withMasterKey(scalar(SCALAR_ORDER - 1n)).publicKey())).toBe(
			hex(G2.Point.BASE.negate().toBytes()),
		);
	});

	it('point checks: valid, identity, off-subgroup, malformed and wrong-length encodings', async () => {
		const backend = await load();
		expect(backend.isG1(unhex(G1_GEN))).toBe(true);
		expect(backend.isG1(unhex(G1_NEG_GEN))).toBe(true);
		expect(backend.isG1(unhex(MIN_SIG.sig))).toBe(true);
		expect(backend.isG1(unhex(G1_IDENTITY))).toBe(true);
		expect(backend.isG1(offSubgroupG1())).toBe(false);
		expect(backend.isG1(new Uint8Array(48))).toBe(false);
		expect(backend.isG1(unhex(G1_GEN).subarray(0, 47))).toBe(false);
		expect(backend.isG1(unhex(`${G1_GEN}00`))).toBe(false);
		expect(backend.isG1(unhex(MIN_SIG.pk))).toBe(false);
		expect(backend.isG2(unhex(MIN_SIG.pk))).toBe(true);
		expect(backend.isG2(unhex(G2_54321))).toBe(true);
		expect(backend.isG2(offSubgroupG2())).toBe(false);
		expect(backend.isG2(new Uint8Array(96))).toBe(false);
		expect(backend.isG2(unhex(MIN_SIG.pk).subarray(0, 95))).toBe(false);
		expect(backend.isG2(unhex(`${MIN_SIG.pk}00`))).toBe(false);
		expect(backend.isG2(unhex(G1_GEN))).toBe(false);
	});

	it('wipe() makes the ops stop producing the key', async () => {
		const ops = (await load()).withMasterKey(scalar(4242n));
		const id = unhex('aa');
		const before = hex(ops.userKey(id));
		ops.wipe();
		let after: string;
		try {
			after = hex(ops.userKey(id));
		} catch {
			after = 'refused';
		}
		expect(after).not.toBe(before);
	});
});

describe('mcl backend configuration', () => {
	it('is loaded once per thread', async () => {
		expect(await loadCurveBackend('mcl')).toBe(await loadCurveBackend('mcl'));
	});

	it('leaves mcl-wasm refusing off-subgroup points on every deserialization', async () => {
		await loadCurveBackend('mcl');
		const p1 = new mclWasm.G1();
		expect(() => p1.deserialize(offSubgroupG1())).toThrow();
		const p2 = new mclWasm.G2();
		expect(() => p2.deserialize(offSubgroupG2())).toThrow();
		// And serializes in the ZCash (compressed, flagged) form.
		p1.deserialize(unhex(G1_GEN));
		expect(hex(p1.serialize())).toBe(G1_GEN);
	});
});

describe('backend helpers', () => {
	it('loads mcl by default and refuses unknown names', async () => {
		expect(DEFAULT_CURVE_BACKEND).toBe('mcl');
		expect((await loadCurveBackend()).name).toBe('mcl');
		const error = await loadCurveBackend('blst' as CurveBackendName).catch((caught) => caught);
		expect(error).toBeInstanceOf(InvalidInputError);
		expect((error as InvalidInputError).field).toBe('curveBackend');
		expect((error as Error).message).toContain('mcl, noble');
	});

	it('parses backend names', () => {
		expect(parseCurveBackendName('mcl')).toBe('mcl');
		expect(parseCurveBackendName('noble')).toBe('noble');
		for (const bad of ['MCL', '', 'noble ', 'blst']) {
			let error: unknown;
			try {
				parseCurveBackendName(bad);
			} catch (caught) {
				error = caught;
			}
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).field).toBe('backend');
			expect((error as Error).message).toContain(`expected one of mcl, noble, got '${bad}'`);
		}
	});

	it('checkedScalar accepts exactly 32-byte scalars 0 < k < r', () => {
		expect(checkedScalar(scalar(1n))).toBe(1n);
		expect(checkedScalar(scalar(SCALAR_ORDER - 1n))).toBe(SCALAR_ORDER - 1n);
		expect(checkedScalar(scalar(0xabcdefn))).toBe(0xabcdefn);
		const cases: [Uint8Array, RegExp][] = [
			[new Uint8Array(31).fill(1), /must be 32 bytes, got 31/],
			[new Uint8Array(33).fill(1), /must be 32 bytes, got 33/],
			[new Uint8Array(0), /must be 32 bytes, got 0/],
			[scalar(0n), /not a valid BLS12-381 scalar/],
			[scalar(SCALAR_ORDER), /not a valid BLS12-381 scalar/],
			[new Uint8Array(32).fill(0xff), /not a valid BLS12-381 scalar/],
		];
		for (const [bytes, message] of cases) {
			let error: unknown;
			try {
				checkedScalar(bytes);
			} catch (caught) {
				error = caught;
			}
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).field).toBe('masterKey');
			expect((error as Error).message).toMatch(message);
		}
		expect(() => checkedScalar(scalar(0n), 'randomness')).toThrow(
			expect.objectContaining({ field: 'randomness' }),
		);
	});

	it('randomScalar gives distinct 32-byte scalars in 1..r-1 spread over the range', () => {
		const seen = new Set<string>();
		let high = 0;
		for (let i = 0; i < 200; i++) {
			const bytes = randomScalar();
			expect(bytes).toHaveLength(32);
			const value = checkedScalar(bytes, 'randomness');
			if (value > SCALAR_ORDER / 2n) high++;
			seen.add(hex(bytes));
		}
		expect(seen.size).toBe(200);
		// Uniform in 1..r-1: about half above r/2 (200 draws: 60..140 with overwhelming odds).
		expect(high).toBeGreaterThan(60);
		expect(high).toBeLessThan(140);
	});

	it('concat puts a before b', () => {
		expect(hex(concat(unhex('0102'), unhex('030405')))).toBe('0102030405');
		expect(hex(concat(new Uint8Array(0), unhex('ff')))).toBe('ff');
		expect(hex(concat(unhex('ff'), new Uint8Array(0)))).toBe('ff');
	});

	it('the identity DST is Seal’s', () => {
		expect(new TextDecoder().decode(DST_ID)).toBe('SUI-SEAL-IBE-BLS12381-00');
	});
});

describe('noble encoder for trusted points', () => {
	it('encodes the identity, the generator and its negation in ZCash form', () => {
		expect(hex(encodeG1Trusted(G1.Point.ZERO))).toBe(G1_IDENTITY);
		expect(hex(encodeG1Trusted(G1.Point.BASE))).toBe(G1_GEN);
		expect(hex(encodeG1Trusted(G1.Point.BASE.negate()))).toBe(G1_NEG_GEN);
		expect(hex(encodeG1Trusted(G1.Point.BASE.multiply(54321n)))).toBe(G1_54321);
	});
});
