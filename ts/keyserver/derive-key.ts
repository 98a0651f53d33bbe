/**
 * Permissioned-mode key derivation, as MystenLabs/seal crates/crypto/src/ibe.rs
 * (`generate_seed`, `derive_master_key`, ddc7e5d6): one 32-byte seed, and per derivation index
 * the master key = HKDF-SHA3-256(ikm = seed, salt = empty, info = index as u64 big-endian,
 * 64 bytes) read big-endian and reduced mod r (fastcrypto `buffer_to_scalar_mod_r`).
 * Nothing here logs; callers never log or persist seeds or derived master keys.
 */
import { randomBytes } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { InvalidInputError } from '../errors.js';
import { SCALAR_ORDER } from './curve/curve.js';
import { scalarToBytes } from './keys.js';

/** `ibe::SEED_LENGTH`. */
export const SEED_LENGTH = 32;
const MAX_U64 = (1n << 64n) - 1n;

/** A fresh random 32-byte seed (`seal-cli gen-seed`). */
export function generateSeed(): Uint8Array {
	return Uint8Array.from(randomBytes(SEED_LENGTH));
}

/**
 * The client master key for `index` (32 bytes, big-endian scalar). Zero has probability ~2^-255;
 * the key server's scalar check would refuse it.
 */
export function deriveMasterKey(seed: Uint8Array, index: bigint | number): Uint8Array {
	if (seed.length !== SEED_LENGTH) {
		throw new InvalidInputError('seed', `must be ${SEED_LENGTH} bytes, got ${seed.length}`);
	}
	const n = BigInt(index);
	if (n < 0n || n > MAX_U64) {
		throw new InvalidInputError('index', `must be a u64 (0..${MAX_U64}), got ${index}`);
	}
	const info = new Uint8Array(8);
	new DataView(info.buffer).setBigUint64(0, n);
	const okm = hkdf(sha3_256, seed, new Uint8Array(0), info, 64);
	const wide = BigInt(`0x${Buffer.from(okm).toString('hex')}`);
	okm.fill(0);
	return scalarToBytes(wide % SCALAR_ORDER);
}

/**
 * A seed as PrefixedHex (`0x` optional, as fastcrypto `Hex::decode`), exactly 32 bytes.
 * `what` names the source (flag or env var); the value never appears in the message.
 */
export function parseSeedHex(text: string, what = 'seed'): Uint8Array {
	const hex = text.trim().replace(/^0x/, '');
	if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
		throw new InvalidInputError(what, 'should be hex encoded (optional 0x prefix)');
	}
	if (hex.length !== SEED_LENGTH * 2) {
		throw new InvalidInputError(what, `must be ${SEED_LENGTH} bytes long (64 hex characters)`);
	}
	return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** A derivation index given as decimal text (`--index`, a u64 as in seal-cli). */
export function parseDerivationIndex(text: string, what = 'index'): bigint {
	if (!/^[0-9]+$/.test(text.trim())) {
		throw new InvalidInputError(what, `expected a non-negative integer, got '${text}'`);
	}
	const n = BigInt(text.trim());
	if (n > MAX_U64) throw new InvalidInputError(what, `must be at most ${MAX_U64} (u64)`);
	return n;
}
