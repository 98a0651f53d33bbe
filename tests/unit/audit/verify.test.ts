/**
 * The access log's record checks and its refusal to go on after a failed write, one check per
 * case: each forged line below is otherwise consistent (right seq, prev and hash), so only the
 * check under test can reject it, and the reason says which one did.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { AuditLog, verifyAuditLog, type AuditEntry } from '../../../ts/audit/log.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { AuditLogError } from '../../../ts/audit/errors.js';

const GENESIS = '0'.repeat(64);
const USER = `0x${'a0'.repeat(32)}`;
const SERVER = `0x${'01'.repeat(32)}`;
const NOT_A_RECORD = 'not an access-log record (edited or inserted)';

const dirs: string[] = [];
afterEach(() => {
	vi.restoreAllMocks();
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempLog(): string {
	const dir = mkdtempSync(join(tmpdir(), 'seal-audit-verify-'));
	dirs.push(dir);
	return join(dir, 'access.jsonl');
}
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A well-formed body for line `seq`; override fields to forge one. */
function body(
	seq: number,
	prev: string,
	over: Record<string, unknown> = {},
): Record<string, unknown> {
	return {
		seq,
		time: '2026-01-01T00:00:01.000Z',
		action: 'decrypt',
		address: USER,
		identity: `0x${'5e'.repeat(34)}`,
		keyServers: [SERVER],
		threshold: 1,
		outcome: 'granted',
		errorName: null,
		prev,
		...over,
	};
}
/** The line for `fields` with a correct hash (over everything but `hash`). */
function sealed(fields: Record<string, unknown>): { line: string; hash: string } {
	const { hash: _ignored, ...rest } = fields;
	const hash = sha256(JSON.stringify(rest));
	return { line: JSON.stringify({ ...rest, hash }), hash };
}
function logOf(lines: string[]): string {
	const path = tempLog();
	writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
	return path;
}

