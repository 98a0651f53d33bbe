/**
 * Tamper-evident access log: append-only JSON lines, one per key access, hash-chained.
 *
 * Each line is the canonical JSON of an `AuditRecord` (fixed key order, no spaces) followed by
 * `\n`. `hash` = SHA-256 hex of the line without its `hash` field, which includes `prev`, the hash
 * of the line before (64 zeros for line 1), and `seq`, the 1-based line number. So an edited line
 * fails its own hash, and a deleted, inserted or reordered line breaks `seq`/`prev`; verification
 * names the first bad line. Dropping lines from the END cannot be seen from the file alone:
 * keep the last `head` somewhere else and pass it as `expectedHead`.
 *
 * Records hold only ids, enums and numbers (typed and validated), so there is no field where a
 * key, session key or plaintext could go.
 *
 * Atomicity: each record is one `write` of the whole line to a file opened with O_APPEND, then
 * `fsync`; `append` resolves only after that. A crash can leave at most a partial LAST line
 * without its newline; earlier lines are never rewritten. `verifyAuditLog` reports such a torn
 * line as bad; `AuditLog.open` removes it (it was never acknowledged) before appending.
 * One writer per file (ts/audit/lock.ts): `open` takes `<log>.lock` and `close` removes it; a
 * second writer, in this or another process, gets `AuditLogLockedError` naming the holder.
 * Appends within one `AuditLog` are serialised. The log file itself is created by the first
 * append, so a run that fails before recording anything leaves no empty log behind.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

import { acquireAuditLock, type AuditLock, type AuditLockHost } from './lock.js';
import { InvalidInputError } from '../errors.js';
import { AuditLogError } from './errors.js';
import { fromHex, normalizeObjectId, toHex } from '../identity.js';

export type AuditAction = 'encrypt' | 'decrypt' | 'fetch-keys' | 'rewrap';
export type AuditOutcome = 'granted' | 'denied' | 'error';

const ACTIONS: readonly AuditAction[] = ['encrypt', 'decrypt', 'fetch-keys', 'rewrap'];
const OUTCOMES: readonly AuditOutcome[] = ['granted', 'denied', 'error'];
const GENESIS = '0'.repeat(64);
const ERROR_NAME_RE = /^[A-Z][A-Za-z0-9]{0,58}(Error|Exception)$/;
const MAX_IDENTITY_BYTES = 1024;
/** Seal encodes the server count in a byte. */
const MAX_KEY_SERVERS = 255;
/** Longer than any valid record (255 servers, a 1024-byte identity), so a hostile file cannot make verification buffer without bound. */
const MAX_LINE_BYTES = 64 * 1024;
/** What a caller may log, in record order: ids, enums and numbers only. */
const ENTRY_FIELDS = [
	'action',
	'address',
	'identity',
	'keyServers',
	'threshold',
	'outcome',
	'errorName',
] as const;
/** Every field of a stored line, in order. */
const RECORD_FIELDS = ['seq', 'time', ...ENTRY_FIELDS, 'prev', 'hash'] as const;

/** What a caller records for one key access. */
export interface AuditEntry {
	action: AuditAction;
	/** Address of the user asking for keys. */
	address: string;
	/** Full Seal identity `[package id][inner id]` (bytes, or hex with optional 0x). */
	identity: Uint8Array | string;
	/** Key-server object ids that were asked. */
	keyServers: readonly string[];
	threshold: number;
	outcome: AuditOutcome;
	/** Error class name when the outcome is not `granted` (e.g. `NoAccessError`). */
	errorName?: string;
}

/** One line of the log, as written. */
export interface AuditRecord {
	seq: number;
	/** ISO 8601 UTC time from the injected clock. */
	time: string;
	action: AuditAction;
	address: string;
	/** `0x` + hex of the full identity. */
	identity: string;
	keyServers: string[];
	threshold: number;
	outcome: AuditOutcome;
	errorName: string | null;
	prev: string;
	hash: string;
}

export type AuditVerifyResult =
	| { ok: true; lines: number; head: string }
	| {
			ok: false;
			lines: number;
			badLine: number;
			reason: string;
			/** Every line is intact, but the expected head is not among them (or the log is empty). */
			headNotFound?: true;
	  };

