import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = new URL('../../..', import.meta.url).pathname;
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

/**
 * The published artifact, end to end and offline: compile with tsconfig.build.json (under
 * `npm test`, the compile its typecheck step made: SEAL_TEST_BUILD_DIR), `npm pack`
 * the package.json as it is, install the tarball into an empty project, import both entries.
 * The tarball's dependencies are linked from this checkout's node_modules (`file:`), so npm
 * needs no registry.
 */
describe('npm package (pack → install → import)', () => {
	let work: string;
	let consumer: string;
	let packed: string[];

	beforeAll(async () => {
		work = await mkdtemp(join(tmpdir(), 'seal-policies-pack-'));
		const stage = join(work, 'stage');
		// `npm test` has already compiled tsconfig.build.json while typechecking (scripts/test.mjs);
		// run on its own, this file compiles it.
		const prebuilt = process.env['SEAL_TEST_BUILD_DIR'];
		if (prebuilt && existsSync(join(prebuilt, 'ts', 'index.js'))) {
			await cp(prebuilt, join(stage, 'dist'), { recursive: true });
		} else {
			await run(TSC, ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], {
				cwd: ROOT,
			});
		}
		for (const file of ['package.json', 'README.md', 'config.example.yaml', 'move']) {
			await cp(join(ROOT, file), join(stage, file), { recursive: true });
		}
		const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json'], { cwd: stage });
		const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
		if (!info) throw new Error('npm pack printed no result');
		packed = info.files.map((file) => file.path);

		consumer = join(work, 'consumer');
		const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
			dependencies: Record<string, string>;
		};
		const links = Object.fromEntries(
			Object.keys(manifest.dependencies).map((name) => [
				name,
				`file:${join(ROOT, 'node_modules', name)}`,
			]),
		);
		await cp(join(stage, info.filename), join(work, info.filename));
		await mkdir(consumer);
		await writeFile(
			join(consumer, 'package.json'),
			JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: links }),
		);
		await run(
			'npm',
			[
				'install',
				'--offline',
				'--ignore-scripts',
				'--no-audit',
				'--no-fund',
				join(work, info.filename),
			],
			{ cwd: consumer },
		);
	}, 300_000);

	afterAll(async () => {
		if (work) await rm(work, { recursive: true, force: true });
	});

	it('packs compiled JavaScript with declarations, not TypeScript sources or tests', () => {
		expect(packed).toContain('dist/ts/index.js');
		expect(packed).toContain('dist/ts/index.d.ts');
		expect(packed).toContain('dist/ts/browser.js');
		expect(packed).toContain('dist/ts/browser.d.ts');
		expect(packed.filter((path) => path.startsWith('ts/') || path.startsWith('tests/'))).toEqual(
			[],
		);
	});

	it('imports `seal-policies` (Node) and `seal-policies/browser` from the installed tarball', async () => {
		const script = `
			const node = await import('seal-policies');
			const web = await import('seal-policies/browser');
			let deep = 'exported';
			try { await import('seal-policies/dist/ts/config.js'); } catch (e) { deep = e.code; }
			console.log(JSON.stringify({
				node: [typeof node.loadConfig, typeof node.startKeyServer, typeof node.createAllowlistTx],
				web: [typeof web.encryptEnvelopeStream, typeof web.buildApproveTxBytes, typeof web.createWalletSessionKey],
				webHasNodeOnly: 'loadConfig' in web || 'startKeyServer' in web,
				deep,
				sameBuilder: node.createAllowlistTx.toString() === web.createAllowlistTx.toString(),
			}));
		`;
		const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
			cwd: consumer,
		});
		expect(JSON.parse(stdout)).toEqual({
			node: ['function', 'function', 'function'],
			web: ['function', 'function', 'function'],
			webHasNodeOnly: false,
			deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
			sameBuilder: true,
		});
	});
});
