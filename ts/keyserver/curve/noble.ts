/**
 * Reference backend on @noble/curves. `multiply` is noble's constant-time ladder (never
 * `multiplyUnsafe` on a secret). Points we computed ourselves are in the subgroup by
 * construction, so they are encoded directly from affine coordinates instead of through
 * `toBytes()`, which re-runs the subgroup check (a scalar multiplication) on every call.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import {
	batchCoefficient,
	checkedScalar,
	concat,
	DST_ID,
	randomScalar,
	type CurveBackend,
	type MasterKeyOps,
	type ScalarSource,
	type WrappedKey,
} from './curve.js';

const G1 = bls12_381.G1.Point;
const G2 = bls12_381.G2.Point;
type G1Point = InstanceType<typeof G1>;
const P = bls12_381.fields.Fp.ORDER;

function fieldBytes(value: bigint): Uint8Array {
	return Uint8Array.from(Buffer.from(value.toString(16).padStart(96, '0'), 'hex'));
}

/** ZCash compressed G1 encoding of a point known to be in G1 (no validation). */
export function encodeG1Trusted(point: G1Point): Uint8Array {
	if (point.is0()) {
		const out = new Uint8Array(48);
		out[0] = 0xc0;
		return out;
	}
	const { x, y } = point.toAffine();
	const out = fieldBytes(x);
	out[0]! |= 0x80;
	if ((y * 2n) / P) out[0]! |= 0x20;
	return out;
}

function hashToG1Point(message: Uint8Array): G1Point {
	// hashToCurve clears the cofactor: the result is in G1.
	return G1.fromAffine(bls12_381.G1.hashToCurve(message).toAffine());
}

/** noble's fromBytes checks the encoding, the curve equation and subgroup membership. */
function decodeG1(bytes: Uint8Array): G1Point | undefined {
	try {
		return G1.fromBytes(bytes);
	} catch {
		return undefined;
	}
}

function decodeG2(bytes: Uint8Array): InstanceType<typeof G2> | undefined {
	try {
		return G2.fromBytes(bytes);
	} catch {
		return undefined;
	}
}

export const nobleBackend: CurveBackend = {
	name: 'noble',
	verifyEncryptedShares(shares, ephemeralVk, partialPk, fullIds) {
		const vk = decodeG2(ephemeralVk);
		const pk = decodeG2(partialPk);
		if (!vk || !pk || vk.is0() || pk.is0()) return shares.map(() => false);
		const points = shares.map(([c0Bytes, c1Bytes], i) => {
			const c0 = decodeG1(c0Bytes);
			const c1 = decodeG1(c1Bytes);
			if (!c0 || !c1 || c0.is0() || c1.is0()) return undefined;
			return { c0, c1, h: hashToG1Point(concat(DST_ID, fullIds[i]!)) };
		});
		const check = (c1: G1Point, c0: G1Point, h: G1Point) =>
			// e(c1, -g2) · e(c0, vk) · e(H(id), pk) == 1 (noble's batch: one final exponentiation).
			bls12_381.fields.Fp12.eql(
				bls12_381.pairingBatch([
					{ g1: c1, g2: G2.BASE.negate() },
					{ g1: c0, g2: vk },
					{ g1: h, g2: pk },
				]),
				bls12_381.fields.Fp12.ONE,
			);
		const valid = points.filter((p) => p !== undefined);
		// Small-exponent batch check (see curve.ts), then one by one only if it fails.
		if (valid.length > 1) {
			const rho = valid.map(() => BigInt(`0x${Buffer.from(batchCoefficient()).toString('hex')}`));
			const sum = (pick: (p: (typeof valid)[number]) => G1Point) =>
				valid.reduce((acc, p, i) => acc.add(pick(p).multiplyUnsafe(rho[i]!)), G1.ZERO);
			if (
				check(
					sum((p) => p.c1),
					sum((p) => p.c0),
					sum((p) => p.h),
				)
			) {
				return points.map((p) => p !== undefined);
			}
		}
		return points.map((p) => (p ? check(p.c1, p.c0, p.h) : false));
	},
	combineG1(points, coefficients) {
		let sum = G1.ZERO;
		points.forEach((bytes, i) => {
			const point = decodeG1(bytes);
			if (!point) throw new Error('not a valid G1 point');
			const k = coefficients[i]! % bls12_381.fields.Fr.ORDER;
			if (k !== 0n) sum = sum.add(point.multiplyUnsafe(k));
		});
		return encodeG1Trusted(sum);
	},
	hashToG1: (message) => encodeG1Trusted(hashToG1Point(message)),
	isG1: (bytes) => decodeG1(bytes) !== undefined,
	isG2(bytes) {
		try {
			G2.fromBytes(bytes);
			return true;
		} catch {
			return false;
		}
	},
	withMasterKey(masterKey: Uint8Array): MasterKeyOps {
		let msk = checkedScalar(masterKey);
		const userKeyPoint = (fullId: Uint8Array) =>
			hashToG1Point(concat(DST_ID, fullId)).multiply(msk);
		return {
			// G2 public key: computed once per server start, the validating encoder is fine here.
			publicKey: () => G2.BASE.multiply(msk).toBytes(),
			signG1: (message) => encodeG1Trusted(hashToG1Point(message).multiply(msk)),
			userKey: (fullId) => encodeG1Trusted(userKeyPoint(fullId)),
			wrapUserKeys(encKey, fullIds, random: ScalarSource = randomScalar): WrappedKey[] {
				const enc = decodeG1(encKey);
				if (!enc) throw new Error('encKey is not a valid G1 point');
				return fullIds.map((fullId) => {
					const r = checkedScalar(random(), 'randomness');
					const c0 = G1.BASE.multiply(r);
					const c1 = enc.multiply(r).add(userKeyPoint(fullId));
					return [encodeG1Trusted(c0), encodeG1Trusted(c1)];
				});
			},
			wipe() {
				msk = 0n;
			},
		};
	},
};
