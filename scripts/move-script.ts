/**
 * What `move:build` and `move:test` share: the options `--path DIR --build-env ENV --chain-id ID
 * --json --verbose`, the default package (move/) and environment (testnet), and how a failure is
 * printed (compiler report, then one line).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { MoveBuildError } from '../ts/errors.js';
import { buildEnvironment, type BuildEnvironment } from '../ts/move/build-env.js';

const DEFAULT_PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'move');

/** Options both scripts accept. */
export const MOVE_SCRIPT_OPTIONS = {
	path: { type: 'string' },
	'build-env': { type: 'string' },
	'chain-id': { type: 'string' },
	json: { type: 'boolean', default: false },
	verbose: { type: 'boolean', default: false },
} as const;

/** `--path` (default move/), shown relative to the working directory. */
export function packagePathArg(value: string | undefined): string {
	return path.relative(process.cwd(), value ?? DEFAULT_PACKAGE) || '.';
}

/**
 * `--build-env` (default testnet: the framework the package builds against is the same on every
 * network) and, for a chain Sui does not know (localnet, devnet), its `--chain-id`.
 */
export function buildEnvironmentArg(values: {
	'build-env'?: string | undefined;
	'chain-id'?: string | undefined;
}): BuildEnvironment {
	return buildEnvironment(values['build-env'] ?? 'testnet', values['chain-id']);
}

/** Runs `main` and sets the exit code: its result, or 1 after printing why it threw. */
export function runMoveScript(main: () => Promise<number>): void {
	main().then(
		(code) => {
			process.exitCode = code;
		},
		(error: unknown) => {
			process.exitCode = reportFailure(error);
		},
	);
}

/** Prints the compiler report (for a build error) and a one-line reason; returns exit code 1. */
function reportFailure(error: unknown): number {
	if (error instanceof MoveBuildError) process.stderr.write(`${error.output.trim()}\n\n`);
	const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
	process.stderr.write(`error: ${reason}\n`);
	return 1;
}
