/**
 * Permissioned mode's `client_configs`: parsing, upstream's validation rules and key loading.
 * The spec is MystenLabs/seal at ddc7e5d6f2e0152d96671a51a4e41a869ddc8e35:
 * - crates/key-server/src/key_server_options.rs: `ClientKeyType`, `ClientConfig`, `validate`,
 *   `get_supported_key_server_object_ids`, tests `test_parse_permissioned_config`, `test_validate`
 *   (their YAML and expected messages are reused verbatim below);
 * - crates/key-server/src/master_keys.rs: `MasterKeys::load` (Permissioned arm),
 *   `log_unassigned_public_keys`, test `test_master_keys_permissioned_mode`;
 * - crates/key-server/src/utils.rs: `decode_byte_array` / `decode_master_key` messages.
 */
import { parseDocument, type Node } from 'yaml';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { parseKeyServerConfig } from '../../../ts/keyserver/config-file.js';
import { deriveMasterKey } from '../../../ts/keyserver/derive-key.js';
import { PermissionedConfigError } from '../../../ts/keyserver/errors.js';
import { publicKeyFromMasterKey } from '../../../ts/keyserver/keys.js';
import {
	loadPermissionedKeys,
	nextFreeDerivationIndex,
	parseClientConfigs,
	servedObjectIds,
	validateClientConfigs,
	type ClientConfig,
} from '../../../ts/keyserver/permissioned.js';
import type { Logger } from '../../../ts/logger.js';

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;

function clientsOf(yaml: string): ClientConfig[] {
	const doc = parseDocument(yaml, { uniqueKeys: true });
	return parseClientConfigs(doc.get('server_mode', true) as Node);
}

function errorOf(fn: () => unknown): Error {
	try {
		fn();
	} catch (error) {
		return error as Error;
	}
	throw new Error('did not throw');
}

function recordingLogger() {
	const lines: string[] = [];
	const logger: Logger = {
		info: (m) => void lines.push(m),
		warn: (m) => void lines.push(m),
		debug: (m) => void lines.push(m),
	};
	return { logger, lines };
}

// key_server_options.rs `test_parse_permissioned_config`, verbatim.
const UPSTREAM_PERMISSIONED = `
network: Mainnet
ts_sdk_version_requirement: '>=0.2.7'
metrics_host_port: 1234
server_mode: !Permissioned
  client_configs:
    - name: "alice"
      client_master_key: !Derived
        derivation_index: 1
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000001"
      package_ids:
      - "0x1111111111111111111111111111111111111111111111111111111111111111"
    - name: "bob"
      client_master_key: !Imported
        env_var: "BOB_BLS_KEY"
      key_server_object_id: "0xbbbb000000000000000000000000000000000000000000000000000000000002"
      package_ids:
        - "0x2222222222222222222222222222222222222222222222222222222222222222"
        - "0x2222222222222222222222222222222222222222222222222222222222222223"
    - name: "carol"
      client_master_key: !Exported
        deprecated_derivation_index: 3
      key_server_object_id: "0xcccc000000000000000000000000000000000000000000000000000000000003"
      package_ids:
      - "0x3333333333333333333333333333333333333333333333333333333333333333"
rgp_update_interval: '5s'
allowed_staleness: '2s'
session_key_ttl_max: '60s'
`;

