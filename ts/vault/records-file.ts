/**
 * JSON-lines record files for import and export: one `{"id": "...", "data": "<base64>"}` per line.
 * Import validates the whole file before writing anything, then stores it in batches that each
 * commit whole; ids already in the vault are skipped (atomically, in the write's transaction), so
 * a re-run after a crash resumes where the last committed batch ended without duplicating or
 * losing a record, and two imports of one file at once write each record once.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InvalidInputError } from '../errors.js';
import { checkRecordId } from './record-cipher.js';
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
	checkRecordId(id, `line ${lineNo} id`);
	if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) {
		throw new InvalidInputError(
			`line ${lineNo}`,
			'"data" must be base64 (standard alphabet, padded)',
		);
	}
	return { id, data: new Uint8Array(Buffer.from(data, 'base64')) };
}

export function formatRecordLine(record: VaultRecord): string {
	return `${JSON.stringify({ id: record.id, data: Buffer.from(record.data).toString('base64') })}\n`;
}

async function* lines(path: string): AsyncGenerator<{ line: string; lineNo: number }> {
	const reader = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
	let lineNo = 0;
	for await (const line of reader) {
		lineNo += 1;
		if (line.trim() !== '') yield { line, lineNo };
	}
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
	for await (const record of vault.iterate(
		options.pageSize === undefined ? {} : { pageSize: options.pageSize },
	)) {
		chunk.push(formatRecordLine(record));
		record.data.fill(0);
		done += 1;
		if (chunk.length >= 256) {
			yield Buffer.from(chunk.join(''), 'utf8');
			chunk = [];
			options.onProgress?.(done);
		}
	}
	if (chunk.length > 0) yield Buffer.from(chunk.join(''), 'utf8');
	options.onProgress?.(done);
}
