/**
 * What every curve backend shares: the interface both implement, Seal's domain-separation tags,
 * the scalar order and the scalar helpers. The backends and the selector (backend.ts) depend on
 * this file; it depends on none of them.
 *
 * Secrets (master key, ElGamal randomness) are only multiplied with constant-time routines.
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../../errors.js';

export const CURVE_BACKENDS = ['mcl', 'noble'] as const;
export type CurveBackendName = (typeof CURVE_BACKENDS)[number];

/** Seal's identity DST, prepended to the full id before hashing to G1 (SEAL_NOTES §3). */
export const DST_ID = new TextEncoder().encode('SUI-SEAL-IBE-BLS12381-00');
/** Seal's proof-of-possession DST. */
export const DST_POP = new TextEncoder().encode('SUI-SEAL-IBE-BLS12381-POP-00');
/** fastcrypto's `G1Element::hash_to_group_element` suite (RFC 9380, BLS signature NUL suite). */
export const HASH_TO_G1_DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';

/** BLS12-381 scalar field order r. */
export const SCALAR_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

/** One user key wrapped for the client: compressed G1 `[c0, c1]`. */
export type WrappedKey = [Uint8Array, Uint8Array];

/** Source of 32-byte big-endian scalars in 1..r-1 (ElGamal randomness). Tests inject a fixed one. */
export type ScalarSource = () => Uint8Array;

export interface CurveBackend {
	readonly name: CurveBackendName;
	/** hash_to_G1(message), 48-byte compressed. */
	hashToG1(message: Uint8Array): Uint8Array;
	/** True if `bytes` is a canonical compressed G1 point in the prime-order subgroup. */
	isG1(bytes: Uint8Array): boolean;
	/** Same for G2 (96 bytes). */
	isG2(bytes: Uint8Array): boolean;
	/** Binds a master key (validated 32-byte scalar); the caller wipes its own copy. */
	withMasterKey(masterKey: Uint8Array): MasterKeyOps;
	/**
	 * Committee aggregator: for each i, is `shares[i] = [c0, c1]` an ElGamal encryption, under the
	 * client's ephemeral key whose G2 verification key is `ephemeralVk`, of
	 * `H(DST_ID ‖ fullIds[i])^share` for the member whose partial public key is `partialPk`?
	 * MystenLabs/seal crates/crypto/src/ibe.rs `verify_encrypted_signature` (ddc7e5d6): no identity
	 * element anywhere, and `e(c1, g2) == e(c0, vk) · e(H(id), pk_i)`. Malformed points answer false.
	 * One call per member answer. Several shares are first checked together with random 128-bit
	 * coefficients ρ_i (small-exponent batch verification, Bellare–Garay–Rabin 1998):
	 * `e(Σρc1, -g2) · e(Σρc0, vk) · e(Σρ·H(id), pk) == 1` holds for a batch with a bad share with
	 * probability at most 2^-128 (all points are in the prime-order subgroups: decoding checks it);
	 * only when the batch fails are the shares checked one by one, to say which are bad.
	 */
	verifyEncryptedShares(
		shares: WrappedKey[],
		ephemeralVk: Uint8Array,
		partialPk: Uint8Array,
		fullIds: Uint8Array[],
	): boolean[];
	/** Σ coefficients[i] · points[i] in G1 (public values: variable time is fine). */
	combineG1(points: Uint8Array[], coefficients: bigint[]): Uint8Array;
}

/** A fresh random non-zero 128-bit batch-verification coefficient (16 bytes, big-endian). */
export function batchCoefficient(): Uint8Array {
	for (;;) {
		const bytes = new Uint8Array(randomBytes(16));
		if (bytes.some((b) => b !== 0)) return bytes;
	}
}

/**
 * Lagrange coefficients at x = 0 for the distinct non-zero evaluation points `xs` (mod r):
 * λ_j = Π_{m≠j} x_m / (x_m − x_j). Seal's committee uses x = party_id + 1
 * (crates/crypto/src/elgamal.rs `aggregate_encrypted`, ddc7e5d6).
 */
export function lagrangeAtZero(xs: bigint[]): bigint[] {
	const mod = (v: bigint) => ((v % SCALAR_ORDER) + SCALAR_ORDER) % SCALAR_ORDER;
	if (new Set(xs.map(mod)).size !== xs.length || xs.some((x) => mod(x) === 0n)) {
		throw new InvalidInputError('xs', 'evaluation points must be distinct and non-zero');
	}
	return xs.map((xj, j) => {
		let num = 1n;
		let den = 1n;
		xs.forEach((xm, m) => {
			if (m === j) return;
			num = mod(num * xm);
			den = mod(den * (xm - xj));
		});
		return mod(num * modInverse(den));
	});
}

function modInverse(value: bigint): bigint {
	// Fermat: value^(r-2) mod r (r is prime).
	let result = 1n;
	let base = value % SCALAR_ORDER;
	let exp = SCALAR_ORDER - 2n;
	while (exp > 0n) {
		if (exp & 1n) result = (result * base) % SCALAR_ORDER;
		base = (base * base) % SCALAR_ORDER;
		exp >>= 1n;
	}
	return result;
}

export interface MasterKeyOps {
	/** g2^msk, 96-byte compressed. */
	publicKey(): Uint8Array;
	/** hash_to_G1(message)^msk (BLS short signature; the proof of possession). */
	signG1(message: Uint8Array): Uint8Array;
	/** The IBE user key H(DST_ID ‖ fullId)^msk. */
	userKey(fullId: Uint8Array): Uint8Array;
	/**
	 * For each full id: `(g1^r, encKey^r + userKey)` with a fresh r from `random`.
	 * `encKey` must be a valid G1 point (checked; throws otherwise).
	 */
	wrapUserKeys(encKey: Uint8Array, fullIds: Uint8Array[], random?: ScalarSource): WrappedKey[];
	/** Overwrites the backend's copy of the scalar. */
	wipe(): void;
}

/** The master key as a scalar; rejects anything but 32 bytes encoding 0 < k < r. */
export function checkedScalar(bytes: Uint8Array, field = 'masterKey'): bigint {
	if (bytes.length !== 32) {
		throw new InvalidInputError(field, `must be 32 bytes, got ${bytes.length}`);
	}
	const scalar = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
	if (scalar === 0n || scalar >= SCALAR_ORDER) {
		throw new InvalidInputError(field, 'is not a valid BLS12-381 scalar (0 < k < r)');
	}
	return scalar;
}

/**
 * A fresh uniformly distributed scalar in 1..r-1 (48 random bytes reduced, as RFC 9380's
 * hash_to_field and noble's randomSecretKey do, so the modulo bias is negligible).
 */
export function randomScalar(): Uint8Array {
	const wide = BigInt(`0x${randomBytes(48).toString('hex')}`);
	const scalar = (wide % (SCALAR_ORDER - 1n)) + 1n;
	return Uint8Array.from(Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex'));
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
	const out = new Uint8Array(a.length + b.length);
	out.set(a, 0);
	out.set(b, a.length);
	return out;
}
