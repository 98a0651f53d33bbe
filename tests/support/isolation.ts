import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Unit test files that replace modules or global functions — `vi.mock` and friends, fake timers,
 * spies on `process`, `globalThis`, `console` — need a fresh module graph each and must not leak
 * into the next file; files that measure the whole process (`process.cpuUsage()`,
 * `process.memoryUsage()`) must not see a previous file's leftovers (its garbage, its timers).
 * They run isolated (project `unit-isolated`). Every other unit file shares one module cache per
 * worker (project `unit`, `isolate: false`): re-importing the SDKs for each of ~100 small files
 * cost ~35 s of CPU, more than half of the unit tier.
 */
export const MUTATES_GLOBALS =
	/\bvi\.(mock|doMock|unmock|hoisted|stubGlobal|stubEnv|useFakeTimers|resetModules)\(|\bvi\.spyOn\(\s*(process|globalThis|console|Date|Math)\b|\bprocess\.(cpuUsage|memoryUsage|resourceUsage)\(/;

/** Unit test files (relative to `root`, sorted) whose text matches `MUTATES_GLOBALS`. */
export function unitFilesMutatingGlobals(root: string): string[] {
	const dir = join(root, 'tests', 'unit');
	return readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
		.map((entry) => join(entry.parentPath, entry.name))
		.filter((file) => MUTATES_GLOBALS.test(readFileSync(file, 'utf8')))
		.map((file) => relative(root, file))
		.sort();
}
