/**
 * The portable half of ts/format.ts: format tags, the strict Seal `EncryptedObject` parser and
 * byte helpers. No Node built-ins (the browser entry imports it); ts/format.ts re-exports all of
 * it, so Node callers keep one import path.
 */
import { EncryptedObject } from '@mysten/seal';

import { MalformedCiphertextError } from './errors.js';

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
