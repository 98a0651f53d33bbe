/**
 * The YAML `localnet up` writes for committee members, the aggregator and the Permissioned server,
 * checked field by field against upstream's serde structs at MystenLabs/seal seal-v0.6.10
 * (commit af5e6f4565deec00c8bbad6b97a657cbe77288a2):
 * - crates/key-server/src/key_server_options.rs: `KeyServerOptions` (fields), `ServerMode`
 *   (`Committee { member_address, key_server_obj_id, committee_state }`,
 *   `Permissioned { client_configs }`), `CommitteeState::Active`, `ClientConfig { name,
 *   client_master_key, key_server_object_id, package_ids }`, `ClientKeyType::Derived
 *   { derivation_index }`, and `validate()`'s rules;
 * - docs/content/KeyServerCommitteeOps.mdx: the member config (`committee_state: !Active`);
 * - crates/key-server/src/aggregator/server.rs `AggregatorOptions` / `ApiCredentials` and
 *   crates/key-server/src/aggregator/aggregator-config.yaml.
 * The other branches' parsers are not on this branch, so serde names are the reference.
 */
import { describe, expect, it } from 'vitest';
import { parseDocument, type Tags } from 'yaml';
import {
	aggregatorYaml,
	committeeMemberYaml,
	permissionedYaml,
} from '../../../ts/localnet/topology-configs.js';
import { LocalnetTopologyError } from '../../../ts/localnet/errors.js';
import { parseKeyServerConfig } from '../../../ts/keyserver/config-file.js';
import { parseAggregatorConfig } from '../../../ts/keyserver/aggregator/config.js';

const SEAL_PKG = `0x${'5e'.repeat(32)}`;
const KS_ID = `0x${'4b'.repeat(32)}`;
const MEMBER = `0x${'3c'.repeat(32)}`;
const POLICY = `0x${'9a'.repeat(32)}`;

/** serde field names of KeyServerOptions (key_server_options.rs). */
const KEY_SERVER_OPTIONS_FIELDS = [
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
];
/** serde field names of AggregatorOptions (aggregator/server.rs). */
const AGGREGATOR_OPTIONS_FIELDS = [
	'network',
	'node_url',
	'key_server_object_id',
	'ts_sdk_version_requirement',
	'rust_sdk_version_requirement',
	'python_sdk_version_requirement',
	'key_server_version_requirement',
	'key_server_timeout_secs',
	'api_credentials',
	'rpc_config',
	'metrics_push_config',
];

/** Parses with each YAML tag (serde_yaml's enum variant) recorded as `{ $variant: body }`. */
function parseTagged(text: string, mapTags: string[], scalarTags: string[] = []): unknown {
	const customTags: Tags = [
		...mapTags.map((tag) => ({
			tag,
			collection: 'map' as const,
			identify: () => false,
			resolve: (map: unknown) => ({ [tag]: (map as { toJSON(): unknown }).toJSON() }),
		})),
		...scalarTags.map((tag) => ({ tag, identify: () => false, resolve: () => ({ [tag]: null }) })),
	];
	const doc = parseDocument(text, { customTags });
	expect(doc.errors).toEqual([]);
	expect(doc.warnings).toEqual([]);
	return doc.toJS();
}

describe('committee member config (server_mode: !Committee)', () => {
	const yaml = committeeMemberYaml({
		sealPackageId: SEAL_PKG,
		nodeUrl: 'http://127.0.0.1:9000/',
		memberAddress: MEMBER,
		keyServerObjectId: KS_ID,
		metricsPort: 9203,
	});

	it('has exactly upstream field names and variants', () => {
		const doc = parseTagged(yaml, ['!Devnet', '!Committee'], ['!Active']) as Record<
			string,
			unknown
		>;
		expect(doc).toEqual({
			network: { '!Devnet': { seal_package: SEAL_PKG } },
			node_url: 'http://127.0.0.1:9000',
			server_mode: {
				'!Committee': {
					member_address: MEMBER,
					key_server_obj_id: KS_ID,
					committee_state: { '!Active': null },
				},
			},
			metrics_host_port: 9203,
			enable_event_monitoring: false,
		});
		for (const key of Object.keys(doc)) expect(KEY_SERVER_OPTIONS_FIELDS).toContain(key);
		// The form docs/content/KeyServerCommitteeOps.mdx shows, byte for byte.
		expect(yaml).toContain(
			`server_mode: !Committee\n  member_address: '${MEMBER}'\n  key_server_obj_id: '${KS_ID}'\n  committee_state: !Active\n`,
		);
	});

	it('is read back by our key server as a committee member of that object', () => {
		const parsed = parseKeyServerConfig(yaml);
		expect(parsed.committee).toEqual({
			memberAddress: MEMBER,
			keyServerObjectId: KS_ID,
			state: { kind: 'Active' },
		});
		expect(parsed.keyServerObjectId).toBe(KS_ID);
		expect(parsed.metricsPort).toBe(9203);
	});

	it('never holds the share', () => {
		const hex = yaml.match(/[0-9a-f]{64}/g) ?? [];
		for (const value of hex) expect([SEAL_PKG, KS_ID, MEMBER]).toContain(`0x${value}`);
		expect(() =>
			committeeMemberYaml({
				sealPackageId: SEAL_PKG,
				nodeUrl: 'http://x',
				memberAddress: '0x12',
				keyServerObjectId: KS_ID,
				metricsPort: 1,
			}),
		).toThrow();
	});
});

