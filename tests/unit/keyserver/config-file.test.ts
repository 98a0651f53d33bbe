/**
 * Mysten's key-server-config.yaml drives our server too. Shapes follow MystenLabs/seal
 * crates/key-server/key-server-config.yaml and the `test_parse_open_config` cases in
 * crates/key-server/src/key_server_options.rs (ddc7e5d6).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSettings } from '../../../scripts/commands/keyserver.js';
import { InvalidInputError } from '../../../ts/errors.js';
import {
	parseDuration,
	parseKeyServerConfig,
	SEAL_PACKAGE_BY_NETWORK,
} from '../../../ts/keyserver/config-file.js';
import { mystenKeyServerYaml } from '../../../ts/localnet/keyserver-config.js';
import { silentLogger } from '../../../ts/logger.js';

const pad = (hex: string) => `0x${hex.padStart(64, '0')}`;

describe('key-server-config.yaml', () => {
	it('reads an Open-mode Mainnet file with durations and a metrics port (upstream test shape)', () => {
		const config = parseKeyServerConfig(
			[
				'network: Mainnet',
				"ts_sdk_version_requirement: '>=0.2.7'",
				'metrics_host_port: 1234',
				'server_mode: !Open',
				"  key_server_object_id: '0x0000000000000000000000000000000000000000000000000000000000000002'",
				"rgp_update_interval: '5s'",
				"allowed_staleness: '2s'",
				"session_key_ttl_max: '60m'",
			].join('\n'),
		);
		expect(config).toEqual({
			network: 'Mainnet',
			sealPackageId: SEAL_PACKAGE_BY_NETWORK.Mainnet,
			nodeUrl: 'https://fullnode.mainnet.sui.io:443',
			keyServerObjectId: pad('2'),
			metricsPort: 1234,
			allowedStalenessMs: 2000,
			sessionKeyTtlMaxMinutes: 60,
			rgpUpdateIntervalMs: 5000,
			ignored: ['ts_sdk_version_requirement'],
		});
	});

	it('applies Mysten defaults; !Devnet carries its Seal package; short object ids are padded', () => {
		const config = parseKeyServerConfig(
			"network: !Devnet\n  seal_package: '0x7'\nserver_mode: !Open\n  key_server_object_id: '0x0'\n",
		);
		expect(config.network).toBe('Devnet');
		expect(config.sealPackageId).toBe(pad('7'));
		expect(config.keyServerObjectId).toBe(pad('0'));
		expect(config.nodeUrl).toBe('https://fullnode.devnet.sui.io:443');
		expect(config.metricsPort).toBe(9184);
		expect(config.allowedStalenessMs).toBe(120_000);
		expect(config.sessionKeyTtlMaxMinutes).toBe(30);
		expect(config.rgpUpdateIntervalMs).toBe(60_000);
	});

	it('takes node_url from NODE_URL when the file has none, and refuses both at once', () => {
		const base = "network: Testnet\nserver_mode: !Open\n  key_server_object_id: '0x1'\n";
		expect(parseKeyServerConfig(base, { NODE_URL: 'http://n:9000' }).nodeUrl).toBe('http://n:9000');
		expect(() =>
			parseKeyServerConfig(`${base}node_url: http://a:1\n`, { NODE_URL: 'http://n:9000' }),
		).toThrow(/both/);
	});

	it('refuses an unknown server mode with one line naming the three it knows', () => {
		// Open here; Permissioned: tests/unit/keyserver/permissioned-config.test.ts; Committee:
		// tests/unit/keyserver/committee-config.test.ts.
		for (const mode of ['Closed', 'open']) {
			let error: unknown;
			try {
				parseKeyServerConfig(`network: Testnet\nserver_mode: !${mode}\n  client_configs: []\n`);
			} catch (caught) {
				error = caught;
			}
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as Error).message).toMatch(/'!Open'.*'!Permissioned'.*'!Committee'/);
			expect((error as Error).message).not.toContain('\n');
		}
	});

	it('refuses a bad network, object id, port or duration, and repeated keys', () => {
		const ok = "server_mode: !Open\n  key_server_object_id: '0x1'\n";
		for (const bad of [
			`network: Localnet\n${ok}`,
			`network: !Devnet\n${ok}`,
			"network: Testnet\nserver_mode: !Open\n  key_server_object_id: 'xyz'\n",
			`network: Testnet\n${ok}metrics_host_port: 70000\n`,
			`network: Testnet\n${ok}allowed_staleness: soon\n`,
			`network: Testnet\n${ok}session_key_ttl_max: 90s\n`,
			`network: Testnet\nnetwork: Mainnet\n${ok}`,
			'network: Testnet\n',
		]) {
			expect(() => parseKeyServerConfig(bad), bad).toThrow(InvalidInputError);
		}
	});

	it('names the field and the fix for each refusal, in one line', () => {
		const open = "server_mode: !Open\n  key_server_object_id: '0x1'\n";
		const net = 'network: Testnet\n';
		const cases: [string, RegExp][] = [
			['network: [\n', /not valid YAML/],
			['- a\n- b\n', /mapping at the top level/],
			[open, /network is required/],
			[`network: Localnet\n${open}`, /got 'Localnet'/],
			[`network: !Devnet\n${open}`, /!Devnet needs seal_package/],
			[`network: !Devnet\n  seal_package: '7'\n${open}`, /network\.seal_package must be/],
			[net, /server_mode must be '!Open'/],
			[`${net}server_mode:\n  key_server_object_id: '0x1'\n`, /server_mode must be '!Open'/],
			[`${net}server_mode: !Open x\n`, /server_mode must be '!Open'/],
			[`${net}server_mode: !Open\n  other: 1\n`, /key_server_object_id must be an object id/],
			[`${net}server_mode: !Open\n  key_server_object_id:\n`, /key_server_object_id must be/],
			[`${net}server_mode: !Open\n  key_server_object_id: [1]\n`, /key_server_object_id must be/],
			[`${net}server_mode: !Open\n  key_server_object_id: '0x1g'\n`, /key_server_object_id must/],
			[`${net}server_mode: !Open\n  key_server_object_id: ' 0x1'\n`, /key_server_object_id must/],
			[`${net}server_mode: !Open\n  key_server_object_id: '0x${'1'.repeat(65)}'\n`, /object id/],
			[`${net}${open}node_url: 5\n`, /node_url must be a string/],
			[`${net}${open}node_url: [a]\n`, /node_url must be a string/],
			[`${net}${open}node_url: not a url\n`, /node_url 'not a url' is not a URL/],
			[
				`${net}${open}metrics_host_port: -1\n`,
				/metrics_host_port must be an integer in 0\.\.65535/,
			],
			[`${net}${open}metrics_host_port: 65536\n`, /metrics_host_port must be an integer/],
			[`${net}${open}metrics_host_port: 1.5\n`, /metrics_host_port must be an integer/],
			[`${net}${open}metrics_host_port: '80'\n`, /metrics_host_port must be an integer/],
			[`${net}${open}metrics_host_port: [80]\n`, /metrics_host_port must be an integer/],
			[`${net}${open}session_key_ttl_max: 90s\n`, /whole, positive number of minutes/],
			[`${net}${open}session_key_ttl_max: 0m\n`, /whole, positive number of minutes/],
			[`${net}${open}allowed_staleness: -1\n`, /allowed_staleness must be a duration/],
			[`${net}${open}allowed_staleness: 1.5\n`, /allowed_staleness must be a duration/],
			[`${net}${open}allowed_staleness: [1]\n`, /allowed_staleness must be a duration/],
			[`${net}${open}rgp_update_interval: soon\n`, /rgp_update_interval must be a duration/],
		];
		for (const [text, message] of cases) {
			let error: unknown;
			try {
				parseKeyServerConfig(text);
			} catch (caught) {
				error = caught;
			}
			expect(error, text).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).field, text).toBe('config');
			expect((error as Error).message, text).toMatch(message);
			expect((error as Error).message, text).not.toContain('\n');
		}
	});

	it('accepts the edges: port 0 and 65535, bare seconds, tagged networks, upper-case ids', () => {
		const base = (extra: string) =>
			parseKeyServerConfig(
				`network: !Testnet\nserver_mode: !Open\n  key_server_object_id: '0xAB'\n${extra}`,
			);
		expect(base('').network).toBe('Testnet');
		expect(base('').keyServerObjectId).toBe(pad('ab'));
		expect(base('metrics_host_port: 0\n').metricsPort).toBe(0);
		expect(base('metrics_host_port: 65535\n').metricsPort).toBe(65_535);
		expect(base('allowed_staleness: 5\n').allowedStalenessMs).toBe(5000);
		expect(base('allowed_staleness: 0\n').allowedStalenessMs).toBe(0);
		expect(base('rgp_update_interval: 1d\n').rgpUpdateIntervalMs).toBe(86_400_000);
		expect(base('session_key_ttl_max: 2min\n').sessionKeyTtlMaxMinutes).toBe(2);
		expect(base('node_url:\n').nodeUrl).toBe('https://fullnode.testnet.sui.io:443');
		expect(base('node_url: http://a:1\n').nodeUrl).toBe('http://a:1');
		expect(
			parseKeyServerConfig(
				`network: Testnet\nserver_mode: !Open\n  key_server_object_id: '0x1'\nnode_url: http://a:1\n`,
				{ NODE_URL: '' },
			).nodeUrl,
		).toBe('http://a:1');
		expect(
			base('rpc_config: {}\nenable_event_monitoring: true\nts_sdk_version_requirement: x\n')
				.ignored,
		).toEqual(['ts_sdk_version_requirement', 'rpc_config', 'enable_event_monitoring']);
		expect(base('').ignored).toEqual([]);
	});

	it('parses duration_str forms', () => {
		expect(parseDuration('  5s ')).toBe(5000);
		expect(parseDuration('1h  +  30m')).toBe(5_400_000);
		expect(parseDuration('1min')).toBe(60_000);
		expect(parseDuration(' 7 ')).toBe(7000);
		expect(parseDuration('x5s')).toBeUndefined();
		expect(parseDuration('5sx')).toBeUndefined();
		expect(parseDuration('5 s')).toBeUndefined();
		expect(parseDuration('+')).toBeUndefined();
		expect(parseDuration('x7')).toBeUndefined();
		expect(parseDuration('7x')).toBeUndefined();
		expect(parseDuration('5s')).toBe(5000);
		expect(parseDuration('2m')).toBe(120_000);
		expect(parseDuration('100ms')).toBe(100);
		expect(parseDuration('1h 30m')).toBe(5_400_000);
		expect(parseDuration('1h+30m')).toBe(5_400_000);
		expect(parseDuration('60')).toBe(60_000);
		expect(parseDuration('5 parsecs')).toBeUndefined();
		expect(parseDuration('')).toBeUndefined();
	});

	it('reads back what `localnet up` writes for both servers', () => {
		const seal = pad('5e'.repeat(32));
		const object = pad('ab'.repeat(32));
		const config = parseKeyServerConfig(
			mystenKeyServerYaml({
				sealPackageId: seal,
				nodeUrl: 'http://127.0.0.1:9000',
				keyServerObjectId: object,
				metricsPort: 9201,
			}),
		);
		expect(config).toMatchObject({
			network: 'Devnet',
			sealPackageId: seal,
			keyServerObjectId: object,
			nodeUrl: 'http://127.0.0.1:9000',
			metricsPort: 9201,
			ignored: ['enable_event_monitoring'],
		});
	});
});

describe('keyserver start settings', () => {
	it('--config (or CONFIG_PATH) fills the server settings; PORT comes from the environment', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'ks-config-'));
		onTestFinished(() => rm(dir, { recursive: true, force: true }));
		const file = join(dir, 'key-server-config.yaml');
		await writeFile(
			file,
			"network: !Devnet\n  seal_package: '0x7'\nnode_url: http://127.0.0.1:9000\nserver_mode: !Open\n  key_server_object_id: '0x2'\nmetrics_host_port: 9300\nsession_key_ttl_max: 10m\n",
		);
		const fromEnv = await startSettings({}, { CONFIG_PATH: file, PORT: '2100' }, silentLogger);
		expect(fromEnv).toEqual({
			objectId: pad('2'),
			nodeUrl: 'http://127.0.0.1:9000',
			sealPackageId: pad('7'),
			port: 2100,
			ttlMaxMinutes: 10,
			metricsPort: 9300,
			allowedStalenessMs: 120_000,
			rgpUpdateIntervalMs: 60_000,
			network: 'devnet',
		});
		const flags = await startSettings(
			{ config: file, port: '2200', 'metrics-port': 'off' },
			{ PORT: '2100' },
			silentLogger,
		);
		expect(flags.port).toBe(2200);
		expect(flags.metricsPort).toBeUndefined();
		await expect(
			startSettings({ config: file, 'object-id': '0x3' }, {}, silentLogger),
		).rejects.toThrow(/cannot be combined with --config/);
		await expect(
			startSettings({ config: join(dir, 'missing.yaml') }, {}, silentLogger),
		).rejects.toThrow(/cannot read/);
	});

	it('without a config file, flags and defaults: port 2024, metrics 9184, TTL 30', async () => {
		const settings = await startSettings(
			{ 'object-id': pad('2'), 'node-url': 'http://n:9000' },
			{},
			silentLogger,
		);
		expect(settings).toMatchObject({ port: 2024, metricsPort: 9184, ttlMaxMinutes: 30 });
		// The network served decides where MVR names resolve (mainnet/testnet only).
		expect(settings.network).toBe('localnet');
		const onTestnet = await startSettings(
			{ 'object-id': pad('2'), 'node-url': 'http://n:9000', network: 'testnet' },
			{},
			silentLogger,
		);
		expect(onTestnet.network).toBe('testnet');
		await expect(startSettings({ 'node-url': 'http://n' }, {}, silentLogger)).rejects.toThrow(
			/object-id/,
		);
		await expect(
			startSettings(
				{ 'object-id': pad('2'), 'node-url': 'http://n', port: '70000' },
				{},
				silentLogger,
			),
		).rejects.toThrow(/port/);
		// The flag takes ids as every other command does (the config file keeps Mysten's short form).
		await expect(
			startSettings({ 'object-id': '0x2', 'node-url': 'http://n' }, {}, silentLogger),
		).rejects.toThrow('--object-id: expected 0x followed by exactly 64 hex digits');
	});
});