describe('client_configs as upstream parses them', () => {
	it('reads the three key kinds of test_parse_permissioned_config; Exported clients are not served', () => {
		const clients = clientsOf(UPSTREAM_PERMISSIONED);
		expect(clients).toEqual([
			{
				name: 'alice',
				clientMasterKey: { kind: 'Derived', derivationIndex: 1n },
				keyServerObjectId: '0xaaaa000000000000000000000000000000000000000000000000000000000001',
				packageIds: ['0x1111111111111111111111111111111111111111111111111111111111111111'],
			},
			{
				name: 'bob',
				clientMasterKey: { kind: 'Imported', envVar: 'BOB_BLS_KEY' },
				keyServerObjectId: '0xbbbb000000000000000000000000000000000000000000000000000000000002',
				packageIds: [
					'0x2222222222222222222222222222222222222222222222222222222222222222',
					'0x2222222222222222222222222222222222222222222222222222222222222223',
				],
			},
			{
				name: 'carol',
				clientMasterKey: { kind: 'Exported', deprecatedDerivationIndex: 3n },
				keyServerObjectId: '0xcccc000000000000000000000000000000000000000000000000000000000003',
				packageIds: ['0x3333333333333333333333333333333333333333333333333333333333333333'],
			},
		]);
		// get_supported_key_server_object_ids: Derived and Imported only.
		expect(servedObjectIds(clients)).toEqual([
			'0xaaaa000000000000000000000000000000000000000000000000000000000001',
			'0xbbbb000000000000000000000000000000000000000000000000000000000002',
		]);
		// log_unassigned_public_keys starts after the highest Derived/Exported index.
		expect(nextFreeDerivationIndex(clients)).toBe(4n);
		expect(nextFreeDerivationIndex([clients[1]!])).toBe(0n);
	});

	it('the config file validates as upstream does before starting (indices 1, 3 have a gap at 0)', () => {
		const error = errorOf(() => parseKeyServerConfig(UPSTREAM_PERMISSIONED));
		expect(error).toBeInstanceOf(PermissionedConfigError);
		expect((error as PermissionedConfigError).rule).toBe(
			'Derivation indexes must be incremental, starting from 0',
		);
	});

	it('a valid file gives clientConfigs and no Open object id; short ids are zero-padded', () => {
		const config = parseKeyServerConfig(
			[
				'network: Testnet',
				'server_mode: !Permissioned',
				'  client_configs:',
				'    - name: alice',
				'      client_master_key: !Derived',
				'        derivation_index: 0',
				"      key_server_object_id: '0xa'",
				"      package_ids: ['0x1']",
				'    - name: carol',
				'      client_master_key: !Exported',
				'        deprecated_derivation_index: 1',
				"      key_server_object_id: '0xc'",
				"      package_ids: ['0x3']",
			].join('\n'),
		);
		expect(config.keyServerObjectId).toBeUndefined();
		expect(config.clientConfigs?.map((c) => [c.name, c.keyServerObjectId, c.packageIds])).toEqual([
			['alice', `0x${'a'.padStart(64, '0')}`, [`0x${'1'.padStart(64, '0')}`]],
			['carol', `0x${'c'.padStart(64, '0')}`, [`0x${'3'.padStart(64, '0')}`]],
		]);
	});

	it('a plain-scalar name is kept as written (serde_yaml reads it into a String)', () => {
		const named = (name: string) =>
			clientsOf(
				`server_mode: !Permissioned\n  client_configs:\n    - name: ${name}\n      client_master_key: !Derived\n        derivation_index: 0\n      key_server_object_id: '0x1'\n      package_ids: ['0x2']\n`,
			)[0]!.name;
		expect(named('1.0')).toBe('1.0');
		expect(named('0x10')).toBe('0x10');
		expect(named('"Client 1 on server 1"')).toBe('Client 1 on server 1');
	});

	it('derivation indices are u64, exact above 2^53', () => {
		const at = (index: string) =>
			clientsOf(
				`server_mode: !Permissioned\n  client_configs:\n    - name: a\n      client_master_key: !Derived\n        derivation_index: ${index}\n      key_server_object_id: '0x1'\n      package_ids: ['0x2']\n`,
			)[0]!.clientMasterKey;
		expect(at('18446744073709551615')).toEqual({
			kind: 'Derived',
			derivationIndex: 18446744073709551615n,
		});
		expect(at('9007199254740993')).toEqual({ kind: 'Derived', derivationIndex: 9007199254740993n });
		for (const bad of ['18446744073709551616', '-1', '1.5', "'1'", 'one', '~']) {
			expect(() => at(bad), bad).toThrow(/derivation_index: must be an integer in 0\.\.2\^64-1/);
		}
	});
});

