/**
 * The aggregator's curve work on both backends: `verifyEncryptedShares` (MystenLabs/seal
 * crates/crypto/src/ibe.rs `verify_encrypted_signature` and its test, ddc7e5d6), Lagrange
 * combination at x = party_id + 1 (crates/crypto/src/elgamal.rs `aggregate_encrypted` and
 * `test_aggregate_encrypted_with_polynomial_shares`), and `MASTER_SHARE_V<n>` parsing
 * (crates/key-server/src/master_keys.rs `load_master_share`).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { describe, expect, it } from 'vitest';
import { shareFromEnv } from '../../../ts/keyserver/committee/member-keys.js';
import { loadCurveBackend } from '../../../ts/keyserver/curve/backend.js';
import {
	concat,
	CURVE_BACKENDS,
	DST_ID,
	lagrangeAtZero,
	SCALAR_ORDER,
	type WrappedKey,
} from '../../../ts/keyserver/curve/curve.js';
import { CommitteeShareError } from '../../../ts/keyserver/errors.js';
import { dealShares, g2Of, randomScalarBigint, shareHex } from '../../support/committee-testbed.js';

const G1 = bls12_381.G1.Point;
const hashId = (id: Uint8Array) =>
	G1.fromAffine(bls12_381.G1.hashToCurve(concat(DST_ID, id)).toAffine());

/** ElGamal encryption of H(id)^share under the ephemeral key sk: (g1^r, (g1^sk)^r + H(id)^share). */
function encryptShare(
	share: bigint,
	sk: bigint,
	id: Uint8Array,
	r = randomScalarBigint(),
): WrappedKey {
	const c0 = G1.BASE.multiply(r);
	const c1 = G1.BASE.multiply(sk).multiply(r).add(hashId(id).multiply(share));
	return [c0.toBytes(), c1.toBytes()];
}

describe('lagrangeAtZero', () => {
	it('recovers f(0) from any threshold of the shares f(1..n), and refuses repeated or zero points', () => {
		const { secret, shares } = dealShares(3, 5);
		for (const parties of [
			[0, 1, 2],
			[4, 2, 0],
			[1, 3, 4],
		]) {
			const lambdas = lagrangeAtZero(parties.map((p) => BigInt(p + 1)));
			const sum = parties.reduce(
				(acc, p, i) => (acc + lambdas[i]! * shares[p]!) % SCALAR_ORDER,
				0n,
			);
			expect(sum).toBe(secret);
		}
		// Party-index convention: x = party_id + 1; taking x = party_id gives another value.
		const offByOne = lagrangeAtZero([1n, 2n, 3n]);
		const wrong = [1, 2, 3].reduce(
			(acc, p, i) => (acc + offByOne[i]! * shares[p]!) % SCALAR_ORDER,
			0n,
		);
		expect(wrong).not.toBe(secret);
		expect(() => lagrangeAtZero([1n, 1n])).toThrow(/distinct and non-zero/);
		expect(() => lagrangeAtZero([0n, 2n])).toThrow(/distinct and non-zero/);
	});
});

