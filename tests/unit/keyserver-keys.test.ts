import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../ts/errors.js';
import { elgamalEncrypt, isG1, isG2 } from '../../ts/keyserver/elgamal.js';
import {
	deriveUserKey,
	generateMasterKey,
	hashIdToG1,
	parseMasterKeyHex,
	proofOfPossession,
	publicKeyFromMasterKey,
	scalarToBytes,
} from '../../ts/keyserver/keys.js';

const { G1, G2 } = bls12_381;
const ORDER = bls12_381.fields.Fr.ORDER;

describe('master key and public key', () => {
	it('public key is the 96-byte compressed G2 point g2^msk', () => {
		const msk = generateMasterKey();
		const pk = publicKeyFromMasterKey(msk);
		expect(pk).toHaveLength(96);
		expect(isG2(pk)).toBe(true);
		expect(G2.Point.fromBytes(pk).equals(G2.Point.BASE.multiply(bytesToNumberBE(msk)))).toBe(true);
		expect(publicKeyFromMasterKey(generateMasterKey())).not.toEqual(pk);
	});

	it('parses hex with or without 0x and rejects non-scalars without echoing the value', () => {
		const msk = generateMasterKey();
		const hex = Buffer.from(msk).toString('hex');
		expect(parseMasterKeyHex(hex)).toEqual(msk);
		expect(parseMasterKeyHex(`0x${hex}`)).toEqual(msk);
		for (const bad of [
			hex.slice(2),
			`${hex}00`,
			'zz'.repeat(32),
			'00'.repeat(32),
			scalarHex(ORDER),
		]) {
			let error: unknown;
			try {
				parseMasterKeyHex(bad);
			} catch (caught) {
				error = caught;
			}
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as Error).message).not.toContain(bad);
		}
	});
});

describe('user keys', () => {
	it('satisfy the SDK check e(usk, g2) == e(H1(fullId), pk)', () => {
		const msk = generateMasterKey();
		const pk = G2.Point.fromBytes(publicKeyFromMasterKey(msk));
		const fullId = new Uint8Array(randomBytes(40));
		const usk = deriveUserKey(msk, fullId);
		expect(usk).toHaveLength(48);
		expect(isG1(usk)).toBe(true);
		const lhs = bls12_381.pairing(G1.Point.fromBytes(usk), G2.Point.BASE);
		const rhs = bls12_381.pairing(hashIdToG1(fullId), pk);
		expect(bls12_381.fields.Fp12.eql(lhs, rhs)).toBe(true);
		// A key for another id does not pass.
		const other = bls12_381.pairing(
			G1.Point.fromBytes(deriveUserKey(msk, new Uint8Array([1]))),
			G2.Point.BASE,
		);
		expect(bls12_381.fields.Fp12.eql(other, rhs)).toBe(false);
	});

	it('hash to G1 uses the Seal id DST (same point as hashing DST_ID ‖ id with noble directly)', () => {
		const id = new Uint8Array([7, 7, 7]);
		const dst = new TextEncoder().encode('SUI-SEAL-IBE-BLS12381-00');
		const expected = G1.hashToCurve(new Uint8Array([...dst, ...id])).toAffine();
		expect(hashIdToG1(id).toAffine()).toEqual(expected);
	});
});

describe('proof of possession', () => {
	it('verifies as a BLS short signature over DST_POP ‖ pk ‖ objectId, as the SDK checks it', () => {
		const msk = generateMasterKey();
		const pk = publicKeyFromMasterKey(msk);
		const objectId = new Uint8Array(randomBytes(32));
		const pop = proofOfPossession(msk, objectId);
		const message = new Uint8Array([
			...new TextEncoder().encode('SUI-SEAL-IBE-BLS12381-POP-00'),
			...pk,
			...objectId,
		]);
		const sig = bls12_381.shortSignatures;
		expect(sig.verify(pop, sig.hash(message), pk)).toBe(true);
		const otherObject = new Uint8Array(randomBytes(32));
		expect(
			sig.verify(pop, sig.hash(new Uint8Array([...message.slice(0, -32), ...otherObject])), pk),
		).toBe(false);
	});
});

describe('ElGamal wrapping', () => {
	it('the client recovers the user key as c1 - c0·sk', () => {
		const sk = bytesToNumberBE(bls12_381.utils.randomSecretKey());
		const encKey = G1.Point.BASE.multiply(sk).toBytes();
		const usk = deriveUserKey(generateMasterKey(), new Uint8Array([1, 2]));
		const [c0, c1] = elgamalEncrypt(encKey, usk);
		const recovered = G1.Point.fromBytes(c1).subtract(G1.Point.fromBytes(c0).multiply(sk));
		expect(recovered.toBytes()).toEqual(usk);
		// Fresh randomness per encryption.
		expect(elgamalEncrypt(encKey, usk)[0]).not.toEqual(c0);
	});
});

function scalarHex(value: bigint): string {
	return Buffer.from(scalarToBytes(value % 2n ** 256n)).toString('hex');
}