describe('malformed client_configs (serde refuses these; we name the field)', () => {
	const entry = (lines: string[]) =>
		`network: Testnet\nserver_mode: !Permissioned\n  client_configs:\n${lines.map((l) => `    ${l}`).join('\n')}\n`;
	const good = {
		name: '- name: alice',
		key: ['  client_master_key: !Derived', '    derivation_index: 0'],
		id: "  key_server_object_id: '0xa'",
		pkgs: "  package_ids: ['0x1']",
	};
	const cases: [string, string, RegExp][] = [
		[
			'no client_configs',
			'network: Testnet\nserver_mode: !Permissioned\n  other: 1\n',
			/client_configs: is required/,
		],
		[
			'client_configs is a map',
			'network: Testnet\nserver_mode: !Permissioned\n  client_configs: { a: 1 }\n',
			/client_configs: must be a list/,
		],
		[
			'!Permissioned without a mapping',
			'network: Testnet\nserver_mode: !Permissioned\n',
			/!Permissioned needs client_configs/,
		],
		[
			'an entry that is not a mapping',
			entry(['- alice']),
			/client_configs\[0\]: must be a mapping/,
		],
		[
			'no name',
			entry(['- ' + good.key[0]!.trim(), ...good.key.slice(1), good.id, good.pkgs]),
			/\[0\]\.name: is required/,
		],
		[
			'a name that is a list',
			entry(['- name: [a]', ...good.key, good.id, good.pkgs]),
			/\[0\]\.name: must be a string/,
		],
		[
			'no client_master_key',
			entry([good.name, good.id, good.pkgs]),
			/client_master_key: is required/,
		],
		[
			'client_master_key without a tag',
			entry([good.name, '  client_master_key:', '    derivation_index: 0', good.id, good.pkgs]),
			/client_master_key: must be !Derived.*got no tag/,
		],
		[
			'an unknown key kind',
			entry([
				good.name,
				'  client_master_key: !Random',
				'    derivation_index: 0',
				good.id,
				good.pkgs,
			]),
			/got !Random/,
		],
		[
			'!Derived without its index',
			entry([good.name, '  client_master_key: !Derived', '    index: 0', good.id, good.pkgs]),
			/derivation_index: is required/,
		],
		[
			'!Exported without its index',
			entry([
				good.name,
				'  client_master_key: !Exported',
				'    derivation_index: 0',
				good.id,
				good.pkgs,
			]),
			/deprecated_derivation_index: is required/,
		],
		[
			'!Imported without env_var',
			entry([good.name, '  client_master_key: !Imported', '    env: X', good.id, good.pkgs]),
			/env_var: must name the environment variable/,
		],
		[
			'no key_server_object_id',
			entry([good.name, ...good.key, good.pkgs]),
			/key_server_object_id: is required/,
		],
		[
			'a bad key_server_object_id',
			entry([good.name, ...good.key, "  key_server_object_id: 'xyz'", good.pkgs]),
			/key_server_object_id: must be an object id/,
		],
		['no package_ids', entry([good.name, ...good.key, good.id]), /package_ids: is required/],
		[
			'package_ids not a list',
			entry([good.name, ...good.key, good.id, "  package_ids: '0x1'"]),
			/package_ids: must be a list/,
		],
		[
			'a bad package id',
			entry([good.name, ...good.key, good.id, "  package_ids: ['0x1', 'nope']"]),
			/package_ids\[1\]: must be an object id/,
		],
		[
			'a repeated key in an entry',
			entry([good.name, ...good.key, good.id, good.pkgs, '  name: bob']),
			/not valid YAML/,
		],
		[
			'broken YAML',
			entry([good.name, '  client_master_key: !Derived {', good.id]),
			/not valid YAML/,
		],
	];
	for (const [what, yaml, message] of cases) {
		it(what, () => {
			const error = errorOf(() => parseKeyServerConfig(yaml));
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error.message).toMatch(message);
			expect(error.message).not.toContain('\n');
		});
	}

	it('`package_ids:` with no value is an empty list, which validation then refuses (upstream)', () => {
		const error = errorOf(() =>
			parseKeyServerConfig(entry([good.name, ...good.key, good.id, '  package_ids:'])),
		);
		expect((error as PermissionedConfigError).rule).toBe(
			'Client configuration must have at least one package ID: alice',
		);
	});
});

