import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { describeConfig, loadConfig } from '../../ts/config.js';
import {
	ConfigError,
	ConfigFileError,
	DuplicateKeyServerError,
	InvalidIdError,
	MissingKeyServersError,
	ThresholdConfigError,
	UnknownNetworkError,
} from '../../ts/errors.js';

const A = `0x${'a1'.repeat(32)}`;
const B = `0x${'b2'.repeat(32)}`;
const C = `0x${'c3'.repeat(32)}`;
const PKG = `0x${'99'.repeat(32)}`;
const SECRET = 'sk-live-DO-NOT-PRINT-42';

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workspace(files: { yaml?: string; dotenv?: string } = {}): string {
	const dir = mkdtempSync(join(tmpdir(), 'seal-config-'));
	dirs.push(dir);
	if (files.yaml !== undefined) writeFileSync(join(dir, 'config.yaml'), files.yaml);
	if (files.dotenv !== undefined) writeFileSync(join(dir, '.env'), files.dotenv);
	return dir;
}

function load(cwd: string, env: NodeJS.ProcessEnv = {}, extra = {}) {
	return loadConfig({ cwd, env, ...extra });
}

function catchError(run: () => unknown): ConfigError {
	try {
		run();
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigError);
		return error as ConfigError;
	}
	throw new Error('expected a ConfigError');
}

describe('defaults and presets', () => {
	it('with nothing configured: localnet preset, no servers, no threshold', () => {
		const config = load(workspace());
		expect(config.network).toBe('localnet');
		expect(config.rpcUrl).toBe('http://127.0.0.1:9000');
		expect(config.faucetUrl).toBe('http://127.0.0.1:9123/gas');
		expect(config.seal.servers).toEqual([]);
		expect(config.seal.threshold).toBeUndefined();
		expect(config.sources['network']).toBe('preset');
	});

	it('testnet: Mysten open key servers with threshold 2 from the preset', () => {
		const config = load(workspace(), { SUI_NETWORK: 'testnet' });
		expect(config.seal.servers.map((s) => s.objectId)).toEqual([
			'0x73d05d62c18d9374e3ea529e8e0ed6161da1a141a94d3f76ae3fe4e99356db75',
			'0xf5d14a81a982144ae441cd7d64b09027f116a468bd36e7eca494f750591623c8',
		]);
		expect(config.seal.threshold).toBe(2);
		expect(config.sources['seal.servers']).toBe('preset');
		expect(config.sources['seal.threshold']).toBe('preset');
		expect(config.rpcUrl).toBe('https://fullnode.testnet.sui.io:443');
	});

	it('returns a frozen config', () => {
		const config = load(workspace(), { SUI_NETWORK: 'testnet' });
		expect(Object.isFrozen(config)).toBe(true);
		expect(Object.isFrozen(config.seal.servers[0])).toBe(true);
	});
});

