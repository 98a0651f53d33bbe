/**
 * Ciphertext formats. Every blob this library writes starts with one tag byte:
 *
 * | bytes                                   | meaning                                            |
 * |-----------------------------------------|----------------------------------------------------|
 * | `02 00` + Seal `EncryptedObject` (BCS)  | data encrypted directly with Seal                  |
 * | `02 01` + envelope header + chunks      | envelope: AES-256-GCM chunks, data key Seal-sealed |
 * | `01` + key version + iv(12) + ct + tag  | AES-256-GCM under a wallet-derived key             |
 * | (untagged) iv(12) + ct + tag(16)        | legacy AES-256-GCM, read by fallback only          |
 *
 * After `0x02` comes a sub-kind byte (`0x00` Seal object, `0x01` envelope), so the two Seal forms
 * never depend on the Seal object's own version byte (currently 0x00, which may change).
 *
 * Legacy fallback (documented try-parse order in `readBlob`): an untagged blob may start with any
 * byte, including 0x01/0x02, so the tag is only a hint. Reading tries, in order: the tagged form
 * the first byte names (strict: exact lengths, authentication), then legacy AES-GCM under the
 * given key (authenticated, so a wrong guess fails with probability 2^-128), then an untagged raw
 * Seal `EncryptedObject` (strict BCS: version 0 and canonical re-encoding of every byte).
 *
 * Every failure is a `FormatError` subclass: `TruncatedInputError`, `UnknownFormatTagError`,
 * `MalformedCiphertextError`, `DecryptionFailedError`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { EncryptedObject } from '@mysten/seal';

import {
	DecryptionFailedError,
	FormatError,
	MalformedCiphertextError,
	TruncatedInputError,
	UnknownFormatTagError,
} from './errors.js';
import { decodeEnvelopeHeader, type EnvelopeHeader } from './envelope-header.js';

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

/** What `readBlob` found. Seal forms still need key servers to decrypt (see seal/ and envelope). */
export type ReadBlobResult =
	| {
			format: 'seal-object';
			/** False for an untagged (legacy) raw Seal object. */
			tagged: boolean;
			/** The `EncryptedObject` bytes to pass to `SealClient.decrypt` (tag removed). */
			encryptedObject: Uint8Array;
			parsed: ParsedSealObject;
	  }
	| { format: 'seal-envelope'; header: EnvelopeHeader; headerLength: number }
	| { format: 'wallet-aes'; keyVersion: number; plaintext: Uint8Array }
	| { format: 'legacy-aes'; plaintext: Uint8Array };

export interface ReadBlobOptions {
	/** AES-256-GCM key for `0x01` blobs and for the untagged legacy fallback. */
	key?: Uint8Array;
	/** Version of `key` (wallet-key message version); `0x01` blobs must match it. Default 1. */
	keyVersion?: number;
}

/**
 * Identifies and, where a key is given, decrypts a blob. Never throws anything but a
 * `FormatError` subclass (see the module comment for the fallback order).
 */
export function readBlob(bytes: Uint8Array, options: ReadBlobOptions = {}): ReadBlobResult {
	try {
		return readBlobUnchecked(bytes, options);
	} catch (error) {
		if (error instanceof FormatError) throw error;
		throw new MalformedCiphertextError('the blob could not be parsed', { cause: error });
	}
}

function readBlobUnchecked(bytes: Uint8Array, options: ReadBlobOptions): ReadBlobResult {
	if (bytes.length === 0) throw new TruncatedInputError('the blob is empty');
	const tag = bytes[0] as number;
	let taggedError: FormatError | undefined;
	try {
		if (tag === TAG_SEAL) return readSealTagged(bytes);
		if (tag === TAG_WALLET_AES) return readWalletTagged(bytes, options);
	} catch (error) {
		if (!(error instanceof FormatError)) throw error;
		taggedError = error;
	}
	if (options.key !== undefined && bytes.length >= GCM_IV_LENGTH + GCM_TAG_LENGTH) {
		const plaintext = tryAesGcmOpen(options.key, bytes, new Uint8Array());
		if (plaintext) return { format: 'legacy-aes', plaintext };
	}
	if (tag === 0x00) {
		const parsed = tryParseSealObject(bytes);
		if (parsed) return { format: 'seal-object', tagged: false, encryptedObject: bytes, parsed };
	}
	if (taggedError) throw taggedError;
	throw new UnknownFormatTagError(
		tag,
		`unknown format tag 0x${tag.toString(16).padStart(2, '0')}: not a Seal (0x02) or wallet (0x01) blob` +
			(options.key === undefined
				? '; if it is a legacy untagged AES-GCM blob, pass its key'
				: ', and not a legacy AES-GCM blob under the given key'),
	);
}