describe("upstream's validate(), rule by rule", () => {
	// key_server_options.rs `test_validate`: each YAML and its exact expected message.
	const upstreamCases: [string, string, string][] = [
		[
			'empty package list',
			`
network: Mainnet
server_mode: !Permissioned
  client_configs:
    - name: "alice"
      client_master_key: !Derived
        derivation_index: 0
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000001"
      package_ids:
`,
			'Client configuration must have at least one package ID: alice',
		],
		[
			'duplicate key server object id',
			`
network: Mainnet
server_mode: !Permissioned
  client_configs:
    - name: "alice"
      client_master_key: !Derived
        derivation_index: 0
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000001"
      package_ids:
      - "0x1111111111111111111111111111111111111111111111111111111111111111"
    - name: "bob"
      client_master_key: !Imported
        env_var: "BOB_BLS_KEY"
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000001"
      package_ids:
        - "0x2222222222222222222222222222222222222222222222222222222222222222"
        - "0x2222222222222222222222222222222222222222222222222222222222222223"
`,
			'Duplicate key server object ID: 0xaaaa000000000000000000000000000000000000000000000000000000000001',
		],
		[
			'duplicate package id',
			`
network: Mainnet
server_mode: !Permissioned
  client_configs:
    - name: "alice"
      client_master_key: !Derived
        derivation_index: 0
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000001"
      package_ids:
      - "0x1111111111111111111111111111111111111111111111111111111111111111"
    - name: "bob"
      client_master_key: !Imported
        env_var: "BOB_BLS_KEY"
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000002"
      package_ids:
        - "0x1111111111111111111111111111111111111111111111111111111111111111"
        - "0x2222222222222222222222222222222222222222222222222222222222222223"
`,
			'Duplicate package ID: 0x1111111111111111111111111111111111111111111111111111111111111111',
		],
		[
			'duplicate env var',
			`
network: Mainnet
server_mode: !Permissioned
  client_configs:
    - name: "alice"
      client_master_key: !Imported
        env_var: "BOB_BLS_KEY"
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000001"
      package_ids:
        - "0x2222222222222222222222222222222222222222222222222222222222222220"
        - "0x2222222222222222222222222222222222222222222222222222222222222221"
    - name: "bob"
      client_master_key: !Imported
        env_var: "BOB_BLS_KEY"
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000002"
      package_ids:
        - "0x2222222222222222222222222222222222222222222222222222222222222222"
        - "0x2222222222222222222222222222222222222222222222222222222222222223"
`,
			'Duplicate environment variable: BOB_BLS_KEY',
		],
		[
			'duplicate derivation index',
			`
network: Mainnet
server_mode: !Permissioned
  client_configs:
    - name: "alice"
      client_master_key: !Derived
        derivation_index: 0
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000001"
      package_ids:
      - "0x1111111111111111111111111111111111111111111111111111111111111111"
    - name: "bob"
      client_master_key: !Derived
        derivation_index: 0
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000002"
      package_ids:
        - "0x2222222222222222222222222222222222222222222222222222222222222222"
        - "0x2222222222222222222222222222222222222222222222222222222222222223"
`,
			'Duplicate derivation index: 0',
		],
		[
			'non-incremental derivation index',
			`
network: Mainnet
server_mode: !Permissioned
  client_configs:
    - name: "alice"
      client_master_key: !Derived
        derivation_index: 0
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000001"
      package_ids:
      - "0x1111111111111111111111111111111111111111111111111111111111111111"
    - name: "bob"
      client_master_key: !Derived
        derivation_index: 3
      key_server_object_id: "0xaaaa000000000000000000000000000000000000000000000000000000000002"
      package_ids:
        - "0x2222222222222222222222222222222222222222222222222222222222222222"
        - "0x2222222222222222222222222222222222222222222222222222222222222223"
`,
			'Derivation indexes must be incremental, starting from 0',
		],
	];
	for (const [what, yaml, rule] of upstreamCases) {
		it(`${what} (test_validate)`, () => {
			const error = errorOf(() => parseKeyServerConfig(yaml));
			expect(error).toBeInstanceOf(PermissionedConfigError);
			expect((error as PermissionedConfigError).rule).toBe(rule);
			expect(error.message).toContain(`server_mode.client_configs: ${rule} (`);
		});
	}

	const client = (
		name: string,
		key: ClientConfig['clientMasterKey'],
		id: string,
		packages: string[],
	): ClientConfig => ({
		name,
		clientMasterKey: key,
		keyServerObjectId: `0x${id.padStart(64, '0')}`,
		packageIds: packages.map((p) => `0x${p.padStart(64, '0')}`),
	});
	const derived = (i: bigint) => ({ kind: 'Derived' as const, derivationIndex: i });
	const exported = (i: bigint) => ({ kind: 'Exported' as const, deprecatedDerivationIndex: i });

	it('duplicate client name (rule 3, not among upstream tests)', () => {
		const error = errorOf(() =>
			validateClientConfigs([
				client('alice', derived(0n), 'a', ['1']),
				client('alice', derived(1n), 'b', ['2']),
			]),
		);
		expect((error as PermissionedConfigError).rule).toBe('Duplicate client name: alice');
	});

	it('an Exported index still holds its number: Derived reusing it is a duplicate', () => {
		const error = errorOf(() =>
			validateClientConfigs([
				client('carol', exported(0n), 'c', ['3']),
				client('dave', derived(0n), 'd', ['4']),
			]),
		);
		expect((error as PermissionedConfigError).rule).toBe('Duplicate derivation index: 0');
		// ... and it fills its slot in the 0, 1, 2, … sequence.
		expect(() =>
			validateClientConfigs([
				client('carol', exported(0n), 'c', ['3']),
				client('dave', derived(1n), 'd', ['4']),
			]),
		).not.toThrow();
	});

	it('object ids are one namespace: a package id equal to a key server id is a duplicate package', () => {
		const error = errorOf(() =>
			validateClientConfigs([
				client('alice', derived(0n), 'a', ['1']),
				client('bob', derived(1n), 'b', ['a']),
			]),
		);
		expect((error as PermissionedConfigError).rule).toBe(
			`Duplicate package ID: 0x${'a'.padStart(64, '0')}`,
		);
		// Within one client too.
		const same = errorOf(() =>
			validateClientConfigs([client('alice', derived(0n), 'a', ['1', '1'])]),
		);
		expect((same as PermissionedConfigError).rule).toBe(
			`Duplicate package ID: 0x${'1'.padStart(64, '0')}`,
		);
	});

	it('checks run in upstream order: an empty package list wins over a duplicate name', () => {
		const error = errorOf(() =>
			validateClientConfigs([
				client('alice', derived(0n), 'a', ['1']),
				client('alice', derived(1n), 'b', []),
			]),
		);
		expect((error as PermissionedConfigError).rule).toBe(
			'Client configuration must have at least one package ID: alice',
		);
	});

	it('imported keys take no index; no clients at all passes validation (load refuses it)', () => {
		expect(() =>
			validateClientConfigs([
				client('bob', { kind: 'Imported', envVar: 'B' }, 'b', ['2']),
				client('alice', derived(0n), 'a', ['1']),
			]),
		).not.toThrow();
		expect(() => validateClientConfigs([])).not.toThrow();
	});
});

