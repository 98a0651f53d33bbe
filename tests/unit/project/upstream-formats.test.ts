/**
 * Contract fixtures: every external format this project reads or writes, in the shape the
 * supported Sui (1.71; CLI >= 1.63) and Seal versions produce. The fixtures are our own data laid
 * out as the cited upstream sources and snapshot tests lay theirs out; nothing is copied.
 * (gRPC / JSON-RPC execution errors have their own fixtures with the error-mapping tests.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { decodeSuiPrivateKey, type Keypair } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair } from '@mysten/sui/keypairs/secp256k1';
import { toBase64 } from '@mysten/sui/utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, parseDocument } from 'yaml';

import { DeploymentRecordError } from '../../../ts/chain/errors.js';
import { LocalnetError } from '../../../ts/localnet/errors.js';
import { MoveToolchainError } from '../../../ts/move/errors.js';
import { renderClientYaml } from '../../../ts/localnet/client-config.js';
import { mystenKeyServerYaml } from '../../../ts/localnet/keyserver-config.js';
import { fundFromFaucet } from '../../../ts/localnet/up.js';
import { parseBuildDump } from '../../../ts/move/build-output.js';
import {
	parseEphemeralPubs,
	parsePublishedToml,
	withEphemeralPublication,
	withPublication,
	type Publication,
} from '../../../ts/move/publication-file.js';
import { parseMoveTestOutput } from '../../../ts/move/test-output.js';
import { loadSigner } from '../../../ts/chain/signer.js';
import type { SuiClient } from '../../../ts/chain/sui-client.js';

const id = (byte: string) => `0x${byte.repeat(32)}`;
const DIGEST = Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256);

let dir: string;
beforeEach(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'formats-'));
});
afterEach(async () => {
	await rm(dir, { recursive: true, force: true });
	vi.unstubAllGlobals();
});

describe('build JSON (`sui move build --dump-bytecode-as-base64`)', () => {
	// Shape: one line `{"modules":[…],"dependencies":[…],"digest":[…32 bytes]}` on stdout
	// (MystenLabs/sui crates/sui/tests/shell_tests/with_network/dump_bytecode/
	// with_unpublished_deps.snap @ 894f0ff2; ephemeral_dump/dump_with_pubfile.snap @ 086bf8a2,
	// whose dependencies are full 64-hex ids).
	const dump = {
		modules: ['oRzrCwYAAAABAAIDAgUFBwEHCA0=', 'oRzrCwYAAAABAAIDAgUFBwEHCA4='],
		dependencies: [`0x${'0'.repeat(63)}1`, `0x${'0'.repeat(63)}2`, `0x${'0'.repeat(56)}cafecafe`],
		digest: DIGEST,
	};

	it('reads the JSON line as the CLI prints it', () => {
		expect(parseBuildDump(`${JSON.stringify(dump)}\n`)).toEqual(dump);
	});

	it('takes the JSON from the first { to the last } when log lines surround it', () => {
		const stdout = [
			'[Note]: Dependency sources are no longer verified automatically during publication and upgrade.',
			'INCLUDING DEPENDENCY MoveStdlib',
			JSON.stringify(dump, null, 2),
			'Total number of linter warnings suppressed: 2 (unique lints: 1)',
		].join('\n');
		expect(parseBuildDump(stdout)).toEqual(dump);
	});

	it('normalises short dependency ids and refuses output without the dump', () => {
		expect(
			parseBuildDump(JSON.stringify({ ...dump, dependencies: ['0x1', '0X2'] })).dependencies,
		).toEqual([`0x${'0'.repeat(63)}1`, `0x${'0'.repeat(63)}2`]);
		for (const stdout of [
			'',
			'Could not determine the correct dependencies to use for `devnet`; pass one of `--build-env testnet` or `--build-env mainnet`.',
			JSON.stringify({ ...dump, digest: [1, 2, 3] }),
			JSON.stringify({ ...dump, modules: [] }),
		]) {
			expect(() => parseBuildDump(stdout)).toThrow(MoveToolchainError);
		}
	});
});

describe('`sui move test` output', () => {
	// Layout of the Move unit-test runner: `[ PASS    ] name` per test, a failure report per
	// failed module in `┌── test ───` boxes, then `Test result: …` (MystenLabs/sui
	// external-crates/move/crates/move-unit-test/tests/test_sources/timeout.exp @ 077e65c5,
	// const_abort.exp @ 69dbc146); `sui move test` first prints its build lines.
	const output = [
		'INCLUDING DEPENDENCY Bridge',
		'INCLUDING DEPENDENCY SuiSystem',
		'INCLUDING DEPENDENCY Sui',
		'INCLUDING DEPENDENCY MoveStdlib',
		'BUILDING seal_policies',
		'Running Move unit tests',
		'[ PASS    ] seal_policies::allowlist_tests::member_decrypts',
		'[ FAIL    ] seal_policies::allowlist_tests::outsider_refused',
		'[ TIMEOUT ] seal_policies::owner_tests::spins',
		'',
		'Test failures:',
		'',
		'Failures in seal_policies::allowlist_tests:',
		'',
		'┌── outsider_refused ──────',
		'│ error[E11001]: test failure',
		'│    ┌─ ./tests/allowlist_tests.move:40:9',
		'│    │',
		'│ 40 │         allowlist::seal_approve(id, &list, ctx);',
		'│    │         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ Test was not expected to error, but it aborted with code 3',
		'│ ',
		'│ ',
		'└──────────────────',
		'',
		'',
		'Failures in seal_policies::owner_tests:',
		'',
		'┌── spins ──────',
		'│ Test timed out',
		'└──────────────────',
		'',
		'Test result: FAILED. Total tests: 3; passed: 1; failed: 2',
		'',
	].join('\n');

	it('reads every result, the failure reports and the totals', () => {
		const parsed = parseMoveTestOutput(output);
		expect(parsed.summary).toEqual({ total: 3, passed: 1, failed: 2 });
		expect(parsed.tests.map((t) => [t.name, t.passed])).toEqual([
			['seal_policies::allowlist_tests::member_decrypts', true],
			['seal_policies::allowlist_tests::outsider_refused', false],
			['seal_policies::owner_tests::spins', false],
		]);
		expect(parsed.tests[1]?.message).toMatch(/^error\[E11001\]: test failure/);
		expect(parsed.tests[1]?.message).toContain('aborted with code 3');
		expect(parsed.tests[2]?.message).toBe('Test timed out');
	});

	it('reads a passing run', () => {
		const parsed = parseMoveTestOutput(
			'Running Move unit tests\n[ PASS    ] seal_policies::identity_tests::roundtrip\nTest result: OK. Total tests: 1; passed: 1; failed: 0\n',
		);
		expect(parsed).toEqual({
			tests: [{ name: 'seal_policies::identity_tests::roundtrip', passed: true }],
			summary: { total: 1, passed: 1, failed: 0 },
		});
	});
});

describe('client.yaml and the keystore', () => {
	/** Keystore entry: base64(flag || 32-byte secret), flag 0 ed25519, 1 secp256k1. */
	function entry(keypair: Keypair, flag: number): string {
		const { secretKey } = decodeSuiPrivateKey(keypair.getSecretKey());
		return toBase64(Uint8Array.from([flag, ...secretKey]));
	}

	it("signs with client.yaml's active_address from a keystore Sui wrote", async () => {
		const ed = Ed25519Keypair.generate();
		const k1 = Secp256k1Keypair.generate();
		const keystore = path.join(dir, 'sui.keystore');
		// FileBasedKeystore::save_keystore writes a pretty-printed JSON array of base64
		// `flag || privkey` strings, and the aliases beside it in sui.aliases
		// (MystenLabs/sui crates/sui-keys/src/keystore.rs @ 4e98047d).
		await writeFile(keystore, JSON.stringify([entry(ed, 0), entry(k1, 1)], null, 2));
		await writeFile(
			path.join(dir, 'sui.aliases'),
			JSON.stringify([{ alias: 'amazing-beryl', public_key_base64: 'AA==' }], null, 2),
		);
		// Layout of a client.yaml written by Sui >= 1.63: `---`, `external_keys`, a cached
		// `chain_id` per env, a quoted active address (MystenLabs/sui
		// crates/sui/tests/shell_tests/env_error/client.yaml @ 6d6dc32f).
		await writeFile(
			path.join(dir, 'client.yaml'),
			[
				'---',
				'keystore:',
				`  File: ${keystore}`,
				'external_keys: ~',
				'envs:',
				'  - alias: testnet',
				'    rpc: "https://fullnode.testnet.sui.io:443"',
				'    ws: ~',
				'    basic_auth: ~',
				'    chain_id: 4c78adac',
				'  - alias: local',
				'    rpc: "http://127.0.0.1:9000"',
				'    ws: ~',
				'    basic_auth: ~',
				'    chain_id: 1a2b3c4d',
				'active_env: testnet',
				`active_address: "${k1.toSuiAddress()}"`,
				'',
			].join('\n'),
		);
		const signer = await loadSigner({ env: { SUI_CONFIG_DIR: dir } });
		expect(signer.toSuiAddress()).toBe(k1.toSuiAddress());
	});

	it('writes the localnet client.yaml with the keys Sui reads', () => {
		const doc = parseYaml(renderClientYaml('/p/.localnet/sui-config', 'http://127.0.0.1:9000')) as {
			envs: Record<string, unknown>[];
		} & Record<string, unknown>;
		// SuiClientConfig: keystore, envs (alias, rpc, ws, basic_auth), active_env, active_address;
		// external_keys and chain_id are optional (client-old-no-external-keys.yaml @ 6d21ec84).
		expect(Object.keys(doc).sort()).toEqual(['active_address', 'active_env', 'envs', 'keystore']);
		expect(doc['keystore']).toEqual({ File: '/p/.localnet/sui-config/sui.keystore' });
		expect(Object.keys(doc.envs[0] ?? {}).sort()).toEqual(['alias', 'basic_auth', 'rpc', 'ws']);
		expect(doc['active_env']).toBe(doc.envs[0]?.['alias']);
	});
});

