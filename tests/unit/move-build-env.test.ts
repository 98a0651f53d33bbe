import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { InvalidInputError } from '../../ts/errors.js';
import {
	buildEnvArgs,
	buildEnvironment,
	manifestWithEnvironment,
	moveChainId,
} from '../../ts/move/build-env.js';
import {
	absoluteLocalDependencies,
	parseSuiVersion,
	runSuiMove,
	suiMoveArgs,
	suiToolchainVersion,
	withBuildPackage,
} from '../../ts/move/sui-move.js';
import type { SuiProcessResult } from '../../ts/move/sui-cli.js';

const testnet = buildEnvironment('testnet');
const localnet = buildEnvironment('localnet', 'abcd1234');

describe('buildEnvironment', () => {
	it("uses Sui's built-in testnet and mainnet with their chain ids", () => {
		expect(buildEnvironment('testnet')).toEqual({
			name: 'testnet',
			chainId: '4c78adac',
			ephemeral: false,
		});
		expect(buildEnvironment('mainnet', '35834a8a')).toEqual({
			name: 'mainnet',
			chainId: '35834a8a',
			ephemeral: false,
		});
	});

	it('makes localnet and devnet ephemeral, with the chain id in Move form', () => {
		expect(buildEnvironment('localnet', '69WiPg3DAQiwdxfncX6wYQ2siKwAe6L9BZthQea3JNMD')).toEqual({
			name: 'localnet',
			chainId: '4c78adac',
			ephemeral: true,
		});
		expect(buildEnvironment('devnet', '01accae1').ephemeral).toBe(true);
	});

	it('needs the chain id for a chain Sui does not know, and refuses a mismatched public one', () => {
		expect(() => buildEnvironment('localnet')).toThrow(InvalidInputError);
		expect(() => buildEnvironment('localnet')).toThrow(/chain id of its node/);
		expect(() => buildEnvironment('testnet', 'abcd1234')).toThrow(
			/serves chain abcd1234, but testnet is chain 4c78adac/,
		);
		expect(() => buildEnvironment('Local Net', 'abcd1234')).toThrow(InvalidInputError);
	});
});

describe('moveChainId', () => {
	it('keeps the short form and shortens the base58 genesis digest', () => {
		expect(moveChainId('4c78adac')).toBe('4c78adac');
		expect(moveChainId('4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S')).toBe('35834a8a');
	});

	it('refuses anything else with a typed error', () => {
		for (const bad of ['', '4C78ADAC0', '0OIl', 'x"\n[evil]', '2g']) {
			expect(() => moveChainId(bad)).toThrow(InvalidInputError);
		}
	});
});

describe('manifestWithEnvironment', () => {
	const manifest = '[package]\nname = "seal"\nedition = "2024"\n';

	it('appends an [environments] table with the chain id', () => {
		expect(manifestWithEnvironment(manifest, 'localnet', 'abcd1234')).toBe(
			'[package]\nname = "seal"\nedition = "2024"\n\n[environments]\nlocalnet = "abcd1234"\n',
		);
	});

	it('replaces an existing entry and keeps other environments and tables', () => {
		const existing = `${manifest}\n[environments]\nlocalnet = "00000000"\ntestnet = "4c78adac"\n\n[dependencies]\n`;
		const out = manifestWithEnvironment(existing, 'localnet', 'ffff0000');
		expect(out).toContain('[environments]\nlocalnet = "ffff0000"\ntestnet = "4c78adac"');
		expect(out).not.toContain('00000000');
		expect(out).toContain('[dependencies]');
	});

	it('refuses something that is not a chain id or an environment name', () => {
		expect(() => manifestWithEnvironment(manifest, 'localnet', 'x"\n[evil]')).toThrow(
			InvalidInputError,
		);
		expect(() => manifestWithEnvironment(manifest, 'a = "b"\n[x]', 'abcd1234')).toThrow(
			InvalidInputError,
		);
	});
});

describe('suiMoveArgs', () => {
	it('names the build environment for build and test', () => {
		expect(suiMoveArgs('build', 'move', testnet)).toEqual([
			'move',
			'build',
			'--path',
			'move',
			'--build-env',
			'testnet',
			'--dump-bytecode-as-base64',
		]);
		expect(suiMoveArgs('test', '/tmp/copy/move', localnet, { filter: 'allowlist' })).toEqual([
			'move',
			'test',
			'--path',
			'/tmp/copy/move',
			'--build-env',
			'localnet',
			'allowlist',
		]);
		expect(buildEnvArgs(buildEnvironment('mainnet'))).toEqual(['--build-env', 'mainnet']);
	});
});

