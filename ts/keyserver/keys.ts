/**
 * Key material of a Seal key server (Boneh–Franklin IBE on BLS12-381, as in Mysten's key server):
 * master key = scalar (32 bytes big-endian), public key = g2^msk (96 B compressed G2),
 * user key for a full id = H1(DST_ID ‖ fullId)^msk (48 B compressed G1).
 * Nothing here logs; callers must not log or persist the master key.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { concatBytes, numberToBytesBE } from '@noble/curves/utils.js';
import { InvalidInputError } from '../errors.js';
import { checkedScalar } from './curve/curve.js';

const DST_ID = new TextEncoder().encode('SUI-SEAL-IBE-BLS12381-00');
const DST_POP = new TextEncoder().encode('SUI-SEAL-IBE-BLS12381-POP-00');

/** A fresh random master key (32 bytes, a non-zero scalar below the group order). */
export function generateMasterKey(): Uint8Array {
	return bls12_381.utils.randomSecretKey();
}

/** The scalar of a master key; rejects bytes that are not a valid non-zero scalar. */
export function masterKeyScalar(msk: Uint8Array): bigint {
	return checkedScalar(msk);
}

/**
 * Parses a master key given as hex (optional `0x`), the format `seal-cli genkey` and
 * `seal-policies keyserver genkey` print. The value itself never goes into the error message.
 */
export function parseMasterKeyHex(text: string): Uint8Array {
	const hex = text.trim().replace(/^0x/i, '');
	if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
		throw new InvalidInputError(
			'masterKey',
			'must be 64 hex characters (32 bytes), optionally 0x-prefixed',
		);
	}
	const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
	masterKeyScalar(bytes);
	return bytes;
}

/** Master public key g2^msk, 96-byte compressed G2 (what gets registered on chain). */
export function publicKeyFromMasterKey(msk: Uint8Array): Uint8Array {
	return bls12_381.G2.Point.BASE.multiply(masterKeyScalar(msk)).toBytes();
}

/** H1(fullId) = hash_to_G1(DST_ID ‖ fullId) with the RFC 9380 BLS signature suite. */
export function hashIdToG1(fullId: Uint8Array): G1Point {
	return bls12_381.G1.Point.fromAffine(
		bls12_381.G1.hashToCurve(concatBytes(DST_ID, fullId)).toAffine(),
	);
}

/** The IBE user secret key for `fullId` = `[original package id][inner id]` (48 B G1). */
export function deriveUserKey(msk: Uint8Array, fullId: Uint8Array): Uint8Array {
	return deriveUserKeyPoint(msk, fullId).toBytes();
}

/** `deriveUserKey` as a curve point (the server wraps it without a compress/decompress trip). */
export function deriveUserKeyPoint(msk: Uint8Array, fullId: Uint8Array): G1Point {
	return hashIdToG1(fullId).multiply(masterKeyScalar(msk));
}

export type G1Point = InstanceType<typeof bls12_381.G1.Point>;

/**
 * Proof of possession served on `/v1/service`: a BLS short signature (G1) by the master key over
 * `DST_POP ‖ publicKey(96) ‖ keyServerObjectId(32)`.
 */
export function proofOfPossession(msk: Uint8Array, objectId: Uint8Array): Uint8Array {
	const message = concatBytes(DST_POP, publicKeyFromMasterKey(msk), objectId);
	const point = bls12_381.shortSignatures.hash(message);
	return point.multiply(masterKeyScalar(msk)).toBytes();
}

/** 32-byte big-endian encoding of a scalar (used by tests and the bench). */
export function scalarToBytes(scalar: bigint): Uint8Array {
	return numberToBytesBE(scalar, 32);
}