describe('loading the keys (MasterKeys::load, Permissioned)', () => {
	const seed = new Uint8Array(32).fill(7);
	const seedHex = Buffer.from(seed).toString('hex');
	const id = (h: string) => `0x${h.padStart(64, '0')}`;
	const configs: ClientConfig[] = [
		{
			name: 'alice',
			clientMasterKey: { kind: 'Derived', derivationIndex: 0n },
			keyServerObjectId: id('a'),
			packageIds: [id('1')],
		},
		{
			name: 'bob',
			clientMasterKey: { kind: 'Imported', envVar: 'BOB_KEY' },
			keyServerObjectId: id('b'),
			packageIds: [id('2'), id('22')],
		},
		{
			name: 'carol',
			clientMasterKey: { kind: 'Exported', deprecatedDerivationIndex: 1n },
			keyServerObjectId: id('c'),
			packageIds: [id('3')],
		},
		{
			name: 'dave',
			clientMasterKey: { kind: 'Derived', derivationIndex: 2n },
			keyServerObjectId: id('d'),
			packageIds: [id('4')],
		},
	];
	const bobKey = new Uint8Array(32).fill(1); // upstream's ALICE_KEY: [1u8; 32] hex-encoded

	it('derives Derived keys from the seed, reads Imported ones, skips Exported, and logs public keys only', () => {
		const env: NodeJS.ProcessEnv = {
			MASTER_KEY: `0x${seedHex}`,
			BOB_KEY: hex(bobKey),
			PATH: '/bin',
		};
		const { logger, lines } = recordingLogger();
		const clients = loadPermissionedKeys(configs, env, logger);
		expect(clients.map((c) => [c.name, c.objectId, c.packageIds])).toEqual([
			['alice', id('a'), [id('1')]],
			['bob', id('b'), [id('2'), id('22')]],
			['dave', id('d'), [id('4')]],
		]);
		expect(clients[0]!.masterKey).toEqual(deriveMasterKey(seed, 0n));
		expect(clients[1]!.masterKey).toEqual(bobKey);
		expect(clients[2]!.masterKey).toEqual(deriveMasterKey(seed, 2n));
		// The seed and the imported key left the environment.
		expect(env).toEqual({ PATH: '/bin' });
		const pk = (key: Uint8Array) => hex(publicKeyFromMasterKey(key));
		expect(lines.slice(0, 3)).toEqual([
			`Client "alice" uses public key: "${pk(deriveMasterKey(seed, 0n))}"`,
			`Client "bob" uses public key: "${pk(bobKey)}"`,
			`Client "dave" uses public key: "${pk(deriveMasterKey(seed, 2n))}"`,
		]);
		// The next ten unassigned indices: after the highest Derived/Exported one (2), so 3..12.
		expect(lines.slice(3)).toEqual(
			Array.from(
				{ length: 10 },
				(_, i) =>
					`Unassigned derived public key with index ${3 + i}: "${pk(deriveMasterKey(seed, BigInt(3 + i)))}"`,
			),
		);
		const log = lines.join('\n');
		expect(log).not.toContain(seedHex);
		for (const c of clients) expect(log).not.toContain(Buffer.from(c.masterKey).toString('hex'));
	});

	it('test_master_keys_permissioned_mode: different derived keys per client; missing seed or imported key fails', () => {
		const upstream: ClientConfig[] = [
			{
				name: 'alice',
				clientMasterKey: { kind: 'Imported', envVar: 'ALICE_KEY' },
				keyServerObjectId: id('2'),
				packageIds: [id('1')],
			},
			{
				name: 'bob',
				clientMasterKey: { kind: 'Derived', derivationIndex: 100n },
				keyServerObjectId: id('4'),
				packageIds: [id('3')],
			},
			{
				name: 'dan',
				clientMasterKey: { kind: 'Derived', derivationIndex: 200n },
				keyServerObjectId: id('6'),
				packageIds: [id('5')],
			},
		];
		const { logger } = recordingLogger();
		const keys = loadPermissionedKeys(
			upstream,
			{ MASTER_KEY: seedHex, ALICE_KEY: hex(bobKey) },
			logger,
		);
		expect(keys[1]!.masterKey).not.toEqual(keys[2]!.masterKey);
		expect(() => loadPermissionedKeys(upstream, { ALICE_KEY: hex(bobKey) }, logger)).toThrow(
			/MASTER_KEY: Environment variable MASTER_KEY must be set/,
		);
		expect(() => loadPermissionedKeys(upstream, { MASTER_KEY: seedHex }, logger)).toThrow(
			/ALICE_KEY: Environment variable ALICE_KEY must be set/,
		);
	});

	it('refuses a bad seed or imported key without printing it', () => {
		const { logger } = recordingLogger();
		for (const [env, message] of [
			[{ MASTER_KEY: 'zz'.repeat(32) }, /MASTER_KEY: should be hex encoded/],
			[{ MASTER_KEY: 'ab'.repeat(31) }, /MASTER_KEY: must be 32 bytes long/],
			[
				{ SEAL_KEYSERVER_MASTER_KEY: 'ab'.repeat(33) },
				/SEAL_KEYSERVER_MASTER_KEY: must be 32 bytes long/,
			],
			[
				{ MASTER_KEY: seedHex, BOB_KEY: 'ff'.repeat(32) },
				/BOB_KEY: Invalid master key for environment variable BOB_KEY/,
			],
			[{ MASTER_KEY: seedHex, BOB_KEY: 'ab'.repeat(16) }, /BOB_KEY: Invalid master key/],
		] as const) {
			const error = errorOf(() => loadPermissionedKeys(configs, { ...env }, logger));
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error.message).toMatch(message);
			for (const value of Object.values(env)) expect(error.message).not.toContain(value);
		}
	});

	it("KeyServerOps' first step: an empty `client_configs:` parses, logs indices 0..9, then stops", () => {
		// docs/content/KeyServerOps.mdx: start with no clients, copy an unassigned public key from
		// the log ("It should abort after printing a list of unassigned derived public keys").
		const file = parseKeyServerConfig(
			'network: Testnet\nserver_mode: !Permissioned\n  client_configs:\n',
		);
		expect(file.clientConfigs).toEqual([]);
		const { logger, lines } = recordingLogger();
		expect(() =>
			loadPermissionedKeys(file.clientConfigs!, { MASTER_KEY: seedHex }, logger),
		).toThrow(/No clients found in the configuration/);
		expect(lines.map((l) => /index (\d+):/.exec(l)?.[1])).toEqual(
			Array.from({ length: 10 }, (_, i) => String(i)),
		);
	});

	it('refuses to start without a served client, after logging the unassigned keys (upstream order)', () => {
		const onlyExported = [configs[2]!];
		const { logger, lines } = recordingLogger();
		const error = errorOf(() =>
			loadPermissionedKeys(onlyExported, { MASTER_KEY: seedHex }, logger),
		);
		expect(error).toBeInstanceOf(PermissionedConfigError);
		expect((error as PermissionedConfigError).rule).toBe('No clients found in the configuration');
		expect(lines[0]).toMatch(/^Unassigned derived public key with index 2: "0x[0-9a-f]{192}"$/);
		const none = errorOf(() => loadPermissionedKeys([], { MASTER_KEY: seedHex }, logger));
		expect((none as PermissionedConfigError).rule).toBe('No clients found in the configuration');
	});
});
