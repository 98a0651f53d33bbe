/**
 * `keyserver start` under npm/npx/tsx wrappers (ts/keyserver/wrapper-watch.ts): which ancestors
 * count as wrappers of this command (read from /proc), and the watch that fires once one of them
 * is gone (exited, or a zombie nobody reaps). Real processes (`sh`, `sleep`), no npm: fast.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
	isWrapperOfKeyserverStart,
	watchWrappers,
	wrapperAncestors,
} from '../../../ts/keyserver/wrapper-watch.js';

// A fake /proc for the cases no real process tree can show (init running `keyserver start`,
// a command line that cannot be read); off (real files) unless a test fills it.
const fakeProc = vi.hoisted(() => ({ files: undefined as Map<string, string> | undefined }));
vi.mock('node:fs', async (importOriginal) => {
	const real = await importOriginal<typeof import('node:fs')>();
	return {
		...real,
		readFileSync: ((path: string, ...rest: unknown[]) => {
			if (!fakeProc.files)
				return (real.readFileSync as (...a: unknown[]) => unknown)(path, ...rest);
			const text = fakeProc.files.get(path);
			if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
			return text;
		}) as typeof real.readFileSync,
	};
});

const linux = process.platform === 'linux';
if (!linux) console.log('skip: wrapperAncestors and watchWrappers read /proc (Linux only)');
const started: ChildProcess[] = [];

afterEach(() => {
	fakeProc.files = undefined;
	vi.restoreAllMocks();
	// Each shell leads its own process group: end the whole chain, not only the outer shell.
	for (const child of started.splice(0)) {
		try {
			process.kill(-child.pid!, 'SIGKILL');
		} catch {
			// already gone
		}
	}
});

/** Runs `sh -c script name...args` and resolves the first line it prints. */
function shell(script: string, args: string[], command = 'sh'): Promise<string> {
	const child = spawn(command, ['-c', script, ...args], {
		stdio: ['ignore', 'pipe', 'inherit'],
		detached: true,
	});
	started.push(child);
	return new Promise((resolve, reject) => {
		let out = '';
		child.stdout!.on('data', (chunk: Buffer) => {
			out += chunk.toString();
			const line = out.indexOf('\n');
			if (line >= 0) resolve(out.slice(0, line));
		});
		child.once('exit', (code) => reject(new Error(`shell exited ${code} before printing`)));
	});
}

/**
 * outer sh → middle sh → inner sh, each named by `args`; the inner one prints its pid and waits.
 * The trailing `:` keeps every shell alive as the parent (no exec of the last command).
 */