describe('Published.toml', () => {
	const testnet: Publication = {
		chainId: '4c78adac',
		publishedAt: id('d1'),
		originalId: id('a1'),
		version: 3,
		toolchainVersion: '1.71.1',
		buildConfig: { flavor: 'sui', edition: '2024' },
		upgradeCapability: id('c1'),
	};
	// As `sui client publish` writes it: header, then per environment chain-id, published-at,
	// original-id, version, toolchain-version, build-config, upgrade-capability (MystenLabs/sui
	// external-crates/move/crates/move-package-alt/src/schema/pubfile.rs @ 171476a1;
	// crates/sui/tests/shell_tests/with_network/publish_upgrade/publish.snap @ 0452dcbd).
	const cliWritten = [
		'# Generated by Move',
		'# This file contains metadata about published versions of this package in different environments',
		'# This file SHOULD be committed to source control',
		'',
		'[published.testnet]',
		'chain-id = "4c78adac"',
		`published-at = "${id('d1')}"`,
		`original-id = "${id('a1')}"`,
		'version = 3',
		'toolchain-version = "1.71.1"',
		'build-config = { flavor = "sui", edition = "2024" }',
		`upgrade-capability = "${id('c1')}"`,
		'',
	].join('\n');

	it('renders a publication byte for byte as the CLI does', () => {
		expect(withPublication(undefined, 'testnet', testnet)).toBe(cliWritten);
		expect(withPublication(cliWritten, 'testnet', testnet)).toBe(cliWritten);
		expect(parsePublishedToml(cliWritten, 'Published.toml').get('testnet')).toEqual(testnet);
	});

	it("reads a file with only Mysten's minimal fields and keeps it when adding an environment", () => {
		// Mysten's own move/seal/Published.toml carries chain-id, ids and version only
		// (MystenLabs/seal move/seal/Published.toml @ 021985eb).
		const minimal = [
			'# Generated by Move',
			'# This file contains metadata about published versions of this package in different environments',
			'# This file SHOULD be committed to source control',
			'',
			'[published.testnet]',
			'chain-id = "4c78adac"',
			`published-at = "${id('0e')}"`,
			`original-id = "${id('0f')}"`,
			'version = 6',
			'',
		].join('\n');
		expect(parsePublishedToml(minimal, 'Published.toml').get('testnet')).toEqual({
			chainId: '4c78adac',
			publishedAt: id('0e'),
			originalId: id('0f'),
			version: 6,
		});
		const mainnet: Publication = { ...testnet, chainId: '35834a8a', version: 1 };
		const both = withPublication(minimal, 'mainnet', mainnet);
		// mainnet sorts before testnet; the testnet table is untouched.
		expect(both.indexOf('[published.mainnet]')).toBeLessThan(both.indexOf('[published.testnet]'));
		expect(both).toContain(minimal.slice(minimal.indexOf('[published.testnet]')));
		const read = parsePublishedToml(both, 'Published.toml');
		expect(read.get('mainnet')).toEqual(mainnet);
		expect(read.get('testnet')?.version).toBe(6);
	});

	it('accepts the vanilla layout of the move-package-alt round-trip test', () => {
		// pubfile.rs `parse_render_pubfile`: build-config keys in the other order, no metadata.
		const vanilla = `[published.mainnet]\nchain-id = "35834a8a"\npublished-at = "0x${'0'.repeat(60)}cccc"\noriginal-id = "0x${'0'.repeat(60)}cc00"\nbuild-config = { edition = "2024", flavor = "vanilla" }\n`;
		expect(parsePublishedToml(vanilla, 'P').get('mainnet')).toMatchObject({
			publishedAt: `0x${'0'.repeat(60)}cccc`,
			buildConfig: { flavor: 'vanilla', edition: '2024' },
		});
	});

	it('names the file and field of a malformed record', () => {
		expect(() => parsePublishedToml('[published.testnet\n', 'move/Published.toml')).toThrow(
			DeploymentRecordError,
		);
		expect(() =>
			parsePublishedToml(
				'[published.testnet]\nchain-id = "4c78adac"\npublished-at = "nope"\noriginal-id = "0x1"\n',
				'move/Published.toml',
			),
		).toThrow(/move\/Published\.toml.*published\.testnet\.published-at/);
	});
});

