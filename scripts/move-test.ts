/**
 * `npm run move:test [-- --path <dir>] [--build-env <env> [--chain-id <id>]] [--filter <text>]
 * [--json] [--verbose]` — runs the Move unit tests (default package: move/, for testnet) and prints each result. Exits non-zero when a test fails,
 * when none ran, or when no Move toolchain is available (with the reason).
 */
import { parseArgs } from 'node:util';

import { stderrLogger } from '../ts/logger.js';
import { runMoveTests } from '../ts/move/test-runner.js';
import {
	buildEnvironmentArg,
	MOVE_SCRIPT_OPTIONS,
	packagePathArg,
	runMoveScript,
} from './move-script.js';

async function main(): Promise<number> {
	const { values } = parseArgs({ options: { ...MOVE_SCRIPT_OPTIONS, filter: { type: 'string' } } });
	const packagePath = packagePathArg(values.path);
	const logger = stderrLogger({ verbose: values.verbose });
	const started = performance.now();
	const report = await runMoveTests({
		packagePath,
		environment: buildEnvironmentArg(values),
		env: process.env,
		logger,
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

runMoveScript(main);
