/**
 * `npm run move:test [-- --path <dir>] [--filter <text>] [--json] [--verbose]` — runs the Move
 * unit tests (default package: move/) and prints each result. Exits non-zero when a test fails,
 * when none ran, or when no Move toolchain is available (with the reason).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { MoveBuildError } from '../ts/errors.js';
import { stderrLogger } from '../ts/logger.js';
import { runMoveTests } from '../ts/move/test-runner.js';

const DEFAULT_PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'move');

async function main(): Promise<number> {
	const { values } = parseArgs({
		options: {
			path: { type: 'string' },
			filter: { type: 'string' },
			json: { type: 'boolean', default: false },
			verbose: { type: 'boolean', default: false },
		},
	});
	const packagePath = path.relative(process.cwd(), values.path ?? DEFAULT_PACKAGE) || '.';
	const started = performance.now();
	const report = await runMoveTests({
		packagePath,
		env: process.env,
		logger: stderrLogger({ verbose: values.verbose }),
		...(values.filter === undefined ? {} : { filter: values.filter }),
	});
	const seconds = ((performance.now() - started) / 1000).toFixed(1);
	if (values.json) {
		process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
	} else {
		for (const test of report.tests) {
			process.stdout.write(`${test.passed ? 'PASS' : 'FAIL'}  ${test.name}\n`);
			if (!test.passed && test.message) {
				process.stdout.write(`${test.message.replace(/^/gm, '      ')}\n`);
			}
		}
		process.stdout.write(
			`${report.passed} passed, ${report.failed} failed (${report.toolchain}, ${seconds} s)\n`,
		);
	}
	if (report.tests.length === 0) {
		process.stderr.write('error: no Move tests ran (check --filter)\n');
		return 1;
	}
	return report.failed === 0 ? 0 : 1;
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
