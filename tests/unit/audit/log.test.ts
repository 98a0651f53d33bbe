import { spawn } from 'node:child_process';
import {
	appendFileSync,
	existsSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { AuditLog, verifyAuditLog, type AuditEntry } from '../../../ts/audit/log.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { AuditLogError } from '../../../ts/audit/errors.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const USER = `0x${'a0'.repeat(32)}`;
const SERVERS = [`0x${'01'.repeat(32)}`, `0x${'02'.repeat(32)}`];

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempLog(): string {
	const dir = mkdtempSync(join(tmpdir(), 'seal-audit-'));
	dirs.push(dir);
	return join(dir, 'access.jsonl');
}

function entry(i: number, extra: Partial<AuditEntry> = {}): AuditEntry {
	return {
		action: 'decrypt',
		address: USER,
		identity: `${'5e'.repeat(32)}${i.toString(16).padStart(4, '0')}`,
		keyServers: SERVERS,
		threshold: 2,
		outcome: i % 3 === 0 ? 'denied' : 'granted',
		...(i % 3 === 0 ? { errorName: 'NoAccessError' } : {}),
		...extra,
	};
}

/** A fixed clock advancing one second per call. */
function clock() {
	let t = Date.UTC(2026, 0, 1);
	return () => new Date((t += 1000));
}

async function writeLog(path: string, count: number): Promise<string[]> {
	const log = await AuditLog.open(path, { clock: clock() });
	for (let i = 1; i <= count; i++) await log.append(entry(i));
	await log.close();
	return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

function rewrite(path: string, lines: string[]): void {
	writeFileSync(path, lines.map((line) => `${line}\n`).join(''));
}

describe('AuditLog', () => {
	it('appends hash-chained lines with the injected clock; verify accepts them', async () => {
		const path = tempLog();
		const log = await AuditLog.open(path, { clock: clock() });
		const first = await log.append(entry(1));
		const second = await log.append(entry(2));
		await log.close();
		expect(first.seq).toBe(1);
		expect(first.prev).toBe('0'.repeat(64));
		expect(second.prev).toBe(first.hash);
		expect(first.time).toBe('2026-01-01T00:00:01.000Z');
		expect(second.identity).toBe(`0x${'5e'.repeat(32)}0002`);
		expect(await verifyAuditLog(path)).toEqual({ ok: true, lines: 2, head: second.hash });
	});

	it('continues the chain across reopen', async () => {
		const path = tempLog();
		await writeLog(path, 3);
		const log = await AuditLog.open(path, { clock: clock() });
		const record = await log.append(entry(4));
		await log.close();
		expect(record.seq).toBe(4);
		expect((await verifyAuditLog(path)).ok).toBe(true);
	});

	it('a log in a missing directory → AuditLogError', async () => {
		const path = join(tempLog(), 'no-such-dir', 'log.jsonl');
		await expect(AuditLog.open(path, { clock: clock() })).rejects.toThrow(AuditLogError);
	});

	it('serialises concurrent appends within a process', async () => {
		const path = tempLog();
		const log = await AuditLog.open(path, { clock: clock() });
		await Promise.all(Array.from({ length: 25 }, (_, i) => log.append(entry(i + 1))));
		await log.close();
		expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 25 });
	});

	it('has no place for secrets: unknown fields and free text are rejected, nothing is written', async () => {
		const path = tempLog();
		const log = await AuditLog.open(path, { clock: clock() });
		const bad: unknown[] = [
			{ ...entry(1), dataKey: 'ab'.repeat(32) },
			{ ...entry(1), errorName: 'ab'.repeat(32) },
			{ ...entry(1), errorName: 'the key was 0x1234' },
			{ ...entry(1), address: 'alice' },
			{ ...entry(1), keyServers: ['secret'] },
			{ ...entry(1), identity: 'not hex' },
			{ ...entry(1), identity: '00' },
			{ ...entry(1), outcome: 'maybe' },
			{ ...entry(1), threshold: 0 },
		];
		for (const value of bad) {
			await expect(log.append(value as AuditEntry)).rejects.toThrow(InvalidInputError);
		}
		await log.append(entry(2));
		await log.close();
		expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 1 });
		expect(readFileSync(path, 'utf8')).not.toMatch(/secret|alice|maybe/);
	});
});