describe('Pub.<env>.toml (ephemeral publications)', () => {
	// ParsedEphemeralPubs: header, build-env, chain-id, then [[published]] entries with an
	// absolute `source = { local = … }` (MystenLabs/sui external-crates/move/crates/
	// move-package-alt/src/schema/localpubs.rs @ 052f8c51, `parse_render_publocal`).
	it('reads the CLI layout, and our entries read back the same', () => {
		const cli = [
			'# generated by Move',
			'# this file contains metadata from ephemeral publications',
			'# this file should not be committed to source control',
			'',
			'build-env = "testnet"',
			'chain-id = "1a2b3c4d"',
			'',
			'[[published]]',
			'source = { local = "/home/dev/deps/a" }',
			`published-at = "${id('0a')}"`,
			`original-id = "${id('0a')}"`,
			'version = 1',
			'build-config = { edition = "2024", flavor = "sui" }',
			'',
		].join('\n');
		const parsed = parseEphemeralPubs(cli, 'Pub.localnet.toml');
		expect(parsed).toEqual({
			buildEnv: 'testnet',
			chainId: '1a2b3c4d',
			published: [
				{
					source: '/home/dev/deps/a',
					chainId: '1a2b3c4d',
					publishedAt: id('0a'),
					originalId: id('0a'),
					version: 1,
					buildConfig: { flavor: 'sui', edition: '2024' },
				},
			],
		});
		const ours: Publication = {
			chainId: '1a2b3c4d',
			publishedAt: id('0b'),
			originalId: id('0b'),
			version: 1,
			toolchainVersion: '1.71.1',
			buildConfig: { flavor: 'sui', edition: '2024' },
			upgradeCapability: id('0c'),
		};
		const text = withEphemeralPublication(undefined, 'testnet', '/repo/move', ours, 'P');
		expect(text.split('\n').slice(0, 6)).toEqual([
			'# generated by Move',
			'# this file contains metadata from ephemeral publications',
			'# this file should not be committed to source control',
			'',
			'build-env = "testnet"',
			'chain-id = "1a2b3c4d"',
		]);
		expect(parseEphemeralPubs(text, 'P').published).toEqual([{ ...ours, source: '/repo/move' }]);
		// A regenesis (new chain id) starts the file afresh.
		const next = withEphemeralPublication(
			text,
			'testnet',
			'/repo/move',
			{ ...ours, chainId: 'ffff0000' },
			'P',
		);
		expect(parseEphemeralPubs(next, 'P')).toMatchObject({
			chainId: 'ffff0000',
			published: [{ chainId: 'ffff0000' }],
		});
	});
});

