/**
 * The largest record a vault stores. Records are encrypted, stored and read whole, and export
 * holds a record's ciphertext, plaintext and base64 line at once, so memory grows with the
 * record: the limit keeps `put` and `export` of one record within tens of MiB (docs/vault-limits.md
 * has the measured figures). Larger data belongs in an envelope file (`encrypt --envelope`).
 */
import { VaultRecordTooLargeError } from './errors.js';

/** 16 MiB of plaintext per record. */
export const MAX_RECORD_BYTES = 16 * 2 ** 20;

/** Throws VaultRecordTooLargeError (naming `field`) when `bytes` exceeds MAX_RECORD_BYTES. */
export function checkRecordSize(bytes: number, field: string): void {
	if (bytes > MAX_RECORD_BYTES) throw new VaultRecordTooLargeError(field, bytes, MAX_RECORD_BYTES);
}

/**
 * Longest records-file line that can hold a valid record: the base64 of MAX_RECORD_BYTES plus a
 * JSON-escaped id (≤ 512 UTF-8 bytes, ≤ 6 characters each as `\uXXXX`) and the framing.
 */
export const MAX_RECORD_LINE_BYTES = Math.ceil(MAX_RECORD_BYTES / 3) * 4 + 512 * 6 + 64;