describe('absoluteLocalDependencies', () => {
	it('makes relative local dependencies absolute and leaves the rest alone', () => {
		const toml =
			'[dependencies]\na = { local = "../a" }\nb = { local = "/abs/b" }\nc = { git = "https://x", rev = "r" }\n';
		expect(absoluteLocalDependencies(toml, '/repo/pkg')).toBe(
			'[dependencies]\na = { local = "/repo/a" }\nb = { local = "/abs/b" }\nc = { git = "https://x", rev = "r" }\n',
		);
	});
});

describe('withBuildPackage and runSuiMove', () => {
	let dir: string;
	let pkg: string;
	let tmpRoot: string;
	beforeEach(async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'build-env-'));
		pkg = path.join(dir, 'move');
		tmpRoot = path.join(dir, 'tmp');
		await mkdir(path.join(pkg, 'sources'), { recursive: true });
		await mkdir(path.join(pkg, 'build', 'old'), { recursive: true });
		await mkdir(tmpRoot);
		await writeFile(path.join(pkg, 'Move.toml'), '[package]\nname = "p"\nedition = "2024"\n');
		await writeFile(path.join(pkg, 'sources', 'p.move'), 'module p::p;\n');
		await writeFile(path.join(pkg, 'Published.toml'), '# kept\n');
		await writeFile(path.join(pkg, 'Pub.localnet.toml'), '# not copied\n');
	});
	afterEach(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	it('hands testnet builds the package folder itself', async () => {
		const use = vi.fn(async (packageDir: string) => packageDir);
		await expect(withBuildPackage(pkg, testnet, use, { tmpRoot })).resolves.toBe(pkg);
		expect(await readdir(tmpRoot)).toEqual([]);
	});

	it('hands localnet builds a declared copy without build output or ephemeral files, then removes it', async () => {
		const seen = await withBuildPackage(
			pkg,
			localnet,
			async (copy) => ({
				copy,
				entries: (await readdir(copy)).sort(),
				manifest: await readFile(path.join(copy, 'Move.toml'), 'utf8'),
				source: await readFile(path.join(copy, 'sources', 'p.move'), 'utf8'),
			}),
			{ tmpRoot },
		);
		expect(path.dirname(path.dirname(seen.copy))).toBe(tmpRoot);
		expect(seen.entries).toEqual(['Move.toml', 'Published.toml', 'sources']);
		expect(seen.manifest).toBe(
			'[package]\nname = "p"\nedition = "2024"\n\n[environments]\nlocalnet = "abcd1234"\n',
		);
		expect(seen.source).toBe('module p::p;\n');
		expect(await readdir(tmpRoot)).toEqual([]);
		expect(await readFile(path.join(pkg, 'Move.toml'), 'utf8')).not.toContain('environments');
	});

	it('removes the copy when the build throws', async () => {
		await expect(
			withBuildPackage(
				pkg,
				localnet,
				async () => {
					throw new Error('boom');
				},
				{ tmpRoot },
			),
		).rejects.toThrow('boom');
		expect(await readdir(tmpRoot)).toEqual([]);
	});

	it('runs sui on the copy and reports its paths as the real package', async () => {
		const calls: string[][] = [];
		const run = async (_bin: string, args: readonly string[]): Promise<SuiProcessResult> => {
			calls.push([...args]);
			return { code: 1, stdout: '', stderr: `error[E1]: x\n  ┌─ ${args[3]}/sources/p.move:1:1\n` };
		};
		const result = await runSuiMove({
			suiBin: 'sui',
			command: 'test',
			packagePath: pkg,
			environment: localnet,
			env: {},
			filter: 'p::',
			run,
			tmpRoot,
		});
		expect(calls).toHaveLength(1);
		expect(calls[0]?.slice(4)).toEqual(['--build-env', 'localnet', 'p::']);
		expect(result.stderr).toContain(`${pkg}/sources/p.move:1:1`);
		expect(result.stderr).not.toContain(tmpRoot);
	});
});

describe('the toolchain version', () => {
	it('is read from `sui --version` as Sui reads it for Published.toml', async () => {
		// `sui --version` prints `sui <semver>-<git sha>` (publish.sh strips the suffix with sed).
		expect(parseSuiVersion('sui 1.63.0-7a3c1b2\n')).toBe('1.63.0');
		expect(parseSuiVersion('sui 1.71.1-homebrew')).toBe('1.71.1');
		expect(parseSuiVersion('error: unknown')).toBeUndefined();
		const run = async (): Promise<SuiProcessResult> => ({
			code: 0,
			stdout: 'sui 1.64.2-abc\n',
			stderr: '',
		});
		await expect(suiToolchainVersion('sui', {}, run)).resolves.toBe('1.64.2');
		const broken = async (): Promise<SuiProcessResult> => ({ code: 2, stdout: '', stderr: 'no' });
		await expect(suiToolchainVersion('sui', {}, broken)).rejects.toThrow(/printed no version/);
	});
});