export interface AuditLogOptions {
	/** Time source (inject for tests; scripts pass `() => new Date()`). */
	clock: () => Date;
	/** Process identity for the writer lock (tests inject it; defaults to this process). */
	lockHost?: AuditLockHost;
}

/** Appends records to one log file. Create with `AuditLog.open`. */
export class AuditLog {
	readonly path: string;
	#handle: FileHandle | undefined;
	#lock: AuditLock;
	#clock: () => Date;
	#seq: number;
	#head: string;
	#queue: Promise<unknown> = Promise.resolve();
	#broken = false;
	#closed = false;

	private constructor(
		path: string,
		handle: FileHandle | undefined,
		lock: AuditLock,
		clock: () => Date,
		seq: number,
		head: string,
	) {
		this.path = path;
		this.#handle = handle;
		this.#lock = lock;
		this.#clock = clock;
		this.#seq = seq;
		this.#head = head;
	}

	/**
	 * Takes the writer lock, then verifies the existing chain (a missing file is a new, empty log,
	 * created by the first append). A torn last line left by a crash is removed; any other damage
	 * is an `AuditLogError` (nothing is appended to a broken log). Another writer holding the log
	 * is an `AuditLogLockedError`.
	 */
	static async open(path: string, options: AuditLogOptions): Promise<AuditLog> {
		const lock = await acquireAuditLock(path, options.lockHost);
		try {
			const present = await exists(path);
			let state = present ? await verifyAuditLog(path) : EMPTY;
			if (!state.ok && state.reason.startsWith(TORN)) {
				await truncate(path, await completeLength(path));
				state = await verifyAuditLog(path);
			}
			if (!state.ok) {
				throw new AuditLogError(
					`${path} line ${state.badLine}: ${state.reason}; refusing to append to a damaged log (keep it as evidence and start a new file)`,
				);
			}
			const handle = present ? await openForAppend(path) : undefined;
			return new AuditLog(path, handle, lock, options.clock, state.lines, state.head);
		} catch (error) {
			await lock.release();
			throw error;
		}
	}

	/** Hash of the last record (store it elsewhere to detect lines dropped from the end). */
	get head(): string {
		return this.#head;
	}

	/** Validates `entry`, appends it as one line, fsyncs, and returns the record written. */
	append(entry: AuditEntry): Promise<AuditRecord> {
		const next = this.#queue.then(() => this.#append(entry));
		this.#queue = next.catch(() => undefined);
		return next;
	}

