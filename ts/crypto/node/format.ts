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

import { DecryptionFailedError, FormatError, MalformedCiphertextError, TruncatedInputError, UnknownFormatTagError } from '../errors.js';
import { decodeEnvelopeHeader, type EnvelopeHeader } from '../envelope-header.js';
import {
	AES_KEY_LENGTH,
	concatBytes,
	GCM_IV_LENGTH,
	GCM_TAG_LENGTH,
	parseSealObject,
	SEAL_KIND_ENVELOPE,
	SEAL_KIND_OBJECT,
	TAG_SEAL,
	TAG_WALLET_AES,
	type ParsedSealObject,
} from '../format-seal.js';

export * from '../format-seal.js';

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

/**
 * `iv + ct + tag` → plaintext, or undefined when authentication fails. Callers guarantee
 * `sealed` holds at least an iv and a tag (both check the length before calling).
 */
function tryAesGcmOpen(
	key: Uint8Array,
	sealed: Uint8Array,
	aad: Uint8Array,
): Uint8Array | undefined {
	checkKey(key);
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

function tryParseSealObject(bytes: Uint8Array): ParsedSealObject | undefined {
	try {
		return parseSealObject(bytes);
	} catch {
		return undefined;
	}
}