describe('faucet replies (POST /v2/gas)', () => {
	// FaucetResponse { status: Success | Failure(FaucetError), coins_sent: Option<Vec<CoinInfo>> },
	// CoinInfo camelCase { amount, id, transferTxDigest } (MystenLabs/sui
	// crates/sui-faucet/src/types.rs @ e85a4c51); @mysten/sui's requestSuiFromFaucetV2 reads it.
	const address = id('ad');
	const balanceClient = (balance: string) =>
		({
			core: { getBalance: vi.fn(async () => ({ balance: { balance } })) },
		}) as unknown as SuiClient;

	it('funds on Success and waits for the balance', async () => {
		const fetchMock = vi.fn(
			async () =>
				new Response(
					JSON.stringify({
						status: 'Success',
						coins_sent: [
							{
								amount: 10_000_000_000,
								id: id('c0'),
								transferTxDigest: 'Gsk8HWbBx8HhWqQnGrCpdeNC6QX7tk2VaNhP3LTsmvxr',
							},
						],
					}),
					{ status: 201, headers: { 'content-type': 'application/json' } },
				),
		);
		vi.stubGlobal('fetch', fetchMock);
		await fundFromFaucet({
			client: balanceClient('10000000000'),
			faucetUrl: 'http://127.0.0.1:9123/gas',
			address,
		});
		const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
		expect(url).toBe('http://127.0.0.1:9123/v2/gas');
		expect(JSON.parse(String(init.body))).toEqual({ FixedAmountRequest: { recipient: address } });
	});

	it("reports a Failure as a LocalnetError with the faucet's reason", async () => {
		vi.stubGlobal(
			'fetch',
			vi.fn(
				async () =>
					new Response(
						JSON.stringify({
							status: { Failure: { internal: 'Faucet does not have enough balance' } },
							coins_sent: null,
						}),
						{ status: 500, headers: { 'content-type': 'application/json' } },
					),
			),
		);
		const failure = fundFromFaucet({
			client: balanceClient('0'),
			faucetUrl: 'http://127.0.0.1:9123/gas',
			address,
		});
		await expect(failure).rejects.toThrow(LocalnetError);
		await expect(failure).rejects.toThrow(/enough balance/);
	});
});

