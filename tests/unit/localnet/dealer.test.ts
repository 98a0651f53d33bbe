/**
 * The localnet's trusted dealer. Party-index convention from MystenLabs/seal seal-v0.6.10
 * (commit af5e6f45): crates/crypto/src/elgamal.rs `aggregate_encrypted` interpolates party p at
 * x = p + 1 (`NonZeroU16::new(id + 1)`), and its test `test_aggregate_encrypted_with_polynomial_shares`
 * evaluates the dealer polynomial at `party_id + 1`; on chain party_id is the 0-based position
 * (move/seal/sources/key_server.move `validate_partial_key_servers`).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { describe, expect, it } from 'vitest';
import { hashIdToG1 } from '../../../ts/keyserver/keys.js';
import { dealCommittee, lagrangeAtZero, wipeShares } from '../../../ts/localnet/dealer.js';
import { LocalnetTopologyError } from '../../../ts/localnet/errors.js';

const Fr = bls12_381.fields.Fr;
const G2 = bls12_381.G2.Point;

/** Every subset of `size` indices 0..n-1. */
function subsets(n: number, size: number): number[][] {
	if (size === 0) return [[]];
	if (n < size) return [];
	return [...subsets(n - 1, size - 1).map((s) => [...s, n - 1]), ...subsets(n - 1, size)];
}

function interpolate(shares: { partyId: number; share: Uint8Array }[]): bigint {
	const ids = shares.map((s) => s.partyId);
	return shares.reduce(
		(sum, s) => Fr.add(sum, Fr.mul(bytesToNumberBE(s.share), lagrangeAtZero(s.partyId, ids))),
		0n,
	);
}

describe('trusted dealer (localnet only)', () => {
	it('any T of N shares interpolate to the secret behind the master public key', () => {
		const dealt = dealCommittee(3, 5);
		expect(dealt.shares.map((s) => s.partyId)).toEqual([0, 1, 2, 3, 4]);
		for (const subset of subsets(5, 3)) {
			const secret = interpolate(subset.map((i) => dealt.shares[i]!));
			expect(G2.BASE.multiply(secret).toBytes()).toEqual(dealt.masterPublicKey);
		}
	});

	it('T-1 shares do not determine it', () => {
		const dealt = dealCommittee(3, 5);
		for (const subset of subsets(5, 2)) {
			const guess = interpolate(subset.map((i) => dealt.shares[i]!));
			expect(G2.BASE.multiply(guess).toBytes()).not.toEqual(dealt.masterPublicKey);
		}
	});

	it('partial public keys are share·G2 and combine in the exponent to the master key', () => {
		const dealt = dealCommittee(2, 3);
		for (const s of dealt.shares) {
			expect(s.share).toHaveLength(32);
			expect(s.partialPublicKey).toHaveLength(96);
			expect(G2.BASE.multiply(bytesToNumberBE(s.share)).toBytes()).toEqual(s.partialPublicKey);
		}
		// What an aggregator does with verified partial keys: Σ λ_p · pk_p = pk.
		const ids = [0, 2];
		const combined = ids
			.map((p) => G2.fromBytes(dealt.shares[p]!.partialPublicKey).multiply(lagrangeAtZero(p, ids)))
			.reduce((a, b) => a.add(b));
		expect(combined.toBytes()).toEqual(dealt.masterPublicKey);
		// And with user-key shares H(id)^s_p: the combined key is H(id)^s.
		const id = new TextEncoder().encode('full id');
		const userKey = [1, 2]
			.map((p) =>
				hashIdToG1(id).multiply(
					Fr.mul(bytesToNumberBE(dealt.shares[p]!.share), lagrangeAtZero(p, [1, 2])),
				),
			)
			.reduce((a, b) => a.add(b));
		const secret = interpolate([dealt.shares[0]!, dealt.shares[1]!]);
		expect(userKey.equals(hashIdToG1(id).multiply(secret))).toBe(true);
	});

	it('uses x = party id + 1 (a fixed polynomial gives the expected shares)', () => {
		// f(x) = 7 + 5x: party 0 gets f(1) = 12, party 1 f(2) = 17, party 2 f(3) = 22.
		const coefficients = [7n, 5n];
		const dealt = dealCommittee(2, 3, () => coefficients.shift() as bigint);
		expect(dealt.shares.map((s) => bytesToNumberBE(s.share))).toEqual([12n, 17n, 22n]);
		expect(dealt.masterPublicKey).toEqual(G2.BASE.multiply(7n).toBytes());
	});

	it('refuses shapes Seal refuses, and wipes shares on request', () => {
		expect(() => dealCommittee(1, 3)).toThrow(LocalnetTopologyError);
		expect(() => dealCommittee(4, 3)).toThrow(LocalnetTopologyError);
		expect(() => dealCommittee(2, 2, () => 0n)).toThrow(/returned 0/);
		const dealt = dealCommittee(2, 2);
		wipeShares(dealt);
		expect(dealt.shares.every((s) => s.share.every((b) => b === 0))).toBe(true);
	});
});