describe('each record check rejects on its own', () => {
	it('a forged but well-formed line verifies (the baseline for the cases below)', async () => {
		const first = sealed(body(1, GENESIS));
		const second = sealed(body(2, first.hash, { outcome: 'denied', errorName: 'NoAccessError' }));
		expect(await verifyAuditLog(logOf([first.line, second.line]))).toEqual({
			ok: true,
			lines: 2,
			head: second.hash,
		});
	});

	const cases: [string, Record<string, unknown>][] = [
		['seq as a string', { seq: '1' }],
		['seq as a float', { seq: 1.5 }],
		['time without milliseconds', { time: '2026-01-01T00:00:01Z' }],
		['time with a space', { time: '2026-01-01 00:00:01.000Z' }],
		['time with a prefix', { time: 'x2026-01-01T00:00:01.000Z' }],
		['time with a suffix', { time: '2026-01-01T00:00:01.000Zx' }],
		['time as a number', { time: 5 }],
		['prev in uppercase', { prev: GENESIS.replace(/0/g, 'A') }],
		['prev too short', { prev: GENESIS.slice(1) }],
		['prev with a prefix', { prev: `x${GENESIS}` }],
		['prev as a number', { prev: 0 }],
		['unknown action', { action: 'steal' }],
		['unknown outcome', { outcome: 'maybe' }],
		['threshold 0', { threshold: 0 }],
		['threshold 256', { threshold: 256 }],
		['threshold 1.5', { threshold: 1.5 }],
		['threshold as a string', { threshold: '1' }],
		['free text as errorName', { errorName: 'the key was 0x12' }],
		['address not an id', { address: 'alice' }],
		['key servers not a list', { keyServers: SERVER }],
		['a key server not an id', { keyServers: ['x'] }],
		['identity of 31 bytes', { identity: `0x${'5e'.repeat(31)}` }],
		['identity of 1025 bytes', { identity: `0x${'5e'.repeat(1025)}` }],
		['identity not hex', { identity: 'zz' }],
	];
	for (const [name, over] of cases) {
		it(name, async () => {
			const { line } = sealed(body(1, GENESIS, over));
			expect(await verifyAuditLog(logOf([line]))).toEqual({
				ok: false,
				lines: 0,
				badLine: 1,
				reason: NOT_A_RECORD,
			});
		});
	}

	it('a hash in uppercase, too short, or not a string', async () => {
		const { line, hash } = sealed(body(1, GENESIS));
		for (const bad of [hash.toUpperCase(), hash.slice(1), `${hash}0`, 7]) {
			const forged = line.replace(`"hash":"${hash}"`, `"hash":${JSON.stringify(bad)}`);
			expect(await verifyAuditLog(logOf([forged])), String(bad)).toMatchObject({
				ok: false,
				badLine: 1,
				reason: NOT_A_RECORD,
			});
		}
	});

	it('an extra field, a missing field, and a renamed field', async () => {
		const fields = body(1, GENESIS);
		const extra = sealed({ ...fields, extra: 1 }).line;
		const { errorName: _drop, ...fewer } = fields;
		const missing = sealed(fewer).line;
		const renamed = sealed({ ...fewer, errorNam: null }).line;
		for (const line of [extra, missing, renamed]) {
			expect(await verifyAuditLog(logOf([line])), line).toMatchObject({
				ok: false,
				badLine: 1,
				reason: NOT_A_RECORD,
			});
		}
	});

	it('JSON that is not an object', async () => {
		for (const line of ['null', '[1]', '5', '"text"', 'true']) {
			expect(await verifyAuditLog(logOf([line])), line).toMatchObject({
				ok: false,
				badLine: 1,
				reason: NOT_A_RECORD,
			});
		}
		expect(await verifyAuditLog(logOf(['{']))).toMatchObject({
			reason: 'not valid JSON (edited or corrupted)',
		});
	});

	it('the same record in another key order or spacing is not canonical', async () => {
		const { line, hash } = sealed(body(1, GENESIS));
		const record = JSON.parse(line) as Record<string, unknown>;
		const reordered = JSON.stringify({ hash, ...record });
		const spaced = JSON.stringify(record, null, 1).replace(/\n/g, '');
		for (const text of [reordered, spaced]) {
			expect(await verifyAuditLog(logOf([text]))).toEqual({
				ok: false,
				lines: 0,
				badLine: 1,
				reason: 'edited: the line is not in canonical form',
			});
		}
	});

	it('a wrong hash, a wrong seq and a wrong prev each have their own reason', async () => {
		const first = sealed(body(1, GENESIS));
		const wrongHash = first.line.replace(first.hash, 'f'.repeat(64));
		expect(await verifyAuditLog(logOf([wrongHash]))).toEqual({
			ok: false,
			lines: 0,
			badLine: 1,
			reason: 'edited: the hash does not match the contents',
		});
		const wrongSeq = sealed(body(3, first.hash)).line;
		expect(await verifyAuditLog(logOf([first.line, wrongSeq]))).toEqual({
			ok: false,
			lines: 1,
			badLine: 2,
			reason: 'out of order: sequence number 3 at line 2 (a line was deleted, inserted or moved)',
		});
		const wrongPrev = sealed(body(2, 'e'.repeat(64))).line;
		expect(await verifyAuditLog(logOf([first.line, wrongPrev]))).toEqual({
			ok: false,
			lines: 1,
			badLine: 2,
			reason:
				'chain broken: prev does not match the hash of the line before (deleted, inserted or moved)',
		});
	});

	it('an expected head that is an earlier line says so and names the line after it', async () => {
		const first = sealed(body(1, GENESIS));
		const second = sealed(body(2, first.hash));
		const path = logOf([first.line, second.line]);
		expect(await verifyAuditLog(path, { expectedHead: second.hash })).toMatchObject({ ok: true });
		expect(await verifyAuditLog(path, { expectedHead: first.hash })).toEqual({
			ok: false,
			lines: 2,
			badLine: 2,
			reason:
				'the expected head is line 1, not the last line: 1 line(s) follow it (written after the head was stored)',
		});
	});

	it('an expected head that matches no line is its own finding, not a removed-lines claim', async () => {
		const first = sealed(body(1, GENESIS));
		const second = sealed(body(2, first.hash));
		const path = logOf([first.line, second.line]);
		const typo = `${second.hash.slice(0, 63)}${second.hash.endsWith('0') ? '1' : '0'}`;
		expect(await verifyAuditLog(path, { expectedHead: typo })).toEqual({
			ok: false,
			lines: 2,
			badLine: 3,
			reason:
				"the expected head matches no line of this log (2 intact line(s)): lines were removed from the end, or the head is not this log's (a typo, or another log's head)",
			headNotFound: true,
		});
	});

	it('a torn line and invalid UTF-8 report the lines before them as valid', async () => {
		const first = sealed(body(1, GENESIS));
		const path = logOf([first.line]);
		writeFileSync(path, `${first.line}\n{"seq":2`);
		expect(await verifyAuditLog(path)).toEqual({
			ok: false,
			lines: 1,
			badLine: 2,
			reason: 'incomplete last line (no newline: a write was interrupted)',
		});
		writeFileSync(path, Buffer.concat([Buffer.from(`${first.line}\n`), Buffer.from([0xc3, 0x0a])]));
		expect(await verifyAuditLog(path)).toEqual({
			ok: false,
			lines: 1,
			badLine: 2,
			reason: 'not valid UTF-8 (corrupted)',
		});
	});

	it('lines spanning read chunks (a log over 64 KiB) verify, and a bad line past it is found', async () => {
		const lines: string[] = [];
		let prev = GENESIS;
		for (let seq = 1; seq <= 300; seq++) {
			const { line, hash } = sealed(body(seq, prev, { identity: `0x${'5e'.repeat(200)}` }));
			lines.push(line);
			prev = hash;
		}
		const path = logOf(lines);
		expect(readFileSync(path).length).toBeGreaterThan(3 * 64 * 1024);
		expect(await verifyAuditLog(path)).toEqual({ ok: true, lines: 300, head: prev });
		lines[250] = (lines[250] as string).replace('"threshold":1', '"threshold":2');
		expect(await verifyAuditLog(logOf(lines))).toMatchObject({
			ok: false,
			lines: 250,
			badLine: 251,
		});
	});

	it('a path that is not a regular file fails with AuditLogError (a device would never end)', async () => {
		const dir = join(tempLog(), '..');
		await expect(verifyAuditLog(dir)).rejects.toThrow(`cannot read ${dir}: not a regular file`);
		await expect(verifyAuditLog('/dev/zero')).rejects.toThrow(AuditLogError);
	});

	it('a line longer than any record is rejected without reading it all', async () => {
		const path = tempLog();
		const first = sealed(body(1, GENESIS));
		writeFileSync(path, `${first.line}\n${'x'.repeat(200 * 1024)}\n`);
		expect(await verifyAuditLog(path)).toEqual({
			ok: false,
			lines: 1,
			badLine: 2,
			reason: 'longer than 65536 bytes (not an access-log record)',
		});
		// The longest valid record fits: 255 servers and a 1024-byte identity.
		const servers = Array.from({ length: 255 }, (_, i) => `0x${i.toString(16).padStart(64, '0')}`);
		const big = sealed(
			body(2, first.hash, { keyServers: servers, identity: `0x${'5e'.repeat(1024)}` }),
		);
		writeFileSync(path, `${first.line}\n${big.line}\n`);
		expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 2 });
	});
});

