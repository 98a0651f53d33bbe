/**
 * What may enter a vault (issue 17 items 5 and 7): the record-id alphabet, strict UTF-8 and the
 * size limit in records files, and the maximum record size — each refused with the field or line
 * named, before anything is written.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../../ts/errors.js';
import { VaultRecordTooLargeError } from '../../../ts/vault/errors.js';
import { checkNewRecordId } from '../../../ts/vault/record-id.js';
import {
	EXPORT_PAGE_RECORDS,
	MAX_RECORD_BYTES,
	MAX_RECORD_LINE_BYTES,
	checkRecordSize,
} from '../../../ts/vault/record-size.js';
import {
	checkRecordsFile,
	exportRecordLines,
	formatRecordLine,
	parseRecordLine,
} from '../../../ts/vault/records-file.js';
import type { IterateOptions, Vault, VaultRecord } from '../../../ts/vault/vault.js';

let dir: string;
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'vault-input-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const refusal = (fn: () => unknown): Error => {
	try {
		fn();
	} catch (error) {
		return error as Error;
	}
	throw new Error('expected a refusal');
};

describe('record-id alphabet', () => {
	it('accepts printable text of any script, spaces, punctuation, emoji, up to 512 bytes', () => {
		for (const id of [
			'a',
			'user:42/notes.txt',
			'with space',
			'é'.repeat(256),
			'😀‍🔥',
			'\u00a0x',
		]) {
			expect(() => checkNewRecordId(id), JSON.stringify(id)).not.toThrow();
		}
	});

	it('refuses controls (U+0000 first), separators, noncharacters and U+FFFD, naming the character', () => {
		const cases: [string, RegExp][] = [
			['a\u0000b', /U\+0000 .*at character 2/],
			['\tx', /U\+0009 .*at character 1/],
			['x\n', /U\+000A/],
			['x\u007f', /U\+007F/],
			['x\u0085', /U\+0085/],
			['x\u009f', /U\+009F/],
			['x\u2028', /U\+2028/],
			['x\u2029', /U\+2029/],
			['x\ufdd0', /U\+FDD0/],
			['x\uffff', /U\+FFFF/],
			['id-\ufffd', /U\+FFFD, the replacement character \(invalid UTF-8/],
		];
		for (const [id, message] of cases) {
			const error = refusal(() => checkNewRecordId(id, 'records[3].id'));
			expect(error, JSON.stringify(id)).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).field).toBe('records[3].id');
			expect(error.message, JSON.stringify(id)).toMatch(message);
			expect(error.message).toMatch(/printable UTF-8 text/);
		}
	});

	it('keeps the structural rules: empty, over 512 bytes, lone surrogate', () => {
		expect(refusal(() => checkNewRecordId('')).message).toMatch(/non-empty/);
		expect(refusal(() => checkNewRecordId('é'.repeat(257))).message).toMatch(/512 bytes/);
		expect(refusal(() => checkNewRecordId('x\ud800')).message).toMatch(/UTF-8/);
		expect(() => checkNewRecordId('é'.repeat(256))).not.toThrow();
		// Without a field name the message says `id`.
		expect(refusal(() => checkNewRecordId('a\u0000')).message).toMatch(
			/^id: a record id must be printable/,
		);
	});
});

describe('maximum record size', () => {
	it('is 1 MiB; one byte more is VaultRecordTooLargeError naming field, size and limit', () => {
		expect(MAX_RECORD_BYTES).toBe(1024 * 1024);
		expect(() => checkRecordSize(MAX_RECORD_BYTES, 'data')).not.toThrow();
		const error = refusal(() => checkRecordSize(MAX_RECORD_BYTES + 1, 'records[0].data'));
		expect(error).toBeInstanceOf(VaultRecordTooLargeError);
		expect(error).toBeInstanceOf(InvalidInputError);
		expect(error.name).toBe('VaultRecordTooLargeError');
		expect(error.message).toBe(
			`records[0].data: is ${MAX_RECORD_BYTES + 1} bytes; a vault record holds at most ${MAX_RECORD_BYTES} bytes (1 MiB): split it, or store it with \`seal-policies encrypt --envelope\` and keep only its reference in the vault`,
		);
		expect((error as VaultRecordTooLargeError).bytes).toBe(MAX_RECORD_BYTES + 1);
		expect((error as VaultRecordTooLargeError).limit).toBe(MAX_RECORD_BYTES);
	});

	it('a records-file line: exact decoded size counted (padding included), max accepted', () => {
		const line = (n: number) => formatRecordLine({ id: 'big', data: new Uint8Array(n) }).trimEnd();
		expect(parseRecordLine(line(MAX_RECORD_BYTES), 1).data.length).toBe(MAX_RECORD_BYTES);
		// 2^20 = 3k + 1: base64 with "==" padding; one byte more has "=" padding.
		expect(line(MAX_RECORD_BYTES)).toMatch(/==?"}$/);
		for (const n of [MAX_RECORD_BYTES + 1, MAX_RECORD_BYTES + 2, MAX_RECORD_BYTES + 3]) {
			const error = refusal(() => parseRecordLine(line(n), 7));
			expect(error, String(n)).toBeInstanceOf(VaultRecordTooLargeError);
			expect(error.message).toMatch(new RegExp(`^line 7: is ${n} bytes`));
		}
		expect(MAX_RECORD_LINE_BYTES).toBeGreaterThan(line(MAX_RECORD_BYTES).length + 512 * 6);
	});
});

describe('records files', () => {
	const good = (i: number) =>
		formatRecordLine({ id: `r${i}`, data: new Uint8Array(Buffer.from(`v${i}`)) });

	it('invalid UTF-8 in a line refuses the file with its line number', async () => {
		const path = join(dir, 'in.jsonl');
		for (const bad of [0xff, 0xfe, 0xc3]) {
			await writeFile(
				path,
				Buffer.concat([
					Buffer.from(good(0) + good(1)),
					Buffer.from('{"id":"id-'),
					Buffer.from([bad]),
					Buffer.from('","data":""}\n'),
					Buffer.from(good(3)),
				]),
			);
			const error = (await checkRecordsFile(path).catch((e: unknown) => e)) as Error;
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error.message).toBe('line 3: is not valid UTF-8');
		}
	});

	it('a NUL (as a JSON escape) or a U+FFFD in an id refuses the file at that line', async () => {
		const path = join(dir, 'in.jsonl');
		for (const id of ['a\\u0000b', 'id-\\ufffd', 'x\\u2028']) {
			await writeFile(path, `${good(0)}\n${good(1)}{"id":"${id}","data":""}\n`);
			const error = (await checkRecordsFile(path).catch((e: unknown) => e)) as Error;
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error.message).toMatch(/^line 4 id: a record id must be printable UTF-8 text/);
		}
	});

	it('line numbers count blank lines; CRLF, a last line without newline and chunk borders are fine', async () => {
		const path = join(dir, 'in.jsonl');
		const body = `${good(0)}\r\n\r\n${good(1).trimEnd()}\r\n   \n${good(2).trimEnd()}`;
		await writeFile(path, body);
		expect(await checkRecordsFile(path)).toBe(3);
		// Lines spanning the stream's 64 KiB chunks.
		const big = Array.from({ length: 40 }, (_, i) =>
			formatRecordLine({ id: `big${i}`, data: new Uint8Array(5000 + i) }),
		).join('');
		await writeFile(path, `${big}{"id":"x"}\n`);
		const error = (await checkRecordsFile(path).catch((e: unknown) => e)) as Error;
		expect(error.message).toBe('line 41: "data" must be base64 (standard alphabet, padded)');
		await writeFile(path, big);
		expect(await checkRecordsFile(path)).toBe(40);
	});

	it('a line of exactly the longest allowed length is read (and parsed); one byte more is refused', async () => {
		const path = join(dir, 'in.jsonl');
		const exact = 'z'.repeat(MAX_RECORD_LINE_BYTES);
		// After a first line (the count starts at the line's own first byte), with and without a
		// final newline, and split across many chunks.
		for (const body of [`${good(0)}${exact}\n`, `${good(0)}${exact}`]) {
			await writeFile(path, body);
			const error = (await checkRecordsFile(path).catch((e: unknown) => e)) as Error;
			expect(error.message).toBe('line 2: is not JSON');
		}
		for (const body of [`${good(0)}${exact}z\n`, `${good(0)}${exact}z`]) {
			await writeFile(path, body);
			const error = (await checkRecordsFile(path).catch((e: unknown) => e)) as Error;
			expect(error.message).toMatch(/^line 2: is longer than/);
		}
	});

	it('an id twice, an id that is not a string, data that is not padded base64', async () => {
		const path = join(dir, 'in.jsonl');
		for (const [bad, message] of [
			[good(0), "line 2: id 'r0' appears twice"],
			['{"id":5,"data":""}\n', 'line 2: "id" must be a string'],
			['{"id":"a","data":"abc"}\n', 'line 2: "data" must be base64 (standard alphabet, padded)'],
			['{"id":"a","data":5}\n', 'line 2: "data" must be base64 (standard alphabet, padded)'],
		] as const) {
			await writeFile(path, `${good(0)}${bad}`);
			const error = (await checkRecordsFile(path).catch((e: unknown) => e)) as Error;
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error.message).toBe(message);
		}
		await writeFile(path, `${good(0)}{"id":"x","data":"\xff"}`);
		const cause = (await checkRecordsFile(path).catch((e: unknown) => e)) as Error;
		expect(cause.message).toMatch(/^line 2: "data" must be base64/);
	});

	it('a line longer than any valid record is refused without reading it whole', async () => {
		const path = join(dir, 'in.jsonl');
		await writeFile(path, `${good(0)}${'x'.repeat(MAX_RECORD_LINE_BYTES + 1)}`);
		const error = (await checkRecordsFile(path).catch((e: unknown) => e)) as Error;
		expect(error).toBeInstanceOf(InvalidInputError);
		expect(error.message).toMatch(/^line 2: is longer than \d+ bytes/);
		// Also when the over-long line ends with a newline in a later chunk.
		await writeFile(path, `${'y'.repeat(MAX_RECORD_LINE_BYTES + 10)}\n${good(1)}`);
		const second = (await checkRecordsFile(path).catch((e: unknown) => e)) as Error;
		expect(second.message).toMatch(/^line 1: is longer than/);
	});
});

describe('export memory', () => {
	/** A vault stand-in that serves `records` and remembers the page size asked for. */
	function fakeVault(records: VaultRecord[], asked: (number | undefined)[]): Vault {
		return {
			async *iterate(options: IterateOptions = {}) {
				asked.push(options.pageSize);
				yield* records;
			},
		} as unknown as Vault;
	}

	it(`pages of ${EXPORT_PAGE_RECORDS} records (at most 64 MiB of ciphertext), and chunks cut at 1 MiB`, async () => {
		expect(EXPORT_PAGE_RECORDS * MAX_RECORD_BYTES).toBe(64 * 2 ** 20);
		const records = Array.from({ length: 5 }, (_, i) => ({
			id: `r${i}`,
			data: new Uint8Array(MAX_RECORD_BYTES / 2).fill(i + 1),
		}));
		const lines = records.map((r) => formatRecordLine(r));
		const asked: (number | undefined)[] = [];
		const chunks: Uint8Array[] = [];
		const progress: number[] = [];
		for await (const chunk of exportRecordLines(fakeVault(records, asked), {
			onProgress: (n) => progress.push(n),
		})) {
			chunks.push(chunk);
		}
		expect(asked).toEqual([EXPORT_PAGE_RECORDS]);
		// Each half-MiB record's line is ~0.67 MiB: a chunk is written once it reaches 1 MiB.
		expect(chunks.map((c) => c.length)).toEqual([
			lines[0]!.length + lines[1]!.length,
			lines[2]!.length + lines[3]!.length,
			lines[4]!.length,
		]);
		expect(Buffer.concat(chunks).toString('utf8')).toBe(lines.join(''));
		expect(progress).toEqual([2, 4, 5]);
		// Plaintexts are zeroed once their line is made.
		expect(records.every((r) => r.data.every((b) => b === 0))).toBe(true);
		const small: (number | undefined)[] = [];
		for await (const _ of exportRecordLines(fakeVault([], small), { pageSize: 7 })) void _;
		expect(small).toEqual([7]);
	});

	it('exactly 256 records: one chunk, no empty one after it; a tail of two lines is joined', async () => {
		const make = (n: number) =>
			Array.from({ length: n }, (_, i) => ({ id: `t${i}`, data: new Uint8Array([i & 0xff]) }));
		const sizes: number[] = [];
		for await (const chunk of exportRecordLines(fakeVault(make(256), []))) sizes.push(chunk.length);
		expect(sizes).toHaveLength(1);
		const records = make(258);
		const text: string[] = [];
		for await (const chunk of exportRecordLines(fakeVault(records, []))) {
			text.push(Buffer.from(chunk).toString('utf8'));
		}
		expect(text).toHaveLength(2);
		expect(text[1]).toBe(
			formatRecordLine({ id: 't256', data: new Uint8Array([0]) }) +
				formatRecordLine({ id: 't257', data: new Uint8Array([1]) }),
		);
	});

	it('256 small records make one chunk; the 257th starts the next', async () => {
		const records = Array.from({ length: 257 }, (_, i) => ({
			id: `s${i}`,
			data: new Uint8Array([i & 0xff]),
		}));
		const sizes: number[] = [];
		for await (const chunk of exportRecordLines(fakeVault(records, []))) sizes.push(chunk.length);
		expect(sizes).toHaveLength(2);
		expect(sizes[1]).toBe(formatRecordLine(records[256]!).length);
	});
});