describe('verifyAuditLog names the first bad line', () => {
	it('edited field', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 5);
		const edited = (lines[3] as string).replace('"outcome":"granted"', '"outcome":"denied"');
		expect(edited).not.toBe(lines[3]);
		lines[3] = edited;
		rewrite(path, lines);
		expect(await verifyAuditLog(path)).toMatchObject({ ok: false, badLine: 4, lines: 3 });
	});

	it('edited with its own hash recomputed → caught at the next line', async () => {
		const path = tempLog();
		await writeLog(path, 5);
		const original = readFileSync(path, 'utf8').split('\n');
		const { createHash } = await import('node:crypto');
		const record = JSON.parse(original[1] as string) as Record<string, unknown>;
		record['outcome'] = 'denied';
		const { hash: _hash, ...body } = record;
		record['hash'] = createHash('sha256').update(JSON.stringify(body)).digest('hex');
		original[1] = JSON.stringify(record);
		writeFileSync(path, original.join('\n'));
		const result = await verifyAuditLog(path);
		expect(result).toMatchObject({ ok: false, badLine: 3 });
		expect(!result.ok && result.reason).toMatch(/chain broken/);
	});

	it('reformatted (whitespace only)', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 3);
		lines[1] = JSON.stringify(JSON.parse(lines[1] as string), null, 1).replace(/\n/g, '');
		rewrite(path, lines);
		expect(await verifyAuditLog(path)).toMatchObject({ ok: false, badLine: 2 });
	});

	it('deleted line', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 5);
		lines.splice(1, 1);
		rewrite(path, lines);
		expect(await verifyAuditLog(path)).toMatchObject({ ok: false, badLine: 2 });
	});

	it('deleted first line', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 3);
		rewrite(path, lines.slice(1));
		expect(await verifyAuditLog(path)).toMatchObject({ ok: false, badLine: 1 });
	});

	it('inserted line (a valid line duplicated)', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 5);
		lines.splice(3, 0, lines[1] as string);
		rewrite(path, lines);
		expect(await verifyAuditLog(path)).toMatchObject({ ok: false, badLine: 4 });
	});

	it('reordered lines', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 5);
		[lines[2], lines[3]] = [lines[3] as string, lines[2] as string];
		rewrite(path, lines);
		expect(await verifyAuditLog(path)).toMatchObject({ ok: false, badLine: 3 });
	});

	it('lines dropped from the end are caught with expectedHead', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 4);
		const head = (await verifyAuditLog(path)) as { head: string };
		rewrite(path, lines.slice(0, 3));
		expect((await verifyAuditLog(path)).ok).toBe(true);
		expect(await verifyAuditLog(path, { expectedHead: head.head })).toMatchObject({
			ok: false,
			badLine: 4,
		});
	});

	it('garbage and empty lines', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 3);
		rewrite(path, [lines[0] as string, '', lines[1] as string]);
		expect(await verifyAuditLog(path)).toMatchObject({ ok: false, badLine: 2 });
		writeFileSync(path, Buffer.from([0xff, 0xfe, 0x0a]));
		expect(await verifyAuditLog(path)).toMatchObject({ ok: false, badLine: 1 });
	});

	it('a missing or unreadable file is an AuditLogError, not an empty valid log', async () => {
		const missing = tempLog();
		await expect(verifyAuditLog(missing)).rejects.toThrow(AuditLogError);
		await expect(verifyAuditLog(missing)).rejects.toThrow(/does not exist/);
		await expect(verifyAuditLog(join(missing, '..'))).rejects.toThrow(/cannot read/);
	});

	it('an empty file is a valid log of 0 lines, but fails any expected head', async () => {
		const path = tempLog();
		writeFileSync(path, '');
		expect(await verifyAuditLog(path)).toEqual({ ok: true, lines: 0, head: '0'.repeat(64) });
		for (const expectedHead of ['0'.repeat(64), 'ab'.repeat(32)]) {
			expect(await verifyAuditLog(path, { expectedHead })).toMatchObject({
				ok: false,
				lines: 0,
				badLine: 1,
			});
		}
	});
});