describe('entry validation at the edges', () => {
	const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
		action: 'decrypt',
		address: USER,
		identity: new Uint8Array(32),
		keyServers: [SERVER],
		threshold: 1,
		outcome: 'granted',
		...over,
	});

	it('accepts the limits and rejects one past them, naming the field', async () => {
		const log = await AuditLog.open(tempLog(), { clock: () => new Date(0) });
		try {
			for (const ok of [
				entry({ threshold: 255 }),
				entry({ identity: new Uint8Array(1024) }),
				entry({ identity: `0x${'00'.repeat(32)}` }),
				entry({ keyServers: [] }),
				entry({ keyServers: Array.from({ length: 255 }, () => SERVER) }),
				entry({ errorName: `A${'b'.repeat(58)}Exception`, outcome: 'error' }),
				entry({ errorName: 'AError', outcome: 'error' }),
				entry({ action: 'fetch-keys' }),
				entry({ action: 'rewrap', outcome: 'denied', errorName: 'NoAccessError' }),
				entry({ action: 'encrypt' }),
			]) {
				await log.append(ok);
			}
			const bad: [Partial<AuditEntry>, string][] = [
				[{ threshold: 256 }, 'audit.threshold'],
				[{ threshold: 0 }, 'audit.threshold'],
				[{ threshold: 1.5 }, 'audit.threshold'],
				[{ identity: new Uint8Array(31) }, 'audit.identity'],
				[{ identity: new Uint8Array(1025) }, 'audit.identity'],
				[{ identity: 5 as unknown as string }, 'audit.identity'],
				[{ identity: 'zz' }, 'audit.identity'],
				[{ errorName: `A${'b'.repeat(59)}Exception` }, 'audit.errorName'],
				[{ errorName: 'xNoAccessError' }, 'audit.errorName'],
				[{ errorName: 'NoAccessErrorx' }, 'audit.errorName'],
				[{ errorName: 'Error' }, 'audit.errorName'],
				[{ errorName: 'No Access Error' }, 'audit.errorName'],
				[{ keyServers: SERVER as unknown as string[] }, 'audit.keyServers'],
				[{ keyServers: [SERVER, 'x'] }, 'audit.keyServers[1]'],
				[{ keyServers: Array.from({ length: 256 }, () => SERVER) }, 'audit.keyServers'],
				[{ address: 'alice' }, 'audit.address'],
				[{ action: 'steal' as 'decrypt' }, 'audit.action'],
				[{ outcome: 'maybe' as 'granted' }, 'audit.outcome'],
				[{ ['note' as 'action']: 'x' as 'decrypt' }, 'audit.note'],
			];
			for (const [over, field] of bad) {
				const error = await log.append(entry(over)).catch((e) => e);
				expect(error, field).toBeInstanceOf(InvalidInputError);
				expect((error as InvalidInputError).field).toBe(field);
			}
		} finally {
			await log.close();
		}
		expect(await verifyAuditLog(log.path)).toMatchObject({ ok: true, lines: 10 });
	});
});