describe('precedence: presets < config.yaml < .env < env', () => {
	const yaml = `network: devnet\nrpcUrl: http://yaml.example:9000\nseal:\n  threshold: 1\n  serverIds: ["${A}"]\n`;
	const dotenv = `SUI_NETWORK=testnet\nSUI_RPC_URL=http://dotenv.example:9000\n`;

	it('env beats .env beats config.yaml', () => {
		const cwd = workspace({ yaml, dotenv });
		const config = load(cwd, { SUI_NETWORK: 'mainnet' });
		expect(config.network).toBe('mainnet');
		expect(config.sources['network']).toBe('env');
		expect(config.rpcUrl).toBe('http://dotenv.example:9000');
		expect(config.sources['rpcUrl']).toBe('.env');
		expect(config.seal.servers).toEqual([{ objectId: A, weight: 1 }]);
		expect(config.sources['seal.servers']).toBe('config.yaml');
	});

	it('.env beats config.yaml when env is silent; empty env values count as unset', () => {
		const config = load(workspace({ yaml, dotenv }), { SUI_NETWORK: '' });
		expect(config.network).toBe('testnet');
		expect(config.sources['network']).toBe('.env');
	});

	it('config.yaml beats the preset; preset threshold is not applied to configured servers', () => {
		const config = load(workspace({ yaml }));
		expect(config.network).toBe('devnet');
		expect(config.rpcUrl).toBe('http://yaml.example:9000');
		expect(config.seal.threshold).toBe(1);
	});

	it('does not mutate the env object or process.env', () => {
		const env = { SUI_NETWORK: 'devnet' };
		const before = process.env['SUI_RPC_URL'];
		load(workspace({ dotenv }), env);
		expect(env).toEqual({ SUI_NETWORK: 'devnet' });
		expect(process.env['SUI_RPC_URL']).toBe(before);
	});

	it('SEAL_SERVER_IDS replaces the yaml list but keeps yaml details for ids it names', () => {
		const cwd = workspace({
			yaml: `seal:\n  threshold: 2\n  servers:\n    - objectId: "${A}"\n      weight: 2\n      apiKeyName: X-API-Key\n      apiKey: ${SECRET}\n    - objectId: "${B}"\n`,
		});
		const config = load(cwd, {
			SEAL_SERVER_IDS: ` ${C.toUpperCase().replace('0X', '0x')}, ${A} ,`,
		});
		expect(config.seal.servers).toEqual([
			{ objectId: C, weight: 1 },
			{ objectId: A, weight: 2, apiKeyName: 'X-API-Key', apiKey: SECRET },
		]);
		expect(config.sources['seal.servers']).toBe('env');
	});

	it('SEAL_THRESHOLD and SEAL_POLICY_* come from env', () => {
		const config = load(workspace(), {
			SEAL_SERVER_IDS: `${A},${B}`,
			SEAL_THRESHOLD: '2',
			SEAL_POLICY_PACKAGE: PKG.toUpperCase().replace('0X', '0x'),
			SEAL_POLICY_OBJECT: B,
		});
		expect(config.seal.threshold).toBe(2);
		expect(config.seal.policyPackage).toBe(PKG);
		expect(config.seal.policyObject).toBe(B);
		expect(config.sources['seal.policyPackage']).toBe('env');
	});
});

describe('config file location', () => {
	it('a missing default ./config.yaml is fine', () => {
		expect(() => load(workspace())).not.toThrow();
	});

	it('a missing explicit --config file is a ConfigFileError', () => {
		const cwd = workspace();
		expect(() => load(cwd, {}, { configPath: 'nope.yaml' })).toThrow(ConfigFileError);
		expect(() => load(cwd, { SEAL_CONFIG: 'nope.yaml' })).toThrow(ConfigFileError);
	});

	it('SEAL_CONFIG points at another file (relative to cwd)', () => {
		const cwd = workspace();
		writeFileSync(join(cwd, 'other.yaml'), 'network: devnet\n');
		expect(load(cwd, { SEAL_CONFIG: 'other.yaml' }).network).toBe('devnet');
		expect(load(cwd, {}, { configPath: join(cwd, 'other.yaml') }).network).toBe('devnet');
	});
});

