/**
 * `server_mode: !Committee` (MystenLabs/seal crates/key-server/src/key_server_options.rs
 * `test_validate_committee_mode`, ddc7e5d6, whose YAML is reused here) and Mysten's
 * aggregator-config.yaml (crates/key-server/src/aggregator/aggregator-config.yaml and server.rs
 * `AggregatorOptions` defaults), plus the bad-input variants of both.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { parseAggregatorConfig } from '../../../ts/keyserver/aggregator/config.js';
import { parseVersionReq } from '../../../ts/keyserver/aggregator/version-req.js';
import { parseKeyServerConfig } from '../../../ts/keyserver/config-file.js';

const MEMBER = '0x1234567890123456789012345678901234567890123456789012345678901234';
const KS = '0xabcdef0000000000000000000000000000000000000000000000000000000001';

describe('key-server config: server_mode !Committee', () => {
	it("parses upstream's Active example (plain `Active`)", () => {
		const config = parseKeyServerConfig(`
network: Mainnet
server_mode: !Committee
  member_address: "${MEMBER}"
  key_server_obj_id: "${KS}"
  committee_state: Active
`);
		expect(config.committee).toEqual({
			memberAddress: MEMBER,
			keyServerObjectId: KS,
			state: { kind: 'Active' },
		});
		// The committee object is the key server this member answers for.
		expect(config.keyServerObjectId).toBe(KS);
	});

	it("parses upstream's Rotation example, a tagged !Active, and unquoted short addresses", () => {
		const rotation = parseKeyServerConfig(`
network: Testnet
server_mode: !Committee
  member_address: "0x9876543210987654321098765432109876543210987654321098765432109876"
  key_server_obj_id: "0xfedcba0000000000000000000000000000000000000000000000000000000002"
  committee_state: !Rotation
    target_version: 5
`);
		expect(rotation.committee?.state).toEqual({ kind: 'Rotation', targetVersion: 5 });
		const tagged = parseKeyServerConfig(
			'network: Testnet\nserver_mode: !Committee\n  member_address: 0x1a\n  key_server_obj_id: 0x2\n  committee_state: !Active\n',
		);
		expect(tagged.committee).toEqual({
			memberAddress: `0x${'1a'.padStart(64, '0')}`,
			keyServerObjectId: `0x${'2'.padStart(64, '0')}`,
			state: { kind: 'Active' },
		});
	});

	const head = 'network: Testnet\nserver_mode: !Committee\n';
	const ok = `  member_address: '${MEMBER}'\n  key_server_obj_id: '${KS}'\n`;
	for (const [what, yaml, message] of [
		['no fields', 'network: Testnet\nserver_mode: !Committee\n', /needs member_address/],
		[
			'no member_address',
			`${head}  key_server_obj_id: '${KS}'\n  committee_state: Active\n`,
			/member_address must be an address/,
		],
		[
			'a bad key_server_obj_id',
			`${head}  member_address: '${MEMBER}'\n  key_server_obj_id: 'xyz'\n  committee_state: Active\n`,
			/key_server_obj_id must be an address/,
		],
		['no committee_state', `${head}${ok}`, /committee_state is required/],
		['an unknown state', `${head}${ok}  committee_state: Paused\n`, /must be Active or !Rotation/],
		[
			'Rotation without target_version',
			`${head}${ok}  committee_state: !Rotation {}\n`,
			/target_version must be an integer/,
		],
		[
			'target_version 0',
			`${head}${ok}  committee_state: !Rotation\n    target_version: 0\n`,
			/target_version cannot be 0/,
		],
		[
			'a negative target_version',
			`${head}${ok}  committee_state: !Rotation\n    target_version: -1\n`,
			/target_version must be an integer/,
		],
		[
			'a string target_version',
			`${head}${ok}  committee_state: !Rotation\n    target_version: five\n`,
			/target_version must be an integer/,
		],
		[
			'Active with fields',
			`${head}${ok}  committee_state: !Active\n    x: 1\n`,
			/Active takes no fields/,
		],
		[
			'a repeated key',
			`${head}${ok}  member_address: '${MEMBER}'\n  committee_state: Active\n`,
			/not valid YAML/,
		],
	] as const) {
		it(`refuses ${what} with one line naming the field`, () => {
			let error: unknown;
			try {
				parseKeyServerConfig(yaml);
			} catch (caught) {
				error = caught;
			}
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as Error).message).toMatch(message);
			expect((error as Error).message).not.toContain('\n');
		});
	}
});

/** Upstream's aggregator-config.yaml with its commented api_credentials example enabled. */
const UPSTREAM_AGGREGATOR = `
network: !Testnet
node_url: https://fullnode.testnet.sui.io:443
key_server_object_id: '0x758312953b0db53942c783d56320a3be90ce3d063fa57c00e0ff776d393fded6'
api_credentials:
  server1:
    api_key_name: keyname1
    api_key: key1
  server2:
    api_key_name: keyname2
    api_key: key2
  server1_newname:
    api_key_name: keyname1
    api_key: key1
`;

