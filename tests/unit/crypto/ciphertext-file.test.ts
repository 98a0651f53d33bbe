import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import {
	assertEnvelopeFile,
	checkEnvelopeFile,
	isEnvelopeFile,
	readFileHead,
	withFileNamedErrors,
} from '../../../ts/crypto/node/ciphertext-file.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { MalformedCiphertextError, UnknownFormatTagError } from '../../../ts/crypto/errors.js';
import {
	encodeEnvelopeHeader,
	headerFromSealedKey,
	MIN_CHUNK_SIZE,
} from '../../../ts/crypto/envelope-header.js';
import { sealedObjectBytes } from '../../support/sealed-object.js';

const dir = mkdtempSync(join(tmpdir(), 'ciphertext-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: number[]): string {
	const path = join(dir, name);
	writeFileSync(path, new Uint8Array(bytes));
	return path;
}

describe('ciphertext files on disk', () => {
	it('reads at most the head it is asked for', async () => {
		expect([...(await readFileHead(file('three', [1, 2, 3])))]).toEqual([1, 2]);
		expect([...(await readFileHead(file('one', [9])))]).toEqual([9]);
		expect([...(await readFileHead(file('four', [1, 2, 3, 4]), 3))]).toEqual([1, 2, 3]);
	});

	it('an envelope starts 02 01; a shorter file or another kind is not one', async () => {
		expect(await isEnvelopeFile(file('env', [2, 1, 0]))).toBe(true);
		expect(await isEnvelopeFile(file('tag-only', [2]))).toBe(false);
		expect(await isEnvelopeFile(file('object', [2, 0, 0]))).toBe(false);
		expect(await isEnvelopeFile(file('wallet', [1, 1, 0]))).toBe(false);
	});

	it('refuses anything but an envelope for a rewrap, saying what the file is and naming the flag', async () => {
		const cases: [number[], RegExp][] = [
			[[], /the file is empty/],
			[[2, 0, 7], /starts 02 00, a plain Seal object \(decrypt and encrypt it again/],
			[[1, 5], /starts 01 05, a wallet-key blob/],
			[[0xff, 0xee], /starts ff ee, not a file written by `seal-policies encrypt --envelope`/],
			[[2, 7], /starts 02 07, not a file written by `seal-policies encrypt --envelope`/],
		];
		for (const [i, [bytes, message]] of cases.entries()) {
			const path = file(`not-envelope-${i}`, bytes);
			const error = await assertEnvelopeFile(path, '--in').catch((e: unknown) => e);
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).field).toBe('--in');
			expect((error as Error).message).toMatch(message);
			expect((error as Error).message).toContain(`${path} is not an envelope`);
		}
	});

	it('accepts a well-formed envelope (its header parses; the body is not read)', async () => {
		const sealed = sealedObjectBytes({
			packageId: `0x${'5e'.repeat(32)}`,
			services: [
				[`0x${'a1'.repeat(32)}`, 1],
				[`0x${'b2'.repeat(32)}`, 2],
			],
		});
		const header = encodeEnvelopeHeader(
			headerFromSealedKey(sealed, MIN_CHUNK_SIZE),
			new Uint8Array(32).fill(9),
		);
		const path = file('good-envelope', [...header]);
		expect(await isEnvelopeFile(path)).toBe(true);
		await expect(checkEnvelopeFile(path)).resolves.toBeUndefined();
		await expect(assertEnvelopeFile(path, '--in')).resolves.toBeUndefined();
	});

	it('parses an envelope header up front: a damaged one is an error naming the file', async () => {
		const path = file('bad-envelope', [2, 1, 0xff, 0xff, 0xff]);
		const error = await checkEnvelopeFile(path).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(InvalidInputError);
		expect((error as InvalidInputError).field).toBe(path);
		expect((error as Error).cause).toBeDefined();
		await expect(assertEnvelopeFile(path, '--in')).rejects.toThrow(path);
	});

	it('names the file on format errors, sync and async, and passes anything else through', async () => {
		const unknownTag = new UnknownFormatTagError(0x7f, 'unknown tag');
		const sync = (() => {
			try {
				return withFileNamedErrors('a.bin', () => {
					throw unknownTag;
				});
			} catch (error) {
				return error;
			}
		})();
		expect(sync).toBeInstanceOf(InvalidInputError);
		expect((sync as Error).message).toMatch(/^a\.bin: unknown format tag 0x7f: .*--wallet-key/);
		expect((sync as Error).cause).toBe(unknownTag);

		const malformed = new MalformedCiphertextError('threshold 0');
		const asyncError = await withFileNamedErrors('b.bin', () => Promise.reject(malformed)).catch(
			(e: unknown) => e,
		);
		expect(asyncError).toBeInstanceOf(InvalidInputError);
		expect((asyncError as Error).message).toBe('b.bin: MalformedCiphertextError: threshold 0');

		const other = new Error('disk on fire');
		expect(() =>
			withFileNamedErrors('c.bin', () => {
				throw other;
			}),
		).toThrow(other);
		await expect(withFileNamedErrors('d.bin', () => Promise.reject(other))).rejects.toBe(other);
		expect(withFileNamedErrors('e.bin', () => 42)).toBe(42);
		expect(await withFileNamedErrors('f.bin', () => Promise.resolve('ok'))).toBe('ok');
	});
});