describe('validation: one typed error per problem, naming field and source', () => {
	it('unknown network', () => {
		const error = catchError(() => load(workspace(), { SUI_NETWORK: 'moonnet' }));
		expect(error).toBeInstanceOf(UnknownNetworkError);
		expect(error.field).toBe('network');
		expect(error.source).toBe('env');
	});

	it('malformed ids (config.yaml and env)', () => {
		let error = catchError(() => load(workspace({ yaml: `seal:\n  serverIds: ["0x2"]\n` })));
		expect(error).toBeInstanceOf(InvalidIdError);
		expect(error.field).toBe('seal.serverIds[0]');
		expect(error.source).toBe('config.yaml');
		error = catchError(() => load(workspace(), { SEAL_POLICY_PACKAGE: 'a1'.repeat(32) }));
		expect(error).toBeInstanceOf(InvalidIdError);
		expect(error.field).toBe('seal.policyPackage');
		expect(error.source).toBe('env');
	});

	it('duplicate servers (also after normalisation)', () => {
		const error = catchError(() =>
			load(workspace(), { SEAL_SERVER_IDS: `${A},${A.replace('a1', 'A1')}`, SEAL_THRESHOLD: '1' }),
		);
		expect(error).toBeInstanceOf(DuplicateKeyServerError);
		expect(error.source).toBe('env');
	});

	for (const [value, why] of [
		['abc', 'not a number'],
		['0', '< 1'],
		['1.5', 'not an integer'],
		['-1', 'negative'],
	] as const) {
		it(`threshold ${value} (${why})`, () => {
			const error = catchError(() =>
				load(workspace(), { SEAL_SERVER_IDS: `${A},${B}`, SEAL_THRESHOLD: value }),
			);
			expect(error).toBeInstanceOf(ThresholdConfigError);
			expect(error.field).toBe('seal.threshold');
			expect(error.source).toBe('env');
		});
	}

	it('threshold above the total weight (weights count)', () => {
		const yaml = `seal:\n  threshold: 4\n  servers:\n    - objectId: "${A}"\n      weight: 2\n    - objectId: "${B}"\n`;
		const error = catchError(() => load(workspace({ yaml })));
		expect(error).toBeInstanceOf(ThresholdConfigError);
		expect(error.message).toMatch(/exceeds the total key-server weight 3/);
		const ok = load(workspace({ yaml: yaml.replace('threshold: 4', 'threshold: 3') }));
		expect(ok.seal.threshold).toBe(3);
	});

	it('requireSeal: empty server list and missing threshold', () => {
		expect(() => load(workspace(), {}, { requireSeal: true })).toThrow(MissingKeyServersError);
		expect(() => load(workspace(), { SEAL_SERVER_IDS: A }, { requireSeal: true })).toThrow(
			ThresholdConfigError,
		);
		expect(
			load(workspace(), { SUI_NETWORK: 'testnet' }, { requireSeal: true }).seal.threshold,
		).toBe(2);
	});

	it('unknown keys, wrong shapes and serverIds + servers together', () => {
		expect(() => load(workspace({ yaml: 'netwrok: testnet\n' }))).toThrow(ConfigFileError);
		expect(() => load(workspace({ yaml: 'seal:\n  treshold: 2\n' }))).toThrow(/seal\.treshold/);
		expect(() => load(workspace({ yaml: 'seal: [1, 2]\n' }))).toThrow(ConfigFileError);
		expect(() =>
			load(
				workspace({ yaml: `seal:\n  serverIds: ["${A}"]\n  servers:\n    - objectId: "${B}"\n` }),
			),
		).toThrow(/either seal.serverIds or seal.servers/);
		expect(() =>
			load(workspace({ yaml: `seal:\n  servers:\n    - objectId: "${B}"\n      weight: 0\n` })),
		).toThrow(/weight/);
		expect(() => load(workspace(), { SUI_RPC_URL: 'ftp://x' })).toThrow(ConfigError);
	});
});

describe('secrets', () => {
	it('describeConfig redacts API keys', () => {
		const yaml = `seal:\n  threshold: 1\n  servers:\n    - objectId: "${A}"\n      apiKeyName: X-API-Key\n      apiKey: ${SECRET}\n`;
		const config = load(workspace({ yaml }));
		expect(config.seal.servers[0]?.apiKey).toBe(SECRET);
		const printed = JSON.stringify(describeConfig(config));
		expect(printed).not.toContain(SECRET);
		expect(printed).toContain('<redacted>');
		expect(printed).toContain('X-API-Key');
	});

	it('error messages never contain an API key', () => {
		const cases = [
			// apiKey without its header name
			`seal:\n  servers:\n    - objectId: "${A}"\n      apiKey: ${SECRET}\n`,
			// invalid YAML on the line holding the key
			`seal:\n  servers:\n    - objectId: "${A}"\n      apiKey: "${SECRET}\n   bad: [\n`,
			// threshold problem in a file that holds a key
			`seal:\n  threshold: 5\n  servers:\n    - objectId: "${A}"\n      apiKeyName: X\n      apiKey: ${SECRET}\n`,
		];
		for (const yaml of cases) {
			const error = catchError(() => load(workspace({ yaml })));
			expect(error.message).not.toContain(SECRET);
			expect(String((error.cause as Error | undefined)?.message ?? '')).not.toContain(SECRET);
		}
	});
});

