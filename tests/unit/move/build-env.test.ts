import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../../ts/errors.js';
import { buildEnvArgs, buildEnvironment, moveChainId } from '../../../ts/move/build-env.js';
import {
	parseSuiVersion,
	runSuiMove,
	suiMoveArgs,
	suiToolchainVersion,
} from '../../../ts/move/sui-move.js';
import type { SuiProcessResult } from '../../../ts/move/sui-cli.js';

const testnet = buildEnvironment('testnet');
const localnet = buildEnvironment('localnet', 'abcd1234');

describe('buildEnvironment', () => {
	it("uses Sui's built-in testnet and mainnet with their chain ids", () => {
		expect(buildEnvironment('testnet')).toEqual({
			name: 'testnet',
			buildEnv: 'testnet',
			chainId: '4c78adac',
			ephemeral: false,
			rpcUrl: 'https://fullnode.testnet.sui.io:443',
		});
		expect(buildEnvironment('mainnet', '35834a8a', 'https://rpc.example')).toEqual({
			name: 'mainnet',
			buildEnv: 'mainnet',
			chainId: '35834a8a',
			ephemeral: false,
			rpcUrl: 'https://rpc.example',
		});
	});

	it('builds localnet and devnet as testnet with their own chain id, as test-publish does', () => {
		expect(buildEnvironment('localnet', '69WiPg3DAQiwdxfncX6wYQ2siKwAe6L9BZthQea3JNMD')).toEqual({
			name: 'localnet',
			buildEnv: 'testnet',
			chainId: '4c78adac',
			ephemeral: true,
			rpcUrl: 'http://127.0.0.1:9000',
		});
		expect(buildEnvironment('devnet', '01accae1')).toMatchObject({
			buildEnv: 'testnet',
			ephemeral: true,
		});
		expect(() => buildEnvironment('mynet', '01accae1')).toThrow(/no preset full node/);
		expect(buildEnvironment('mynet', '01accae1', 'http://10.0.0.2:9000').rpcUrl).toBe(
			'http://10.0.0.2:9000',
		);
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

describe('suiMoveArgs', () => {
	it('names the client config, the build environment and, for ephemeral builds, the pubfile', () => {
		// `sui move --client.config "$CONFIG" build -p main_pkg --dump --pubfile-path Pub.test.toml
		// -e testnet` (ephemeral_dump/dump_with_pubfile.snap @ 086bf8a2).
		expect(suiMoveArgs('build', 'move', testnet, { clientConfig: '/c/client.yaml' })).toEqual([
			'move',
			'--client.config',
			'/c/client.yaml',
			'build',
			'--path',
			'move',
			'--build-env',
			'testnet',
			'--dump-bytecode-as-base64',
		]);
		expect(
			suiMoveArgs('build', '/repo/move', localnet, {
				clientConfig: '/c/client.yaml',
				pubfile: '/repo/move/Pub.localnet.toml',
			}),
		).toEqual([
			'move',
			'--client.config',
			'/c/client.yaml',
			'build',
			'--path',
			'/repo/move',
			'--build-env',
			'testnet',
			'--pubfile-path',
			'/repo/move/Pub.localnet.toml',
			'--dump-bytecode-as-base64',
		]);
		expect(
			suiMoveArgs('test', '/repo/move', localnet, { clientConfig: '/c/y', filter: 'allowlist' }),
		).toEqual([
			'move',
			'--client.config',
			'/c/y',
			'test',
			'--path',
			'/repo/move',
			'--build-env',
			'testnet',
			'allowlist',
		]);
		expect(buildEnvArgs(buildEnvironment('mainnet'))).toEqual(['--build-env', 'mainnet']);
		expect(() => suiMoveArgs('build', 'move', localnet, { clientConfig: '/c/y' })).toThrow(
			/needs its publication file/,
		);
	});
});

describe('runSuiMove', () => {
	let dir: string;
	let tmpRoot: string;
	beforeEach(async () => {
		dir = await mkdtemp(path.join(tmpdir(), 'build-env-'));
		tmpRoot = path.join(dir, 'tmp');
		await mkdir(tmpRoot);
	});
	afterEach(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	/** A fake process runner that records what it was given and the config it could read. */
	function recorder() {
		const calls: { args: string[]; env: Record<string, string | undefined>; yaml: string }[] = [];
		const run = async (
			_bin: string,
			args: readonly string[],
			{ env }: { env: Record<string, string | undefined> },
		): Promise<SuiProcessResult> => {
			const file = args[args.indexOf('--client.config') + 1] ?? '';
			calls.push({ args: [...args], env: { ...env }, yaml: await readFile(file, 'utf8') });
			return { code: 0, stdout: '', stderr: '' };
		};
		return { calls, run };
	}

	it('hands sui a private config for the target node and a scratch pubfile, then removes both', async () => {
		const { calls, run } = recorder();
		await runSuiMove({
			suiBin: 'sui',
			command: 'build',
			packagePath: '/repo/move',
			environment: localnet,
			env: { PATH: '/bin', HOME: '/home/u', SUI_CONFIG_DIR: '/home/u/.sui/sui_config' },
			run,
			tmpRoot,
		});
		const [call] = calls;
		const configFile = call?.args[2] ?? '';
		expect(path.dirname(path.dirname(path.dirname(configFile)))).toBe(tmpRoot);
		expect(call?.env['SUI_CONFIG_DIR']).toBe(path.dirname(configFile));
		expect(call?.yaml).toContain('active_env: localnet');
		expect(call?.yaml).toContain('rpc: http://127.0.0.1:9000');
		const pubfile = call?.args[call.args.indexOf('--pubfile-path') + 1] ?? '';
		expect(path.basename(pubfile)).toBe('Pub.localnet.toml');
		expect(pubfile.startsWith(tmpRoot)).toBe(true);
		expect(await readdir(tmpRoot)).toEqual([]);
	});

	it('uses the pubfile it is given, and no pubfile for tests', async () => {
		const { calls, run } = recorder();
		const common = { suiBin: 'sui', packagePath: '/repo/move', environment: localnet, env: {} };
		await runSuiMove({
			...common,
			command: 'build',
			pubfile: '/repo/move/Pub.localnet.toml',
			run,
			tmpRoot,
		});
		await runSuiMove({ ...common, command: 'test', filter: 'p::', run, tmpRoot });
		expect(calls[0]?.args).toContain('/repo/move/Pub.localnet.toml');
		expect(calls[1]?.args.slice(3)).toEqual([
			'test',
			'--path',
			'/repo/move',
			'--build-env',
			'testnet',
			'p::',
		]);
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
		await expect(suiToolchainVersion('sui', {}, testnet, { run })).resolves.toBe('1.64.2');
		const broken = async (): Promise<SuiProcessResult> => ({ code: 2, stdout: '', stderr: 'no' });
		await expect(suiToolchainVersion('sui', {}, testnet, { run: broken })).rejects.toThrow(
			/printed no version/,
		);
	});
});
