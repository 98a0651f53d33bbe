import {
	chmodSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	utimesSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { InvalidInputError, PrerequisiteMissingError } from '../../../ts/errors.js';
import { MoveBuildError } from '../../../ts/move/errors.js';
import { silentLogger } from '../../../ts/logger.js';
import { buildEnvironment } from '../../../ts/move/build-env.js';
import { buildMovePackage } from '../../../ts/move/build.js';
import { parseMoveDiagnostics } from '../../../ts/move/diagnostics.js';
import { findSuiFramework } from '../../../ts/move/framework.js';
import { readMovePackageFiles } from '../../../ts/move/package-files.js';
import { findSuiBinary } from '../../../ts/move/sui-binary.js';
import { parseMoveTestOutput } from '../../../ts/move/test-output.js';
import { runMoveTests } from '../../../ts/move/test-runner.js';
import { detectMoveToolchain } from '../../../ts/move/toolchain.js';
import { offlineFetcher } from '../../../ts/move/wasm.js';

const root = mkdtempSync(path.join(tmpdir(), 'move-toolchain-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh empty folder under the test's temp root. */
function freshDir(): string {
	const dir = path.join(root, `d${counter++}`);
	mkdirSync(dir, { recursive: true });
	return dir;
}

function writeFile(file: string, content: string, mode?: number): string {
	mkdirSync(path.dirname(file), { recursive: true });
	writeFileSync(file, content);
	if (mode !== undefined) chmodSync(file, mode);
	return file;
}

/** A folder holding sui-framework/ and move-stdlib/ packages (only the given ones). */
function frameworkDir(dir: string, packages = ['sui-framework', 'move-stdlib']): string {
	for (const name of packages) {
		writeFile(path.join(dir, name, 'Move.toml'), `[package]\nname = "${name}"\n`);
		writeFile(path.join(dir, name, 'sources', 'a.move'), `module x::${name.replace('-', '_')};\n`);
		writeFile(path.join(dir, name, 'tests', 'a_tests.move'), '// test\n');
	}
	return dir;
}

const CACHE_ENTRY = 'https___github_com_MystenLabs_sui_git_';
const CACHE_PACKAGES = path.join('crates', 'sui-framework', 'packages');

describe('findSuiBinary', () => {
	it('finds an executable sui on PATH', () => {
		const bin = freshDir();
		const sui = writeFile(path.join(bin, 'sui'), '#!/bin/sh\n', 0o755);
		expect(findSuiBinary({ PATH: [freshDir(), bin].join(path.delimiter) })).toBe(sui);
	});

	it('ignores a sui file that is not executable, and an empty PATH', () => {
		const bin = freshDir();
		writeFile(path.join(bin, 'sui'), '#!/bin/sh\n', 0o644);
		expect(findSuiBinary({ PATH: bin })).toBeUndefined();
		expect(findSuiBinary({})).toBeUndefined();
	});

	it('prefers SUI_BIN over PATH, as a path or as a name on PATH', () => {
		const onPath = freshDir();
		writeFile(path.join(onPath, 'sui'), '#!/bin/sh\n', 0o755);
		const custom = writeFile(path.join(freshDir(), 'my-sui'), '#!/bin/sh\n', 0o755);
		expect(findSuiBinary({ PATH: onPath, SUI_BIN: custom })).toBe(custom);
		const named = writeFile(path.join(onPath, 'sui-1.51'), '#!/bin/sh\n', 0o755);
		expect(findSuiBinary({ PATH: onPath, SUI_BIN: 'sui-1.51' })).toBe(named);
	});

	it('throws PrerequisiteMissingError naming SUI_BIN when it is not executable', () => {
		const bin = freshDir();
		writeFile(path.join(bin, 'sui'), '#!/bin/sh\n', 0o755);
		const missing = path.join(bin, 'nope');
		expect(() => findSuiBinary({ PATH: bin, SUI_BIN: missing })).toThrow(PrerequisiteMissingError);
		expect(() => findSuiBinary({ PATH: bin, SUI_BIN: missing })).toThrow(`SUI_BIN=${missing}`);
	});
});

describe('findSuiFramework', () => {
	it('uses SUI_FRAMEWORK_DIR when it holds both packages', () => {
		const dir = frameworkDir(freshDir());
		expect(findSuiFramework({ SUI_FRAMEWORK_DIR: dir, HOME: freshDir() })).toEqual({
			kind: 'found',
			dir,
			source: 'SUI_FRAMEWORK_DIR',
		});
	});

	it('reports exactly which package SUI_FRAMEWORK_DIR lacks, without falling back to the cache', () => {
		const dir = frameworkDir(freshDir(), ['sui-framework']);
		const home = freshDir();
		frameworkDir(path.join(home, '.move', `${CACHE_ENTRY}abc`, CACHE_PACKAGES));
		const lookup = findSuiFramework({ SUI_FRAMEWORK_DIR: dir, HOME: home });
		expect(lookup.kind).toBe('missing');
		if (lookup.kind !== 'missing') return;
		expect(lookup.reason).toContain(`SUI_FRAMEWORK_DIR=${dir}`);
		expect(lookup.reason).toContain('move-stdlib/Move.toml');
		expect(lookup.reason).not.toContain('sui-framework/Move.toml');
	});

	it('finds the newest complete framework in the Sui CLI cache under HOME', () => {
		const home = freshDir();
		const older = frameworkDir(path.join(home, '.move', `${CACHE_ENTRY}old`, CACHE_PACKAGES));
		const newer = frameworkDir(path.join(home, '.move', `${CACHE_ENTRY}new`, CACHE_PACKAGES));
		// An incomplete entry, newest of all, must be skipped.
		frameworkDir(path.join(home, '.move', `${CACHE_ENTRY}broken`, CACHE_PACKAGES), ['move-stdlib']);
		frameworkDir(path.join(home, '.move', 'https___github_com_other_repo_git_x', CACHE_PACKAGES));
		utimesSync(path.join(home, '.move', `${CACHE_ENTRY}old`), 1_000, 1_000);
		utimesSync(path.join(home, '.move', `${CACHE_ENTRY}new`), 2_000, 2_000);
		utimesSync(path.join(home, '.move', `${CACHE_ENTRY}broken`), 3_000, 3_000);
		utimesSync(path.join(home, '.move', 'https___github_com_other_repo_git_x'), 4_000, 4_000);
		expect(findSuiFramework({ HOME: home })).toEqual({
			kind: 'found',
			dir: newer,
			source: 'sui-cli-cache',
		});
		utimesSync(path.join(home, '.move', `${CACHE_ENTRY}old`), 5_000, 5_000);
		expect(findSuiFramework({ HOME: home })).toMatchObject({ dir: older });
	});

	it('reads the cache from MOVE_HOME when set', () => {
		const moveHome = freshDir();
		const dir = frameworkDir(path.join(moveHome, `${CACHE_ENTRY}abc`, CACHE_PACKAGES));
		expect(findSuiFramework({ MOVE_HOME: moveHome, HOME: freshDir() })).toMatchObject({
			kind: 'found',
			dir,
		});
	});

	it('says what is missing and how to provide it when nothing is found', () => {
		const home = freshDir();
		const lookup = findSuiFramework({ HOME: home });
		expect(lookup.kind).toBe('missing');
		if (lookup.kind !== 'missing') return;
		expect(lookup.reason).toContain('SUI_FRAMEWORK_DIR');
		expect(lookup.reason).toContain(path.join(home, '.move'));
		expect(lookup.reason).toContain('install the sui CLI');
	});
});

describe('detectMoveToolchain', () => {
	it('prefers a sui binary over framework sources', () => {
		const bin = freshDir();
		const sui = writeFile(path.join(bin, 'sui'), '#!/bin/sh\n', 0o755);
		const env = { PATH: bin, SUI_FRAMEWORK_DIR: frameworkDir(freshDir()) };
		expect(detectMoveToolchain(env)).toEqual({ kind: 'sui-cli', suiBin: sui });
	});

	it('falls back to the WASM compiler with framework sources', () => {
		const dir = frameworkDir(freshDir());
		expect(detectMoveToolchain({ PATH: freshDir(), SUI_FRAMEWORK_DIR: dir })).toEqual({
			kind: 'wasm',
			frameworkDir: dir,
			frameworkSource: 'SUI_FRAMEWORK_DIR',
		});
	});

	it('gives one reason naming both missing prerequisites', async () => {
		const env = { PATH: freshDir(), HOME: freshDir() };
		const lookup = detectMoveToolchain(env);
		expect(lookup.kind).toBe('none');
		if (lookup.kind !== 'none') return;
		expect(lookup.reason).toMatch(/no sui binary on PATH/);
		expect(lookup.reason).toMatch(/SUI_FRAMEWORK_DIR/);
		const options = {
			packagePath: freshDir(),
			environment: buildEnvironment('testnet'),
			env,
			logger: silentLogger,
		};
		await expect(buildMovePackage(options)).rejects.toThrow(PrerequisiteMissingError);
		await expect(runMoveTests(options)).rejects.toThrow(lookup.reason);
	});
});

describe('readMovePackageFiles', () => {
	it('reads manifests and .move files of the layout folders, skipping build output', async () => {
		const pkg = freshDir();
		writeFile(path.join(pkg, 'Move.toml'), '[package]\nname = "p"\n');
		writeFile(path.join(pkg, 'Move.lock'), '# lock\n');
		writeFile(path.join(pkg, 'sources', 'a.move'), 'module p::a;\n');
		writeFile(path.join(pkg, 'sources', 'nested', 'b.move'), 'module p::b;\n');
		writeFile(path.join(pkg, 'sources', 'notes.txt'), 'not move\n');
		writeFile(path.join(pkg, 'tests', 'a_tests.move'), 'module p::a_tests;\n');
		writeFile(path.join(pkg, 'build', 'p', 'sources', 'a.move'), 'module p::a;\n');
		writeFile(path.join(pkg, 'sources', '.hidden', 'c.move'), 'module p::c;\n');
		const files = await readMovePackageFiles(pkg);
		expect(Object.keys(files).sort()).toEqual([
			'Move.lock',
			'Move.toml',
			'sources/a.move',
			'sources/nested/b.move',
			'tests/a_tests.move',
		]);
		expect(files['sources/a.move']).toBe('module p::a;\n');
		const withoutTests = await readMovePackageFiles(pkg, {
			includeTests: false,
			includeLock: false,
		});
		expect(Object.keys(withoutTests).sort()).toEqual([
			'Move.toml',
			'sources/a.move',
			'sources/nested/b.move',
		]);
	});

	it('rejects a folder without Move.toml with InvalidInputError', async () => {
		await expect(readMovePackageFiles(freshDir())).rejects.toThrow(InvalidInputError);
	});
});

describe('offlineFetcher', () => {
	const framework = frameworkDir(freshDir());
	const pkg = freshDir();
	writeFile(path.join(pkg, 'Move.toml'), '[package]\nname = "root"\n');
	writeFile(path.join(pkg, 'dep', 'Move.toml'), '[package]\nname = "dep"\n');
	writeFile(path.join(pkg, 'dep', 'sources', 'd.move'), 'module dep::d;\n');
	const fetcher = offlineFetcher({ frameworkDir: framework, packagePath: pkg });
	const sui = 'https://github.com/MystenLabs/sui.git';

	it('serves the framework packages of MystenLabs/sui from the framework folder', async () => {
		const files = await fetcher.fetch(sui, 'abc', 'crates/sui-framework/packages/move-stdlib');
		expect(Object.keys(files).sort()).toEqual(['Move.toml', 'sources/a.move']);
		expect(files['Move.toml']).toContain('move-stdlib');
		const sf = await fetcher.fetch(sui, 'abc', 'crates/sui-framework/packages/sui-framework/');
		expect(sf['Move.toml']).toContain('sui-framework');
	});

	it('refuses any other git dependency, saying the build is offline', async () => {
		await expect(fetcher.fetch('https://github.com/other/repo.git', 'main', 'pkg')).rejects.toThrow(
			/offline build/,
		);
		await expect(
			fetcher.fetch(sui, 'abc', 'crates/sui-framework/packages/deepbook'),
		).rejects.toThrow(/offline build/);
		await expect(fetcher.fetch(sui, 'abc')).rejects.toThrow(/offline build/);
	});

	it('reads local dependencies relative to the root package', async () => {
		const context = {
			dependencyName: 'dep',
			parentPackageName: 'root',
			network: 'mainnet' as const,
		};
		const files = await fetcher.fetchLocal?.('dep', context);
		expect(files).toEqual({
			'Move.toml': '[package]\nname = "dep"\n',
			'sources/d.move': 'module dep::d;\n',
		});
	});
});

describe('parseMoveTestOutput', () => {
	const output = [
		'INCLUDING DEPENDENCY Sui',
		'Running Move unit tests',
		'[ PASS    ] pkg::a_tests::works',
		'[ FAIL    ] pkg::a_tests::breaks',
		'[ TIMEOUT ] pkg::b_tests::spins',
		'',
		'Test failures:',
		'',
		'Failures in pkg::a_tests:',
		'',
		'┌── breaks ──────',
		'│ error[E11001]: test failure',
		'│   ┌─ tests/a_tests.move:9:5',
		'│ 9 │     assert!(false);',
		'└──────────────────',
		'',
		'Test result: FAILED. Total tests: 3; passed: 1; failed: 2',
	].join('\n');

	it('reads each result, attaches failure reports, and reads the totals', () => {
		const parsed = parseMoveTestOutput(output);
		expect(parsed.tests).toEqual([
			{ name: 'pkg::a_tests::works', passed: true },
			{
				name: 'pkg::a_tests::breaks',
				passed: false,
				message:
					'error[E11001]: test failure\n  ┌─ tests/a_tests.move:9:5\n9 │     assert!(false);',
			},
			{ name: 'pkg::b_tests::spins', passed: false, message: 'timed out' },
		]);
		expect(parsed.summary).toEqual({ total: 3, passed: 1, failed: 2 });
	});

	it('has no summary for output that is not a test run', () => {
		expect(parseMoveTestOutput('error[E01002]: unexpected token').summary).toBeUndefined();
	});

	it('ignores ANSI colour codes', () => {
		const colored =
			'\u001b[32m[ PASS    ]\u001b[0m pkg::m::t\nTest result: OK. Total tests: 1; passed: 1; failed: 0';
		expect(parseMoveTestOutput(colored).tests).toEqual([{ name: 'pkg::m::t', passed: true }]);
	});
});

describe('parseMoveDiagnostics and MoveBuildError', () => {
	const output = [
		'warning[W09002]: unused variable',
		'  ┌─ sources/a.move:3:9',
		'  │',
		'error[E04007]: incompatible types',
		'  ┌─ sources/a.move:12:32',
		'  │',
		'12 │ public fun p(x: u64): bool { x + true }',
		'',
		'error[E03002]: unbound module',
		`  ┌─ ${path.join(root, 'elsewhere', 'b.move')}:4:1`,
	].join('\n');

	it('locates every diagnostic by file, line and column', () => {
		const diagnostics = parseMoveDiagnostics(output, path.join('move'));
		expect(diagnostics).toEqual([
			{
				severity: 'warning',
				code: 'W09002',
				message: 'unused variable',
				file: path.join('move', 'sources', 'a.move'),
				line: 3,
				column: 9,
			},
			{
				severity: 'error',
				code: 'E04007',
				message: 'incompatible types',
				file: path.join('move', 'sources', 'a.move'),
				line: 12,
				column: 32,
			},
			{
				severity: 'error',
				code: 'E03002',
				message: 'unbound module',
				file: path.join(root, 'elsewhere', 'b.move'),
				line: 4,
				column: 1,
			},
		]);
	});

	it('MoveBuildError lists the errors as file:line:column, not the warnings', () => {
		const error = new MoveBuildError('wasm', parseMoveDiagnostics(output, 'move'), output);
		expect(error.message).toContain('2 errors');
		expect(error.message).toContain(
			`${path.join('move', 'sources', 'a.move')}:12:32: error[E04007]`,
		);
		expect(error.message).not.toContain('W09002');
		expect(error.output).toBe(output);
	});
});

// The sui CLI path, exercised against a stand-in executable that records its arguments and
// prints what `sui move build --dump-bytecode-as-base64` prints (progress lines, then JSON).
describe('buildMovePackage with a sui binary', () => {
	const testnet = buildEnvironment('testnet');
	const DIGEST = Array.from({ length: 32 }, (_, i) => i);

	/**
	 * A stand-in `sui`: answers `--version` like sui 1.71.1, else appends its arguments (one per
	 * line, then `@@`) to args.txt next to it and runs `script`. The paths are written into the
	 * script: `sui` children get only PATH, HOME and the like of our environment.
	 */
	function fakeSui(script: string) {
		const bin = freshDir();
		const argsFile = path.join(bin, 'args.txt');
		writeFile(
			path.join(bin, 'sui'),
			[
				'#!/bin/sh',
				'if [ "$1" = "--version" ]; then echo "sui 1.71.1-0123abc"; exit 0; fi',
				`printf '%s\\n' "$@" @@ >> '${argsFile}'`,
				script,
			].join('\n'),
			0o755,
		);
		const env = { PATH: bin, HOME: freshDir() };
		const calls = () =>
			readFileSync(argsFile, 'utf8')
				.trim()
				.split('\n@@')
				.map((call) => call.trim())
				.filter((call) => call !== '')
				.map((call) => call.split('\n'));
		return { env, calls };
	}

	const DUMP = `echo '{"modules":["AQID"],"dependencies":["0x1","0x0000000000000000000000000000000000000000000000000000000000000002"],"digest":[${DIGEST.join(',')}]}'\n`;

	it('runs sui move --client.config … build --path --build-env testnet --dump-bytecode-as-base64 and parses its JSON', async () => {
		const { env, calls } = fakeSui(`echo 'INCLUDING DEPENDENCY Sui'\n${DUMP}`);
		const built = await buildMovePackage({
			packagePath: 'move',
			environment: testnet,
			env,
			logger: silentLogger,
		});
		const [args] = calls();
		expect(args?.slice(0, 2)).toEqual(['move', '--client.config']);
		expect(path.basename(args?.[2] ?? '')).toBe('client.yaml');
		expect(args?.slice(3)).toEqual([
			'build',
			'--path',
			'move',
			'--build-env',
			'testnet',
			'--dump-bytecode-as-base64',
		]);
		expect(built).toEqual({
			modules: ['AQID'],
			dependencies: [`0x${'0'.repeat(63)}1`, `0x${'0'.repeat(63)}2`],
			digest: DIGEST,
			toolchain: 'sui-cli',
			toolchainVersion: '1.71.1',
		});
	});

	it('builds a localnet package in place as testnet with its Pub.localnet.toml', async () => {
		const pkg = freshDir();
		writeFile(path.join(pkg, 'Move.toml'), '[package]\nname = "p"\nedition = "2024"\n');
		writeFile(path.join(pkg, 'sources', 'p.move'), 'module p::p;\n');
		const { env, calls } = fakeSui(DUMP);
		const localnet = buildEnvironment('localnet', 'abcd1234');
		const pubfile = path.join(pkg, 'Pub.localnet.toml');
		await buildMovePackage({
			packagePath: pkg,
			environment: localnet,
			env,
			pubfile,
			logger: silentLogger,
		});
		expect(calls()[0]?.slice(3)).toEqual([
			'build',
			'--path',
			pkg,
			'--build-env',
			'testnet',
			'--pubfile-path',
			pubfile,
			'--dump-bytecode-as-base64',
		]);
		// move/Move.toml is never edited.
		expect(readFileSync(path.join(pkg, 'Move.toml'), 'utf8')).not.toContain('[environments]');
	});

	it('turns a compiler error into MoveBuildError with file and line', async () => {
		const { env } = fakeSui(
			`echo 'error[E04007]: incompatible types' >&2\n` +
				`echo '   ┌─ ./sources/allowlist.move:7:3' >&2\nexit 1\n`,
		);
		const failure = buildMovePackage({
			packagePath: 'move',
			environment: testnet,
			env,
			logger: silentLogger,
		});
		await expect(failure).rejects.toThrow(MoveBuildError);
		await expect(failure).rejects.toThrow(`${path.join('move', 'sources', 'allowlist.move')}:7:3`);
	});

	it('reports compiler errors of a localnet build against the real package path', async () => {
		const pkg = freshDir();
		writeFile(path.join(pkg, 'Move.toml'), '[package]\nname = "p"\nedition = "2024"\n');
		const { env } = fakeSui(
			`echo 'error[E04007]: incompatible types' >&2\n` +
				`echo "   ┌─ $6/sources/p.move:7:3" >&2\nexit 1\n`,
		);
		const failure = buildMovePackage({
			packagePath: pkg,
			environment: buildEnvironment('localnet', 'abcd1234'),
			env,
			logger: silentLogger,
		});
		await expect(failure).rejects.toThrow(`${path.join(pkg, 'sources', 'p.move')}:7:3`);
	});
});