describe('access log path (auditLog / SEAL_AUDIT_LOG)', () => {
	it('is absent unless configured', () => {
		const config = load(workspace());
		expect(config.auditLog).toBeUndefined();
		expect('auditLog' in config).toBe(false);
		expect(config.sources['auditLog']).toBeUndefined();
	});

	it('comes from config.yaml, resolved against cwd', () => {
		const cwd = workspace({ yaml: 'auditLog: logs/access.jsonl\n' });
		const config = load(cwd);
		expect(config.auditLog).toBe(join(cwd, 'logs/access.jsonl'));
		expect(config.sources['auditLog']).toBe('config.yaml');
		expect(describeConfig(config)['auditLog']).toBe(join(cwd, 'logs/access.jsonl'));
	});

	it('env beats .env beats config.yaml; absolute paths are kept; empty counts as unset', () => {
		const cwd = workspace({
			yaml: 'auditLog: yaml.jsonl\n',
			dotenv: 'SEAL_AUDIT_LOG=dotenv.jsonl\n',
		});
		expect(load(cwd).auditLog).toBe(join(cwd, 'dotenv.jsonl'));
		expect(load(cwd).sources['auditLog']).toBe('.env');
		const fromEnv = load(cwd, { SEAL_AUDIT_LOG: '/var/log/seal/access.jsonl' });
		expect(fromEnv.auditLog).toBe('/var/log/seal/access.jsonl');
		expect(fromEnv.sources['auditLog']).toBe('env');
		expect(load(cwd, { SEAL_AUDIT_LOG: '  ' }).auditLog).toBe(join(cwd, 'dotenv.jsonl'));
	});

	it('rejects a non-string yaml value naming the field', () => {
		const error = catchError(() => load(workspace({ yaml: 'auditLog: [a, b]\n' })));
		expect(error).toBeInstanceOf(ConfigFileError);
		expect(error.message).toContain('auditLog');
	});
});

describe('shipped examples', () => {
	it('config.example.yaml and .env.example load and satisfy requireSeal', () => {
		const root = new URL('../../', import.meta.url);
		const cwd = workspace({
			yaml: readFileSync(new URL('config.example.yaml', root), 'utf8'),
			dotenv: readFileSync(new URL('.env.example', root), 'utf8'),
		});
		const config = load(cwd, {}, { requireSeal: true });
		expect(config.network).toBe('testnet');
		expect(config.seal.threshold).toBe(2);
		expect(config.seal.servers).toHaveLength(2);
		// The access log is opt-in: the examples only document it.
		expect(config.auditLog).toBeUndefined();
	});
});

