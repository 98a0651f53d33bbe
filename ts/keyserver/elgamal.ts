/**
 * ElGamal in G1, the wrapping Seal uses to return user keys: for the client's `enc_key = g1^sk`
 * and a fresh r, `(c0, c1) = (g1^r, enc_key^r + usk)`; the client recovers `usk = c1 - c0^sk`.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';

const G1 = bls12_381.G1.Point;

export type G1Point = InstanceType<typeof G1>;

/** Encrypts the 48-byte G1 `userKey` to `encKey` (48-byte G1); returns `[c0, c1]`. */
export function elgamalEncrypt(encKey: Uint8Array, userKey: Uint8Array): [Uint8Array, Uint8Array] {
	return elgamalEncryptPoint(G1.fromBytes(encKey), G1.fromBytes(userKey));
}

/** Same on decoded points: decoding (decompression + subgroup check) costs as much as a multiply. */
export function elgamalEncryptPoint(encKey: G1Point, userKey: G1Point): [Uint8Array, Uint8Array] {
	const r = bytesToNumberBE(bls12_381.utils.randomSecretKey());
	const c0 = G1.BASE.multiply(r);
	const c1 = encKey.multiply(r).add(userKey);
	return [c0.toBytes(), c1.toBytes()];
}

/** Decodes a compressed G1 point (validated). */
export function g1FromBytes(bytes: Uint8Array): G1Point {
	return G1.fromBytes(bytes);
}

/** True if `bytes` is a valid compressed G1 point (the server rejects others while parsing). */
export function isG1(bytes: Uint8Array): boolean {
	try {
		G1.fromBytes(bytes).assertValidity();
		return true;
	} catch {
		return false;
	}
}

/** True if `bytes` is a valid compressed G2 point. */
export function isG2(bytes: Uint8Array): boolean {
	try {
		bls12_381.G2.Point.fromBytes(bytes).assertValidity();
		return true;
	} catch {
		return false;
	}
}
