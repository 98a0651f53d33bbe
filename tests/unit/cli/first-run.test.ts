/**
 * The CLI as a new user meets it (issue 11): every defect found on a first run, driven through
 * the real entry points (`scripts/cli.ts`, the move scripts, the bench runner) in child processes,
 * compiled once for the file as `dist/` would hold them (support/compiled-cli.ts). Nothing here
 * needs a chain, key servers or a `sui` binary.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { compileCli, type CompiledCli } from '../../support/compiled-cli.js';

// Each case starts Node (a second or more on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
let compiled: CompiledCli;
/** A compiled `scripts/<name>.ts`. */
const script = (name: string) => compiled.script(name);

const dirs: string[] = [];
beforeAll(async () => {
	compiled = await compileCli();
});
afterAll(() => {
	compiled?.remove();
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
	const dir = mkdtempSync(join(tmpdir(), 'cli-first-run-'));
	dirs.push(dir);
	return dir;
}

/** An environment without the caller's Sui / Seal settings, and a home with no Sui CLI. */
function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: home, ...extra };
	return env;
}

function run(
	entry: string,
	args: string[],
	options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
	const cwd = options.cwd ?? ROOT;
	const result = spawnSync(process.execPath, [entry, ...args], {
		cwd,
		env: options.env ?? cleanEnv(tempDir()),
		encoding: 'utf8',
		timeout: 60_000,
	});
	return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const cli = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
	run(script('cli'), args, options);

/** stderr as lines, without the blank ones. */
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe('SUI_PRIVATE_KEY in .env', () => {
	it('is used as the signer (named as coming from .env), never printed', () => {
		const dir = tempDir();
		writeFileSync(join(dir, 'plain.txt'), 'secret text');
		const key = Ed25519Keypair.generate();
		const secret = key.getSecretKey();
		writeFileSync(join(dir, '.env'), `SUI_PRIVATE_KEY=${secret}\n`);
		// The wallet-key path needs only the signer: no chain, no key servers.
		const encrypted = cli(
			['encrypt', '--wallet-key', '--in', 'plain.txt', '--out', 'plain.bin', '--json'],
			{ cwd: dir, env: cleanEnv(dir) },
		);
		expect(encrypted.stderr).not.toMatch(/no signer found/);
		expect(encrypted.code).toBe(0);
		expect(JSON.parse(encrypted.stdout)).toMatchObject({ address: key.toSuiAddress() });
		expect(encrypted.stdout + encrypted.stderr).not.toContain(secret);

		const decrypted = cli(['decrypt', 'plain.bin', '--out', 'back.txt'], {
			cwd: dir,
			env: cleanEnv(dir),
		});
		expect(decrypted.code).toBe(0);
		expect(readFileSync(join(dir, 'back.txt'), 'utf8')).toBe('secret text');
	});

	it('a malformed key in .env is reported against .env, without its value', () => {
		const dir = tempDir();
		// A wallet-key blob: decrypting it needs the signer and nothing else.
		writeFileSync(join(dir, 'blob.bin'), new Uint8Array([0x01, 0x01, ...new Uint8Array(28)]));
		writeFileSync(join(dir, '.env'), 'SUI_PRIVATE_KEY=suiprivkey1notakeyatall\n');
		const result = cli(['decrypt', 'blob.bin', '--out', 'blob.txt'], {
			cwd: dir,
			env: cleanEnv(dir),
		});
		expect(result.code).toBe(1);
		expect(lines(result.stderr).at(-1)).toMatch(
			/^error: SignerError: SUI_PRIVATE_KEY \(from \.env\) is not a valid/,
		);
		expect(result.stderr).not.toContain('notakeyatall');
	});
});

describe('a closed stdout ends the command quietly', () => {
	it('`--help | true` prints no EPIPE trace and exits 0', () => {
		// `true` exits before node has started, so every write meets a closed pipe.
		const result = spawnSync(
			'bash',
			[
				'-c',
				`"${process.execPath}" "${script('cli')}" --help | true; echo "status=\${PIPESTATUS[0]}" >&2`,
			],
			{ cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
		);
		expect(result.stderr).not.toMatch(/EPIPE|at .*\(node:/);
		expect(result.stderr.trim()).toBe('status=0');
	});
});

describe('usage, help and version', () => {
	it('--version prints the package version', () => {
		const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
			version: string;
		};
		const result = cli(['--version']);
		expect(result.code).toBe(0);
		expect(result.stdout.trim()).toBe(`seal-policies ${version}`);
	});

	it('usage errors exit 2 with one line; no command prints the usage and exits 2', () => {
		// The rest of the commands' usage errors are checked in-process (cli-sweep.test.ts).
		for (const args of [
			['encrypt', '--owner', '0x12', '--in', 'a', '--out', 'b'],
			['move', 'frobnicate'],
			['nosuchcommand'],
		]) {
			const result = cli(args);
			expect(result.code, args.join(' ')).toBe(2);
			expect(lines(result.stderr), args.join(' ')).toHaveLength(1);
		}
		const bare = cli([]);
		expect(bare.code).toBe(2);
		expect(bare.stderr).toMatch(/^usage: seal-policies/);
	}, 180_000);

	it("`help CMD` and `CMD SUB --help` show that command's or subcommand's help, not the parent's", () => {
		const help = cli(['help', 'encrypt']);
		expect(help.code).toBe(0);
		expect(help.stdout).toMatch(/^usage: seal-policies encrypt /);
		const start = cli(['keyserver', 'start', '--help']);
		expect(start.code).toBe(0);
		expect(start.stdout).toMatch(/^usage:\n {2}seal-policies keyserver start /);
		expect(start.stdout).toContain('--metrics-port');
		expect(start.stdout).not.toContain('keyserver genkey');
		const test = cli(['help', 'move', 'test']);
		expect(test.stdout).toMatch(/^usage: seal-policies move test /);
		expect(test.stdout).not.toContain('seal-policies move build');
		expect(cli(['help', 'nosuch']).code).toBe(2);
	}, 180_000);

	it('localnet help lists every subcommand, fund included', () => {
		const top = cli(['--help']);
		expect(top.code).toBe(0);
		expect(top.stdout).toMatch(/localnet +up \| down \| status \| fund/);
		expect(top.stdout).toMatch(/move +build \| test/);
		const localnet = cli(['localnet', '--help']);
		expect(localnet.stdout).toMatch(/^usage: seal-policies localnet up\|down\|status\|fund/);
		expect(localnet.stdout).toMatch(/^ {2}fund ADDRESS/m);
	});
});

describe('move and bench scripts', () => {
	it('move:build and move:test answer --help with their usage (exit 0)', () => {
		for (const name of ['move-build', 'move-test']) {
			const result = run(script(name), ['--help']);
			expect(result.stderr, name).toBe('');
			expect(result.code, name).toBe(0);
			expect(result.stdout, name).toMatch(/^usage: seal-policies move (build|test)/);
		}
		const bogus = run(script('move-test'), ['--bogus']);
		expect(bogus.code).toBe(2);
		expect(lines(bogus.stderr)).toEqual([expect.stringMatching(/unknown option '--bogus'/)]);
	});

	it('`seal-policies move build --help` exists beside the npm scripts', () => {
		const result = cli(['move', '--help']);
		expect(result.code).toBe(0);
		expect(result.stdout).toContain('seal-policies move build');
		expect(result.stdout).toContain('seal-policies move test');
	});

	it('bench: --help prints the usage; an unknown name exits 2 naming it', () => {
		const bench = script('bench');
		const help = run(bench, ['--help']);
		expect(help.code).toBe(0);
		expect(help.stdout).toMatch(/^usage: npm run bench/);
		expect(help.stdout).toMatch(/benchmarks: .*envelope/);
		expect(help.stdout).not.toMatch(/benchmarks: .*measure/);
		// The sizes that matter and what a run costs, where a user looks first.
		expect(help.stdout).toMatch(/ENVELOPE_BENCH_MIB=N .*\(default 64\)/s);
		expect(help.stdout).toMatch(/VAULT_BENCH_EXPORT_RECORDS=N/);
		expect(help.stdout).toMatch(
			/Without a name:\s+the quick ones \(envelope, envelope-pieces: about a minute\)/,
		);
		expect(help.stdout).toMatch(/keyserver .*\(about 1 min\)/);
		const bogus = run(bench, ['bogus']);
		expect(bogus.code).toBe(2);
		expect(bogus.stderr).toMatch(/^error: unknown benchmark 'bogus'/);
		expect(bogus.stdout).toBe('');
	});
});
