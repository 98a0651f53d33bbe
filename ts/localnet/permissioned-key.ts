/**
 * Permissioned-mode key material for the localnet's Permissioned server: a random 32-byte seed
 * (`MASTER_KEY` of a Permissioned server) and the client key derived from it exactly as upstream's
 * `derive_master_key(seed, index)` (crates/crypto/src/ibe.rs, MystenLabs/seal seal-v0.6.10):
 * HKDF-SHA3-256(ikm = seed, salt = empty, info = index as u64 big-endian) → 64 bytes, read
 * big-endian and reduced mod r. Only the public key leaves `up` (it is registered on chain);
 * the seed goes to the server's environment and is zeroed here.
 */
import { randomBytes } from 'node:crypto';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { LocalnetTopologyError } from './errors.js';

export const SEED_LENGTH = 32;

export function generateSeed(): Uint8Array {
	return new Uint8Array(randomBytes(SEED_LENGTH));
}

/** The derived client master key (32 bytes big-endian). Secret: zero it after use. */
export function deriveClientMasterKey(
	seed: Uint8Array,
	derivationIndex: bigint | number,
): Uint8Array {
	if (seed.length !== SEED_LENGTH) {
		throw new LocalnetTopologyError('seed', `must be ${SEED_LENGTH} bytes, got ${seed.length}`);
	}
	const index = BigInt(derivationIndex);
	if (index < 0n || index >= 2n ** 64n) {
		throw new LocalnetTopologyError('derivation index', 'must be a u64');
	}
	const info = new Uint8Array(8);
	new DataView(info.buffer).setBigUint64(0, index);
	const okm = hkdf(sha3_256, seed, new Uint8Array(0), info, 64);
	try {
		return numberToBytesBE(bls12_381.fields.Fr.create(bytesToNumberBE(okm)), 32);
	} finally {
		okm.fill(0);
	}
}

/** The derived client's public key (96-byte compressed G2): what gets registered on chain. */
export function derivedClientPublicKey(
	seed: Uint8Array,
	derivationIndex: bigint | number,
): Uint8Array {
	const key = deriveClientMasterKey(seed, derivationIndex);
	try {
		return bls12_381.G2.Point.BASE.multiply(bytesToNumberBE(key)).toBytes();
	} finally {
		key.fill(0);
	}
}
