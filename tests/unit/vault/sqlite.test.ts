/**
 * The SQLite vault file under faults: missing, existing, foreign, truncated, newer schema, locked
 * by another process, and a writer process killed mid-write (no committed record lost, no half
 * batch left).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { VaultDatabaseError, VaultLockedError } from '../../../ts/vault/errors.js';
import { openSqliteStorage } from '../../../ts/vault/sqlite-storage.js';
import type { VaultMeta } from '../../../ts/vault/storage.js';

const WRITER = join(import.meta.dirname, '..', '..', 'support', 'vault-sqlite-writer.ts');

let dir: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'vault-sqlite-'));
});
afterEach(async () => {
	for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
	await rm(dir, { recursive: true, force: true });
});

const meta = (): VaultMeta => ({
	vaultId: new Uint8Array(randomBytes(16)),
	policy: 'owner',
	target: `0x${'ab'.repeat(32)}`,
	packageId: `0x${'cd'.repeat(32)}`,
	threshold: 1,
	servers: [],
	createdAtMs: 0,
});

async function newVaultFile(records = 0): Promise<string> {
	const path = join(dir, 'v.db');
	const storage = await openSqliteStorage({ path, mode: 'create' });
	await storage.create(meta(), {
		epoch: 0,
		sealedKey: new Uint8Array(64),
		members: undefined,
		createdAtMs: 0,
		prevHash: new Uint8Array(32),
		commitment: new Uint8Array(),
		retired: [],
		resealing: [],
	});
	if (records > 0) {
		const rows = Array.from({ length: records }, (_, i) => ({
			id: `r${i}`,
			epoch: 0,
			version: 1,
			iv: new Uint8Array(12),
			ciphertext: new Uint8Array(randomBytes(1000)),
		}));
		await storage.putRecords(0, rows, 2 ** 32, new Map(rows.map((r) => [r.id, null])));
	}
	await storage.close();
	return path;
}

async function openError(path: string): Promise<unknown> {
	return openSqliteStorage({ path, mode: 'open' }).then(
		async (s) => {
			await s.close();
			return undefined;
		},
		(e: unknown) => e,
	);
}

/** Starts the writer child; resolves once it printed a line matching `ready`. */
function startChild(args: string[]): {
	child: ChildProcess;
	lines: string[];
	wait: (re: RegExp) => Promise<string>;
} {
	const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', WRITER, ...args], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	children.push(child);
	const lines: string[] = [];
	const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
	createInterface({ input: child.stdout! }).on('line', (line) => {
		lines.push(line);
		for (const w of waiters.splice(0)) {
			if (w.re.test(line)) w.resolve(line);
			else waiters.push(w);
		}
	});
	return {
		child,
		lines,
		wait: (re) =>
			new Promise((resolve, reject) => {
				const seen = lines.find((l) => re.test(l));
				if (seen) return resolve(seen);
				waiters.push({ re, resolve });
				child.once('exit', (code) => reject(new Error(`child exited (${code}) before ${re}`)));
			}),
	};
}

describe('opening', () => {
	it('missing file (open) and existing file (create) are refused', async () => {
		expect(await openError(join(dir, 'nope.db'))).toMatchObject({ problem: 'missing' });
		const path = await newVaultFile();
		const error = await openSqliteStorage({ path, mode: 'create' }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).toMatchObject({ problem: 'exists' });
	});

	it('a text file, an empty file and another SQLite database are foreign or truncated', async () => {
		const text = join(dir, 'notes.txt');
		await writeFile(text, 'hello, not a database\n'.repeat(20));
		expect(await openError(text)).toMatchObject({ problem: 'foreign' });
		const empty = join(dir, 'empty.db');
		await writeFile(empty, '');
		expect(await openError(empty)).toMatchObject({ problem: 'truncated' });
		const other = join(dir, 'other.db');
		const db = new DatabaseSync(other);
		db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
		db.close();
		const error = await openError(other);
		expect(error).toBeInstanceOf(VaultDatabaseError);
		expect(error).toMatchObject({ problem: 'foreign' });
		expect(await stat(other)).toBeDefined();
	});

	it('a truncated vault file is refused (header cut, and pages missing)', async () => {
		const path = await newVaultFile(50);
		const size = (await stat(path)).size;
		await truncate(path, Math.floor(size / 2));
		expect(await openError(path)).toMatchObject({ problem: 'truncated' });
		await truncate(path, 60);
		expect(await openError(path)).toMatchObject({ problem: 'truncated' });
	});

	it('a vault of a newer schema is refused', async () => {
		const path = await newVaultFile();
		const db = new DatabaseSync(path);
		db.exec('PRAGMA user_version = 99');
		db.close();
		expect(await openError(path)).toMatchObject({ problem: 'schema' });
	});

	it('a schema-1 vault (before authenticated epochs) is refused with what to do', async () => {
		const path = await newVaultFile();
		const db = new DatabaseSync(path);
		db.exec('PRAGMA user_version = 1');
		db.close();
		const error = await openError(path);
		expect(error).toMatchObject({ problem: 'schema' });
		expect((error as Error).message).toMatch(/predates authenticated epochs.*export/);
	});
});

describe('other processes and crashes', () => {
	it('a write while another process holds the lock → VaultLockedError, nothing written; then it works', async () => {
		const path = await newVaultFile();
		const holder = startChild(['hold-lock', path]);
		await holder.wait(/^locked$/);
		const storage = await openSqliteStorage({ path, mode: 'open', busyTimeoutMs: 200 });
		const rec = {
			id: 'x',
			epoch: 0,
			version: 1,
			iv: new Uint8Array(12),
			ciphertext: new Uint8Array(32),
		};
		const isNew = new Map([['x', null]]);
		const error = await storage.putRecords(0, [rec], 10, isNew).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VaultLockedError);
		expect((await storage.stats()).records).toBe(0);
		holder.child.kill('SIGKILL');
		await new Promise((r) => holder.child.once('exit', r));
		expect(await storage.putRecords(0, [rec], 10, isNew)).toEqual({ ok: true });
		expect((await storage.stats()).records).toBe(1);
		await storage.close();
	});

	it('a writer killed mid-write loses no committed batch and leaves no half batch', async () => {
		const path = await newVaultFile();
		const batch = 50;
		const writer = startChild(['write-loop', path, String(batch)]);
		await writer.wait(/^committed (1[0-9]|[2-9][0-9])[0-9]{2}$/);
		writer.child.kill('SIGKILL');
		await new Promise((r) => writer.child.once('exit', r));
		const reported = Math.max(
			...writer.lines.map((l) => Number(/^committed (\d+)$/.exec(l)?.[1] ?? 0)),
		);
		const storage = await openSqliteStorage({ path, mode: 'open' });
		const { records, epochs } = await storage.stats();
		expect(records).toBeGreaterThanOrEqual(reported);
		expect(records % batch).toBe(0);
		expect(epochs[0]?.encryptions).toBe(records);
		await storage.close();
		const db = new DatabaseSync(path);
		expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
		db.close();
	});
});
