/**
 * No test may leave files behind: every test file that makes a temporary directory also removes
 * one (a static check; the per-test cleanup itself is each file's business). Cheap enough to
 * run with the unit tier, and it names the file that forgot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { MUTATES_GLOBALS, unitFilesMutatingGlobals } from '../../support/isolation.js';

const TESTS = resolve(import.meta.dirname, '..', '..');

function testSources(dir: string): string[] {
	return readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile() && /\.(ts|mts|mjs)$/.test(entry.name))
		.map((entry) => join(entry.parentPath, entry.name));
}

describe('test hygiene', () => {
	it('every file that creates a temporary directory removes it', () => {
		const forgetful = testSources(TESTS).filter((file) => {
			const text = readFileSync(file, 'utf8');
			return /\bmkdtemp(Sync)?\(/.test(text) && !/\brm(Sync)?\(|\brmdir(Sync)?\(/.test(text);
		});
		expect(forgetful.map((file) => relative(TESTS, file))).toEqual([]);
	});

	it('unit files that mock modules, spy on globals or measure the process run isolated (vitest.config.ts)', () => {
		// The `unit` project shares a module cache between files; these would leak into it. (`v`
		// is spelled apart so this file itself is not classified.)
		const v = 'v';
		for (const text of [
			`${v}i.mock('../../../ts/audit/lock.js')`,
			`${v}i.useFakeTimers()`,
			`${v}i.spyOn(process, 'kill')`,
			`${v}i.spyOn(console, 'warn')`,
			`${v}i.stubEnv("X", "1")`,
			`process.${'cpu'}Usage()`,
			`process.${'memory'}Usage()`,
		])
			expect(MUTATES_GLOBALS.test(text), text).toBe(true);
		for (const text of [`${v}i.fn()`, `${v}i.spyOn(server, "close")`, `${v}i.setConfig({})`])
			expect(MUTATES_GLOBALS.test(text), text).toBe(false);
		expect(unitFilesMutatingGlobals(resolve(TESTS, '..'))).toEqual(
			expect.arrayContaining([
				'tests/unit/audit/lock-release.test.ts',
				'tests/unit/crypto/envelope-stream-zeroing.test.ts',
				'tests/unit/keyserver/wrapper-watch.test.ts',
				'tests/unit/cli/bench-measure.test.ts',
				'tests/unit/crypto/hostile-stream.test.ts',
			]),
		);
	});
});