	/** Waits for pending appends, closes the file and releases the writer lock. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		await this.#queue;
		try {
			await this.#handle?.close();
		} finally {
			await this.#lock.release();
		}
	}

	async #append(entry: AuditEntry): Promise<AuditRecord> {
		if (this.#closed) throw new AuditLogError(`${this.path} is closed; open it again to append`);
		if (this.#broken) {
			throw new AuditLogError(
				`an earlier append to ${this.path} failed; reopen the log to repair it`,
			);
		}
		const fields = validateEntry(entry);
		const body = {
			seq: this.#seq + 1,
			time: this.#clock().toISOString(),
			...fields,
			prev: this.#head,
		};
		const record: AuditRecord = { ...body, hash: sha256(canonical(body)) };
		const line = Buffer.from(`${canonical(record)}\n`, 'utf8');
		try {
			if (this.#handle === undefined) {
				this.#handle = await openForAppend(this.path);
				await syncDirectory(dirname(this.path));
			}
			const handle = this.#handle;
			let written = 0;
			while (written < line.length) {
				const { bytesWritten } = await handle.write(line, written, line.length - written);
				written += bytesWritten;
			}
			await handle.sync();
		} catch (error) {
			this.#broken = true;
			throw new AuditLogError(`could not append to ${this.path}`, { cause: error });
		}
		this.#seq = record.seq;
		this.#head = record.hash;
		return record;
	}
}

const TORN = 'incomplete last line';
const EMPTY: AuditVerifyResult = { ok: true, lines: 0, head: GENESIS };

async function openForAppend(path: string): Promise<FileHandle> {
	try {
		return await open(path, 'a');
	} catch (error) {
		throw new AuditLogError(`cannot open ${path} for appending`, { cause: error });
	}
}

/**
 * Checks every line of the log. Returns `{ ok: false, badLine, reason }` for the first line that
 * was edited, deleted, inserted, reordered or torn. A missing or unreadable file is an
 * `AuditLogError` (there is nothing to vouch for). `expectedHead` (a previously stored `head`)
 * also catches lines dropped from the end, so it fails on an empty log.
 */
export async function verifyAuditLog(
	path: string,
	{ expectedHead }: { expectedHead?: string } = {},
): Promise<AuditVerifyResult> {
	if (!(await exists(path))) {
		throw new AuditLogError(`${path} does not exist: no access log there (check the path)`);
	}
	if (!(await stat(path)).isFile()) {
		throw new AuditLogError(`cannot read ${path}: not a regular file`);
	}
	let lineNumber = 0;
	let prev = GENESIS;
	/** The line whose hash is `expectedHead`, if any (a typo matches none). */
	let headLine: number | undefined;
	let carry: Buffer = Buffer.alloc(0);
	const decoder = new TextDecoder('utf-8', { fatal: true });
	const bad = (reason: string): AuditVerifyResult => ({
		ok: false,
		lines: lineNumber - 1,
		badLine: lineNumber,
		reason,
	});
	try {
		for await (const chunk of createReadStream(path)) {
			carry = carry.length === 0 ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
			let newline = carry.indexOf(0x0a);
			while (newline !== -1) {
				lineNumber += 1;
				let text: string;
				try {
					text = decoder.decode(carry.subarray(0, newline));
				} catch {
					return bad('not valid UTF-8 (corrupted)');
				}
				const problem = checkLine(text, lineNumber, prev);
				if (typeof problem === 'string') return bad(problem);
				prev = problem.hash;
				if (prev === expectedHead) headLine = lineNumber;
				carry = carry.subarray(newline + 1);
				newline = carry.indexOf(0x0a);
			}
			if (carry.length > MAX_LINE_BYTES) {
				lineNumber += 1;
				return bad(`longer than ${MAX_LINE_BYTES} bytes (not an access-log record)`);
			}
		}
	} catch (error) {
		throw new AuditLogError(`cannot read ${path}`, { cause: error });
	}
	if (carry.length > 0) {
		lineNumber += 1;
		return bad(`${TORN} (no newline: a write was interrupted)`);
	}
	if (expectedHead !== undefined && lineNumber === 0) {
		return {
			ok: false,
			lines: 0,
			badLine: 1,
			reason: 'the log is empty but an expected head was given: its lines were removed',
			headNotFound: true,
		};
	}
	if (expectedHead !== undefined && expectedHead !== prev) {
		return {
			ok: false,
			lines: lineNumber,
			badLine: headLine === undefined ? lineNumber + 1 : headLine + 1,
			reason:
				headLine === undefined
					? `the expected head matches no line of this log (${lineNumber} intact line(s)): lines were removed from the end, or the head is not this log's (a typo, or another log's head)`
					: `the expected head is line ${headLine}, not the last line: ${lineNumber - headLine} line(s) follow it (written after the head was stored)`,
			...(headLine === undefined ? { headNotFound: true as const } : {}),
		};
	}
	return { ok: true, lines: lineNumber, head: prev };
}

/** A valid record, or the reason the line is bad. */
function checkLine(text: string, lineNumber: number, prev: string): AuditRecord | string {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return 'not valid JSON (edited or corrupted)';
	}
	const record = asRecord(value);
	if (record === undefined) return 'not an access-log record (edited or inserted)';
	if (canonical(record) !== text) return 'edited: the line is not in canonical form';
	const { hash, ...body } = record;
	if (sha256(canonical(body)) !== hash) return 'edited: the hash does not match the contents';
	if (record.seq !== lineNumber) {
		return `out of order: sequence number ${record.seq} at line ${lineNumber} (a line was deleted, inserted or moved)`;
	}
	if (record.prev !== prev) {
		return 'chain broken: prev does not match the hash of the line before (deleted, inserted or moved)';
	}
	return record;
}

