/**
 * Mysten's aggregator-config.yaml (MystenLabs/seal crates/key-server/src/aggregator/server.rs
 * `AggregatorOptions` and aggregator-config.yaml, ddc7e5d6): `network`, `node_url`,
 * `key_server_object_id`, `ts_sdk_version_requirement` (default `>=0.10.0`),
 * `rust_sdk_version_requirement` / `python_sdk_version_requirement` (`>=0.0.0`),
 * `key_server_version_requirement` (`>=0.6.2`), `key_server_timeout_secs` (8),
 * `api_credentials: {<PartialKeyServer.name>: {api_key_name, api_key}}`; `rpc_config` and
 * `metrics_push_config` are accepted and reported as ignored. Unknown keys are ignored (serde).
 * The listening port comes from `PORT` (default 2024), metrics from 9184 (mysten-service).
 */
import { isMap, isScalar, parseDocument, type Node, type YAMLMap } from 'yaml';
import { InvalidInputError } from '../../errors.js';
import { DEFAULT_NODE_URL, parseNetwork } from '../config-file.js';
import { parseVersionReq, type VersionReq } from './version-req.js';

export interface ApiCredentials {
	apiKeyName: string;
	/** Secret: sent to the member only, never logged. */
	apiKey: string;
}

export interface AggregatorConfig {
	network: 'Devnet' | 'Testnet' | 'Mainnet';
	nodeUrl: string;
	keyServerObjectId: string;
	tsSdkVersionRequirement: VersionReq;
	rustSdkVersionRequirement: VersionReq;
	pythonSdkVersionRequirement: VersionReq;
	keyServerVersionRequirement: VersionReq;
	keyServerTimeoutMs: number;
	/** By the member's on-chain `PartialKeyServer.name`. */
	apiCredentials: Map<string, ApiCredentials>;
	ignored: string[];
}

function fail(what: string): never {
	throw new InvalidInputError('aggregator config', what);
}

export function parseAggregatorConfig(text: string, env: NodeJS.ProcessEnv = {}): AggregatorConfig {
	const doc = parseDocument(text, { uniqueKeys: true });
	if (doc.errors.length > 0) fail(`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
	const root = doc.contents;
	if (!isMap(root)) fail('expected a mapping at the top level');
	const get = (key: string) => (root as YAMLMap).get(key, true) as Node | undefined;
	const network = parseNetwork(get('network'));

	const ksNode = get('key_server_object_id');
	const ksText =
		ksNode && isScalar(ksNode) && ksNode.value !== null
			? typeof ksNode.value === 'string'
				? ksNode.value
				: (ksNode.source ?? String(ksNode.value))
			: undefined;
	if (ksText === undefined || !/^0x[0-9a-fA-F]{1,64}$/.test(ksText)) {
		fail('key_server_object_id is required: the committee KeyServer object id (0x + hex)');
	}
	const keyServerObjectId = `0x${ksText.slice(2).toLowerCase().padStart(64, '0')}`;

	const nodeNode = get('node_url');
	const fileNodeUrl =
		nodeNode === undefined || (isScalar(nodeNode) && nodeNode.value === null)
			? undefined
			: isScalar(nodeNode) && typeof nodeNode.value === 'string'
				? nodeNode.value
				: fail('node_url must be a string');
	const nodeUrl = fileNodeUrl ?? env['NODE_URL'] ?? DEFAULT_NODE_URL[network.name];
	try {
		new URL(nodeUrl);
	} catch {
		fail(`node_url '${nodeUrl}' is not a URL`);
	}

	const req = (key: string, fallback: string): VersionReq => {
		const node = get(key);
		if (node === undefined) return parseVersionReq(fallback, key);
		if (!isScalar(node) || typeof node.value !== 'string')
			fail(`${key} must be a string such as '>=0.6.2'`);
		return parseVersionReq(node.value, key);
	};

	const timeoutNode = get('key_server_timeout_secs');
	let timeoutSecs = 8;
	if (timeoutNode !== undefined) {
		const value = isScalar(timeoutNode) ? timeoutNode.value : undefined;
		if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
			fail('key_server_timeout_secs must be a whole number of seconds');
		}
		timeoutSecs = value;
	}

	const apiCredentials = new Map<string, ApiCredentials>();
	const credsNode = get('api_credentials');
	if (credsNode !== undefined && !(isScalar(credsNode) && credsNode.value === null)) {
		if (!isMap(credsNode)) fail('api_credentials must map member names to {api_key_name, api_key}');
		for (const pair of credsNode.items) {
			const name = isScalar(pair.key)
				? String(pair.key.value)
				: fail('api_credentials: a member name must be a string');
			const entry = pair.value as Node | null;
			if (!entry || !isMap(entry))
				fail(`api_credentials.${name} must have api_key_name and api_key`);
			const field = (key: string) => {
				const node = entry.get(key, true) as Node | undefined;
				if (!node || !isScalar(node) || node.value === null || typeof node.value === 'object') {
					fail(`api_credentials.${name}.${key} is required (a string)`);
				}
				return String(node.value);
			};
			const apiKeyName = field('api_key_name');
			// A header name (RFC 9110 token): anything else cannot be sent.
			if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(apiKeyName)) {
				fail(`api_credentials.${name}.api_key_name '${apiKeyName}' is not a valid header name`);
			}
			apiCredentials.set(name, { apiKeyName, apiKey: field('api_key') });
		}
	}

	return {
		network: network.name,
		nodeUrl,
		keyServerObjectId,
		tsSdkVersionRequirement: req('ts_sdk_version_requirement', '>=0.10.0'),
		rustSdkVersionRequirement: req('rust_sdk_version_requirement', '>=0.0.0'),
		pythonSdkVersionRequirement: req('python_sdk_version_requirement', '>=0.0.0'),
		keyServerVersionRequirement: req('key_server_version_requirement', '>=0.6.2'),
		keyServerTimeoutMs: timeoutSecs * 1000,
		apiCredentials,
		ignored: ['rpc_config', 'metrics_push_config'].filter((key) => get(key) !== undefined),
	};
}
