/**
 * One writer per access log: `AuditLog.open` takes an exclusive lock file `<log>.lock` and
 * `close` removes it. Without it, two processes appending to one log each extend their own idea
 * of the chain and fork it (duplicate sequence numbers), and every later open refuses the file.
 *
 * The lock file is created complete or not at all: its content (pid, host, time, a random token)
 * is written to a private temporary file that is then hard-linked to `<log>.lock`; `link` fails
 * if the lock exists, atomically, also on network file systems.
 *
 * A lock left by a crash is stale only when its holder ran on THIS host and its pid no longer
 * exists; then it is removed under a second lock (`<log>.lock.break`) after re-reading it, so two
 * processes breaking the same stale lock cannot remove a fresh one. A holder on another host, a
 * live pid (even a reused one), or a lock file we did not write is never broken: the error names
 * the holder and the file to delete once the user knows no writer is running.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

import { AuditLogError, AuditLogLockedError, type AuditLockHolder } from './errors.js';

interface LockContent extends AuditLockHolder {
	token: string;
}

export interface AuditLock {
	readonly path: string;
	/** Removes the lock if it is still ours; safe to call more than once. */
	release(): Promise<void>;
}

/** Process identity and liveness probe (inject for tests). */
export interface AuditLockHost {
	pid: number;
	host: string;
	clock: () => Date;
	/** True when `pid` exists on this host. */
	isAlive: (pid: number) => boolean;
}

export const LOCAL_HOST: AuditLockHost = {
	pid: process.pid,
	host: hostname(),
	clock: () => new Date(),
	isAlive: pidExists,
};

/** Bounded: each round either takes the lock, finds a live holder, or removes a stale lock. */
const MAX_ROUNDS = 20;
const BREAKER_WAIT_MS = 25;

/** Takes `<logPath>.lock` or throws `AuditLogLockedError` naming the holder. */
export async function acquireAuditLock(
	logPath: string,
	self: AuditLockHost = LOCAL_HOST,
): Promise<AuditLock> {
	const lockPath = `${logPath}.lock`;
	const mine: LockContent = {
		pid: self.pid,
		host: self.host,
		since: self.clock().toISOString(),
		token: randomBytes(16).toString('hex'),
	};
	let holder: LockContent | undefined;
	for (let round = 0; round < MAX_ROUNDS; round += 1) {
		if (await createExclusive(lockPath, mine)) {
			return { path: lockPath, release: () => releaseLock(lockPath, mine.token) };
		}
		holder = await readLock(lockPath, logPath);
		if (holder === undefined) continue; // released between our attempt and the read
		if (!isStale(holder, self)) throw lockedError(logPath, lockPath, holder);
		await breakStaleLock(lockPath, logPath, holder, mine, self);
	}
	throw lockedError(logPath, lockPath, holder);
}

function isStale(holder: AuditLockHolder, self: AuditLockHost): boolean {
	return holder.host === self.host && holder.pid !== self.pid && !self.isAlive(holder.pid);
}

function lockedError(
	logPath: string,
	lockPath: string,
	holder: AuditLockHolder | undefined,
): AuditLogLockedError {
	const who =
		holder === undefined
			? 'another writer'
			: `pid ${holder.pid} on ${holder.host} (since ${holder.since})`;
	return new AuditLogLockedError(
		lockPath,
		holder && publicHolder(holder),
		`${logPath} is being written by ${who}; one writer per log: wait for it to finish, or delete ${lockPath} if that process is gone`,
	);
}

/** The holder without its token (which only its owner needs, to release). */
function publicHolder({ pid, host, since }: AuditLockHolder): AuditLockHolder {
	return { pid, host, since };
}

/** Creates `path` holding `content` if it does not exist; false if it does. */
async function createExclusive(path: string, content: LockContent): Promise<boolean> {
	const temporary = `${path}.${content.token}.tmp`;
	try {
		await writeFile(temporary, `${JSON.stringify(content)}\n`, { flag: 'wx', mode: 0o644 });
		await link(temporary, path);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
		const code = (error as NodeJS.ErrnoException).code;
		const why =
			code === 'ENOENT'
				? `its directory ${dirname(path)} does not exist`
				: code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
					? `its directory ${dirname(path)} is not writable`
					: (error as Error).message;
		throw new AuditLogError(`cannot create the lock file ${path}: ${why}`, { cause: error });
	} finally {
		await unlink(temporary).catch(() => undefined);
	}
}

/** The lock's content; undefined if it vanished. A file we did not write is an error. */
async function readLock(lockPath: string, logPath: string): Promise<LockContent | undefined> {
	let text: string;
	try {
		text = await readFile(lockPath, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw new AuditLogError(`cannot read the lock file ${lockPath}`, { cause: error });
	}
	const content = parseLock(text);
	if (content === undefined) {
		throw new AuditLogLockedError(
			lockPath,
			undefined,
			`${lockPath} exists but is not a lock this tool wrote; delete it if no other process writes ${logPath}`,
		);
	}
	return content;
}

function parseLock(text: string): LockContent | undefined {
	let value: Partial<Record<keyof LockContent, unknown>> | null;
	try {
		value = JSON.parse(text);
	} catch {
		return undefined;
	}
	// Any other JSON (a number, a string, an array) has none of the fields and fails below.
	const { pid, host, since, token } = value ?? {};
	if (
		!Number.isSafeInteger(pid) ||
		(pid as number) <= 0 ||
		typeof host !== 'string' ||
		host === '' ||
		typeof since !== 'string' ||
		typeof token !== 'string' ||
		token === ''
	) {
		return undefined;
	}
	return { pid: pid as number, host, since, token };
}

/**
 * Removes `stale` if it is still the lock. Breakers serialise on `<lock>.break` and re-read the
 * lock under it, so a lock created after the stale one was removed is never touched.
 */
async function breakStaleLock(
	lockPath: string,
	logPath: string,
	stale: LockContent,
	mine: LockContent,
	self: AuditLockHost,
): Promise<void> {
	const breakerPath = `${lockPath}.break`;
	if (!(await createExclusive(breakerPath, mine))) {
		const breaker = await readLock(breakerPath, logPath);
		if (breaker !== undefined && isStale(breaker, self)) {
			throw new AuditLogLockedError(
				lockPath,
				publicHolder(breaker),
				`${breakerPath} was left by pid ${breaker.pid}, which is gone; delete it and ${lockPath} if no other process writes ${logPath}`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, BREAKER_WAIT_MS));
		return;
	}
	try {
		const current = await readLock(lockPath, logPath);
		if (current?.token === stale.token) await unlink(lockPath);
	} finally {
		await unlink(breakerPath);
	}
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
	let text: string;
	try {
		text = await readFile(lockPath, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
		throw new AuditLogError(`cannot read the lock file ${lockPath}`, { cause: error });
	}
	if (parseLock(text)?.token !== token) return; // not ours any more: leave it
	await unlink(lockPath).catch((error: unknown) => {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
			throw new AuditLogError(`cannot remove the lock file ${lockPath}`, { cause: error });
		}
	});
}

/** `kill(pid, 0)` probes without signalling: ESRCH means no such process, EPERM means it exists. */
function pidExists(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code !== 'ESRCH';
	}
}
