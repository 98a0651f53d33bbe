import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

import { silentLogger } from '../../ts/logger.js';
import { buildEnvironment } from '../../ts/move/build-env.js';
import { runMoveTests, type MoveTestReport } from '../../ts/move/test-runner.js';
import { detectMoveToolchain } from '../../ts/move/toolchain.js';

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'move');
const MIN_TESTS = 25;

/**
 * The Move tests declared in move/tests (`#[test...]` then `fun name`), qualified like the
 * runner reports them. Read from the sources so that each gets its own vitest case and a test
 * the runner silently skipped would show up as missing.
 */
function declaredMoveTests(): string[] {
	const dir = path.join(PACKAGE, 'tests');
	const names: string[] = [];
	for (const file of readdirSync(dir)
		.filter((f) => f.endsWith('.move'))
		.sort()) {
		const source = readFileSync(path.join(dir, file), 'utf8');
		const module = /^module\s+(\w+::\w+)\s*;/m.exec(source)?.[1];
		if (module === undefined) continue;
		for (const match of source.matchAll(/#\[test\b[^\]]*\]\s*(?:#\[[^\]]*\]\s*)*fun\s+(\w+)/g)) {
			names.push(`${module}::${match[1]}`);
		}
	}
	return names;
}

const toolchain = detectMoveToolchain(process.env);
if (toolchain.kind === 'none') console.warn(`[move] skipped: ${toolchain.reason}`);

describe.skipIf(toolchain.kind === 'none')(`Move unit tests (${toolchain.kind})`, () => {
	const declared = declaredMoveTests();
	let report: MoveTestReport;

	beforeAll(async () => {
		report = await runMoveTests({
			packagePath: PACKAGE,
			environment: buildEnvironment('testnet'),
			env: process.env,
			logger: silentLogger,
		});
	});

	it(`runs at least ${MIN_TESTS} tests, all passing`, () => {
		expect(declared.length).toBeGreaterThanOrEqual(MIN_TESTS);
		expect(report.tests.length).toBeGreaterThanOrEqual(MIN_TESTS);
		expect(report.failed).toBe(0);
		expect(report.passed).toBe(report.tests.length);
	});

	it('runs exactly the tests declared in move/tests', () => {
		expect(report.tests.map((test) => test.name).sort()).toEqual([...declared].sort());
	});

	it.each(declared)('%s', (name) => {
		const result = report.tests.find((test) => test.name === name);
		expect(result, `${name} was not run`).toBeDefined();
		expect(result?.passed, result?.message).toBe(true);
	});
});
