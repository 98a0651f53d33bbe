/**
 * Child processes of the stack: started detached (own process group, output to a log file) so
 * they outlive the `up` command, and stopped by the pid recorded in the state file. Each child
 * gets a minimal environment (PATH, HOME and its own variables), never a copy of ours: an
 * inherited variable can change a child's behaviour (Mysten's key server panics when NODE_URL is
 * set while its YAML sets node_url) or leak a secret.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { LocalnetError } from './errors.js';

/** What every child gets from our environment (when set): where programs and home are. */
export const BASE_CHILD_ENV = ['PATH', 'HOME'] as const;

/**
 * A child's environment: PATH and HOME from `parent`, the names in `passThrough` when `parent`
 * sets them (e.g. RUST_LOG), then `own` (the child's variables, which win).
 */
export function childEnvironment(
	parent: Readonly<NodeJS.ProcessEnv>,
	own: Readonly<Record<string, string>>,
	passThrough: readonly string[] = [],
): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const name of [...BASE_CHILD_ENV, ...passThrough]) {
		const value = parent[name];
		if (value !== undefined) env[name] = value;
	}
	return { ...env, ...own };
}

export interface SpawnOptions {
	part: string;
	command: string;
	args: readonly string[];
	/** Full environment of the child (secrets such as MASTER_KEY go here and nowhere else). */
	env: NodeJS.ProcessEnv;
	cwd: string;
	logFile: string;
	/** When aborted, nothing is started (and a child that just started is stopped again). */
	signal?: AbortSignal | undefined;
}

/** How a child ended: exit code, or the signal that killed it. */
export interface ChildExit {
	code: number | null;
	signal: NodeJS.Signals | null;
}

export interface DetachedChild {
	pid: number;
	/** Settles when the child exits (only observable while this process lives). */
	exited: Promise<ChildExit>;
}

/** Starts a detached child writing stdout+stderr to `logFile`. */
export async function spawnDetached(options: SpawnOptions): Promise<DetachedChild> {
	await mkdir(dirname(options.logFile), { recursive: true });
	const log = await open(options.logFile, 'a');
	try {
		options.signal?.throwIfAborted();
		const child = spawn(options.command, [...options.args], {
			cwd: options.cwd,
			env: options.env,
			detached: true,
			stdio: ['ignore', log.fd, log.fd],
		});
		// Listen before anything can await, so an immediate exit is never missed.
		const exited = new Promise<ChildExit>((resolve) =>
			child.once('exit', (code, signal) => resolve({ code, signal })),
		);
		const pid = await new Promise<number>((resolve, reject) => {
			child.once('error', (error) =>
				reject(
					new LocalnetError(options.part, `cannot start ${options.command}: ${error.message}`, {
						cause: error,
					}),
				),
			);
			child.once('spawn', () => {
				if (child.pid === undefined)
					reject(new LocalnetError(options.part, 'started without a pid'));
				else resolve(child.pid);
			});
		});
		child.unref();
		if (options.signal?.aborted) {
			signalGroup(pid, 'SIGKILL');
			options.signal.throwIfAborted();
		}
		return { pid, exited };
	} finally {
		await log.close();
	}
}

/** `exited with code 3` / `was killed by SIGKILL`. */
export function describeExit(exit: ChildExit): string {
	if (exit.code !== null) return `exited with code ${exit.code}`;
	return `was killed by ${exit.signal ?? 'an unknown signal'}`;
}

/** The last `lines` lines of a log file (fewer when it is shorter; a note when unreadable). */
export async function logTail(file: string, lines = 20): Promise<string> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		return `(cannot read ${file}: ${(error as Error).message})`;
	}
	const all = text.replace(/\s+$/, '').split(/\r?\n/);
	if (all.length === 1 && all[0] === '') return '(the log is empty)';
	return all.slice(-lines).join('\n');
}

/** One report line plus the log tail: what `up` and `status` print for a dead child. */
export async function deadChildReport(what: string, logFile: string, lines = 20): Promise<string> {
	return `${what}; last ${lines} lines of ${logFile}:\n${await logTail(logFile, lines)}`;
}

/** True while a process with this pid exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		// EPERM: it exists but belongs to someone else; treat as alive so we never reuse it.
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/**
 * Stops the process group led by `pid` (what `spawnDetached` created): SIGTERM, then SIGKILL
 * after `graceMs`. Resolves true when it is gone, false when it was not running.
 */
export async function stopProcess(
	pid: number,
	{
		graceMs = 5_000,
		sleep = pause,
	}: { graceMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<boolean> {
	if (!isAlive(pid)) return false;
	signalGroup(pid, 'SIGTERM');
	for (let waited = 0; waited < graceMs; waited += 100) {
		if (!isAlive(pid)) return true;
		await sleep(100);
	}
	signalGroup(pid, 'SIGKILL');
	return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		try {
			process.kill(pid, signal);
		} catch {
			// Already gone.
		}
	}
}
