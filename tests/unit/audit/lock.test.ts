/** The access log's one-writer lock (ts/audit/lock.ts), driven in-process with injected hosts. */
import { spawnSync } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { acquireAuditLock, LOCAL_HOST, type AuditLockHost } from '../../../ts/audit/lock.js';
import { AuditLog, verifyAuditLog } from '../../../ts/audit/log.js';
import { AuditLogError, AuditLogLockedError } from '../../../ts/audit/errors.js';

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempLog(): string {
	const dir = mkdtempSync(join(tmpdir(), 'seal-audit-lock-'));
	dirs.push(dir);
	return join(dir, 'access.jsonl');
}

const clock = () => new Date(Date.UTC(2026, 0, 1));
/** A host whose probe says which pids are alive. */
function host(pid: number, alive: (pid: number) => boolean, name = 'here'): AuditLockHost {
	return { pid, host: name, clock, isAlive: alive };
}
function lockContent(pid: number, name: string, token = 'f'.repeat(32)): string {
	return `${JSON.stringify({ pid, host: name, since: '2026-01-01T00:00:00.000Z', token })}\n`;
}
const ENTRY = {
	action: 'decrypt',
	address: `0x${'a0'.repeat(32)}`,
	identity: '5e'.repeat(34),
	keyServers: [`0x${'01'.repeat(32)}`],
	threshold: 1,
	outcome: 'granted',
} as const;

