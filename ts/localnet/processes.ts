/**
 * Child processes of the stack: started detached (own process group, output to a log file) so
 * they outlive the `up` command, and stopped by the pid recorded in the state file.
 */
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { LocalnetError } from '../errors.js';

export interface SpawnOptions {
	part: string;
	command: string;
	args: readonly string[];
	/** Full environment of the child (secrets such as MASTER_KEY go here and nowhere else). */
	env: NodeJS.ProcessEnv;
	cwd: string;
	logFile: string;
}

/** Starts a detached child writing stdout+stderr to `logFile`; resolves with its pid. */
export async function spawnDetached(options: SpawnOptions): Promise<number> {
	await mkdir(dirname(options.logFile), { recursive: true });
	const log = await open(options.logFile, 'a');
	try {
		const child = spawn(options.command, [...options.args], {
			cwd: options.cwd,
			env: options.env,
			detached: true,
			stdio: ['ignore', log.fd, log.fd],
		});
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
		return pid;
	} finally {
		await log.close();
	}
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