describe('a failed write', () => {
	async function fileHandlePrototype(): Promise<object> {
		const handle = await open(tempLog(), 'w');
		const proto = Object.getPrototypeOf(handle) as object;
		await handle.close();
		return proto;
	}
	const ENTRY: AuditEntry = {
		action: 'decrypt',
		address: USER,
		identity: new Uint8Array(40),
		keyServers: [SERVER],
		threshold: 1,
		outcome: 'granted',
	};

	it('short writes are continued until the whole line is written', async () => {
		const proto = (await fileHandlePrototype()) as {
			write: (buffer: Buffer, offset: number, length: number) => Promise<{ bytesWritten: number }>;
		};
		const real = proto.write;
		const spy = vi.spyOn(proto, 'write').mockImplementation(function (
			this: unknown,
			buffer: Buffer,
			offset: number,
			length: number,
		) {
			return real.call(this, buffer, offset, Math.min(length, 7));
		});
		const path = tempLog();
		const log = await AuditLog.open(path, { clock: () => new Date(0) });
		await log.append(ENTRY);
		await log.append(ENTRY);
		await log.close();
		expect(spy.mock.calls.length).toBeGreaterThan(20);
		expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 2 });
	});

	for (const failing of ['write', 'sync'] as const) {
		it(`a failed ${failing} is an AuditLogError, and the log refuses every later append until reopened`, async () => {
			const proto = (await fileHandlePrototype()) as Record<string, unknown>;
			const path = tempLog();
			const log = await AuditLog.open(path, { clock: () => new Date(0) });
			await log.append(ENTRY);
			const head = log.head;
			vi.spyOn(proto as { [k: string]: () => Promise<unknown> }, failing).mockRejectedValueOnce(
				Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }),
			);
			const failed = await log.append(ENTRY).catch((e) => e);
			expect(failed).toBeInstanceOf(AuditLogError);
			expect(failed.message).toBe(`could not append to ${path}`);
			expect(failed.cause.code).toBe('EIO');
			expect(log.head).toBe(head);
			vi.restoreAllMocks();
			// The handle works again, but the log does not trust its state any more.
			const refused = await log.append(ENTRY).catch((e) => e);
			expect(refused).toBeInstanceOf(AuditLogError);
			expect(refused.message).toBe(
				`an earlier append to ${path} failed; reopen the log to repair it`,
			);
			expect(log.head).toBe(head);
			await log.close();
			const reopened = await AuditLog.open(path, { clock: () => new Date(0) });
			const record = await reopened.append(ENTRY);
			await reopened.close();
			const verified = await verifyAuditLog(path);
			expect(verified).toMatchObject({ ok: true, head: record.hash });
			expect(record.seq).toBe(verified.lines);
		});
	}
});