describe('crash safety', () => {
	it('a torn last line is reported, earlier lines stay valid, and open() repairs it', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 3);
		appendFileSync(path, (lines[2] as string).slice(0, 40)); // interrupted write, no newline
		const result = await verifyAuditLog(path);
		expect(result).toMatchObject({ ok: false, badLine: 4, lines: 3 });
		expect(!result.ok && result.reason).toMatch(/incomplete last line/);
		const log = await AuditLog.open(path, { clock: clock() });
		await log.append(entry(4));
		await log.close();
		expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 4 });
	});

	it('refuses to append to a log damaged anywhere but a torn tail', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 3);
		lines.splice(1, 1);
		rewrite(path, lines);
		await expect(AuditLog.open(path, { clock: clock() })).rejects.toThrow(AuditLogError);
		expect(readFileSync(path, 'utf8')).toBe(lines.map((line) => `${line}\n`).join(''));
	});

	it('a writer killed with SIGKILL mid-stream leaves every complete line valid', async () => {
		const path = tempLog();
		const script = join(path, '..', 'writer.mts');
		writeFileSync(
			script,
			`import { AuditLog } from ${JSON.stringify(join(ROOT, 'ts/audit/log.ts'))};
const log = await AuditLog.open(process.argv[2], { clock: () => new Date() });
for (let i = 1; ; i++) {
	await log.append({ action: 'decrypt', address: '0x${'a0'.repeat(32)}', identity: '${'5e'.repeat(40)}',
		keyServers: ['0x${'01'.repeat(32)}'], threshold: 1, outcome: 'granted' });
	if (i === 30) process.stdout.write('ready\\n');
}
`,
		);
		const child = spawn(process.execPath, ['--import', 'tsx', script, path], {
			cwd: ROOT,
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		await new Promise<void>((resolve, reject) => {
			child.stdout.on('data', (data: Buffer) => {
				if (data.toString().includes('ready')) setTimeout(resolve, 50);
			});
			child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
		});
		child.kill('SIGKILL');
		await new Promise((resolve) => child.once('close', resolve));

		const result = await verifyAuditLog(path);
		if (!result.ok) expect(result.reason).toMatch(/incomplete last line/);
		expect(result.lines).toBeGreaterThanOrEqual(30);
		const log = await AuditLog.open(path, { clock: clock() });
		await log.append(entry(1));
		await log.close();
		expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: result.lines + 1 });
	}, 60_000);
});

describe('seal-policies audit verify', () => {
	function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
		return new Promise((resolve) => {
			const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
				cwd: ROOT,
			});
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
			child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
			child.on('close', (code) => resolve({ code, stdout, stderr }));
		});
	}

	it('exits 0 for an intact log and 1 naming the first bad line', async () => {
		const path = tempLog();
		const lines = await writeLog(path, 4);
		const good = await cli(['audit', 'verify', path, '--json']);
		expect(good.code).toBe(0);
		expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, lines: 4 });
		[lines[1], lines[2]] = [lines[2] as string, lines[1] as string];
		rewrite(path, lines);
		const bad = await cli(['audit', 'verify', path]);
		expect(bad.code).toBe(1);
		expect(bad.stdout).toMatch(/line 2 is bad/);
		const usage = await cli(['audit', 'check', path]);
		expect(usage.code).toBe(2); // a usage error
		expect(usage.stderr).toMatch(/verify FILE/);
	}, 60_000);

	it('fails on a missing log, and on an expected head for an empty log', async () => {
		const path = tempLog();
		const missing = await cli(['audit', 'verify', path]);
		expect(missing.code).toBe(1);
		expect(missing.stdout).toBe('');
		expect(missing.stderr).toMatch(/AuditLogError: .*access\.jsonl does not exist/);
		writeFileSync(path, '');
		const empty = await cli(['audit', 'verify', path, '--expected-head', 'ab'.repeat(32)]);
		expect(empty.code).toBe(1);
		expect(empty.stdout).toMatch(/access\.jsonl: the log is empty but an expected head was given/);
		expect(empty.stdout).not.toMatch(/line 1 is bad/);
		// An intact log and a head that is no line of it: the finding names the head, no line.
		await writeLog(path, 2);
		const typo = await cli(['audit', 'verify', path, '--expected-head', 'cd'.repeat(32)]);
		expect(typo.code).toBe(1);
		expect(typo.stdout).toMatch(/access\.jsonl: the expected head matches no line of this log/);
		expect(typo.stdout).not.toMatch(/is bad/);
	}, 60_000);

	it('decrypt --audit-log NEW on bad input leaves no log file behind', async () => {
		const path = tempLog();
		const input = join(path, '..', 'garbage.seal');
		writeFileSync(input, 'not a seal object');
		const run = await cli([
			'decrypt',
			input,
			'--out',
			join(path, '..', 'out'),
			'--audit-log',
			path,
		]);
		expect(run.code).not.toBe(0);
		expect(existsSync(path)).toBe(false);
		expect(existsSync(`${path}.lock`)).toBe(false);
	}, 60_000);
});
