/**
 * YAML configs, in Mysten's formats, for the committee members, the aggregator and the
 * Permissioned server of a localnet (MystenLabs/seal seal-v0.6.10):
 * - member / permissioned: `KeyServerOptions` (crates/key-server/src/key_server_options.rs) with
 *   `server_mode: !Committee { member_address, key_server_obj_id, committee_state: !Active }` as in
 *   docs/content/KeyServerCommitteeOps.mdx, or `!Permissioned { client_configs: [...] }`;
 * - aggregator: `AggregatorOptions` (crates/key-server/src/aggregator/server.rs, example
 *   crates/key-server/src/aggregator/aggregator-config.yaml): `network`, `node_url`,
 *   `key_server_object_id`, `api_credentials` keyed by the on-chain `PartialKeyServer.name`.
 * Secrets never appear in these files except the aggregator's per-member API keys (written 0600):
 * shares and seeds go to the processes' environment only.
 */
import { normalizeObjectId } from '../identity.js';
import { LocalnetTopologyError } from './errors.js';

interface NetworkOptions {
	sealPackageId: string;
	nodeUrl: string;
}

function networkLines(options: NetworkOptions): string[] {
	const sealPackage = normalizeObjectId(options.sealPackageId, 'sealPackageId');
	const nodeUrl = new URL(options.nodeUrl).toString().replace(/\/+$/, '');
	return ['network: !Devnet', `  seal_package: '${sealPackage}'`, `node_url: ${nodeUrl}`];
}

function checkPort(port: number, what: string): number {
	if (!Number.isInteger(port) || port < 1 || port > 65_535) {
		throw new LocalnetTopologyError(what, `${port} is not a TCP port`);
	}
	return port;
}

/** A YAML single-quoted scalar of a plain name (letters, digits, `-`, `_`, `.`). */
function quotedName(name: string, what: string): string {
	if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
		throw new LocalnetTopologyError(what, `'${name}' must be 1-64 of A-Z a-z 0-9 . _ -`);
	}
	return `'${name}'`;
}

export interface CommitteeMemberConfigOptions extends NetworkOptions {
	memberAddress: string;
	keyServerObjectId: string;
	metricsPort: number;
}

/** One member's config; its share is `MASTER_SHARE_V0` in its environment (committee version 0). */
export function committeeMemberYaml(options: CommitteeMemberConfigOptions): string {
	return [
		'# Written by `seal-policies localnet up`. The share is passed as MASTER_SHARE_V0, never here.',
		...networkLines(options),
		'server_mode: !Committee',
		`  member_address: '${normalizeObjectId(options.memberAddress, 'memberAddress')}'`,
		`  key_server_obj_id: '${normalizeObjectId(options.keyServerObjectId, 'keyServerObjectId')}'`,
		'  committee_state: !Active',
		`metrics_host_port: ${checkPort(options.metricsPort, 'metricsPort')}`,
		// Event monitoring follows the seal_committee package's rotation events (and needs JSON-RPC);
		// a localnet committee has no such package.
		'enable_event_monitoring: false',
		'',
	].join('\n');
}

export interface AggregatorMemberCredentials {
	/** The on-chain `PartialKeyServer.name`. */
	name: string;
	apiKeyName: string;
	/** Secret (the file is written 0600). */
	apiKey: string;
}

export interface AggregatorConfigOptions extends NetworkOptions {
	keyServerObjectId: string;
	members: readonly AggregatorMemberCredentials[];
	keyServerTimeoutSecs?: number;
}

/**
 * The aggregator's config. Upstream refuses to call a member without credentials ("Missing API
 * credentials config for server …"), so every member gets one even though key servers do not
 * check them (a gateway in front would).
 */
export function aggregatorYaml(options: AggregatorConfigOptions): string {
	const lines = [
		'# Written by `seal-policies localnet up` (aggregator for the localnet committee).',
		...networkLines(options),
		`key_server_object_id: '${normalizeObjectId(options.keyServerObjectId, 'keyServerObjectId')}'`,
	];
	if (options.keyServerTimeoutSecs !== undefined) {
		if (!Number.isInteger(options.keyServerTimeoutSecs) || options.keyServerTimeoutSecs < 1)
			throw new LocalnetTopologyError('keyServerTimeoutSecs', 'must be a positive integer');
		lines.push(`key_server_timeout_secs: ${options.keyServerTimeoutSecs}`);
	}
	lines.push('api_credentials:');
	const seen = new Set<string>();
	for (const member of options.members) {
		if (seen.has(member.name))
			throw new LocalnetTopologyError('api_credentials', `'${member.name}' is listed twice`);
		seen.add(member.name);
		if (!/^[A-Za-z0-9-]{1,64}$/.test(member.apiKeyName))
			throw new LocalnetTopologyError('api_key_name', 'must be an HTTP header name');
		if (!/^[A-Za-z0-9_-]{16,128}$/.test(member.apiKey))
			throw new LocalnetTopologyError('api_key', 'must be 16-128 URL-safe characters');
		lines.push(
			`  ${quotedName(member.name, 'member name')}:`,
			`    api_key_name: ${member.apiKeyName}`,
			`    api_key: '${member.apiKey}'`,
		);
	}
	lines.push('');
	return lines.join('\n');
}

export interface PermissionedConfigOptions extends NetworkOptions {
	clientName: string;
	derivationIndex: number;
	keyServerObjectId: string;
	/** First-version package ids the client may use. */
	packageIds: readonly string[];
	metricsPort: number;
}

/** A Permissioned server with one `!Derived` client; its seed is `MASTER_KEY` in its env. */
export function permissionedYaml(options: PermissionedConfigOptions): string {
	if (options.packageIds.length === 0) {
		// Upstream's validate(): "Client configuration must have at least one package ID".
		throw new LocalnetTopologyError('package_ids', 'a client needs at least one package id');
	}
	if (!Number.isInteger(options.derivationIndex) || options.derivationIndex < 0)
		throw new LocalnetTopologyError('derivation_index', 'must be a non-negative integer');
	const packages = options.packageIds.map((id) => normalizeObjectId(id, 'packageIds'));
	if (new Set(packages).size !== packages.length)
		throw new LocalnetTopologyError('package_ids', 'a package id is listed twice');
	return [
		'# Written by `seal-policies localnet up`. The seed is passed as MASTER_KEY, never here.',
		...networkLines(options),
		'server_mode: !Permissioned',
		'  client_configs:',
		`    - name: ${quotedName(options.clientName, 'client name')}`,
		'      client_master_key: !Derived',
		`        derivation_index: ${options.derivationIndex}`,
		`      key_server_object_id: '${normalizeObjectId(options.keyServerObjectId, 'keyServerObjectId')}'`,
		'      package_ids:',
		...packages.map((id) => `        - '${id}'`),
		`metrics_host_port: ${checkPort(options.metricsPort, 'metricsPort')}`,
		'enable_event_monitoring: false',
		'',
	].join('\n');
}
