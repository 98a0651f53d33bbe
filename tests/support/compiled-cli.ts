/**
 * The CLI compiled once for a test file, for tests that run it in child processes. Starting
 * `scripts/cli.ts` through the tsx loader costs each child ~0.4 s of CPU more than compiled
 * JavaScript (the loader resolves and reads every module through its hooks); a file that runs the
 * CLI twenty times pays that twenty times. esbuild transpiles `ts/` and `scripts/` file by file
 * (no bundling, ~0.3 s) into `.test-cli-XXXXXX/` in the checkout (git-ignored), laid out like `dist/`:
 * the package root (package.json, move/) and node_modules resolve from there exactly as they do
 * for the published `dist/scripts/cli.js`, and the key server's worker pool finds its `.js` entry.
 *
 * ```ts
 * let cli: CompiledCli;
 * beforeAll(async () => (cli = await compileCli()));
 * afterAll(() => cli?.remove());
 * spawnSync(process.execPath, [cli.script('cli'), '--help']);
 * ```
 * Tests about the tsx path itself (`npm run cli`) keep starting `scripts/cli.ts` with tsx.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface CompiledCli {
	/** The compiled tree (ts/ and scripts/ as .js). */
	readonly dir: string;
	/** Path of a compiled `scripts/<name>.ts` (e.g. `cli`, `move-build`, `bench`). */
	script(name: string): string;
	/** Deletes the compiled tree. */
	remove(): void;
}

function sources(dir: string): string[] {
	return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
		.filter(
			(entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'),
		)
		.map((entry) => join(entry.parentPath, entry.name));
}

export async function compileCli(): Promise<CompiledCli> {
	const dir = mkdtempSync(join(ROOT, '.test-cli-'));
	try {
		await build({
			entryPoints: [...sources('ts'), ...sources('scripts')],
			outdir: dir,
			outbase: ROOT,
			format: 'esm',
			platform: 'node',
			target: 'node22',
			logLevel: 'silent',
		});
	} catch (error) {
		rmSync(dir, { recursive: true, force: true });
		throw error;
	}
	return {
		dir,
		script: (name) => join(dir, 'scripts', `${name}.js`),
		remove: () => rmSync(dir, { recursive: true, force: true }),
	};
}
