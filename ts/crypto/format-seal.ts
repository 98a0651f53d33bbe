/**
 * The portable half of ts/crypto/node/format.ts: format tags, the strict Seal `EncryptedObject` parser and
 * byte helpers. No Node built-ins (the browser entry imports it); ts/crypto/node/format.ts re-exports all of
 * it, so Node callers keep one import path.
 */
import { EncryptedObject } from '@mysten/seal';

import { MalformedCiphertextError, TruncatedInputError } from './errors.js';

export const TAG_WALLET_AES = 0x01;
export const TAG_SEAL = 0x02;
/** Sub-kinds after `TAG_SEAL`. */
export const SEAL_KIND_OBJECT = 0x00;
export const SEAL_KIND_ENVELOPE = 0x01;

export const AES_KEY_LENGTH = 32;
export const GCM_IV_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;

/** Parsed Seal `EncryptedObject` as the SDK returns it. */
export type ParsedSealObject = ReturnType<typeof EncryptedObject.parse>;

/** `02 00` + the Seal `EncryptedObject` bytes (as returned by `SealClient.encrypt`). */
export function tagSealObject(encryptedObject: Uint8Array): Uint8Array {
	parseSealObject(encryptedObject);
	const out = new Uint8Array(encryptedObject.length + 2);
	out[0] = TAG_SEAL;
	out[1] = SEAL_KIND_OBJECT;
	out.set(encryptedObject, 2);
	return out;
}

/**
 * Strictly parses a Seal `EncryptedObject`: version 0 and every byte consumed canonically.
 * Throws `TruncatedInputError` / `MalformedCiphertextError`.
 */
export function parseSealObject(bytes: Uint8Array): ParsedSealObject {
	// Bounded, linear pre-scan first: the BCS reader is quadratic on long ULEB runs and allocates
	// whatever a count claims.
	scanSealObject(bytes);
	let parsed: ParsedSealObject;
	try {
		parsed = EncryptedObject.parse(bytes);
	} catch (error) {
		throw new MalformedCiphertextError('not a valid Seal EncryptedObject (BCS parse failed)', {
			cause: error,
		});
	}
	if (parsed.version !== 0) {
		throw new MalformedCiphertextError(
			`unsupported Seal EncryptedObject version ${parsed.version}`,
		);
	}
	checkSealStructure(parsed);
	let canonical: Uint8Array;
	try {
		canonical = EncryptedObject.serialize(parsed).toBytes();
	} catch (error) {
		throw new MalformedCiphertextError('Seal EncryptedObject does not re-encode', { cause: error });
	}
	if (!equalBytes(canonical, bytes)) {
		throw new MalformedCiphertextError('Seal EncryptedObject has trailing or non-canonical bytes');
	}
	return parsed;
}

/**
 * Limits of a Seal `EncryptedObject` (BCS layout of `EncryptedObject` in @mysten/seal 1.4.12
 * src/bcs.ts), each the protocol's or this library's:
 *
 * ```
 * version u8 | packageId [32] | id: uleb len + bytes | services: uleb n + n × (address [32], index u8)
 * threshold u8 | encryptedShares: uleb variant (0 BonehFranklinBLS12381: nonce [96],
 *   uleb m + m × [32], randomness [32]) | ciphertext: uleb variant (0 Aes256Gcm: blob, aad option;
 *   1 Hmac256Ctr: blob, aad option, mac [32]; 2 Plain)      blob = uleb len + bytes; option = u8 0/1
 * ```
 * - services and shares ≤ 255: share indices are distinct non-zero u8;
 * - id ≤ 65535 bytes (the envelope header's u16 inner-id field);
 * - blob ≤ 16 MiB (this library seals at most 1 MiB directly, larger data goes into envelopes);
 * - aad ≤ 64 KiB (this library writes an empty aad).
 * Every ULEB is canonical and at most 10 bytes (u64), and every length is checked against the
 * bytes that remain before anything is allocated.
 */
export const SEAL_LIMITS = {
	services: 255,
	idLength: 0xffff,
	blobLength: 16 * 1024 * 1024,
	aadLength: 64 * 1024,
} as const;

/** ULEB length of `value` (for the size bound). */
function ulebSize(value: number): number {
	let size = 1;
	while (value >= 0x80) {
		value = Math.floor(value / 0x80);
		size++;
	}
	return size;
}

/** The largest Seal object the limits allow: 16,925,073 bytes (16 MiB + 147,857). */
export const MAX_SEAL_OBJECT_LENGTH =
	1 +
	32 +
	ulebSize(SEAL_LIMITS.idLength) +
	SEAL_LIMITS.idLength +
	ulebSize(SEAL_LIMITS.services) +
	SEAL_LIMITS.services * 33 +
	1 +
	1 +
	96 +
	ulebSize(SEAL_LIMITS.services) +
	SEAL_LIMITS.services * 32 +
	32 +
	1 +
	ulebSize(SEAL_LIMITS.blobLength) +
	SEAL_LIMITS.blobLength +
	1 +
	ulebSize(SEAL_LIMITS.aadLength) +
	SEAL_LIMITS.aadLength +
	32;

