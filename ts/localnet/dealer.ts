/**
 * A trusted dealer for LOCALNET committees only: one process picks a random polynomial f of degree
 * t-1 over the BLS12-381 scalar field, hands party p the share f(p+1) and publishes
 * partial pk_p = f(p+1)·G2 and the master pk = f(0)·G2. Whoever runs the dealer knows the master
 * key, so this is a test fixture, never a committee: real committees run Mysten's DKG
 * (`seal-committee-cli`, docs/content/KeyServerCommitteeOps.mdx), where nobody holds f(0).
 *
 * Party-index convention (upstream): on chain `party_id` is 0-based and equals the position in
 * `partial_key_servers` (move/seal/sources/key_server.move `validate_partial_key_servers`); the
 * Lagrange x-coordinate of party p is p+1 (crates/crypto/src/elgamal.rs `aggregate_encrypted`:
 * `NonZeroU16::new(id + 1)`), both at MystenLabs/seal seal-v0.6.10.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { LocalnetTopologyError } from './errors.js';

const Fr = bls12_381.fields.Fr;

export interface DealtShare {
	/** 0-based on-chain party id. */
	partyId: number;
	/** f(partyId + 1), 32 bytes big-endian (the `MASTER_SHARE_V0` format). Secret. */
	share: Uint8Array;
	/** share·G2, 96-byte compressed (the on-chain `PartialKeyServer.partial_pk`). */
	partialPublicKey: Uint8Array;
}

export interface DealtCommittee {
	threshold: number;
	/** f(0)·G2, 96-byte compressed (the committee `KeyServerV2.pk`). */
	masterPublicKey: Uint8Array;
	shares: DealtShare[];
}

/** A uniformly random non-zero scalar. */
function randomScalar(): bigint {
	const bytes = bls12_381.utils.randomSecretKey();
	try {
		return Fr.create(bytesToNumberBE(bytes));
	} finally {
		bytes.fill(0);
	}
}

/**
 * Deals `size` shares with threshold `threshold`. The polynomial's coefficients (the secret
 * among them) are dropped before this returns; only the shares leave, and the caller zeroes
 * each one once its process has it. (A bigint cannot be overwritten in place; the coefficient
 * array is emptied so nothing keeps a reference.)
 */
export function dealCommittee(
	threshold: number,
	size: number,
	random: () => bigint = randomScalar,
): DealtCommittee {
	if (
		!Number.isInteger(threshold) ||
		!Number.isInteger(size) ||
		threshold < 2 ||
		size < threshold
	) {
		throw new LocalnetTopologyError(
			'--committee',
			`cannot deal ${threshold}-of-${size}: need 2 <= threshold <= size`,
		);
	}
	const coefficients = Array.from({ length: threshold }, () => {
		const c = Fr.create(random());
		if (Fr.is0(c)) throw new LocalnetTopologyError('--committee', 'random source returned 0');
		return c;
	});
	try {
		const masterPublicKey = bls12_381.G2.Point.BASE.multiply(coefficients[0] as bigint).toBytes();
		const shares = Array.from({ length: size }, (_, partyId) => {
			const value = evaluate(coefficients, BigInt(partyId + 1));
			return {
				partyId,
				share: numberToBytesBE(value, 32),
				partialPublicKey: bls12_381.G2.Point.BASE.multiply(value).toBytes(),
			};
		});
		return { threshold, masterPublicKey, shares };
	} finally {
		coefficients.fill(0n);
		coefficients.length = 0;
	}
}

/** f(x) by Horner's rule over Fr. */
function evaluate(coefficients: readonly bigint[], x: bigint): bigint {
	let value = 0n;
	for (let i = coefficients.length - 1; i >= 0; i--) {
		value = Fr.add(Fr.mul(value, x), coefficients[i] as bigint);
	}
	return value;
}

/**
 * Lagrange coefficient at 0 of party `partyId` among `partyIds` (x = party id + 1): what an
 * aggregator multiplies a share (or an encrypted share) by before summing.
 */
export function lagrangeAtZero(partyId: number, partyIds: readonly number[]): bigint {
	const xi = BigInt(partyId + 1);
	let numerator = 1n;
	let denominator = 1n;
	for (const other of partyIds) {
		if (other === partyId) continue;
		const xj = BigInt(other + 1);
		numerator = Fr.mul(numerator, xj);
		denominator = Fr.mul(denominator, Fr.sub(xj, xi));
	}
	return Fr.div(numerator, denominator);
}

/** Zeroes every share of a dealt committee (after the member processes have them). */
export function wipeShares(committee: DealtCommittee): void {
	for (const share of committee.shares) share.share.fill(0);
}