describe('audit log writer lock', () => {
	it('writes pid, host and time to <log>.lock and removes it on release', async () => {
		const path = tempLog();
		const lock = await acquireAuditLock(
			path,
			host(4242, () => true),
		);
		expect(lock.path).toBe(`${path}.lock`);
		expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({
			pid: 4242,
			host: 'here',
			since: '2026-01-01T00:00:00.000Z',
			token: expect.stringMatching(/^[0-9a-f]{32}$/),
		});
		await lock.release();
		await lock.release();
		expect(existsSync(lock.path)).toBe(false);
	});

	it('a live holder on this host is named in a typed error; the log is untouched', async () => {
		const path = tempLog();
		writeFileSync(`${path}.lock`, lockContent(777, 'here'));
		const error = await acquireAuditLock(
			path,
			host(1, () => true),
		).catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogLockedError);
		expect(error).toBeInstanceOf(AuditLogError);
		expect(error.holder).toEqual({ pid: 777, host: 'here', since: '2026-01-01T00:00:00.000Z' });
		expect(error.lockPath).toBe(`${path}.lock`);
		expect(error.message).toBe(
			`${path} is being written by pid 777 on here (since 2026-01-01T00:00:00.000Z); one writer per log: wait for it to finish, or delete ${path}.lock if that process is gone`,
		);
		expect(readFileSync(`${path}.lock`, 'utf8')).toBe(lockContent(777, 'here'));
		expect(existsSync(path)).toBe(false);
	});

	it('a dead holder on this host is stale: the lock is taken over', async () => {
		const path = tempLog();
		writeFileSync(`${path}.lock`, lockContent(777, 'here'));
		const probed: number[] = [];
		const lock = await acquireAuditLock(
			path,
			host(1, (pid) => (probed.push(pid), false)),
		);
		expect(probed).toContain(777);
		expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: 1 });
		expect(existsSync(`${lock.path}.break`)).toBe(false);
		await lock.release();
	});

	it('a holder on another host is never broken, even if its pid is unknown here', async () => {
		const path = tempLog();
		writeFileSync(`${path}.lock`, lockContent(777, 'elsewhere'));
		const error = await acquireAuditLock(
			path,
			host(1, () => false),
		).catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogLockedError);
		expect(error.message).toContain('pid 777 on elsewhere');
		expect(existsSync(`${path}.lock`)).toBe(true);
	});

	it('our own pid is a live holder (a second AuditLog in this process)', async () => {
		const path = tempLog();
		const first = await AuditLog.open(path, { clock });
		const error = await AuditLog.open(path, { clock }).catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogLockedError);
		expect(error.holder).toMatchObject({ pid: process.pid, host: hostname() });
		// Even a probe that claims every pid is dead does not break our own lock.
		await expect(acquireAuditLock(path, { ...LOCAL_HOST, isAlive: () => false })).rejects.toThrow(
			AuditLogLockedError,
		);
		await first.append(ENTRY);
		await first.close();
		const second = await AuditLog.open(path, { clock });
		await second.append(ENTRY);
		await second.close();
		expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 2 });
	});

	it('a lock file we did not write is refused, naming the file to delete', async () => {
		const path = tempLog();
		for (const junk of [
			'',
			'garbage',
			'null',
			'[]',
			'5',
			'"lock"',
			lockContent(0, 'here'),
			lockContent(-1, 'here'),
			lockContent(1.5, 'here'),
			lockContent(7, ''),
			lockContent(7, 'here', ''),
			JSON.stringify({ pid: 7, host: 'here', token: 'ab' }),
			JSON.stringify({ pid: '7', host: 'here', since: 'x', token: 'ab' }),
			JSON.stringify({ pid: 7, host: 5, since: 'x', token: 'ab' }),
			JSON.stringify({ pid: 7, host: 'here', since: 'x', token: 5 }),
		]) {
			writeFileSync(`${path}.lock`, junk);
			const error = await acquireAuditLock(
				path,
				host(1, () => false),
			).catch((e) => e);
			expect(error, junk).toBeInstanceOf(AuditLogLockedError);
			expect(error.holder).toBeUndefined();
			expect(error.message).toBe(
				`${path}.lock exists but is not a lock this tool wrote; delete it if no other process writes ${path}`,
			);
			expect(readFileSync(`${path}.lock`, 'utf8')).toBe(junk);
		}
	});

	it('a breaker left by a dead process is reported, not looped on', async () => {
		const path = tempLog();
		writeFileSync(`${path}.lock`, lockContent(777, 'here'));
		writeFileSync(`${path}.lock.break`, lockContent(778, 'here', 'e'.repeat(32)));
		const error = await acquireAuditLock(
			path,
			host(1, () => false),
		).catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogLockedError);
		expect(error.holder).toMatchObject({ pid: 778 });
		expect(error.message).toContain(`${path}.lock.break was left by pid 778, which is gone`);
		expect(existsSync(`${path}.lock`)).toBe(true);
	});

	it('a busy breaker (live) makes us wait and retry, then report the holder', async () => {
		const path = tempLog();
		writeFileSync(`${path}.lock`, lockContent(777, 'here'));
		writeFileSync(`${path}.lock.break`, lockContent(778, 'here', 'e'.repeat(32)));
		const started = Date.now();
		const error = await acquireAuditLock(
			path,
			host(1, (pid) => pid === 778),
		).catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogLockedError);
		expect(error.holder).toMatchObject({ pid: 777 });
		expect(Date.now() - started).toBeGreaterThanOrEqual(19 * 20);
		expect(existsSync(`${path}.lock`)).toBe(true);
	});

	it('release leaves a lock that is no longer ours', async () => {
		const path = tempLog();
		const log = await AuditLog.open(path, { clock });
		writeFileSync(`${path}.lock`, lockContent(777, 'here'));
		await log.close();
		expect(readFileSync(`${path}.lock`, 'utf8')).toBe(lockContent(777, 'here'));
	});

	it('a lock in a directory that does not exist is an AuditLogError naming the lock file', async () => {
		const path = join(tempLog(), 'missing', 'access.jsonl');
		await expect(acquireAuditLock(path)).rejects.toThrow(
			`cannot create the lock file ${path}.lock: its directory ${dirname(path)} does not exist`,
		);
	});

	it('a refused open (damaged log) releases the lock', async () => {
		const path = tempLog();
		writeFileSync(path, '{"not":"a record"}\n');
		await expect(AuditLog.open(path, { clock })).rejects.toThrow(/refusing to append/);
		expect(existsSync(`${path}.lock`)).toBe(false);
	});

	it('a log opened and closed without appends leaves no file; append after close is refused', async () => {
		const path = tempLog();
		const log = await AuditLog.open(path, { clock });
		await log.close();
		await log.close();
		expect(existsSync(path)).toBe(false);
		expect(existsSync(`${path}.lock`)).toBe(false);
		await expect(log.append(ENTRY)).rejects.toThrow(`${path} is closed; open it again to append`);
		expect(existsSync(path)).toBe(false);
	});
});

