/**
 * Errors of the ciphertext formats, the envelope and the wallet key: malformed, truncated or
 * unauthentic input.
 */
import { HarnessError, type HarnessErrorOptions } from '../errors.js';

/** Root of every error raised while reading or decrypting a blob this library wrote. */
export class FormatError extends HarnessError {
	override name = 'FormatError';
}

/** The input ends before the format says it should (cut-off file, dropped final chunk). */
export class TruncatedInputError extends FormatError {
	override name = 'TruncatedInputError';
}

/** The first byte is not a known format tag and no legacy interpretation matched. */
export class UnknownFormatTagError extends FormatError {
	override name = 'UnknownFormatTagError';
	readonly tag: number;
	constructor(tag: number, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.tag = tag;
	}
}

/** The bytes carry a known tag but their structure is invalid (bad lengths, versions, fields). */
export class MalformedCiphertextError extends FormatError {
	override name = 'MalformedCiphertextError';
}

/** Authentication failed: wrong key, or the bytes were tampered with or reordered. */
export class DecryptionFailedError extends FormatError {
	override name = 'DecryptionFailedError';
}