describe('aggregator-config.yaml', () => {
	it("parses upstream's example with upstream's defaults", () => {
		const config = parseAggregatorConfig(UPSTREAM_AGGREGATOR);
		expect(config.network).toBe('Testnet');
		expect(config.keyServerObjectId).toBe(
			'0x758312953b0db53942c783d56320a3be90ce3d063fa57c00e0ff776d393fded6',
		);
		expect(config.keyServerTimeoutMs).toBe(8000);
		expect([...config.apiCredentials.keys()]).toEqual(['server1', 'server2', 'server1_newname']);
		expect(config.apiCredentials.get('server2')).toEqual({
			apiKeyName: 'keyname2',
			apiKey: 'key2',
		});
		expect(config.tsSdkVersionRequirement.text).toBe('>=0.10.0');
		expect(config.keyServerVersionRequirement.text).toBe('>=0.6.2');
		expect(config.rustSdkVersionRequirement.matches('0.0.0')).toBe(true);
	});

	it('takes overrides, Devnet with its seal package, and NODE_URL; reports ignored keys', () => {
		const config = parseAggregatorConfig(
			`network: !Devnet\n  seal_package: '0x1'\nkey_server_object_id: 0x2\nkey_server_timeout_secs: 3\nkey_server_version_requirement: '>=0.6.10'\nmetrics_push_config:\n  push_url: http://x\n`,
			{ NODE_URL: 'http://127.0.0.1:9000' },
		);
		expect(config.network).toBe('Devnet');
		expect(config.nodeUrl).toBe('http://127.0.0.1:9000');
		expect(config.keyServerTimeoutMs).toBe(3000);
		expect(config.keyServerVersionRequirement.matches('0.6.9')).toBe(false);
		expect(config.ignored).toEqual(['metrics_push_config']);
	});

	for (const [what, yaml, message] of [
		['invalid YAML', 'network: [', /not valid YAML/],
		['no key_server_object_id', 'network: Testnet\n', /key_server_object_id is required/],
		['no network', "key_server_object_id: '0x1'\n", /network is required/],
		[
			'a credential without api_key',
			"network: Testnet\nkey_server_object_id: '0x1'\napi_credentials:\n  a:\n    api_key_name: X-API-Key\n",
			/api_credentials.a.api_key is required/,
		],
		[
			'a credential that is not a map',
			"network: Testnet\nkey_server_object_id: '0x1'\napi_credentials:\n  a: key\n",
			/api_credentials.a must have/,
		],
		[
			'a header name with a space',
			"network: Testnet\nkey_server_object_id: '0x1'\napi_credentials:\n  a:\n    api_key_name: 'X API'\n    api_key: k\n",
			/not a valid header name/,
		],
		[
			'a bad version requirement',
			"network: Testnet\nkey_server_object_id: '0x1'\nts_sdk_version_requirement: 'latest'\n",
			/not a version requirement/,
		],
		[
			'a negative timeout',
			"network: Testnet\nkey_server_object_id: '0x1'\nkey_server_timeout_secs: -1\n",
			/key_server_timeout_secs/,
		],
		[
			'a node_url that is not a URL',
			"network: Testnet\nkey_server_object_id: '0x1'\nnode_url: 'not a url'\n",
			/is not a URL/,
		],
	] as const) {
		it(`refuses ${what}`, () => {
			expect(() => parseAggregatorConfig(yaml)).toThrow(InvalidInputError);
			expect(() => parseAggregatorConfig(yaml)).toThrow(message);
		});
	}

	it('never puts an API key into an error message', () => {
		const yaml =
			"network: Testnet\nkey_server_object_id: '0x1'\napi_credentials:\n  a:\n    api_key_name: 'bad name'\n    api_key: SECRET-123\n";
		expect(() => parseAggregatorConfig(yaml)).toThrow(/^(?!.*SECRET-123)/s);
	});
});

describe('semver requirements (the semver crate forms Seal uses)', () => {
	it('>= , caret, tilde, =, <, comma lists and pre-releases', () => {
		const req = (text: string) => parseVersionReq(text, 'r');
		expect(req('>=0.6.2').matches('0.6.10')).toBe(true);
		expect(req('>=0.6.2').matches('0.6.1')).toBe(false);
		expect(req('>=0.6.2').matches('0.7.0-rc.1')).toBe(false);
		expect(req('>=0.10.0').matches('1.4.12')).toBe(true);
		expect(req('>=0.10.0').matches('0.9.6')).toBe(false);
		expect(req('^0.6').matches('0.6.9')).toBe(true);
		expect(req('^0.6').matches('0.7.0')).toBe(false);
		expect(req('1.2').matches('1.9.0')).toBe(true);
		expect(req('~1.2').matches('1.3.0')).toBe(false);
		expect(req('=1.2.3').matches('1.2.3')).toBe(true);
		expect(req('>=1, <2').matches('1.5.0')).toBe(true);
		expect(req('>=1, <2').matches('2.0.0')).toBe(false);
		expect(req('>1.2').matches('1.2.9')).toBe(false);
		expect(req('*').matches('0.0.1')).toBe(true);
		expect(req('>=0.0.0').matches('not-semver')).toBe(false);
	});
});
