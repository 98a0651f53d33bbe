/**
 * Reads Mysten's `key-server-config.yaml` (MystenLabs/seal crates/key-server/src/
 * key_server_options.rs and key-server-config.yaml at ddc7e5d6), so one file drives either
 * server. Supported: `network` (`Testnet`, `Mainnet`, `!Devnet { seal_package }`), `node_url`,
 * `server_mode: !Open { key_server_object_id }`, `!Permissioned { client_configs }`
 * (permissioned.ts) or `!Committee { member_address, key_server_obj_id, committee_state }`
 * (committee/config.ts), `metrics_host_port`, `allowed_staleness`, `session_key_ttl_max`,
 * `rgp_update_interval` (duration_str strings such as `'5s'`, `2m`, `1h 30m`). Other known keys of
 * Mysten's file are accepted and reported as ignored; unknown keys are ignored (serde does too).
 * Secrets never live in this file: `MASTER_KEY` and `PORT` come from the environment.
 */
import { parseDocument, isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import { InvalidInputError } from '../errors.js';
import { parseClientConfigs, validateClientConfigs, type ClientConfig } from './permissioned.js';
import { parseCommitteeMode, type CommitteeModeConfig } from './committee/config.js';

/** Seal package of Mysten's default deployments (crates/key-server/src/seal_package.rs). */
export const SEAL_PACKAGE_BY_NETWORK = {
	Testnet: '0xdccbeb87767be2b2346af5575eb139807205e4c23ec53dc616f951fe1d814112',
	Mainnet: '0x931739224160073d8e391c9aa6e7ade9818e9814b4907066b7efa058636c4e45',
} as const;

/** Default node per network (crates/key-server/src/common.rs `default_node_url`). */
export const DEFAULT_NODE_URL = {
	Devnet: 'https://fullnode.devnet.sui.io:443',
	Testnet: 'https://fullnode.testnet.sui.io:443',
	Mainnet: 'https://fullnode.mainnet.sui.io:443',
} as const;

export interface KeyServerFileConfig {
	network: 'Devnet' | 'Testnet' | 'Mainnet';
	sealPackageId: string;
	nodeUrl: string;
	/** Open mode's `key_server_object_id`; undefined in Permissioned mode (each client has one). */
	keyServerObjectId: string | undefined;
	/** Permissioned mode's clients, validated as upstream; undefined in Open mode. */
	clientConfigs?: ClientConfig[];
	metricsPort: number;
	allowedStalenessMs: number;
	sessionKeyTtlMaxMinutes: number;
	rgpUpdateIntervalMs: number;
	/** Keys of Mysten's file that this server reads but does not act on. */
	ignored: string[];
	/** `server_mode: !Committee` (then `keyServerObjectId` is its `key_server_obj_id`). */
	committee?: CommitteeModeConfig;
}

const IGNORED_KNOWN_KEYS = [
	'ts_sdk_version_requirement',
	'rust_sdk_version_requirement',
	'python_sdk_version_requirement',
	'aggregator_version_requirement',
	'rpc_config',
	'metrics_push_config',
	'enable_event_monitoring',
];

function fail(what: string): never {
	throw new InvalidInputError('config', what);
}

/** Parses the YAML text; `env.NODE_URL` fills `node_url` when the file has none (as Mysten). */
export function parseKeyServerConfig(
	text: string,
	env: NodeJS.ProcessEnv = {},
): KeyServerFileConfig {
	const doc = parseDocument(text, { uniqueKeys: true });
	if (doc.errors.length > 0) fail(`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
	const root = doc.contents;
	if (!isMap(root)) fail('expected a mapping at the top level');
	const get = (key: string) => (root as YAMLMap).get(key, true) as Node | undefined;

	const network = parseNetwork(get('network'));
	const mode = get('server_mode');
	const modeTag = mode?.tag?.replace(/^!/, '');
	let keyServerObjectId: string | undefined;
	let clientConfigs: ClientConfig[] | undefined;
	let committee: CommitteeModeConfig | undefined;
	if (modeTag === 'Permissioned') {
		clientConfigs = parseClientConfigs(mode);
		validateClientConfigs(clientConfigs);
	} else if (modeTag === 'Committee' && mode) {
		committee = parseCommitteeMode(mode);
		keyServerObjectId = committee.keyServerObjectId;
	} else if (modeTag !== 'Open' || !isMap(mode)) {
		fail(
			"server_mode must be '!Open' with key_server_object_id, '!Permissioned' with client_configs, or '!Committee' with member_address, key_server_obj_id and committee_state",
		);
	} else {
		keyServerObjectId = objectId(
			scalarString(mode.get('key_server_object_id', true) as Node | undefined),
			'server_mode.key_server_object_id',
		);
	}

	const fileNodeUrl = optionalString(get('node_url'), 'node_url');
	if (fileNodeUrl !== undefined && env['NODE_URL']) {
		fail('node_url is set both in the file and in NODE_URL; keep one');
	}
	const nodeUrl = fileNodeUrl ?? env['NODE_URL'] ?? DEFAULT_NODE_URL[network.name];
	try {
		new URL(nodeUrl);
	} catch {
		fail(`node_url '${nodeUrl}' is not a URL`);
	}

	const metricsPort = integerField(get('metrics_host_port'), 'metrics_host_port', 9184, 0, 65_535);
	const ttlMaxMs = durationField(get('session_key_ttl_max'), 'session_key_ttl_max', 30 * 60_000);
	if (ttlMaxMs % 60_000 !== 0 || ttlMaxMs === 0) {
		fail('session_key_ttl_max must be a whole, positive number of minutes');
	}
	const ignored = IGNORED_KNOWN_KEYS.filter((key) => get(key) !== undefined);
	return {
		network: network.name,
		sealPackageId: network.sealPackageId,
		nodeUrl,
		keyServerObjectId,
		...(clientConfigs ? { clientConfigs } : {}),
		metricsPort,
		allowedStalenessMs: durationField(get('allowed_staleness'), 'allowed_staleness', 120_000),
		sessionKeyTtlMaxMinutes: ttlMaxMs / 60_000,
		rgpUpdateIntervalMs: durationField(get('rgp_update_interval'), 'rgp_update_interval', 60_000),
		ignored,
		...(committee ? { committee } : {}),
	};
}

export function parseNetwork(node: Node | undefined): {
	name: KeyServerFileConfig['network'];
	sealPackageId: string;
} {
	if (node === undefined) fail('network is required (Testnet, Mainnet or !Devnet)');
	const tag = node.tag?.replace(/^!/, '');
	const plain = isScalar(node) && node.tag === undefined ? node.value : undefined;
	const name = tag ?? plain;
	if (name === 'Testnet' || name === 'Mainnet') {
		return { name, sealPackageId: SEAL_PACKAGE_BY_NETWORK[name] };
	}
	if (name === 'Devnet') {
		if (!isMap(node)) fail('network !Devnet needs seal_package');
		const seal = scalarString(node.get('seal_package', true) as Node | undefined);
		return { name, sealPackageId: objectId(seal, 'network.seal_package') };
	}
	fail(`network must be Testnet, Mainnet or !Devnet, got '${String(name)}'`);
}

function scalarString(node: Node | undefined): string | undefined {
	if (node === undefined || !isScalar(node)) return undefined;
	return node.value === null || node.value === undefined ? undefined : String(node.value);
}

function optionalString(node: Node | undefined, field: string): string | undefined {
	if (node === undefined || (isScalar(node) && node.value === null)) return undefined;
	if (!isScalar(node) || typeof node.value !== 'string') fail(`${field} must be a string`);
	return node.value;
}

/** `ObjectID` from YAML: a `0x` hex literal of 1..64 digits (short forms are zero-padded). */
function objectId(value: string | undefined, field: string): string {
	if (value === undefined || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
		fail(`${field} must be an object id (0x + up to 64 hex digits)`);
	}
	return `0x${value.slice(2).toLowerCase().padStart(64, '0')}`;
}

function integerField(
	node: Node | undefined,
	field: string,
	fallback: number,
	min: number,
	max: number,
): number {
	if (node === undefined) return fallback;
	const value = isScalar(node) ? node.value : undefined;
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		fail(`${field} must be an integer in ${min}..${max}`);
	}
	return value;
}

const UNIT_MS: Record<string, number> = {
	ms: 1,
	s: 1000,
	m: 60_000,
	min: 60_000,
	h: 3_600_000,
	d: 86_400_000,
};

/** duration_str forms used in Mysten's configs: `5s`, `2m`, `100ms`, `1h 30m`, `1h+30m`; a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
	const trimmed = text.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
	const parts = trimmed.split(/\s*\+\s*|\s+/).filter((part) => part.length > 0);
	if (parts.length === 0) return undefined;
	let total = 0;
	for (const part of parts) {
		const match = /^(\d+)(ms|s|min|m|h|d)$/.exec(part);
		if (!match) return undefined;
		total += Number(match[1]) * UNIT_MS[match[2]!]!;
	}
	return total;
}

function durationField(node: Node | undefined, field: string, fallback: number): number {
	if (node === undefined) return fallback;
	const raw = isScalar(node) ? node.value : undefined;
	const ms =
		typeof raw === 'string'
			? parseDuration(raw)
			: typeof raw === 'number' && Number.isInteger(raw) && raw >= 0
				? raw * 1000
				: undefined;
	if (ms === undefined) fail(`${field} must be a duration such as '30s', '2m' or '1h'`);
	return ms;
}
