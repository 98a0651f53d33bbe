import { spawn } from 'node:child_process';

import { MoveToolchainError } from './errors.js';
import type { MoveToolchainEnv } from './env.js';

export interface SuiProcessResult {
	/** Exit code; `null` when the process was killed by a signal. */
	readonly code: number | null;
	readonly stdout: string;
	readonly stderr: string;
}

/**
 * Runs `sui <args>` without a terminal (stdin closed, so it can never wait for a prompt) and
 * collects its output. Rejects only when the process cannot be started.
 */
export function runSui(
	suiBin: string,
	args: readonly string[],
	{ env }: { env: MoveToolchainEnv },
): Promise<SuiProcessResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(suiBin, args, {
			env: definedOnly(env),
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const stdout: Buffer[] = [];
		const stderr: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
		child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
		child.on('error', (error) =>
			reject(
				new MoveToolchainError('sui-cli', `could not run ${suiBin}: ${error.message}`, {
					cause: error,
				}),
			),
		);
		child.on('close', (code) =>
			resolve({
				code,
				stdout: Buffer.concat(stdout).toString('utf8'),
				stderr: Buffer.concat(stderr).toString('utf8'),
			}),
		);
	});
}

function definedOnly(env: MoveToolchainEnv): Record<string, string> {
	const result: Record<string, string> = {};
	for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
	return result;
}