describe('type coercion: only what is documented is accepted', () => {
	const ids = `${A},${B}`;

	it('SEAL_THRESHOLD: a decimal integer string, surrounding spaces allowed', () => {
		expect(load(workspace(), { SEAL_SERVER_IDS: ids, SEAL_THRESHOLD: ' 2 ' }).seal.threshold).toBe(
			2,
		);
		expect(load(workspace(), { SEAL_SERVER_IDS: ids, SEAL_THRESHOLD: '1' }).seal.threshold).toBe(1);
		const many = [
			A,
			B,
			C,
			PKG,
			`0x${'d4'.repeat(32)}`,
			`0x${'e5'.repeat(32)}`,
			`0x${'f6'.repeat(32)}`,
			`0x${'07'.repeat(32)}`,
			`0x${'18'.repeat(32)}`,
			`0x${'29'.repeat(32)}`,
			`0x${'3a'.repeat(32)}`,
			`0x${'4b'.repeat(32)}`,
		];
		expect(
			load(workspace(), { SEAL_SERVER_IDS: many.join(','), SEAL_THRESHOLD: '12' }).seal.threshold,
		).toBe(12);
		for (const bad of ['x2', '2x', '2 x', '0x2', '1e0', '+1', '2.', '', ' ']) {
			const env = { SEAL_SERVER_IDS: ids, SEAL_THRESHOLD: bad };
			if (bad.trim() === '') {
				// Empty means unset: no threshold, not an error.
				expect(load(workspace(), env).seal.threshold).toBeUndefined();
				continue;
			}
			const error = catchError(() => load(workspace(), env));
			expect(error, bad).toBeInstanceOf(ThresholdConfigError);
			expect(error.message).toBe(
				`seal.threshold (from env): threshold must be an integer >= 1 (got ${JSON.stringify(bad.trim())})`,
			);
		}
	});

	it('seal.threshold in YAML: a number, or a numeric string; not a boolean, float or list', () => {
		const servers = `  serverIds: ["${A}", "${B}"]\n`;
		expect(load(workspace({ yaml: `seal:\n  threshold: 2\n${servers}` })).seal.threshold).toBe(2);
		expect(load(workspace({ yaml: `seal:\n  threshold: "2"\n${servers}` })).seal.threshold).toBe(2);
		for (const bad of ['true', '1.5', '[2]', '{a: 1}', '0', '-2', '"two"']) {
			const error = catchError(() =>
				load(workspace({ yaml: `seal:\n  threshold: ${bad}\n${servers}` })),
			);
			expect(error, bad).toBeInstanceOf(ThresholdConfigError);
			expect(error.source).toBe('config.yaml');
		}
		// null is "not set"
		expect(load(workspace({ yaml: `seal:\n  threshold: null\n${servers}` })).seal.threshold).toBe(
			undefined,
		);
	});

	it('server weight: an integer 1..254 (a numeric string is not coerced)', () => {
		const yaml = (weight: string) =>
			`seal:\n  threshold: 1\n  servers:\n    - objectId: "${A}"\n      weight: ${weight}\n`;
		expect(load(workspace({ yaml: yaml('1') })).seal.servers[0]?.weight).toBe(1);
		expect(load(workspace({ yaml: yaml('254') })).seal.servers[0]?.weight).toBe(254);
		for (const bad of ['0', '255', '1.5', '"2"', 'true', 'null', '[1]']) {
			const error = catchError(() => load(workspace({ yaml: yaml(bad) })));
			expect(error, bad).toBeInstanceOf(ConfigFileError);
			expect(error.message).toBe(
				'seal.servers[0].weight (from config.yaml): weight must be an integer from 1 to 254',
			);
		}
	});

	it('string fields: numbers, booleans, lists and blanks are refused; values are trimmed', () => {
		for (const key of ['network', 'rpcUrl', 'faucetUrl', 'auditLog']) {
			for (const bad of ['5', 'true', '[a]', '"  "', '{a: 1}']) {
				const error = catchError(() => load(workspace({ yaml: `${key}: ${bad}\n` })));
				expect(error, `${key}: ${bad}`).toBeInstanceOf(ConfigFileError);
				expect(error.message).toBe(`${key} (from config.yaml): must be a non-empty string`);
			}
		}
		const config = load(
			workspace({ yaml: `network: " testnet "\nrpcUrl: " http://x.example:9000 "\n` }),
		);
		expect(config.network).toBe('testnet');
		expect(config.rpcUrl).toBe('http://x.example:9000');
		for (const key of ['policyPackage', 'policyObject']) {
			const error = catchError(() => load(workspace({ yaml: `seal:\n  ${key}: 7\n` })));
			expect(error).toBeInstanceOf(ConfigFileError);
			expect(error.field).toBe(`seal.${key}`);
		}
		expect(
			load(workspace({ yaml: `seal:\n  policyPackage: " ${PKG} "\n` })).seal.policyPackage,
		).toBe(PKG);
	});

	it('server ids must be strings; optional server strings must be non-empty strings', () => {
		for (const bad of ['5', 'true', 'null', '[1]']) {
			const error = catchError(() => load(workspace({ yaml: `seal:\n  serverIds: [${bad}]\n` })));
			expect(error, bad).toBeInstanceOf(InvalidIdError);
			expect(error.message).toBe(
				'seal.serverIds[0] (from config.yaml): expected a string 0x followed by 64 hex digits',
			);
		}
		expect(() => load(workspace({ yaml: `seal:\n  serverIds: "${A}"\n` }))).toThrow(
			/seal\.serverIds \(from config\.yaml\): must be a list/,
		);
		for (const key of ['aggregatorUrl', 'apiKeyName', 'apiKey']) {
			for (const bad of ['""', '5', 'true', '[a]']) {
				const yaml = `seal:\n  servers:\n    - objectId: "${A}"\n      ${key}: ${bad}\n`;
				const error = catchError(() => load(workspace({ yaml })));
				expect(error, `${key}: ${bad}`).toBeInstanceOf(ConfigFileError);
				expect(error.message).toBe(
					`seal.servers[0].${key} (from config.yaml): must be a non-empty string`,
				);
			}
		}
		const nulls = `seal:\n  servers:\n    - objectId: "${A}"\n      aggregatorUrl: null\n      apiKeyName: null\n      apiKey: null\n`;
		expect(load(workspace({ yaml: nulls })).seal.servers).toEqual([{ objectId: A, weight: 1 }]);
	});

	it('an aggregator URL must be http(s); apiKey and apiKeyName come together', () => {
		const base = `seal:\n  servers:\n    - objectId: "${A}"\n`;
		expect(() => load(workspace({ yaml: `${base}      aggregatorUrl: ftp://x\n` }))).toThrow(
			"seal.servers[0].aggregatorUrl (from config.yaml): 'ftp://x' must be an http:// or https:// URL",
		);
		expect(() => load(workspace({ yaml: `${base}      aggregatorUrl: nope\n` }))).toThrow(
			"seal.servers[0].aggregatorUrl (from config.yaml): 'nope' is not a URL",
		);
		expect(
			load(workspace({ yaml: `${base}      aggregatorUrl: https://agg.example\n` })).seal.servers[0]
				?.aggregatorUrl,
		).toBe('https://agg.example');
		for (const half of ['apiKeyName: X', `apiKey: ${SECRET}`]) {
			expect(() => load(workspace({ yaml: `${base}      ${half}\n` })), half).toThrow(
				/seal\.servers\[0\]\.apiKey .*given together/,
			);
		}
	});

	it('a top level or seal section that is not a mapping is refused; an empty file is nothing', () => {
		for (const yaml of ['[1, 2]\n', '5\n', '"text"\n']) {
			expect(() => load(workspace({ yaml })), yaml).toThrow(
				'(top level) (from config.yaml): must be a mapping (key: value)',
			);
		}
		for (const yaml of ['seal: 5\n', 'seal: [1]\n', 'seal: text\n']) {
			expect(() => load(workspace({ yaml })), yaml).toThrow(
				'seal (from config.yaml): must be a mapping (key: value)',
			);
		}
		expect(load(workspace({ yaml: '' })).network).toBe('localnet');
		expect(load(workspace({ yaml: 'seal: null\n' })).seal.servers).toEqual([]);
		expect(() => load(workspace({ yaml: `seal:\n  servers: ["${A}"]\n` }))).toThrow(
			'seal.servers[0] (from config.yaml): must be a mapping (key: value)',
		);
	});
});

