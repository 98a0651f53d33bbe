import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { loadCurveBackend } from '../../../ts/keyserver/curve/backend.js';
import { randomScalar, CURVE_BACKENDS } from '../../../ts/keyserver/curve/curve.js';
import { nobleBackend } from '../../../ts/keyserver/curve/noble.js';
import {
	deriveUserKey,
	generateMasterKey,
	hashIdToG1,
	parseMasterKeyHex,
	proofOfPossession,
	publicKeyFromMasterKey,
	scalarToBytes,
} from '../../../ts/keyserver/keys.js';

const { G1, G2 } = bls12_381;
const { isG1, isG2 } = nobleBackend;
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

	it('trims surrounding whitespace and refuses text around or inside the 64 hex digits', () => {
		const msk = generateMasterKey();
		const hex = Buffer.from(msk).toString('hex');
		expect(parseMasterKeyHex(` 0x${hex}\n`)).toEqual(msk);
		for (const bad of [`zz${hex}`, `${hex}zz`, `${hex.slice(0, 10)}0x${hex.slice(10)}`]) {
			let error: unknown;
			try {
				parseMasterKeyHex(bad);
			} catch (caught) {
				error = caught;
			}
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).field).toBe('masterKey');
			expect((error as Error).message).toMatch(/64 hex characters/);
		}
		// The format check answers before the scalar check: a 63-digit value names the format.
		expect(() => parseMasterKeyHex(hex.slice(1))).toThrow(/64 hex characters/);
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

describe.each(CURVE_BACKENDS)('ElGamal wrapping (%s backend)', (name) => {
	it('the client recovers the user key as c1 - c0·sk; randomness is fresh per key', async () => {
		const backend = await loadCurveBackend(name);
		const sk = bytesToNumberBE(bls12_381.utils.randomSecretKey());
		const encKey = G1.Point.BASE.multiply(sk).toBytes();
		const msk = generateMasterKey();
		const fullIds = [new Uint8Array([1, 2]), new Uint8Array([1, 2])];
		const wrapped = backend.withMasterKey(msk).wrapUserKeys(encKey, fullIds);
		const usk = deriveUserKey(msk, fullIds[0]!);
		for (const [c0, c1] of wrapped) {
			const recovered = G1.Point.fromBytes(c1).subtract(G1.Point.fromBytes(c0).multiply(sk));
			expect(recovered.toBytes()).toEqual(usk);
		}
		expect(wrapped[1]![0]).not.toEqual(wrapped[0]![0]);
	});

	it('refuses an enc_key that is not a G1 point, and randomness that is not a scalar', async () => {
		const ops = (await loadCurveBackend(name)).withMasterKey(generateMasterKey());
		expect(() => ops.wrapUserKeys(new Uint8Array(48), [new Uint8Array([1])])).toThrow();
		const encKey = G1.Point.BASE.toBytes();
		expect(() => ops.wrapUserKeys(encKey, [new Uint8Array([1])], () => new Uint8Array(32))).toThrow(
			InvalidInputError,
		);
		expect(ops.wrapUserKeys(encKey, [new Uint8Array([1])], randomScalar)).toHaveLength(1);
	});
});

function scalarHex(value: bigint): string {
	return Buffer.from(scalarToBytes(value % 2n ** 256n)).toString('hex');
}
