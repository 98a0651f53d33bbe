/**
 * `npm run move:build [-- --path <dir>] [--json] [--verbose]` — compiles the Move package
 * (default: move/) and prints its module count, dependency ids and digest. With --json, prints
 * the full build (base64 modules included) on stdout.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { MoveBuildError } from '../ts/errors.js';
import { stderrLogger } from '../ts/logger.js';
import { buildMovePackage } from '../ts/move/build.js';

const DEFAULT_PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'move');

async function main(): Promise<number> {
	const { values } = parseArgs({
		options: {
			path: { type: 'string' },
			json: { type: 'boolean', default: false },
			verbose: { type: 'boolean', default: false },
		},
	});
	const packagePath = path.relative(process.cwd(), values.path ?? DEFAULT_PACKAGE) || '.';
	const built = await buildMovePackage({
		packagePath,
		env: process.env,
		logger: stderrLogger({ verbose: values.verbose }),
	});
	if (values.json) {
		process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
		return 0;
	}
	const digestHex = Buffer.from(built.digest).toString('hex');
	process.stdout.write(
		[
			`built ${packagePath} with ${built.toolchain}`,
			`modules: ${built.modules.length}`,
			`dependencies: ${built.dependencies.join(', ')}`,
			`digest: ${digestHex}`,
		].join('\n') + '\n',
	);
	return 0;
}

/** Prints the compiler report (for a build error) and a one-line reason; returns exit code 1. */
function reportFailure(error: unknown): number {
	if (error instanceof MoveBuildError) process.stderr.write(`${error.output.trim()}\n\n`);
	const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
	process.stderr.write(`error: ${reason}\n`);
	return 1;
}

main().then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		process.exitCode = reportFailure(error);
	},
);