describe('nulls, blanks and sources (mutation survivors)', () => {
	it('null in YAML means "not set" for every optional field', () => {
		const yaml = `network: null\nrpcUrl: null\nfaucetUrl: null\nauditLog: null\nseal:\n  policyPackage: null\n  policyObject: null\n  threshold: null\n  serverIds: null\n  servers:\n    - objectId: "${A}"\n`;
		const config = load(workspace({ yaml }));
		expect(config.network).toBe('localnet');
		expect(config.auditLog).toBeUndefined();
		expect(config.seal.servers).toEqual([{ objectId: A, weight: 1 }]);
		const reversed = `seal:\n  servers: null\n  serverIds: ["${A}"]\n`;
		expect(load(workspace({ yaml: reversed })).seal.servers).toEqual([{ objectId: A, weight: 1 }]);
		expect(() => load(workspace({ yaml: `seal:\n  servers: [null]\n` }))).toThrow(
			'seal.servers[0] (from config.yaml): must be a mapping (key: value)',
		);
	});

	it('ids are trimmed; blank entries of SEAL_SERVER_IDS are skipped', () => {
		expect(load(workspace(), { SEAL_SERVER_IDS: ` ${A} , ,${B} ` }).seal.servers).toEqual([
			{ objectId: A, weight: 1 },
			{ objectId: B, weight: 1 },
		]);
		expect(load(workspace({ yaml: `seal:\n  serverIds: [" ${A} "]\n` })).seal.servers).toEqual([
			{ objectId: A, weight: 1 },
		]);
		const error = catchError(() => load(workspace(), { SEAL_SERVER_IDS: `${A},0x2` }));
		expect(error).toBeInstanceOf(InvalidIdError);
		expect(error.field).toBe('SEAL_SERVER_IDS[1]');
	});

	it('a threshold with no servers is kept (requireSeal reports the missing servers)', () => {
		const config = load(workspace(), { SEAL_THRESHOLD: '2' });
		expect(config.seal.servers).toEqual([]);
		expect(config.seal.threshold).toBe(2);
		expect(config.sources['seal.threshold']).toBe('env');
	});

	it('configured servers without a threshold: no preset threshold, no threshold source', () => {
		const config = load(workspace(), { SUI_NETWORK: 'testnet', SEAL_SERVER_IDS: A });
		expect(config.seal.threshold).toBeUndefined();
		expect(config.sources).toEqual({
			network: 'env',
			rpcUrl: 'preset',
			faucetUrl: 'preset',
			'seal.servers': 'env',
		});
	});

	it('every source is recorded where the value came from', () => {
		const yaml = `rpcUrl: http://r.example\nfaucetUrl: http://f.example\nauditLog: a.jsonl\nseal:\n  policyObject: "${B}"\n  threshold: 1\n  serverIds: ["${A}"]\n`;
		const config = load(workspace({ yaml, dotenv: `SEAL_POLICY_PACKAGE=${PKG}\n` }), {
			SUI_NETWORK: 'devnet',
		});
		expect(config.sources).toEqual({
			network: 'env',
			rpcUrl: 'config.yaml',
			faucetUrl: 'config.yaml',
			auditLog: 'config.yaml',
			'seal.policyPackage': '.env',
			'seal.policyObject': 'config.yaml',
			'seal.servers': 'config.yaml',
			'seal.threshold': 'config.yaml',
		});
		expect(config.faucetUrl).toBe('http://f.example');
		expect(config.seal.policyObject).toBe(B);
		expect(
			load(workspace(), { SUI_FAUCET_URL: 'http://e.example', SEAL_POLICY_OBJECT: B }).sources,
		).toMatchObject({ faucetUrl: 'env', 'seal.policyObject': 'env' });
		expect(() => load(workspace({ yaml: 'faucetUrl: ftp://x\n' }))).toThrow(
			"faucetUrl (from config.yaml): 'ftp://x' must be an http:// or https:// URL",
		);
		expect(() => load(workspace(), { SUI_RPC_URL: 'nope' })).toThrow(
			"rpcUrl (from env): 'nope' is not a URL",
		);
	});

	it('describeConfig: nulls for unset fields, optional server fields only when set', () => {
		const bare = describeConfig(load(workspace(), { SEAL_SERVER_IDS: A }));
		expect(bare).toEqual({
			network: 'localnet',
			rpcUrl: expect.any(String),
			faucetUrl: expect.any(String),
			auditLog: null,
			seal: {
				policyPackage: null,
				policyObject: null,
				threshold: null,
				servers: [{ objectId: A, weight: 1 }],
			},
			sources: { network: 'preset', rpcUrl: 'preset', faucetUrl: 'preset', 'seal.servers': 'env' },
		});
		const yaml = `seal:\n  policyPackage: "${PKG}"\n  policyObject: "${B}"\n  threshold: 1\n  servers:\n    - objectId: "${A}"\n      aggregatorUrl: https://agg.example\n      apiKeyName: X-API-Key\n      apiKey: ${SECRET}\n`;
		const full = describeConfig(load(workspace({ yaml })));
		expect(full['seal']).toEqual({
			policyPackage: PKG,
			policyObject: B,
			threshold: 1,
			servers: [
				{
					objectId: A,
					weight: 1,
					aggregatorUrl: 'https://agg.example',
					apiKeyName: 'X-API-Key',
					apiKey: '<redacted>',
				},
			],
		});
		expect(JSON.stringify(full)).not.toContain(SECRET);
	});

	it('a .env or config.yaml that cannot be read is a ConfigFileError naming it', () => {
		const dir = workspace();
		mkdirSync(join(dir, '.env'));
		expect(() => load(dir)).toThrow(`.env (from .env): cannot read ${join(dir, '.env')}`);
		const other = workspace();
		mkdirSync(join(other, 'config.yaml'));
		expect(() => load(other)).toThrow(
			`config (from config.yaml): cannot read ${join(other, 'config.yaml')}`,
		);
		expect(() => load(workspace(), { SEAL_CONFIG: 'missing.yaml' })).toThrow(
			/config file .*missing\.yaml does not exist/,
		);
		expect(() => load(workspace({ yaml: 'a: [\n' }))).toThrow(
			/config \(from config\.yaml\): .*is not valid YAML/,
		);
	});
});