/** Rebuilds a record with exactly the expected fields and types, or undefined. */
function asRecord(value: unknown): AuditRecord | undefined {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
	const v = value as Record<string, unknown>;
	const keys = Object.keys(v);
	if (keys.length !== RECORD_FIELDS.length || !RECORD_FIELDS.every((key) => key in v)) {
		return undefined;
	}
	const isHash = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);
	if (
		!Number.isInteger(v['seq']) ||
		typeof v['time'] !== 'string' ||
		!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v['time']) ||
		!isHash(v['prev']) ||
		!isHash(v['hash'])
	) {
		return undefined;
	}
	try {
		const fields = validateEntry({
			action: v['action'] as AuditAction,
			address: v['address'] as string,
			identity: v['identity'] as string,
			keyServers: v['keyServers'] as string[],
			threshold: v['threshold'] as number,
			outcome: v['outcome'] as AuditOutcome,
			...(v['errorName'] === null ? {} : { errorName: v['errorName'] as string }),
		});
		return {
			seq: v['seq'] as number,
			time: v['time'],
			...fields,
			prev: v['prev'],
			hash: v['hash'],
		};
	} catch {
		return undefined;
	}
}

type EntryFields = Omit<AuditRecord, 'seq' | 'time' | 'prev' | 'hash'>;

/** Strict validation: only known fields, ids normalised, names shaped like class names. */
function validateEntry(entry: AuditEntry): EntryFields {
	const allowed = new Set<string>(ENTRY_FIELDS);
	for (const key of Object.keys(entry)) {
		if (!allowed.has(key))
			throw new InvalidInputError(
				`audit.${key}`,
				'unknown field (only ids, enums and numbers are logged)',
			);
	}
	if (!ACTIONS.includes(entry.action)) {
		throw new InvalidInputError('audit.action', `must be one of ${ACTIONS.join(', ')}`);
	}
	if (!OUTCOMES.includes(entry.outcome)) {
		throw new InvalidInputError('audit.outcome', `must be one of ${OUTCOMES.join(', ')}`);
	}
	const identity =
		typeof entry.identity === 'string' ? fromHex(entry.identity, 'audit.identity') : entry.identity;
	if (
		!(identity instanceof Uint8Array) ||
		identity.length < 32 ||
		identity.length > MAX_IDENTITY_BYTES
	) {
		throw new InvalidInputError(
			'audit.identity',
			`must be a full Seal identity of 32..${MAX_IDENTITY_BYTES} bytes`,
		);
	}
	if (!Array.isArray(entry.keyServers) || entry.keyServers.length > MAX_KEY_SERVERS) {
		throw new InvalidInputError(
			'audit.keyServers',
			`must be a list of at most ${MAX_KEY_SERVERS} ids`,
		);
	}
	if (!Number.isInteger(entry.threshold) || entry.threshold < 1 || entry.threshold > 255) {
		throw new InvalidInputError('audit.threshold', 'must be an integer from 1 to 255');
	}
	if (entry.errorName !== undefined && !ERROR_NAME_RE.test(entry.errorName)) {
		throw new InvalidInputError(
			'audit.errorName',
			'must be an error class name such as NoAccessError',
		);
	}
	return {
		action: entry.action,
		address: normalizeObjectId(entry.address, 'audit.address'),
		identity: `0x${toHex(identity)}`,
		keyServers: entry.keyServers.map((id, i) => normalizeObjectId(id, `audit.keyServers[${i}]`)),
		threshold: entry.threshold,
		outcome: entry.outcome,
		errorName: entry.errorName ?? null,
	};
}

/** JSON with the record's fixed key order (objects are always built in that order). */
function canonical(value: object): string {
	return JSON.stringify(value);
}

function sha256(text: string): string {
	return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Length of the file up to and including its last newline. */
async function completeLength(path: string): Promise<number> {
	const handle = await open(path, 'r');
	try {
		const { size } = await handle.stat();
		const block = Buffer.alloc(64 * 1024);
		let end = size;
		while (end > 0) {
			const start = Math.max(0, end - block.length);
			const { bytesRead } = await handle.read(block, 0, end - start, start);
			const at = block.subarray(0, bytesRead).lastIndexOf(0x0a);
			if (at !== -1) return start + at + 1;
			end = start;
		}
		return 0;
	} finally {
		await handle.close();
	}
}

async function exists(path: string): Promise<boolean> {
	try {
		await stat(path);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
		throw new AuditLogError(`cannot access ${path}`, { cause: error });
	}
}

/** Makes a newly created file's directory entry durable. */
async function syncDirectory(path: string): Promise<void> {
	try {
		const handle = await open(path, 'r');
		try {
			await handle.sync();
		} finally {
			await handle.close();
		}
	} catch {
		// Some platforms cannot fsync a directory; the file's own fsync still protects its lines.
	}
}