describe.each(CURVE_BACKENDS)('%s backend: committee share operations', (name) => {
	it('verifyEncryptedShares accepts an honest share and rejects a wrong id, key, share, identity or garbage', async () => {
		const backend = await loadCurveBackend(name);
		const curve = {
			verifyEncryptedShare: (s: WrappedKey, vk: Uint8Array, pk: Uint8Array, id: Uint8Array) =>
				backend.verifyEncryptedShares([s], vk, pk, [id])[0],
		};
		const share = randomScalarBigint();
		const sk = randomScalarBigint();
		const vk = bls12_381.G2.Point.BASE.multiply(sk).toBytes();
		const id = new Uint8Array([1, 2, 3, 4]);
		const honest = encryptShare(share, sk, id);
		expect(curve.verifyEncryptedShare(honest, vk, g2Of(share), id)).toBe(true);
		expect(curve.verifyEncryptedShare(honest, vk, g2Of(share), new Uint8Array([9]))).toBe(false);
		expect(curve.verifyEncryptedShare(honest, vk, g2Of(share + 1n), id)).toBe(false);
		expect(curve.verifyEncryptedShare(encryptShare(share + 1n, sk, id), vk, g2Of(share), id)).toBe(
			false,
		);
		// Encrypted under another ephemeral key than the verification key says.
		expect(curve.verifyEncryptedShare(encryptShare(share, sk + 1n, id), vk, g2Of(share), id)).toBe(
			false,
		);
		const zeroG1 = G1.ZERO.toBytes();
		expect(curve.verifyEncryptedShare([zeroG1, honest[1]], vk, g2Of(share), id)).toBe(false);
		expect(
			curve.verifyEncryptedShare(honest, bls12_381.G2.Point.ZERO.toBytes(), g2Of(share), id),
		).toBe(false);
		expect(curve.verifyEncryptedShare([new Uint8Array(48), honest[1]], vk, g2Of(share), id)).toBe(
			false,
		);
		expect(curve.verifyEncryptedShare(honest, vk, new Uint8Array(96).fill(7), id)).toBe(false);
	});

	it('verifies a batch share by share (one bad share does not spoil or hide the others)', async () => {
		const backend = await loadCurveBackend(name);
		const share = randomScalarBigint();
		const sk = randomScalarBigint();
		const vk = bls12_381.G2.Point.BASE.multiply(sk).toBytes();
		const ids = [1, 2, 3, 4].map((n) => new Uint8Array([n, n]));
		const shares = ids.map((id, i) => encryptShare(i === 2 ? share + 5n : share, sk, id));
		expect(backend.verifyEncryptedShares(shares, vk, g2Of(share), ids)).toEqual([
			true,
			true,
			false,
			true,
		]);
		// All honest: the batch check passes them all at once.
		const honest = ids.map((id) => encryptShare(share, sk, id));
		expect(backend.verifyEncryptedShares(honest, vk, g2Of(share), ids)).toEqual([
			true,
			true,
			true,
			true,
		]);
		// Two honest shares answered under each other's ids: both wrong, the others right.
		const swapped = [honest[1]!, honest[0]!, honest[2]!, honest[3]!];
		expect(backend.verifyEncryptedShares(swapped, vk, g2Of(share), ids)).toEqual([
			false,
			false,
			true,
			true,
		]);
		// A malformed share is false on its own; the rest still verify.
		const malformed = [honest[0]!, [new Uint8Array(48), honest[1]![1]] as WrappedKey, honest[2]!];
		expect(backend.verifyEncryptedShares(malformed, vk, g2Of(share), ids.slice(0, 3))).toEqual([
			true,
			false,
			true,
		]);
		expect(backend.verifyEncryptedShares(shares, new Uint8Array(96), g2Of(share), ids)).toEqual([
			false,
			false,
			false,
			false,
		]);
	});

	it('combining threshold encrypted shares gives an encryption of H(id)^f(0) (elgamal.rs test)', async () => {
		const curve = await loadCurveBackend(name);
		const { secret, shares } = dealShares(3, 4);
		const sk = randomScalarBigint();
		const id = new Uint8Array([7, 7, 7]);
		const parties = [3, 0, 2];
		const encrypted = parties.map((p) => encryptShare(shares[p]!, sk, id));
		const lambdas = lagrangeAtZero(parties.map((p) => BigInt(p + 1)));
		const c0 = G1.fromBytes(
			curve.combineG1(
				encrypted.map((e) => e[0]),
				lambdas,
			),
		);
		const c1 = G1.fromBytes(
			curve.combineG1(
				encrypted.map((e) => e[1]),
				lambdas,
			),
		);
		// ElGamal decryption: c1 - sk·c0 = H(id)^secret.
		const decrypted = c1.subtract(c0.multiply(sk));
		expect(decrypted.equals(hashId(id).multiply(secret))).toBe(true);
		expect(() => curve.combineG1([new Uint8Array(48)], [1n])).toThrow(/not a valid G1 point/);
	});
});

describe('MASTER_SHARE_V<n>', () => {
	it('reads the share (hex, 0x optional), removes it from the environment, and is unset → undefined', () => {
		const env: NodeJS.ProcessEnv = { MASTER_SHARE_V3: shareHex(5n) };
		const share = shareFromEnv(env, 3);
		expect(Buffer.from(share!).toString('hex')).toBe('05'.padStart(64, '0'));
		expect(env['MASTER_SHARE_V3']).toBeUndefined();
		expect(shareFromEnv({}, 3)).toBeUndefined();
	});

	it('refuses malformed shares without echoing them', () => {
		for (const value of [
			'0x1234',
			'zz'.repeat(32),
			`0x${'00'.repeat(32)}`,
			`0x${'ff'.repeat(32)}`,
		]) {
			let error: unknown;
			try {
				shareFromEnv({ MASTER_SHARE_V0: value }, 0);
			} catch (caught) {
				error = caught;
			}
			expect(error).toBeInstanceOf(CommitteeShareError);
			expect((error as Error).message).toMatch(/MASTER_SHARE_V0/);
			expect((error as Error).message).not.toContain(value.replace(/^0x/, ''));
		}
	});
});
