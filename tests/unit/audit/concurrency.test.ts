/**
 * Several real processes appending to one access log (issue 13, defect 7: four writers used to
 * fork the hash chain). One writer holds the lock at a time; the others are refused with
 * `AuditLogLockedError` naming the holder, retry, and every acknowledged line ends up in a log
 * that verifies.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { AuditLog, verifyAuditLog } from '../../../ts/audit/log.js';
import { AuditLogLockedError } from '../../../ts/audit/errors.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const WRITER = 'tests/support/audit-writer.ts';

interface WriterEvent {
	event: 'locked' | 'open' | 'ack' | 'closed';
	pid?: number;
	seq?: number;
	hash?: string;
	name?: string;
	holderPid?: number;
	holderHost?: string;
	message?: string;
}

interface Writer {
	child: ChildProcessWithoutNullStreams;
	events: WriterEvent[];
	/** Resolves when an event matching `predicate` has been printed. */
	until(predicate: (event: WriterEvent) => boolean): Promise<void>;
	exit: Promise<{ code: number | null; stderr: string }>;
}

const dirs: string[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
	for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempLog(): string {
	const dir = mkdtempSync(join(tmpdir(), 'seal-audit-mp-'));
	dirs.push(dir);
	return join(dir, 'access.jsonl');
}

function startWriter(path: string, count: number, hold = false): Writer {
	const child = spawn(
		process.execPath,
		['--import', 'tsx', WRITER, path, String(count), ...(hold ? ['hold'] : [])],
		{ cwd: ROOT },
	);
	children.push(child);
	const events: WriterEvent[] = [];
	const waiters: { predicate: (e: WriterEvent) => boolean; resolve: () => void }[] = [];
	let buffered = '';
	let stderr = '';
	child.stdout.on('data', (data: Buffer) => {
		buffered += data.toString();
		let newline = buffered.indexOf('\n');
		while (newline !== -1) {
			const event = JSON.parse(buffered.slice(0, newline)) as WriterEvent;
			buffered = buffered.slice(newline + 1);
			events.push(event);
			for (const waiter of waiters.filter((w) => w.predicate(event))) {
				waiters.splice(waiters.indexOf(waiter), 1);
				waiter.resolve();
			}
			newline = buffered.indexOf('\n');
		}
	});
	child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
	const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
		child.on('close', (code) => resolve({ code, stderr })),
	);
	return {
		child,
		events,
		exit,
		until: (predicate) =>
			events.some(predicate)
				? Promise.resolve()
				: Promise.race([
						new Promise<void>((resolve) => waiters.push({ predicate, resolve })),
						exit.then(({ code, stderr: err }) => {
							throw new Error(`writer ${child.pid} exited (${code}) before the event: ${err}`);
						}),
					]),
	};
}

function acknowledged(writers: Writer[]): string[] {
	return writers.flatMap((w) => w.events.filter((e) => e.event === 'ack').map((e) => e.hash!));
}

/** Every line is acknowledged by exactly one writer, the chain verifies, seqs are 1..n. */
async function expectIntactLog(path: string, writers: Writer[], total: number): Promise<void> {
	const verified = await verifyAuditLog(path);
	expect(verified).toMatchObject({ ok: true, lines: total });
	const records = readFileSync(path, 'utf8')
		.split('\n')
		.slice(0, -1)
		.map((line) => JSON.parse(line) as { seq: number; hash: string });
	expect(records.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
	expect(new Set(records.map((r) => r.hash))).toEqual(new Set(acknowledged(writers)));
	expect(acknowledged(writers)).toHaveLength(total);
	expect(existsSync(`${path}.lock`)).toBe(false);
}

describe('several processes appending to one audit log', () => {
	it('a held log refuses other writers with AuditLogLockedError naming pid and host; they get in after it closes', async () => {
		const path = tempLog();
		const count = 15;
		const holder = startWriter(path, count, true);
		await holder.until((e) => e.event === 'open');
		const holderPid = holder.child.pid!;

		const others = [1, 2, 3].map(() => startWriter(path, count));
		for (const other of others) {
			await other.until((e) => e.event === 'locked');
			expect(other.events[0]).toMatchObject({
				event: 'locked',
				name: 'AuditLogLockedError',
				holderPid,
				holderHost: hostname(),
			});
			expect(other.events[0]?.message).toContain(`pid ${holderPid} on ${hostname()}`);
			expect(other.events[0]?.message).toContain(`${path}.lock`);
		}
		// This process is refused too, and the file is untouched by the refusals.
		const refused = await AuditLog.open(path, { clock: () => new Date() }).catch((e) => e);
		expect(refused).toBeInstanceOf(AuditLogLockedError);
		expect((refused as AuditLogLockedError).holder).toMatchObject({ pid: holderPid });
		expect(existsSync(path)).toBe(false); // nothing appended yet, so no file yet

		holder.child.stdin.write('go\n');
		const writers = [holder, ...others];
		for (const writer of writers) expect((await writer.exit).code).toBe(0);
		await expectIntactLog(path, writers, 4 * count);
	}, 120_000);

	it('four writers started together: no acknowledged line is lost and the chain does not fork', async () => {
		const path = tempLog();
		const count = 20;
		const writers = [1, 2, 3, 4].map(() => startWriter(path, count));
		for (const writer of writers) expect((await writer.exit).code).toBe(0);
		await expectIntactLog(path, writers, 4 * count);
	}, 120_000);

	it('a writer killed while holding the lock leaves a stale lock that the next writer breaks', async () => {
		const path = tempLog();
		const holder = startWriter(path, 3, true);
		await holder.until((e) => e.event === 'open');
		holder.child.kill('SIGKILL');
		await holder.exit;
		expect(existsSync(`${path}.lock`)).toBe(true);

		const next = startWriter(path, 5);
		expect((await next.exit).code).toBe(0);
		expect(next.events.some((e) => e.event === 'locked')).toBe(false);
		await expectIntactLog(path, [next], 5);
	}, 120_000);
});
