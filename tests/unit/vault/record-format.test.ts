/**
 * The record format (ts/vault/record-cipher.ts) as bytes: the AAD layout and one AES-256-GCM
 * known answer computed independently (Python `cryptography`'s AESGCM over the AAD layout of
 * docs/vault.md), plus the version bounds and what a tampered record reports.
 */
import { describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../../ts/errors.js';
import { VaultRecordTamperedError } from '../../../ts/vault/errors.js';
import {
	checkRecordId,
	decryptRecord,
	encryptRecord,
	recordAad,
} from '../../../ts/vault/record-cipher.js';

const vaultId = new Uint8Array(16).fill(7);
const key = Uint8Array.from({ length: 32 }, (_, i) => i);
const iv = Uint8Array.from({ length: 12 }, (_, i) => i);

const AAD_HEX =
	'7365616c2d706f6c69636965732f7661756c742f7265636f72642f7632' + // domain
	'07070707070707070707070707070707' + // vault id
	'00000003' + // epoch
	'0000000000000005' + // version
	'0003' + // id length
	'726563'; // 'rec'
const CIPHERTEXT_HEX = '2c6cb96cabc5a375fe36f2f9daa3a96dd8ff08535ef05484adaf1c83';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const known = () => ({
	id: 'rec',
	epoch: 3,
	version: 5,
	iv,
	ciphertext: new Uint8Array(Buffer.from(CIPHERTEXT_HEX, 'hex')),
});

function caught(fn: () => unknown): Error {
	try {
		fn();
	} catch (e) {
		return e as Error;
	}
	throw new Error('did not throw');
}

describe('record format', () => {
	it('known answers: the AAD bytes and a record decrypted from them', () => {
		expect(hex(recordAad(vaultId, 3, 'rec', 5))).toBe(AAD_HEX);
		expect(Buffer.from(decryptRecord(key, vaultId, known())).toString('utf8')).toBe('known answer');
		expect(hex(recordAad(vaultId, 0xffffffff, 'é', Number.MAX_SAFE_INTEGER))).toBe(
			`${AAD_HEX.slice(0, 90)}ffffffff001fffffffffffff0002c3a9`,
		);
	});

	it('versions are integers 1..2^53-1, checked on write and on read', () => {
		for (const bad of [0, -1, 1.5, 2 ** 53, Number.NaN]) {
			const error = caught(() => recordAad(vaultId, 0, 'a', bad));
			expect(error, String(bad)).toBeInstanceOf(InvalidInputError);
			expect(error.message).toMatch(/^version: /);
			expect(() => encryptRecord(key, vaultId, 0, 'a', new Uint8Array(1), bad)).toThrow(
				InvalidInputError,
			);
		}
		expect(encryptRecord(key, vaultId, 0, 'a', new Uint8Array(1), 1).version).toBe(1);
		// A stored version out of range is tampering, not bad input.
		const error = caught(() => decryptRecord(key, vaultId, { ...known(), version: 0 }));
		expect(error).toBeInstanceOf(VaultRecordTamperedError);
		expect(error.cause).toBeInstanceOf(InvalidInputError);
	});

	it('what a tampered record reports: which record, which check, the cause when there is one', () => {
		const short = caught(() => decryptRecord(key, vaultId, { ...known(), iv: iv.subarray(0, 8) }));
		expect(short).toMatchObject({ recordId: 'rec', epoch: 3 });
		expect(short.message).toMatch(/has a 8-byte IV/);
		expect(short.cause).toBeUndefined();
		const cut = caught(() =>
			decryptRecord(key, vaultId, { ...known(), ciphertext: new Uint8Array(15) }),
		);
		expect(cut.message).toMatch(/shorter than its GCM tag/);
		expect(cut.cause).toBeUndefined();
		const forged = caught(() => decryptRecord(key, vaultId, { ...known(), version: 6 }));
		expect(forged).toBeInstanceOf(VaultRecordTamperedError);
		expect(forged.message).toMatch(/version 6\) failed authentication/);
		expect(forged.cause).toBeInstanceOf(Error);
		// A tag alone (empty plaintext) is a valid record.
		const empty = encryptRecord(key, vaultId, 1, 'e', new Uint8Array(), 2);
		expect(empty.ciphertext).toHaveLength(16);
		expect(decryptRecord(key, vaultId, empty)).toEqual(new Uint8Array());
	});

	it('record ids name the field when refused', () => {
		expect(caught(() => checkRecordId('')).message).toMatch(/^id: /);
		expect(caught(() => checkRecordId(5 as unknown as string, 'records[0].id')).message).toMatch(
			/^records\[0\]\.id: .*non-empty string/,
		);
		expect(checkRecordId('ok')).toEqual(Buffer.from('ok'));
	});
});
