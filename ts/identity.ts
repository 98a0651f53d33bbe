/**
 * Seal identities for the two Move policies, and hex helpers with one rule each about `0x`.
 *
 * - Inner id (what `seal_approve(id, ...)` receives): `[32-byte prefix][nonce]`, where the prefix is
 *   the allowlist object id (namespace) or the owner address.
 * - Full identity (what the key servers derive keys for): `[policy package original id][inner id]`.
 */
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';

import { InvalidInputError } from './errors.js';

/** Byte length of Sui object ids and addresses. */
export const ID_LENGTH = 32;

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Lowercase hex of `bytes`, WITHOUT a `0x` prefix (the form the Seal SDK uses for ids). */
export function toHex(bytes: Uint8Array): string {
	// Portable (no Buffer): this module is part of the browser entry.
	return bytesToHex(bytes);
}

/**
 * Bytes of a hex string. A lowercase `0x` prefix is optional; `0X`, odd lengths and non-hex
 * characters are rejected with `InvalidInputError` (never silently padded or truncated).
 */
export function fromHex(value: string, field = 'hex'): Uint8Array {
	const digits = value.startsWith('0x') ? value.slice(2) : value;
	if (digits.length % 2 !== 0) {
		throw new InvalidInputError(
			field,
			`hex must have an even number of digits (got ${digits.length})`,
		);
	}
	if (!HEX_RE.test(digits)) {
		throw new InvalidInputError(
			field,
			'not hex: use digits 0-9a-f with an optional lowercase 0x prefix',
		);
	}
	return hexToBytes(digits);
}

/**
 * Normalises an object id / address / package id to `0x` + 64 lowercase hex. The `0x` prefix and
 * all 64 digits are required (short forms such as `0x2` are rejected so that a truncated paste is
 * never padded into a different, valid id).
 */
export function normalizeObjectId(id: string, field = 'id'): string {
	if (typeof id !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(id)) {
		throw new InvalidInputError(field, 'expected 0x followed by exactly 64 hex digits');
	}
	return id.toLowerCase();
}

/** Bytes of a normalised id (see `normalizeObjectId`). */
export function objectIdBytes(id: string, field = 'id'): Uint8Array {
	return fromHex(normalizeObjectId(id, field), field);
}

/** `length` bytes from the OS CSPRNG; the default 16 makes collisions negligible. */
export function randomNonce(length = 16): Uint8Array {
	if (!Number.isInteger(length) || length < 0 || length > 1024) {
		throw new InvalidInputError('nonce length', 'expected an integer from 0 to 1024');
	}
	// WebCrypto's CSPRNG: the same OS source in Node (>= 19 global) and in browsers.
	return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/**
 * Inner id for the allowlist policy: `[allowlist object id (32 bytes)][nonce]`.
 * The nonce defaults to empty (the bare namespace); pass `randomNonce()` for a fresh identity.
 */
export function allowlistInnerId(
	allowlistId: string,
	nonce: Uint8Array = new Uint8Array(),
): Uint8Array {
	return concatBytes(objectIdBytes(allowlistId, 'allowlistId'), nonce);
}

/** Inner id for the owner policy: `[owner address (32 bytes)][nonce]` (nonce defaults to empty). */
export function ownerInnerId(owner: string, nonce: Uint8Array = new Uint8Array()): Uint8Array {
	return concatBytes(objectIdBytes(owner, 'owner'), nonce);
}

/** Splits an allowlist inner id (bytes or hex) into the allowlist id and the nonce. */
export function parseAllowlistInnerId(innerId: Uint8Array | string): {
	allowlistId: string;
	nonce: Uint8Array;
} {
	const { prefix, nonce } = splitInnerId(innerId, 'allowlist inner id');
	return { allowlistId: prefix, nonce };
}

/** Splits an owner inner id (bytes or hex) into the owner address and the nonce. */
export function parseOwnerInnerId(innerId: Uint8Array | string): {
	owner: string;
	nonce: Uint8Array;
} {
	const { prefix, nonce } = splitInnerId(innerId, 'owner inner id');
	return { owner: prefix, nonce };
}

/** Full Seal identity `[package id (32 bytes)][inner id]`; use the package's ORIGINAL id. */
export function fullIdentity(packageId: string, innerId: Uint8Array): Uint8Array {
	return concatBytes(objectIdBytes(packageId, 'packageId'), innerId);
}

function splitInnerId(
	innerId: Uint8Array | string,
	field: string,
): { prefix: string; nonce: Uint8Array } {
	const bytes = typeof innerId === 'string' ? fromHex(innerId, field) : innerId;
	if (bytes.length < ID_LENGTH) {
		throw new InvalidInputError(
			field,
			`must be at least ${ID_LENGTH} bytes (32-byte prefix + nonce), got ${bytes.length}`,
		);
	}
	return {
		prefix: `0x${toHex(bytes.subarray(0, ID_LENGTH))}`,
		nonce: bytes.slice(ID_LENGTH),
	};
}
