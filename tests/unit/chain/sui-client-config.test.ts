/**
 * Every `sui` call runs with a private client config for the network it targets, never the
 * user's ~/.sui (unless SEAL_POLICIES_SUI_CONFIG asks for one): checked against a stand-in `sui`
 * on PATH that records its arguments, its environment (`export -p`) and the config it was given.
 */
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	rmSync,
	statSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

import { silentLogger } from '../../../ts/logger.js';
import { buildEnvironment } from '../../../ts/move/build-env.js';
import { buildMovePackage } from '../../../ts/move/build.js';
import {
	renderClientYaml,
	USER_SUI_CONFIG_VAR,
	withClientConfig,
	writeClientConfig,
} from '../../../ts/move/client-config.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { publishAndRecord } from '../../../ts/move/publish.js';
import { runMoveTests } from '../../../ts/move/test-runner.js';
import { publishingClient as stubClient } from '../../support/publishing-client.js';

const root = mkdtempSync(path.join(tmpdir(), 'sui-client-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => {
	const dir = path.join(root, `d${counter++}`);
	mkdirSync(dir, { recursive: true });
	return dir;
};

const DIGEST = Array.from({ length: 32 }, (_, i) => i);
const DUMP = `{"modules":["AQID"],"dependencies":["0x1","0x2"],"digest":[${DIGEST.join(',')}]}`;

interface SuiCall {
	args: string[];
	env: Record<string, string>;
	/** client.yaml as the call saw it (undefined when the call named none). */
	clientYaml: string | undefined;
	/** The keystore that client.yaml names, as the call saw it. */
	keystore: string | undefined;
}

/**
 * A stand-in `sui` in its own PATH directory. Each call writes `<n>.args`, `<n>.env`
 * (`export -p`), and copies of the `--client.config` file and the keystore it names; answers
 * `--version` like sui 1.71.1, `move build` with a bytecode dump and `move test` with a pass.
 */
async function fakeSui() {
	const bin = freshDir();
	const rec = freshDir();
	await writeFile(
		path.join(bin, 'sui'),
		[
			'#!/bin/sh',
			// Shell builtins only: the child's PATH holds nothing but this stand-in.
			`n=0; while [ -e '${rec}'/$n.args ]; do n=$((n+1)); done`,
			`printf '%s\\n' "$@" > '${rec}'/$n.args`,
			`export -p > '${rec}'/$n.env`,
			'cfg=; prev=',
			'for a in "$@"; do [ "$prev" = --client.config ] && cfg=$a; prev=$a; done',
			'if [ -n "$cfg" ] && [ -e "$cfg" ]; then',
			`  while IFS= read -r l; do printf '%s\\n' "$l"; done < "$cfg" > '${rec}'/$n.yaml`,
			`  ks=$(while IFS= read -r l; do case "$l" in *File:*) printf '%s' "\${l#*File: }";; esac; done < "$cfg")`,
			`  [ -e "$ks" ] && while IFS= read -r l; do printf '%s\\n' "$l"; done < "$ks" > '${rec}'/$n.keystore`,
			'fi',
			'if [ "$1" = "--version" ]; then echo "sui 1.71.1-0123abc"; exit 0; fi',
			`case " $* " in *" build "*) echo '${DUMP}';; *" test "*) printf '%s\\n' '[ PASS    ] 0x0::p::t' 'Test result: OK. Total tests: 1; passed: 1; failed: 0';; esac`,
		].join('\n'),
		{ mode: 0o755 },
	);
	const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
	const calls = (): SuiCall[] =>
		readdirSync(rec)
			.filter((name) => name.endsWith('.args'))
			.map((name) => Number(name.slice(0, -'.args'.length)))
			.sort((a, b) => a - b)
			.map((n) => ({
				args: readFileSync(path.join(rec, `${n}.args`), 'utf8')
					.trimEnd()
					.split('\n'),
				env: exportedNames(readFileSync(path.join(rec, `${n}.env`), 'utf8')),
				clientYaml: read(path.join(rec, `${n}.yaml`)),
				keystore: read(path.join(rec, `${n}.keystore`)),
			}));
	return { bin, calls };
}

/** `export -p` of dash/bash (`export NAME='value'` / `declare -x NAME="value"`) → a map. */
function exportedNames(text: string): Record<string, string> {
	const env: Record<string, string> = {};
	for (const line of text.split('\n')) {
		const match = /^(?:export|declare -x) ([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(line);
		if (match?.[1] === undefined) continue;
		env[match[1]] = (match[2] ?? '').replace(/^(['"])(.*)\1$/, '$2');
	}
	return env;
}

/** A user whose ~/.sui points at mainnet, with a key: what no call of ours may read. */
function userHome(): { home: string; userConfigDir: string } {
	const home = freshDir();
	const userConfigDir = path.join(home, '.sui', 'sui_config');
	mkdirSync(userConfigDir, { recursive: true });
	return { home, userConfigDir };
}

function expectPrivateConfig(call: SuiCall | undefined, alias: string, rpcUrl: string) {
	const file = call?.args[call.args.indexOf('--client.config') + 1] ?? '';
	expect(call?.args.slice(0, 2)).toEqual(['move', '--client.config']);
	expect(path.basename(file)).toBe('client.yaml');
	// SUI_CONFIG_DIR is the config's own directory, so nothing falls back to ~/.sui.
	expect(call?.env['SUI_CONFIG_DIR']).toBe(path.dirname(file));
	const yaml = parseYaml(call?.clientYaml ?? '') as Record<string, unknown>;
	expect(yaml).toEqual({
		keystore: { File: path.join(path.dirname(file), 'sui.keystore') },
		envs: [{ alias, rpc: rpcUrl, ws: null, basic_auth: null }],
		active_env: alias,
		active_address: null,
	});
	expect(call?.keystore).toBe('[]\n');
	return path.dirname(file);
}

describe('the sui client config of every call', () => {
	it('a testnet publish with nothing but SUI_PRIVATE_KEY: a private testnet config, no key in the child, nothing left behind', async () => {
		const sui = await fakeSui();
		const { home, userConfigDir } = userHome();
		const pkg = freshDir();
		await writeFile(path.join(pkg, 'Move.toml'), '[package]\nname = "p"\nedition = "2024"\n');
		const signer = Ed25519Keypair.generate();
		const env = {
			PATH: sui.bin,
			HOME: home,
			SUI_PRIVATE_KEY: signer.getSecretKey(),
			SUI_CONFIG_DIR: userConfigDir,
			TMPDIR: freshDir(),
		};
		const result = await publishAndRecord({
			client: stubClient('69WiPg3DAQiwdxfncX6wYQ2siKwAe6L9BZthQea3JNMD'),
			signer,
			network: 'testnet',
			packagePath: pkg,
			deploymentsDir: freshDir(),
			env,
			rpcUrl: 'https://fullnode.testnet.example:443',
		});
		expect(result.action).toBe('published');

		const calls = sui.calls();
		const build = calls.find((call) => call.args.includes('build'));
		const version = calls.find((call) => call.args[0] === '--version');
		const dir = expectPrivateConfig(build, 'testnet', 'https://fullnode.testnet.example:443');
		expect(build?.args.slice(3)).toEqual([
			'build',
			'--path',
			pkg,
			'--build-env',
			'testnet',
			'--dump-bytecode-as-base64',
		]);
		// The build made its config in TMPDIR, never in the user's config dir or home.
		expect(path.relative(env.TMPDIR, dir).split(path.sep)[0]).toMatch(/^seal-policies-sui-/);
		for (const call of calls) {
			expect(call.env['SUI_PRIVATE_KEY']).toBeUndefined();
			expect(call.env['SUI_CONFIG_DIR']).not.toBe(userConfigDir);
			expect(call.env['HOME']).toBe(home);
		}
		expect(version?.env['SUI_CONFIG_DIR']).toBeDefined();
		expect(readdirSync(userConfigDir)).toEqual([]);
		expect(readdirSync(env.TMPDIR)).toEqual([]);
		expect(readFileSync(result.publicationFile, 'utf8')).toContain('[published.testnet]');
	});

	it('a localnet build: a private config at the local node, built as testnet with the Pub file', async () => {
		const sui = await fakeSui();
		const { home } = userHome();
		const pkg = freshDir();
		await writeFile(path.join(pkg, 'Move.toml'), '[package]\nname = "p"\nedition = "2024"\n');
		const environment = buildEnvironment('localnet', 'abcd1234', 'http://127.0.0.1:9000');
		await buildMovePackage({
			packagePath: pkg,
			environment,
			env: { PATH: sui.bin, HOME: home },
			pubfile: path.join(pkg, 'Pub.localnet.toml'),
			logger: silentLogger,
		});
		const [build] = sui.calls();
		expectPrivateConfig(build, 'localnet', 'http://127.0.0.1:9000');
		expect(build?.args.slice(3)).toEqual([
			'build',
			'--path',
			pkg,
			'--build-env',
			'testnet',
			'--pubfile-path',
			path.join(pkg, 'Pub.localnet.toml'),
			'--dump-bytecode-as-base64',
		]);
	});

	it('sui move test gets one too', async () => {
		const sui = await fakeSui();
		const pkg = freshDir();
		await writeFile(path.join(pkg, 'Move.toml'), '[package]\nname = "p"\nedition = "2024"\n');
		await runMoveTests({
			packagePath: pkg,
			environment: buildEnvironment('testnet'),
			env: { PATH: sui.bin, HOME: userHome().home },
			logger: silentLogger,
		});
		expectPrivateConfig(sui.calls()[0], 'testnet', 'https://fullnode.testnet.sui.io:443');
	});

	it(`uses the user's config only when ${USER_SUI_CONFIG_VAR} names it`, async () => {
		const sui = await fakeSui();
		const { home, userConfigDir } = userHome();
		const own = ['keystore:', `  File: ${userConfigDir}/sui.keystore`, 'envs: []', ''].join('\n');
		await writeFile(path.join(userConfigDir, 'client.yaml'), own);
		await writeFile(path.join(userConfigDir, 'sui.keystore'), '["mine"]\n');
		await buildMovePackage({
			packagePath: freshDir(),
			environment: buildEnvironment('testnet'),
			env: { PATH: sui.bin, HOME: home, [USER_SUI_CONFIG_VAR]: userConfigDir },
			logger: silentLogger,
		});
		const [build] = sui.calls();
		expect(build?.args.slice(0, 3)).toEqual([
			'move',
			'--client.config',
			path.join(userConfigDir, 'client.yaml'),
		]);
		expect(build?.env['SUI_CONFIG_DIR']).toBe(userConfigDir);
		expect(build?.clientYaml).toBe(own);
	});

	it('treats a blank SEAL_POLICIES_SUI_CONFIG as unset', async () => {
		const sui = await fakeSui();
		await buildMovePackage({
			packagePath: freshDir(),
			environment: buildEnvironment('testnet'),
			env: { PATH: sui.bin, HOME: userHome().home, [USER_SUI_CONFIG_VAR]: '  ' },
			logger: silentLogger,
		});
		expectPrivateConfig(sui.calls()[0], 'testnet', 'https://fullnode.testnet.sui.io:443');
	});
});

describe('the private config files', () => {
	it('are readable by the owner only: directory 0700, keystore 0600', async () => {
		const dir = path.join(freshDir(), 'config');
		const config = await writeClientConfig(dir, { alias: 'testnet', rpcUrl: 'https://x.example' });
		expect(config).toEqual({ dir, file: path.join(dir, 'client.yaml') });
		expect(statSync(dir).mode & 0o777).toBe(0o700);
		expect(statSync(path.join(dir, 'sui.keystore')).mode & 0o777).toBe(0o600);
	});

	it('refuse an alias or node URL that would not make a valid client.yaml', () => {
		const bad = [
			{ alias: 'local net', rpcUrl: 'http://127.0.0.1:9000' },
			{ alias: 'localnet\nactive_env: mainnet', rpcUrl: 'http://127.0.0.1:9000' },
			{ alias: 'localnet', rpcUrl: 'not a url' },
			{ alias: 'localnet', rpcUrl: 'file:///etc/passwd' },
		];
		for (const target of bad) {
			expect(() => renderClientYaml('/c', target)).toThrow(InvalidInputError);
		}
		expect(() => renderClientYaml('/c', bad[0]!)).toThrow(/network: 'local net'/);
		expect(() => renderClientYaml('/c', bad[2]!)).toThrow(/rpcUrl: 'not a url' is not a URL/);
		expect(() => renderClientYaml('/c', bad[3]!)).toThrow(/must be an http\(s\) URL/);
	});

	it('are removed even when the call fails', async () => {
		const tmpRoot = freshDir();
		const failing = withClientConfig(
			{ alias: 'testnet', rpcUrl: 'https://x.example' },
			{},
			async () => {
				throw new Error('sui failed');
			},
			{ tmpRoot },
		);
		await expect(failing).rejects.toThrow('sui failed');
		expect(readdirSync(tmpRoot)).toEqual([]);
	});
});