describe('the rest of the log life cycle', () => {
	it('head is the genesis hash on a new log and the last record after appends', async () => {
		const path = tempLog();
		const log = await AuditLog.open(path, { clock: () => new Date(0) });
		expect(log.head).toBe(GENESIS);
		const record = await log.append({
			action: 'decrypt',
			address: USER,
			identity: new Uint8Array(32),
			keyServers: [],
			threshold: 1,
			outcome: 'granted',
		});
		expect(log.head).toBe(record.hash);
		await log.close();
		const reopened = await AuditLog.open(path, { clock: () => new Date(0) });
		expect(reopened.head).toBe(record.hash);
		await reopened.close();
	});

	it('a torn line is repaired at any size: only a torn first line, and a torn tail after 200 KB', async () => {
		const alone = logOf([]);
		writeFileSync(alone, '{"seq":1,"ti');
		const first = await AuditLog.open(alone, { clock: () => new Date(0) });
		const record = await first.append({
			action: 'decrypt',
			address: USER,
			identity: new Uint8Array(32),
			keyServers: [],
			threshold: 1,
			outcome: 'granted',
		});
		await first.close();
		expect(record.seq).toBe(1);
		expect(await verifyAuditLog(alone)).toMatchObject({ ok: true, lines: 1 });

		const lines: string[] = [];
		let prev = GENESIS;
		for (let seq = 1; seq <= 300; seq++) {
			const forged = sealed(body(seq, prev, { identity: `0x${'5e'.repeat(200)}` }));
			lines.push(forged.line);
			prev = forged.hash;
		}
		const big = logOf(lines);
		writeFileSync(big, `${lines.join('\n')}\n${(lines[0] as string).slice(0, 100)}`);
		const log = await AuditLog.open(big, { clock: () => new Date(0) });
		expect(log.head).toBe(prev);
		await log.close();
		expect(await verifyAuditLog(big)).toEqual({ ok: true, lines: 300, head: prev });
	});

	it('a path through a regular file is an AuditLogError naming it', async () => {
		const file = logOf([]);
		const inside = join(file, 'x');
		await expect(verifyAuditLog(inside)).rejects.toThrow(`cannot access ${inside}`);
	});
});