describe('aggregator config (AggregatorOptions)', () => {
	const members = [0, 1, 2].map((p) => ({
		name: `localnet-committee-member-${p}`,
		apiKeyName: 'X-API-Key',
		apiKey: `key-${p}-${'k'.repeat(20)}`,
	}));
	const yaml = aggregatorYaml({
		sealPackageId: SEAL_PKG,
		nodeUrl: 'http://127.0.0.1:9000',
		keyServerObjectId: KS_ID,
		members,
	});

	it('has exactly upstream field names, credentials keyed by PartialKeyServer.name', () => {
		const doc = parseTagged(yaml, ['!Devnet']) as Record<string, unknown>;
		expect(doc).toEqual({
			network: { '!Devnet': { seal_package: SEAL_PKG } },
			node_url: 'http://127.0.0.1:9000',
			key_server_object_id: KS_ID,
			api_credentials: Object.fromEntries(
				members.map((m) => [m.name, { api_key_name: 'X-API-Key', api_key: m.apiKey }]),
			),
		});
		for (const key of Object.keys(doc)) expect(AGGREGATOR_OPTIONS_FIELDS).toContain(key);
	});

	it('is read back by our aggregator: the committee object and each member credential', () => {
		const parsed = parseAggregatorConfig(yaml);
		expect(parsed.network).toBe('Devnet');
		expect(parsed.nodeUrl).toBe('http://127.0.0.1:9000');
		expect(parsed.keyServerObjectId).toBe(KS_ID);
		expect(Object.fromEntries(parsed.apiCredentials)).toEqual(
			Object.fromEntries(
				members.map((m) => [m.name, { apiKeyName: 'X-API-Key', apiKey: m.apiKey }]),
			),
		);
	});

	it('writes key_server_timeout_secs when asked and refuses duplicates and bad keys', () => {
		const timed = aggregatorYaml({
			sealPackageId: SEAL_PKG,
			nodeUrl: 'http://127.0.0.1:9000',
			keyServerObjectId: KS_ID,
			members,
			keyServerTimeoutSecs: 3,
		});
		expect(
			(parseTagged(timed, ['!Devnet']) as Record<string, unknown>)['key_server_timeout_secs'],
		).toBe(3);
		const base = { sealPackageId: SEAL_PKG, nodeUrl: 'http://x', keyServerObjectId: KS_ID };
		expect(() => aggregatorYaml({ ...base, members: [members[0]!, members[0]!] })).toThrow(
			/listed twice/,
		);
		expect(() =>
			aggregatorYaml({ ...base, members: [{ ...members[0]!, apiKey: "a'b: c" }] }),
		).toThrow(LocalnetTopologyError);
		expect(() => aggregatorYaml({ ...base, members: [{ ...members[0]!, name: 'a: b' }] })).toThrow(
			LocalnetTopologyError,
		);
	});
});

describe('permissioned config (server_mode: !Permissioned)', () => {
	const yaml = permissionedYaml({
		sealPackageId: SEAL_PKG,
		nodeUrl: 'http://127.0.0.1:9000',
		clientName: 'localnet-policy-client',
		derivationIndex: 0,
		keyServerObjectId: KS_ID,
		packageIds: [POLICY],
		metricsPort: 9206,
	});

	it('has exactly upstream field names and one !Derived client at index 0', () => {
		const doc = parseTagged(yaml, ['!Devnet', '!Permissioned', '!Derived']) as Record<
			string,
			unknown
		>;
		expect(doc).toEqual({
			network: { '!Devnet': { seal_package: SEAL_PKG } },
			node_url: 'http://127.0.0.1:9000',
			server_mode: {
				'!Permissioned': {
					client_configs: [
						{
							name: 'localnet-policy-client',
							client_master_key: { '!Derived': { derivation_index: 0 } },
							key_server_object_id: KS_ID,
							package_ids: [POLICY],
						},
					],
				},
			},
			metrics_host_port: 9206,
			enable_event_monitoring: false,
		});
		for (const key of Object.keys(doc)) expect(KEY_SERVER_OPTIONS_FIELDS).toContain(key);
		// The only 32-byte hex values are the public ids (no seed, no derived key).
		const hex = yaml.match(/[0-9a-f]{64}/g) ?? [];
		for (const value of hex) expect([SEAL_PKG, KS_ID, POLICY]).toContain(`0x${value}`);
	});

	it('is read back by our own key server exactly as written (`keyserver start --config`)', () => {
		const parsed = parseKeyServerConfig(yaml);
		expect(parsed.keyServerObjectId).toBeUndefined();
		expect(parsed.metricsPort).toBe(9206);
		expect(parsed.clientConfigs).toMatchObject([
			{
				name: 'localnet-policy-client',
				clientMasterKey: { kind: 'Derived', derivationIndex: 0n },
				keyServerObjectId: KS_ID,
				packageIds: [POLICY],
			},
		]);
	});

	it("refuses what upstream's validate() refuses", () => {
		const base = {
			sealPackageId: SEAL_PKG,
			nodeUrl: 'http://x',
			clientName: 'c',
			derivationIndex: 0,
			keyServerObjectId: KS_ID,
			metricsPort: 1,
		};
		// "Client configuration must have at least one package ID"
		expect(() => permissionedYaml({ ...base, packageIds: [] })).toThrow(/at least one package/);
		// "Duplicate package ID"
		expect(() => permissionedYaml({ ...base, packageIds: [POLICY, POLICY] })).toThrow(/twice/);
		expect(() => permissionedYaml({ ...base, packageIds: [POLICY], derivationIndex: -1 })).toThrow(
			LocalnetTopologyError,
		);
	});
});