async function chain(outer: string[], middle: string[], inner: string[]) {
	const q = (words: string[]) => words.map((word) => `'${word}'`).join(' ');
	const innerScript = 'echo $$; sleep 30; :';
	const middleScript = `sh -c "${innerScript.replace(/\$/g, '\\$')}" ${q(inner)}; :`;
	const outerScript = `sh -c '${middleScript.replace(/'/g, `'\\''`)}' ${q(middle)}; :`;
	const innerPid = Number(await shell(outerScript, outer));
	const middlePid = parentPid(innerPid);
	const outerPid = parentPid(middlePid);
	return { innerPid, middlePid, outerPid };
}

function parentPid(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
	const deadline = Date.now() + ms;
	while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('isWrapperOfKeyserverStart', () => {
	it('needs `keyserver` followed (anywhere later) by `start`, split on any whitespace', () => {
		expect(isWrapperOfKeyserverStart(['npx', 'seal-policies', 'keyserver', 'start'])).toBe(true);
		expect(isWrapperOfKeyserverStart(['node', 'cli.ts', 'keyserver', '--x', '1', 'start'])).toBe(
			true,
		);
		expect(isWrapperOfKeyserverStart(['sh', '-c', 'tsx cli.ts\tkeyserver\n start'])).toBe(true);
		// `start` before `keyserver`, or neither word alone, is another command.
		expect(isWrapperOfKeyserverStart(['node', 'cli.ts', 'start', 'keyserver'])).toBe(false);
		expect(isWrapperOfKeyserverStart(['node', 'cli.ts', 'start'])).toBe(false);
		expect(isWrapperOfKeyserverStart(['node', 'cli.ts', 'keyserver'])).toBe(false);
		expect(isWrapperOfKeyserverStart(['node', 'keyserverstart'])).toBe(false);
		expect(isWrapperOfKeyserverStart([])).toBe(false);
		// A bin named `keyserver` itself.
		expect(isWrapperOfKeyserverStart(['keyserver', 'start', '--port', '1'])).toBe(true);
	});
});

describe.skipIf(!linux)('wrapperAncestors (reads /proc)', () => {
	it('lists the consecutive wrapper ancestors, nearest first, and stops at the first other one', async () => {
		const w = ['x', 'keyserver', 'start'];
		const { innerPid, middlePid, outerPid } = await chain(w, w, w);
		// The test runner above the outer shell is not a wrapper: the walk stops there.
		expect(wrapperAncestors(innerPid)).toEqual([middlePid, outerPid]);
		expect(wrapperAncestors(innerPid, 1)).toEqual([middlePid]);
		expect(wrapperAncestors(innerPid, 0)).toEqual([]);
		expect(wrapperAncestors(middlePid)).toEqual([outerPid]);
	});

	it('a parent that is not a wrapper ends the walk even when a grandparent is one', async () => {
		const { innerPid, middlePid } = await chain(
			['x', 'keyserver', 'start'],
			['x', 'localnet', 'up'],
			['x', 'keyserver', 'start'],
		);
		expect(wrapperAncestors(innerPid)).toEqual([]);
		expect(wrapperAncestors(middlePid)).toHaveLength(1);
	});

	it('this process, pid 1 and a pid that does not exist have no wrappers', () => {
		expect(wrapperAncestors()).toEqual([]);
		expect(wrapperAncestors(1)).toEqual([]);
		expect(wrapperAncestors(0x3fffffff)).toEqual([]);
	});

	it('reads the parent after the LAST `)` of /proc/pid/stat (a command name may hold `) S 1 `)', async () => {
		// The kernel names a process after the file it runs: a symlink to sh with a hostile name.
		const dir = mkdtempSync(join(tmpdir(), 'wrapper-watch-'));
		try {
			const odd = join(dir, 'a) S 1 (b');
			symlinkSync('/bin/sh', odd);
			const pid = Number(
				await shell(`"${odd}" -c 'echo $$; sleep 30; :'; :`, ['x', 'keyserver', 'start']),
			);
			const parent = parentPid(pid);
			expect(parent).not.toBe(1);
			// Reading from the first `)` would find ppid 1 and stop with no wrappers.
			expect(wrapperAncestors(pid)).toEqual([parent]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('wrapperAncestors on a fake /proc', () => {
	const stat = (pid: number, comm: string, ppid: number) => `${pid} (${comm}) S ${ppid} ${pid} 0 0`;
	const cmdline = (...args: string[]) => `${args.join('\0')}\0`;

	it('never lists init, even when init itself runs `keyserver start` (a container)', () => {
		fakeProc.files = new Map([
			['/proc/50/stat', stat(50, 'node', 40)],
			['/proc/40/stat', stat(40, 'npm run cli', 1)],
			['/proc/40/cmdline', cmdline('npm', 'run', 'cli', '--', 'keyserver', 'start')],
			['/proc/1/stat', stat(1, 'npm', 0)],
			['/proc/1/cmdline', cmdline('npm', 'run', 'keyserver', 'start')],
			['/proc/60/stat', stat(60, 'node', 0)],
			['/proc/0/cmdline', cmdline('keyserver', 'start')],
		]);
		expect(wrapperAncestors(50)).toEqual([40]);
		expect(wrapperAncestors(60)).toEqual([]);
	});

	it('a parent whose command line cannot be read ends the walk', () => {
		fakeProc.files = new Map([
			['/proc/70/stat', stat(70, 'node', 71)],
			['/proc/71/stat', stat(71, 'sh', 72)],
		]);
		expect(wrapperAncestors(70)).toEqual([]);
	});
});

describe.skipIf(!linux)('watchWrappers', () => {
	it('a live process whose name reads like a zombie state (`a) Z (b`) is alive', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'wrapper-watch-'));
		try {
			const odd = join(dir, 'a) Z (b');
			symlinkSync('/bin/sh', odd);
			const pid = Number(await shell(`exec "${odd}" -c 'echo $$; sleep 30; :'`, []));
			// Its real state (after the last `)`) is not Z: sleeping, running or in disk wait.
			expect(readStat(pid)).toMatch(/ \(a\) Z \(b\) [^Z] /);
			const onGone = vi.fn();
			const stop = watchWrappers([pid], onGone, 5);
			await new Promise((r) => setTimeout(r, 60));
			stop();
			expect(onGone).not.toHaveBeenCalled();
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('calls onGone exactly once after a watched process exits, and not before', async () => {
		const pid = Number(await shell('echo $$; sleep 30; :', []));
		const onGone = vi.fn();
		const stop = watchWrappers([process.pid, pid], onGone, 5);
		await new Promise((r) => setTimeout(r, 60));
		expect(onGone).not.toHaveBeenCalled();
		process.kill(pid, 'SIGKILL');
		await until(() => onGone.mock.calls.length > 0);
		await new Promise((r) => setTimeout(r, 60));
		expect(onGone).toHaveBeenCalledTimes(1);
		stop();
	});

	it('a zombie (exited, never reaped by its parent) counts as gone', async () => {
		// `sleep 0.1 &` exits while its parent has exec'd into a `sleep` that never waits for it.
		const zombie = Number(await shell('sleep 0.1 & echo $!; exec sleep 30', []));
		await until(() => /\) Z /.test(readStat(zombie)));
		expect(readStat(zombie)).toMatch(/\) Z /);
		const onGone = vi.fn();
		const stop = watchWrappers([zombie], onGone, 5);
		await until(() => onGone.mock.calls.length > 0);
		expect(onGone).toHaveBeenCalledTimes(1);
		stop();
	});

	it('a process we may not signal (EPERM) is alive; any other kill error means gone', async () => {
		const errors: Record<number, string> = { 101: 'EPERM', 102: 'ESRCH' };
		vi.spyOn(process, 'kill').mockImplementation((pid) => {
			throw Object.assign(new Error('kill'), { code: errors[pid as number] });
		});
		const perm = vi.fn();
		const stopPerm = watchWrappers([101], perm, 5);
		const gone = vi.fn();
		const stopGone = watchWrappers([102], gone, 5);
		await until(() => gone.mock.calls.length > 0);
		await new Promise((r) => setTimeout(r, 40));
		stopPerm();
		stopGone();
		expect(gone).toHaveBeenCalledTimes(1);
		expect(perm).not.toHaveBeenCalled();
	});

	it('the returned stop ends the watch; the timer never keeps the process alive', async () => {
		const pid = Number(await shell('echo $$; sleep 30; :', []));
		const timers: NodeJS.Timeout[] = [];
		const real = globalThis.setInterval;
		vi.spyOn(globalThis, 'setInterval').mockImplementation(((...args: Parameters<typeof real>) => {
			const timer = real(...args);
			timers.push(timer);
			return timer;
		}) as typeof setInterval);
		const onGone = vi.fn();
		const stop = watchWrappers([pid], onGone, 5);
		expect(timers).toHaveLength(1);
		expect(timers[0]!.hasRef()).toBe(false);
		stop();
		process.kill(pid, 'SIGKILL');
		await new Promise((r) => setTimeout(r, 60));
		expect(onGone).not.toHaveBeenCalled();
		// Nothing to watch: no timer at all.
		watchWrappers([], onGone, 5)();
		expect(timers).toHaveLength(1);
	});

	it('polls every `everyMs` (default 500 ms)', () => {
		vi.useFakeTimers();
		try {
			const onGone = vi.fn();
			const kill = vi.spyOn(process, 'kill').mockImplementation(() => {
				throw Object.assign(new Error('kill'), { code: 'ESRCH' });
			});
			watchWrappers([4242], onGone);
			vi.advanceTimersByTime(499);
			expect(onGone).not.toHaveBeenCalled();
			vi.advanceTimersByTime(1);
			expect(onGone).toHaveBeenCalledTimes(1);
			expect(kill).toHaveBeenCalledWith(4242, 0);
		} finally {
			vi.useRealTimers();
		}
	});
});

function readStat(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return '';
	}
}