/**
 * Walks a Seal object's BCS layout without allocating, in time linear in the bytes examined,
 * and throws `TruncatedInputError` / `MalformedCiphertextError` at the first field that is cut
 * off, over a limit, or longer than the bytes left. Afterwards the SDK parser is safe to run.
 */
export function scanSealObject(bytes: Uint8Array): void {
	if (bytes.length > MAX_SEAL_OBJECT_LENGTH) {
		throw new MalformedCiphertextError(
			`Seal EncryptedObject is ${bytes.length} bytes, over the maximum ${MAX_SEAL_OBJECT_LENGTH}`,
		);
	}
	let at = 0;
	const need = (count: number, what: string) => {
		if (count > bytes.length - at) {
			throw new TruncatedInputError(
				`Seal EncryptedObject ends inside its ${what} (needs ${count} bytes, ${bytes.length - at} left)`,
			);
		}
		at += count;
	};
	const uleb = (what: string, limit: number): number => {
		let value = 0;
		for (let i = 0; i < 10; i++) {
			if (at >= bytes.length) {
				throw new TruncatedInputError(`Seal EncryptedObject ends inside the ${what}`);
			}
			const byte = bytes[at++] as number;
			value += (byte & 0x7f) * 2 ** (7 * i);
			if (value > limit) {
				throw new MalformedCiphertextError(
					`Seal EncryptedObject ${what} exceeds the limit ${limit}`,
				);
			}
			if ((byte & 0x80) === 0) {
				if (byte === 0 && i > 0) {
					throw new MalformedCiphertextError(
						`Seal EncryptedObject ${what} is not canonically encoded`,
					);
				}
				return value;
			}
		}
		throw new MalformedCiphertextError(`Seal EncryptedObject ${what} is longer than 10 bytes`);
	};
	/** A count of `size`-byte items, bounded by `limit` and by the bytes left. */
	const vector = (what: string, limit: number, size: number) => {
		const count = uleb(`${what} count`, limit);
		need(count * size, what);
	};
	need(1 + 32, 'version and package id');
	vector('id', SEAL_LIMITS.idLength, 1);
	vector('services', SEAL_LIMITS.services, 33);
	need(1, 'threshold');
	// Limit 0: BonehFranklinBLS12381 is the only share scheme (any other variant is refused).
	uleb('share scheme', 0);
	need(96, 'nonce');
	vector('encrypted shares', SEAL_LIMITS.services, 32);
	need(32, 'encrypted randomness');
	const dem = uleb('ciphertext kind', 2);
	if (dem !== 2) {
		vector('ciphertext', SEAL_LIMITS.blobLength, 1);
		need(1, 'aad option');
		const option = bytes[at - 1] as number;
		if (option > 1)
			throw new MalformedCiphertextError('Seal EncryptedObject aad option is not 0 or 1');
		if (option === 1) vector('aad', SEAL_LIMITS.aadLength, 1);
		if (dem === 1) need(32, 'mac');
	}
	if (at !== bytes.length) {
		throw new MalformedCiphertextError(
			`Seal EncryptedObject has ${bytes.length - at} trailing bytes`,
		);
	}
}

/**
 * What `SealClient.encrypt` always produces: 1 ≤ threshold ≤ number of shares, one encrypted
 * share per service, share indices distinct and non-zero. Anything else is forged or corrupt and
 * would only fail later inside the SDK (after a key request) with a misleading error.
 */
function checkSealStructure(parsed: ParsedSealObject): void {
	const { services, threshold } = parsed;
	if (threshold < 1 || threshold > services.length) {
		throw new MalformedCiphertextError(
			`Seal EncryptedObject threshold ${threshold} is outside 1..${services.length} (its number of key-server shares)`,
		);
	}
	const shares = parsed.encryptedShares.BonehFranklinBLS12381?.encryptedShares;
	if (shares !== undefined && shares.length !== services.length) {
		throw new MalformedCiphertextError(
			`Seal EncryptedObject has ${shares.length} encrypted shares for ${services.length} key-server shares`,
		);
	}
	const indices = new Set(services.map(([, index]) => index));
	if (indices.size !== services.length || indices.has(0)) {
		throw new MalformedCiphertextError(
			'Seal EncryptedObject share indices must be distinct and non-zero',
		);
	}
}

/** Concatenates byte arrays into one new `Uint8Array`. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
	let length = 0;
	for (const part of parts) length += part.length;
	const out = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}
