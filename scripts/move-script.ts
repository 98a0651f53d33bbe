/**
 * What `npm run move:build` and `npm run move:test` share: the default package (move/), the
 * options `--json --verbose --help` on top of the subcommand's own, and how a failure is printed
 * (compiler report, then one line; exit 2 for a wrong command line).
 */
import path from 'node:path';

import { UsageError } from '../ts/errors.js';
import { MoveBuildError } from '../ts/move/errors.js';
import { stderrLogger } from '../ts/logger.js';
import { buildEnvironment, type BuildEnvironment } from '../ts/move/build-env.js';
import type { Logger } from '../ts/logger.js';
import { packageRoot } from './package-root.js';

/** What a move subcommand writes to and reads from (the CLI and the npm scripts pass their own). */
export interface MoveIo {
	json: boolean;
	logger: Logger;
	env: NodeJS.ProcessEnv;
	stdout: (text: string) => void;
}

/** `--path` (default move/), shown relative to the working directory. */
export function packagePathArg(value: string | undefined): string {
	return path.relative(process.cwd(), value ?? path.join(packageRoot(), 'move')) || '.';
}

/**
 * `--build-env` (default testnet: the framework the package builds against is the same on every
 * network) and, for a chain Sui does not know (localnet, devnet), its `--chain-id`.
 */
export function buildEnvironmentArg(values: {
	'build-env'?: string | undefined;
	'chain-id'?: string | undefined;
}): BuildEnvironment {
	try {
		return buildEnvironment(values['build-env'] ?? 'testnet', values['chain-id']);
	} catch (error) {
		// A wrong --build-env / --chain-id is a wrong command line: exit 2 like other usage errors.
		const flag =
			error instanceof Error && /^chainId/.test(error.message) ? '--chain-id' : '--build-env';
		const reason = error instanceof Error ? error.message.replace(/^\w+: /, '') : String(error);
		throw new UsageError(flag, reason, { cause: error });
	}
}

/**
 * Runs one subcommand as an npm script: `--help` prints `usage`; `--json` / `--verbose` are taken
 * out of `argv` here; the exit code is the subcommand's, 1 after a failure, 2 for a usage error.
 */
export function runMoveScript(
	usage: string,
	run: (args: string[], io: MoveIo) => Promise<number>,
	argv: string[] = process.argv.slice(2),
): void {
	if (argv.includes('--help') || argv.includes('-h')) {
		process.stdout.write(`${usage}\n`);
		return;
	}
	const io: MoveIo = {
		json: argv.includes('--json'),
		logger: stderrLogger({ verbose: argv.includes('--verbose') }),
		env: process.env,
		stdout: (text) => process.stdout.write(text),
	};
	const args = argv.filter((arg) => arg !== '--json' && arg !== '--verbose');
	run(args, io).then(
		(code) => {
			process.exitCode = code;
		},
		(error: unknown) => {
			process.exitCode = reportFailure(error);
		},
	);
}

/** Prints the compiler report (for a build error) and a one-line reason; returns the exit code. */
function reportFailure(error: unknown): number {
	if (error instanceof MoveBuildError) process.stderr.write(`${error.output.trim()}\n\n`);
	const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
	process.stderr.write(`error: ${reason.split('\n')[0]}\n`);
	return error instanceof UsageError ? 2 : 1;
}
