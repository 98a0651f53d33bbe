/**
 * The largest record a vault stores. Records are encrypted, stored and read whole, and a page of
 * records is held at once, so memory grows with the record size: 1 MiB (the size above which
 * `encrypt` switches to envelopes) keeps `put` of one record and `export` of a whole vault within
 * tens of MiB (docs/vault.md has the measured figures). Larger data belongs in an
 * envelope file (`encrypt --envelope`).
 */
import { VaultRecordTooLargeError } from './errors.js';

/** 1 MiB of plaintext per record. */
export const MAX_RECORD_BYTES = 2 ** 20;

/**
 * Records per page when exporting: a page of maximum-size records holds at most 64 MiB of
 * ciphertext (the library's `iterate` default of 500 suits small records).
 */
export const EXPORT_PAGE_RECORDS = 64;

/** Throws VaultRecordTooLargeError (naming `field`) when `bytes` exceeds MAX_RECORD_BYTES. */
export function checkRecordSize(bytes: number, field: string): void {
	if (bytes > MAX_RECORD_BYTES) throw new VaultRecordTooLargeError(field, bytes, MAX_RECORD_BYTES);
}

/**
 * Longest records-file line that can hold a valid record: the base64 of MAX_RECORD_BYTES plus a
 * JSON-escaped id (≤ 512 UTF-8 bytes, ≤ 6 characters each as `\uXXXX`) and the framing.
 */
export const MAX_RECORD_LINE_BYTES = Math.ceil(MAX_RECORD_BYTES / 3) * 4 + 512 * 6 + 64;