function readSealTagged(bytes: Uint8Array): ReadBlobResult {
	if (bytes.length < 2) throw new TruncatedInputError('Seal blob ends after its tag byte');
	const kind = bytes[1];
	if (kind === SEAL_KIND_OBJECT) {
		const encryptedObject = bytes.subarray(2);
		return {
			format: 'seal-object',
			tagged: true,
			encryptedObject,
			parsed: parseSealObject(encryptedObject),
		};
	}
	if (kind === SEAL_KIND_ENVELOPE) {
		const { header, length } = decodeEnvelopeHeader(bytes);
		return { format: 'seal-envelope', header, headerLength: length };
	}
	throw new MalformedCiphertextError(
		`unknown Seal sub-kind 0x${(kind ?? 0).toString(16).padStart(2, '0')} (expected 0x00 object or 0x01 envelope)`,
	);
}

function readWalletTagged(bytes: Uint8Array, options: ReadBlobOptions): ReadBlobResult {
	const minimum = 2 + GCM_IV_LENGTH + GCM_TAG_LENGTH;
	if (bytes.length < minimum) {
		throw new TruncatedInputError(
			`wallet blob is ${bytes.length} bytes, shorter than the minimum ${minimum}`,
		);
	}
	const keyVersion = bytes[1] as number;
	if (options.key === undefined) {
		throw new DecryptionFailedError(
			'wallet-key blob (0x01) needs a key: derive it with deriveWalletKey',
		);
	}
	const expected = options.keyVersion ?? 1;
	if (keyVersion !== expected) {
		throw new DecryptionFailedError(
			`blob was written with wallet key version ${keyVersion}, but a version ${expected} key was given`,
		);
	}
	const plaintext = tryAesGcmOpen(options.key, bytes.subarray(2), bytes.subarray(0, 2));
	if (!plaintext) {
		throw new DecryptionFailedError(
			'wallet blob failed authentication: wrong wallet key, or the bytes were modified',
		);
	}
	return { format: 'wallet-aes', keyVersion, plaintext };
}

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
	if (
		!Buffer.from(canonical).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
	) {
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
	const kem = uleb('share scheme', 0);
	if (kem !== 0) throw new MalformedCiphertextError(`unknown Seal share scheme ${kem}`);
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

function tryParseSealObject(bytes: Uint8Array): ParsedSealObject | undefined {
	try {
		return parseSealObject(bytes);
	} catch {
		return undefined;
	}
}

/**
 * `01` + key version + iv + AES-256-GCM(plaintext) + tag, with the first two bytes as AAD.
 * The iv is random (96 bits), so one key can seal many blobs.
 */
export function encodeWalletBlob(
	key: Uint8Array,
	plaintext: Uint8Array,
	keyVersion: number,
): Uint8Array {
	if (!Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > 255) {
		throw new MalformedCiphertextError(`key version must be a byte, got ${keyVersion}`);
	}
	const prefix = new Uint8Array([TAG_WALLET_AES, keyVersion]);
	return concatBytes([prefix, aesGcmSeal(key, plaintext, prefix)]);
}

/** Untagged legacy form `iv + ct + tag` (for tests and migrations; new data should be tagged). */
export function encodeLegacyAesBlob(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
	return aesGcmSeal(key, plaintext, new Uint8Array());
}

function aesGcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
	checkKey(key);
	const iv = randomBytes(GCM_IV_LENGTH);
	const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH });
	cipher.setAAD(aad);
	const body = cipher.update(plaintext);
	const rest = cipher.final();
	return concatBytes([iv, body, rest, cipher.getAuthTag()]);
}

/** `iv + ct + tag` → plaintext, or undefined when authentication fails. */
function tryAesGcmOpen(
	key: Uint8Array,
	sealed: Uint8Array,
	aad: Uint8Array,
): Uint8Array | undefined {
	checkKey(key);
	if (sealed.length < GCM_IV_LENGTH + GCM_TAG_LENGTH) return undefined;
	const iv = sealed.subarray(0, GCM_IV_LENGTH);
	const tag = sealed.subarray(sealed.length - GCM_TAG_LENGTH);
	const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH });
	decipher.setAAD(aad);
	decipher.setAuthTag(tag);
	const body = decipher.update(sealed.subarray(GCM_IV_LENGTH, sealed.length - GCM_TAG_LENGTH));
	try {
		const rest = decipher.final();
		return concatBytes([body, rest]);
	} catch {
		body.fill(0);
		return undefined;
	}
}

function checkKey(key: Uint8Array): void {
	if (!(key instanceof Uint8Array) || key.length !== AES_KEY_LENGTH) {
		throw new DecryptionFailedError(`AES-256-GCM key must be ${AES_KEY_LENGTH} bytes`);
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
