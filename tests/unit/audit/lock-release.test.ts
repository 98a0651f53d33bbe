/**
 * Releasing the access log's lock when removing the file fails (ts/audit/lock.ts). Running as
 * root, permissions cannot make `unlink` fail, so `node:fs/promises` is wrapped to fail it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { acquireAuditLock } from '../../../ts/audit/lock.js';
import { AuditLogError } from '../../../ts/audit/errors.js';

/** The error the next `unlink` of a `.lock` path throws (then cleared), if set. */
const failNextLockUnlink: { error?: NodeJS.ErrnoException } = {};

vi.mock('node:fs/promises', async (importOriginal) => {
	const original = await importOriginal<typeof import('node:fs/promises')>();
	return {
		...original,
		unlink: async (path: string) => {
			const error = failNextLockUnlink.error;
			if (error !== undefined && path.endsWith('.lock')) {
				delete failNextLockUnlink.error;
				throw error;
			}
			return original.unlink(path);
		},
	};
});

const dirs: string[] = [];
afterEach(() => {
	delete failNextLockUnlink.error;
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempLog(): string {
	const dir = mkdtempSync(join(tmpdir(), 'seal-audit-lock-release-'));
	dirs.push(dir);
	return join(dir, 'access.jsonl');
}
const errno = (code: string) => Object.assign(new Error(code), { code });

describe('audit log lock release when removal fails', () => {
	it('a lock that cannot be removed is an AuditLogError with the cause; the lock stays', async () => {
		const lock = await acquireAuditLock(tempLog());
		const busy = errno('EBUSY');
		failNextLockUnlink.error = busy;
		const error = await lock.release().catch((e) => e);
		expect(error).toBeInstanceOf(AuditLogError);
		expect(error.message).toBe(`cannot remove the lock file ${lock.path}`);
		expect(error.cause).toBe(busy);
		expect(existsSync(lock.path)).toBe(true);
		await lock.release();
		expect(existsSync(lock.path)).toBe(false);
	});

	it('a lock removed by someone else between our read and our unlink (ENOENT) is released', async () => {
		const lock = await acquireAuditLock(tempLog());
		failNextLockUnlink.error = errno('ENOENT');
		await expect(lock.release()).resolves.toBeUndefined();
	});
});
