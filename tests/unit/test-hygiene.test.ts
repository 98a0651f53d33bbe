/**
 * No test may leave files behind: every test file that makes a temporary directory also removes
 * one (a static check; the per-test cleanup itself is each file's business). Cheap enough to
 * run with the unit tier, and it names the file that forgot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

const TESTS = resolve(import.meta.dirname, '..');

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
});
