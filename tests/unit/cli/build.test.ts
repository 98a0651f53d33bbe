/**
 * The compiled CLI (issue 11): `npm run build` compiles ts/ and scripts/ to dist/ (run by
 * `prepare`, so `npm install` leaves it ready), the `seal-policies` bin is the compiled file,
 * and `--help` imports no command module (no SDK) so it answers quickly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { bls12_381 } from '@noble/curves/bls12-381.js';

import { describe, expect, it } from 'vitest';

import { usage } from '../../../scripts/cli-commands.js';
import { MIN_NODE, nodeVersionProblem } from '../../../scripts/node-version.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
	bin: Record<string, string>;
	scripts: Record<string, string>;
	engines: { node: string };
};

describe('build configuration', () => {
	it('the bin runs dist/scripts/cli.js, built by `npm run build`, which `prepare` runs', () => {
		expect(manifest.bin['seal-policies']).toBe('./dist/scripts/cli.js');
		expect(manifest.scripts['prepare']).toBe('npm run build');
		expect(manifest.scripts['build']).toBe('node scripts/build.mjs');
		expect(readFileSync(join(ROOT, 'scripts', 'build.mjs'), 'utf8')).toContain(
			'tsconfig.build.json',
		);
		const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
			compilerOptions: Record<string, unknown>;
			include: string[];
		};
		expect(config.compilerOptions).toMatchObject({
			outDir: 'dist',
			declaration: true,
			noEmit: false,
		});
		expect(config.include).toEqual(['ts/**/*.ts', 'scripts/**/*.ts']);
		expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('/dist/');
		expect(readFileSync(join(ROOT, 'scripts', 'cli.ts'), 'utf8')).toMatch(
			/^#!\/usr\/bin\/env node\n/,
		);
	});

	it('`--help` loads no command module: the static imports of cli.ts reach no SDK', () => {
		// Follow static `import|export … from './x.js'` edges from scripts/cli.ts (type-only imports
		// vanish in JS); dynamic `import()` calls are what keep commands lazy.
		const seen = new Set<string>();
		const external = new Set<string>();
		const visit = (file: string) => {
			if (seen.has(file)) return;
			seen.add(file);
			const text = readFileSync(file, 'utf8');
			for (const match of text.matchAll(/^(?:import|export) (?!type )[^;]*? from '([^']+)';/gms)) {
				const target = match[1] as string;
				if (target.startsWith('.')) visit(resolve(dirname(file), target.replace(/\.js$/, '.ts')));
				else external.add(target);
			}
		};
		visit(join(ROOT, 'scripts', 'cli.ts'));
		expect([...external].filter((name) => !name.startsWith('node:'))).toEqual([]);
		expect([...seen].map((file) => file.slice(ROOT.length + 1)).sort()).toEqual([
			'scripts/cli-commands.ts',
			'scripts/cli.ts',
			'scripts/node-version.ts',
			'scripts/package-root.ts',
		]);
	});

	const built = join(ROOT, 'dist', 'scripts', 'cli.js');
	it.skipIf(!existsSync(built))(
		'the compiled CLI answers --help and --version (skipped: no dist/, run `npm run build`)',
		() => {
			const help = spawnSync(process.execPath, [built, '--help'], { encoding: 'utf8' });
			expect(help.status).toBe(0);
			expect(help.stdout).toBe(usage());
			const version = spawnSync(process.execPath, [built, '--version'], { encoding: 'utf8' });
			expect(version.stdout).toMatch(/^seal-policies \d+\.\d+\.\d+\n$/);
			expect(existsSync(join(ROOT, 'dist', 'ts', 'index.d.ts'))).toBe(true);
		},
	);

	it.skipIf(!existsSync(built))(
		'the compiled key server starts its worker threads without tsx (skipped: no dist/)',
		() => {
			// dist/ has no TypeScript loader: the worker must be the compiled key-worker-thread.js. The script
			// is a file (not --eval): workers inherit the parent's execArgv.
			const pool = pathToFileURL(join(ROOT, 'dist', 'ts', 'keyserver', 'key-pool.js')).href;
			const g1 = Buffer.from(bls12_381.G1.Point.BASE.toBytes()).toString('hex');
			const dir = mkdtempSync(join(tmpdir(), 'compiled-pool-'));
			const file = join(dir, 'pool.mjs');
			writeFileSync(
				file,
				`import { startWorkerPool } from '${pool}';
				const pool = await startWorkerPool({ masterKey: new Uint8Array(32).fill(7), backend: 'mcl', size: 1 });
				const wrapped = await pool.wrap(Buffer.from('${g1}', 'hex'), [new Uint8Array([1, 2, 3])]);
				await pool.close();
				console.log(JSON.stringify({ workers: pool.workers, keys: wrapped.length }));`,
			);
			const run = spawnSync(process.execPath, [file], { encoding: 'utf8' });
			rmSync(dir, { recursive: true, force: true });
			expect(run.stderr).toBe('');
			expect(JSON.parse(run.stdout)).toEqual({ workers: 1, keys: 1 });
		},
	);
});

describe('Node requirement', () => {
	it('README and docs/configuration.md state the same minimum as engines, and explain the install-script notices', () => {
		const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
		const install = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
		const minimum = /^>=(\d+\.\d+)$/.exec(manifest.engines.node)?.[1];
		expect(minimum).toBe(`${MIN_NODE.major}.${MIN_NODE.minor}`);
		expect(readme).toContain(`Node.js ${minimum} or newer`);
		expect(install).toContain(`Node.js ${minimum} or newer`);
		expect(readme).toContain('EBADENGINE');
		expect(install).toContain('EBADENGINE');
		expect(install).toMatch(/allowScripts/);
		expect(install).toMatch(/`node`.*preinstall/s);
		expect(install).toMatch(/`esbuild`.*postinstall/s);
	});
});

describe('an older Node gets one line saying which Node is needed', () => {
	it('the rule: 22.13 and newer pass, anything older is named', () => {
		for (const ok of ['22.13.0', 'v22.23.3', '23.0.0', '24.1.0']) {
			expect(nodeVersionProblem(ok), ok).toBeUndefined();
		}
		for (const old of ['20.20.2', 'v22.12.0', '18.0.0']) {
			expect(nodeVersionProblem(old)).toMatch(
				new RegExp(
					`^seal-policies needs Node\\.js 22\\.13 or newer; this is Node\\.js ${old.replace('v', '').replaceAll('.', '\\.')}\\.`,
				),
			);
		}
	});

	// The machine's own `node` (not the project's Node 22 that npm puts first on PATH).
	const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((file) => {
		if (!existsSync(file)) return false;
		const version = spawnSync(file, ['--version'], { encoding: 'utf8' }).stdout.trim();
		return nodeVersionProblem(version) !== undefined;
	});
	it.skipIf(systemNode === undefined)(
		'`vault stats` under an older Node: that line, exit 1, no "No such built-in module" (skipped: no Node older than 22.13 here)',
		() => {
			const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
			const dir = mkdtempSync(join(tmpdir(), 'old-node-'));
			try {
				const run = spawnSync(
					systemNode ?? 'node',
					[
						'--import',
						tsx,
						join(ROOT, 'scripts', 'cli.ts'),
						'vault',
						'stats',
						'--db',
						join(dir, 'x.db'),
					],
					{ encoding: 'utf8', cwd: dir, timeout: 60_000 },
				);
				expect(run.status).toBe(1);
				expect(run.stderr.trim().split('\n')).toEqual([
					expect.stringMatching(
						/^error: seal-policies needs Node\.js 22\.13 or newer; this is Node\.js \d+/,
					),
				]);
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		},
	);
});
