/**
 * Every command shown in the `sh` blocks of docs/cli.md, docs/sui-install.md and
 * docs/benchmarks.md is exercised, so the pages cannot drift: the offline ones run here through
 * the real entry points; the rest must be one this test knows, and the test named for it must
 * still exercise it (the snippet must be in that file).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { QUICK, selectBenchmarks } from '../../../scripts/bench-select.js';
import { compileCli, type CompiledCli } from '../../support/compiled-cli.js';

vi.setConfig({ testTimeout: 120_000 });

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const PAGES = ['docs/cli.md', 'docs/sui-install.md', 'docs/benchmarks.md'];
const BENCHMARKS = ['envelope', 'envelope-pieces', 'keyserver', 'vault'];

/** The command lines of a page's sh blocks, comments removed. */
function commands(page: string): string[] {
	const text = readFileSync(join(ROOT, page), 'utf8');
	const found: string[] = [];
	for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
		for (const line of (block[1] ?? '').split('\n')) {
			const command = line.replace(/\s+#.*$/, '').trim();
			if (command !== '') found.push(command);
		}
	}
	return found;
}

const dir = mkdtempSync(join(tmpdir(), 'docs-cli-'));
let compiled: CompiledCli | undefined;
beforeAll(async () => {
	compiled = await compileCli();
});
afterAll(() => {
	compiled?.remove();
	rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a documented line in a shell as in a clone: `npx seal-policies` is the installed bin (the
 * compiled CLI), `npm run bench` runs scripts/bench.ts through tsx.
 */
function runLine(line: string, env: Record<string, string> = {}) {
	const script = line
		.replaceAll('npx seal-policies', `"${process.execPath}" "${compiled!.script('cli')}"`)
		.replace(
			/^npm run bench --/,
			`"${process.execPath}" --import "${TSX}" "${join(ROOT, 'scripts', 'bench.ts')}"`,
		);
	return spawnSync('bash', ['-c', script], {
		cwd: dir,
		env: { PATH: process.env['PATH'], HOME: dir, ...env },
		encoding: 'utf8',
		timeout: 60_000,
	});
}

/** A stand-in `sui` for `sui which`. */
const fakeSui = join(dir, 'sui');
writeFileSync(fakeSui, '#!/bin/sh\necho sui 1.71.1\n');
chmodSync(fakeSui, 0o755);

/** Lines run here, with what each must print. */
const RUN: Record<string, { stdout: RegExp; env?: Record<string, string> }> = {
	'npx seal-policies help encrypt': { stdout: /^usage: seal-policies encrypt / },
	'npx seal-policies keyserver start --help': {
		stdout: /^usage:\n {2}seal-policies keyserver start/,
	},
	'npx seal-policies help move test': { stdout: /^usage: seal-policies move test/ },
	'npx seal-policies sui which': {
		stdout: new RegExp(`^${fakeSui}\\n$`),
		env: { SUI_BIN: fakeSui },
	},
	"printf 'meet at noon' | npx seal-policies encrypt --wallet-key --in - --out note.bin": {
		stdout: /^wrote note\.bin \(\d+ bytes, wallet key of 0x[0-9a-f]{64}\)\n$/,
		env: { SUI_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey() },
	},
	'npm run bench -- --help': { stdout: /^usage: npm run bench/ },
};

/** Lines exercised by another test: [test file, text that file must contain]. */
const ELSEWHERE: Record<string, [string, string]> = {
	'npx seal-policies sui install': ['tests/unit/sui-install/sui-install.test.ts', "cli(['sui', 'install']"],
	'npx seal-policies sui install --version 1.72.0': [
		'tests/unit/sui-install/sui-install.test.ts',
		"suiReleaseTag('1.71.1')).toBe('testnet-v1.71.1')",
	],
	'npx seal-policies sui install --version mainnet-v1.70.2': [
		'tests/unit/sui-install/sui-install.test.ts',
		"suiReleaseTag('mainnet-v1.70.2')",
	],
	'npx seal-policies localnet up --install-sui': [
		'tests/unit/e2e/cli.test.ts',
		"parseLocalnetArgs(['up', '--install-sui'])",
	],
	'npm run e2e -- --install-sui': ['tests/unit/e2e/cli.test.ts', "parseE2eArgs(['--install-sui'])"],
};

describe('commands shown in the docs pages', () => {
	const all = PAGES.flatMap((page) => commands(page).map((line) => [page, line] as const));

	it('every shown command is run here, checked by the bench selection, or exercised elsewhere', () => {
		expect(all.length).toBeGreaterThan(10);
		for (const [page, line] of all) {
			if (line in RUN || line in ELSEWHERE) continue;
			const bench = /^npm run bench(?: -- (.*))?$/.exec(line);
			expect(bench, `${page}: ${line} is not exercised by any test`).not.toBeNull();
		}
	});

	for (const [line, expected] of Object.entries(RUN)) {
		it(line, () => {
			expect(
				all.some(([, shown]) => shown === line),
				'still shown in the docs',
			).toBe(true);
			const result = runLine(line, expected.env);
			expect(result.status, result.stderr).toBe(0);
			expect(result.stdout).toMatch(expected.stdout);
		});
	}

	it('`npm run bench [-- …]` lines select what the page says', () => {
		for (const [, line] of all) {
			const bench = /^npm run bench(?: -- (.*))?$/.exec(line);
			if (bench === null || line in RUN) continue;
			const args = bench[1]?.split(' ') ?? [];
			const selected = selectBenchmarks(args, BENCHMARKS);
			expect('run' in selected, line).toBe(true);
		}
		expect(selectBenchmarks([], BENCHMARKS)).toEqual({ run: new Set(QUICK) });
		expect(selectBenchmarks(['all'], BENCHMARKS)).toEqual({ run: new Set(BENCHMARKS) });
		expect(selectBenchmarks(['keyserver'], BENCHMARKS)).toEqual({ run: new Set(['keyserver']) });
		expect(selectBenchmarks(['--fast'], BENCHMARKS)).toEqual({ unknown: '--fast' });
	});

	it('the lines exercised elsewhere still are', () => {
		for (const [line, [file, snippet]] of Object.entries(ELSEWHERE)) {
			expect(
				all.some(([, shown]) => shown === line),
				`${line} still shown`,
			).toBe(true);
			expect(readFileSync(join(ROOT, file), 'utf8'), `${file} exercises ${line}`).toContain(
				snippet,
			);
		}
	});
});