describe('audit log writer lock: the remaining paths', () => {
	it('LOCAL_HOST probes real pids: this one is alive, an exited child is not', () => {
		expect(LOCAL_HOST.pid).toBe(process.pid);
		expect(LOCAL_HOST.host).toBe(hostname());
		expect(LOCAL_HOST.isAlive(process.pid)).toBe(true);
		const child = spawnSync(process.execPath, ['-e', '0']);
		expect(child.status).toBe(0);
		expect(LOCAL_HOST.isAlive(child.pid as number)).toBe(false);
	});

	it('gives up after a bounded number of rounds while a live breaker is busy', async () => {
		const path = tempLog();
		writeFileSync(`${path}.lock`, lockContent(777, 'here'));
		writeFileSync(`${path}.lock.break`, lockContent(778, 'here', 'e'.repeat(32)));
		const probes: number[] = [];
		await expect(
			acquireAuditLock(
				path,
				host(1, (pid) => (probes.push(pid), pid === 778)),
			),
		).rejects.toThrow(AuditLogLockedError);
		// Each of the 20 rounds probes the lock holder and then the breaker.
		expect(probes).toEqual(Array.from({ length: 20 }, () => [777, 778]).flat());
	});

	it('a stale lock replaced by a live one while we looked is not removed', async () => {
		const path = tempLog();
		writeFileSync(`${path}.lock`, lockContent(777, 'here'));
		const isAlive = (pid: number) => {
			// Another process breaks the stale lock and takes it between our read and our break.
			if (pid === 777) writeFileSync(`${path}.lock`, lockContent(888, 'here', 'd'.repeat(32)));
			return pid === 888;
		};
		const error = await acquireAuditLock(path, host(1, isAlive)).catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogLockedError);
		expect(error.holder).toMatchObject({ pid: 888 });
		expect(readFileSync(`${path}.lock`, 'utf8')).toBe(lockContent(888, 'here', 'd'.repeat(32)));
	});

	it('a lock path that cannot be read or created is an AuditLogError with the cause', async () => {
		const path = tempLog();
		mkdirSync(`${path}.lock`);
		const unreadable = await acquireAuditLock(path).catch((e) => e);
		expect(unreadable).toBeInstanceOf(AuditLogError);
		expect(unreadable.message).toBe(`cannot read the lock file ${path}.lock`);
		expect(unreadable.cause.code).toBe('EISDIR');
		const missing = join(path, 'no-dir', 'log.jsonl');
		const uncreatable = await acquireAuditLock(missing).catch((e) => e);
		expect(uncreatable.cause.code).toBe('ENOENT');
	});

	it('release: a lock replaced by junk is left alone; one that became unreadable is an error', async () => {
		const path = tempLog();
		const log = await AuditLog.open(path, { clock });
		writeFileSync(`${path}.lock`, 'junk');
		await log.close();
		expect(readFileSync(`${path}.lock`, 'utf8')).toBe('junk');
		rmSync(`${path}.lock`);

		const lock = await acquireAuditLock(path);
		rmSync(lock.path);
		mkdirSync(lock.path);
		const error = await lock.release().catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogError);
		expect(error.message).toBe(`cannot read the lock file ${lock.path}`);
		expect(error.cause.code).toBe('EISDIR');
	});

	it('a lock that is there for link but gone for read (released each time we look) ends after bounded rounds', async () => {
		const path = tempLog();
		// A dangling symlink: link() sees the name taken (EEXIST), readFile() finds nothing
		// (ENOENT), as when a holder releases between our attempt and our read, every round.
		symlinkSync(join(path, '..', 'gone'), `${path}.lock`);
		const error = await acquireAuditLock(
			path,
			host(1, () => false),
		).catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogLockedError);
		expect(error.holder).toBeUndefined();
		expect(error.message).toBe(
			`${path} is being written by another writer; one writer per log: wait for it to finish, or delete ${path}.lock if that process is gone`,
		);
	});

	it('a breaker that is gone each time we read it makes us wait and retry, never break unguarded', async () => {
		const path = tempLog();
		writeFileSync(`${path}.lock`, lockContent(777, 'here'));
		// Dangling symlink: the breaker name is taken for link() but has vanished for readFile().
		symlinkSync(join(path, '..', 'gone'), `${path}.lock.break`);
		const error = await acquireAuditLock(
			path,
			host(1, () => false),
		).catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogLockedError);
		expect(error.holder).toMatchObject({ pid: 777 });
		expect(readFileSync(`${path}.lock`, 'utf8')).toBe(lockContent(777, 'here'));
	});

	it('a stale lock another process removed while we looked: we take the lock', async () => {
		const path = tempLog();
		writeFileSync(`${path}.lock`, lockContent(777, 'here'));
		const isAlive = (pid: number) => {
			// Another process breaks the stale lock between our read and our break.
			if (pid === 777) rmSync(`${path}.lock`, { force: true });
			return false;
		};
		const lock = await acquireAuditLock(path, host(1, isAlive));
		expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: 1 });
		expect(existsSync(`${lock.path}.break`)).toBe(false);
		await lock.release();
		expect(existsSync(lock.path)).toBe(false);
	});

	it("LOCAL_HOST counts a pid it may not signal (another user's, EPERM) as alive, only ESRCH as gone", () => {
		const fail = (code: string) =>
			vi.spyOn(process, 'kill').mockImplementation(() => {
				throw Object.assign(new Error(code), { code });
			});
		try {
			fail('EPERM');
			expect(LOCAL_HOST.isAlive(4242)).toBe(true);
			fail('ESRCH');
			expect(LOCAL_HOST.isAlive(4242)).toBe(false);
		} finally {
			vi.restoreAllMocks();
		}
	});
});
