/**
 * JSON-lines record files for import and export: one `{"id": "...", "data": "<base64>"}` per line.
 * Import validates the whole file before writing anything, then stores it in batches that each
 * commit whole; ids already in the vault are skipped (atomically, in the write's transaction), so
 * a re-run after a crash resumes where the last committed batch ended without duplicating or
 * losing a record, and two imports of one file at once write each record once.
 */
import { createReadStream } from 'node:fs';
import { InvalidInputError } from '../errors.js';
import { checkNewRecordId } from './record-id.js';
import { EXPORT_PAGE_RECORDS, MAX_RECORD_LINE_BYTES, checkRecordSize } from './record-size.js';
import type { Vault, VaultRecord } from './vault.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses one line (1-based `lineNo` for messages). */
export function parseRecordLine(line: string, lineNo: number): VaultRecord {
	let value: unknown;
	try {
		value = JSON.parse(line);
	} catch (error) {
		throw new InvalidInputError(`line ${lineNo}`, 'is not JSON', { cause: error });
	}
	const { id, data } = (value ?? {}) as { id?: unknown; data?: unknown };
	if (typeof id !== 'string')
		throw new InvalidInputError(`line ${lineNo}`, '"id" must be a string');
	checkNewRecordId(id, `line ${lineNo} id`);
	if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) {
		throw new InvalidInputError(
			`line ${lineNo}`,
			'"data" must be base64 (standard alphabet, padded)',
		);
	}
	checkRecordSize((data.length / 4) * 3 - (data.match(/=*$/)?.[0].length ?? 0), `line ${lineNo}`);
	return { id, data: new Uint8Array(Buffer.from(data, 'base64')) };
}

export function formatRecordLine(record: VaultRecord): string {
	return `${JSON.stringify({ id: record.id, data: Buffer.from(record.data).toString('base64') })}\n`;
}

/**
 * Non-blank lines of `path` (1-based numbers), each strictly UTF-8: invalid bytes refuse the file
 * with the line number instead of turning into U+FFFD. A line longer than any valid record's is
 * refused before it is buffered whole.
 */
async function* lines(path: string): AsyncGenerator<{ line: string; lineNo: number }> {
	const decoder = new TextDecoder('utf-8', { fatal: true });
	let lineNo = 0;
	const emit = (bytes: Buffer) => {
		lineNo += 1;
		const end = bytes.at(-1) === 0x0d ? bytes.length - 1 : bytes.length;
		let line: string;
		try {
			line = decoder.decode(bytes.subarray(0, end));
		} catch (error) {
			throw new InvalidInputError(`line ${lineNo}`, 'is not valid UTF-8', { cause: error });
		}
		return line.trim() === '' ? undefined : { line, lineNo };
	};
	let pending: Buffer[] = [];
	let pendingBytes = 0;
	for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
		let start = 0;
		for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
			pending.push(chunk.subarray(start, nl));
			pendingBytes += nl - start;
			if (pendingBytes > MAX_RECORD_LINE_BYTES) throw lineTooLong(lineNo + 1);
			const line = emit(Buffer.concat(pending));
			pending = [];
			pendingBytes = 0;
			if (line !== undefined) yield line;
			start = nl + 1;
		}
		pending.push(chunk.subarray(start));
		pendingBytes += chunk.length - start;
		if (pendingBytes > MAX_RECORD_LINE_BYTES) throw lineTooLong(lineNo + 1);
	}
	if (pendingBytes > 0) {
		const line = emit(Buffer.concat(pending));
		if (line !== undefined) yield line;
	}
}

function lineTooLong(lineNo: number): InvalidInputError {
	return new InvalidInputError(
		`line ${lineNo}`,
		`is longer than ${MAX_RECORD_LINE_BYTES} bytes: no record of at most the vault's maximum record size is that long`,
	);
}

/** Validates every line (ids unique) without keeping records; returns the record count. */
export async function checkRecordsFile(path: string): Promise<number> {
	const seen = new Set<string>();
	let count = 0;
	for await (const { line, lineNo } of lines(path)) {
		const { id, data } = parseRecordLine(line, lineNo);
		data.fill(0);
		if (seen.has(id)) throw new InvalidInputError(`line ${lineNo}`, `id '${id}' appears twice`);
		seen.add(id);
		count += 1;
	}
	return count;
}

export interface ImportProgress {
	done: number;
	imported: number;
	skipped: number;
}

export interface ImportOptions {
	batchSize?: number;
	onProgress?: (progress: ImportProgress) => void;
}

/** Imports a checked file; returns how many records were written and how many already existed. */
export async function importRecordsFile(
	vault: Vault,
	path: string,
	options: ImportOptions = {},
): Promise<{ total: number; imported: number; skipped: number }> {
	const total = await checkRecordsFile(path);
	const batchSize = options.batchSize ?? 500;
	const progress: ImportProgress = { done: 0, imported: 0, skipped: 0 };
	let batch: VaultRecord[] = [];
	const flush = async () => {
		// Insert-only, decided in the write's transaction: two imports of one file racing each
		// other write every record once.
		const { written } = await vault.putMany(batch, { ifAbsent: true });
		for (const r of batch) r.data.fill(0);
		progress.done += batch.length;
		progress.imported += written.length;
		progress.skipped += batch.length - written.length;
		batch = [];
		options.onProgress?.({ ...progress });
	};
	for await (const { line, lineNo } of lines(path)) {
		batch.push(parseRecordLine(line, lineNo));
		if (batch.length >= batchSize) await flush();
	}
	if (batch.length > 0) await flush();
	return { total, imported: progress.imported, skipped: progress.skipped };
}

/** Every record as JSON lines, streamed (plaintext: write it with mode 0600). */
export async function* exportRecordLines(
	vault: Vault,
	options: { onProgress?: (done: number) => void; pageSize?: number } = {},
): AsyncGenerator<Uint8Array> {
	let done = 0;
	let chunk: string[] = [];
	let chunkChars = 0;
	for await (const record of vault.iterate({
		pageSize: options.pageSize ?? EXPORT_PAGE_RECORDS,
	})) {
		const line = formatRecordLine(record);
		record.data.fill(0);
		chunk.push(line);
		chunkChars += line.length;
		done += 1;
		// Written out every 256 lines or 1 MiB, whichever comes first (big records add up fast).
		if (chunk.length >= 256 || chunkChars >= 2 ** 20) {
			yield Buffer.from(chunk.join(''), 'utf8');
			chunk = [];
			chunkChars = 0;
			options.onProgress?.(done);
		}
	}
	if (chunk.length > 0) yield Buffer.from(chunk.join(''), 'utf8');
	options.onProgress?.(done);
}