describe("Mysten's key-server YAML", () => {
	// KeyServerOptions rejects unknown fields (its test `unknown_option ... is_err`); the fields it
	// knows, and the tagged forms `network: !Devnet { seal_package }` and
	// `server_mode: !Open { key_server_object_id }` (MystenLabs/seal
	// crates/key-server/src/key_server_options.rs @ ddc7e5d6).
	const KNOWN = new Set([
		'network',
		'node_url',
		'server_mode',
		'ts_sdk_version_requirement',
		'rust_sdk_version_requirement',
		'python_sdk_version_requirement',
		'aggregator_version_requirement',
		'metrics_host_port',
		'rgp_update_interval',
		'allowed_staleness',
		'session_key_ttl_max',
		'rpc_config',
		'metrics_push_config',
		'enable_event_monitoring',
	]);

	it('writes only fields the key server knows, in its tagged forms', () => {
		const yaml = mystenKeyServerYaml({
			sealPackageId: id('5e'),
			nodeUrl: 'http://127.0.0.1:9000',
			keyServerObjectId: id('4b'),
			metricsPort: 9201,
		});
		const doc = parseDocument(yaml, {
			customTags: [
				{ tag: '!Devnet', collection: 'map', identify: () => false },
				{ tag: '!Open', collection: 'map', identify: () => false },
			],
		});
		expect(doc.errors).toEqual([]);
		const js = doc.toJS() as Record<string, Record<string, unknown>>;
		for (const key of Object.keys(js)) expect(KNOWN.has(key), key).toBe(true);
		expect(Object.keys(js['network'] ?? {})).toEqual(['seal_package']);
		expect(Object.keys(js['server_mode'] ?? {})).toEqual(['key_server_object_id']);
		expect(yaml).toMatch(/^network: !Devnet$/m);
		expect(yaml).toMatch(/^server_mode: !Open$/m);
	});
});

describe('Published.toml written by hand', () => {
	it('replaces an environment whose build-config is a separate sub-table', () => {
		const handWritten = `[published.testnet]\nchain-id = "4c78adac"\npublished-at = "${id('01')}"\noriginal-id = "${id('01')}"\n\n[published.testnet.build-config]\nflavor = "sui"\nedition = "2024"\n`;
		const next = withPublication(handWritten, 'testnet', {
			chainId: '4c78adac',
			publishedAt: id('02'),
			originalId: id('01'),
			version: 2,
			toolchainVersion: '1.71.1',
			buildConfig: { flavor: 'sui', edition: '2024' },
			upgradeCapability: id('03'),
		});
		expect(next).not.toContain('[published.testnet.build-config]');
		expect(parsePublishedToml(next, 'P').get('testnet')?.publishedAt).toBe(id('02'));
	});
});
