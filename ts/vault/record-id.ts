/**
 * The alphabet of new record ids. An id is 1..512 bytes of UTF-8 (record-cipher.ts) holding
 * printable text: no control character (U+0000–U+001F, U+007F–U+009F: SQLite's C API cuts text
 * at U+0000, terminals and line-based files mangle the rest), no line or paragraph separator, no
 * noncharacter, and no U+FFFD — the replacement character is what invalid UTF-8 in an argument or
 * a file decodes to, so `id-\xff` and `id-\xfe` would both become `id-\uFFFD` and overwrite each
 * other. Everything else (spaces, punctuation, any script, emoji) is allowed. Checked where ids
 * enter the vault (put, import, the CLI); reads still accept any id an older version stored.
 */
import { InvalidInputError } from '../errors.js';
import { checkRecordId } from './record-cipher.js';

const FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\p{Noncharacter_Code_Point}\uFFFD]/u;

/** Throws InvalidInputError (naming `field`) unless `id` is a valid new record id. */
export function checkNewRecordId(id: string, field = 'id'): void {
	checkRecordId(id, field);
	const bad = FORBIDDEN.exec(id);
	if (bad === null) return;
	const code = bad[0].codePointAt(0)!;
	const what =
		code === 0xfffd
			? 'U+FFFD, the replacement character (invalid UTF-8 decodes to it)'
			: `U+${code.toString(16).toUpperCase().padStart(4, '0')} (a control character, line separator or noncharacter)`;
	throw new InvalidInputError(
		field,
		`a record id must be printable UTF-8 text; this one has ${what} at character ${bad.index + 1}`,
	);
}
