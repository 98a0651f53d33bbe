/**
 * Permissioned mode (`server_mode: !Permissioned { client_configs }`), as MystenLabs/seal
 * crates/key-server/src/key_server_options.rs (`ClientConfig`, `ClientKeyType`, `validate`) and
 * master_keys.rs (`MasterKeys::load`, `log_unassigned_public_keys`) at ddc7e5d6:
 * - `MASTER_KEY` holds a 32-byte seed; a `!Derived { derivation_index }` client's key is
 *   `derive_master_key(seed, index)`; an `!Imported { env_var }` client's key is a BLS scalar
 *   read from that variable; an `!Exported { deprecated_derivation_index }` client is not served
 *   at all (its key was handed to the client), but its index stays taken.
 * - A request is served only for the first-version package ids a served client lists, with that
 *   client's key; `/v1/service` answers for each served client's own object id.
 * Secrets (seed, client keys) never reach a log line or an error message; logs carry public keys,
 * in upstream's wording (its `{:?}` quotes the strings), so operators can grep either server's log.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { InvalidInputError } from '../errors.js';
import type { Logger } from '../logger.js';
import { deriveMasterKey, parseSeedHex } from './derive-key.js';
import { PermissionedConfigError } from './errors.js';
import { parseMasterKeyHex, publicKeyFromMasterKey } from './keys.js';

export type ClientKeyType =
	| { kind: 'Derived'; derivationIndex: bigint }
	| { kind: 'Imported'; envVar: string }
	| { kind: 'Exported'; deprecatedDerivationIndex: bigint };

export interface ClientConfig {
	/** Internal name for tracking (unique). */
	name: string;
	clientMasterKey: ClientKeyType;
	/** The client's own on-chain `KeyServer` object (unique), normalized `0x` + 64 hex. */
	keyServerObjectId: string;
	/** First-version package ids served with this client's key (normalized). */
	packageIds: string[];
}

/** A client the server answers for, with its key (secret; the server wipes it on close). */
export interface PermissionedClientKey {
	name: string;
	objectId: string;
	masterKey: Uint8Array;
	packageIds: string[];
}

/** Environment variables read for the seed, first set wins (as the Open-mode master key). */
export const SEED_ENV = ['SEAL_KEYSERVER_MASTER_KEY', 'MASTER_KEY'] as const;

/** How many unassigned derived public keys are logged at start (upstream: 10). */
export const UNASSIGNED_KEYS_LOGGED = 10;

const FIELD = 'server_mode.client_configs';

function fail(where: string, what: string): never {
	throw new InvalidInputError(where, what);
}

/** `client_configs` of a `!Permissioned` mapping, field by field as serde reads them. */
export function parseClientConfigs(mode: Node | undefined): ClientConfig[] {
	if (!isMap(mode)) fail('server_mode', '!Permissioned needs client_configs');
	const list = mode.get('client_configs', true) as Node | undefined;
	if (list === undefined) fail(FIELD, 'is required (a list of clients)');
	// serde_yaml reads `client_configs:` with no value as an empty list.
	if (isScalar(list) && list.value === null) return [];
	if (!isSeq(list)) fail(FIELD, 'must be a list of clients');
	return list.items.map((item, i) => parseClientConfig(item as Node, `${FIELD}[${i}]`));
}

function parseClientConfig(node: Node, at: string): ClientConfig {
	if (!isMap(node))
		fail(at, 'must be a mapping with name, client_master_key, key_server_object_id, package_ids');
	const get = (key: string) => node.get(key, true) as Node | undefined;
	const nameNode = get('name');
	if (nameNode === undefined) fail(`${at}.name`, 'is required');
	if (!isScalar(nameNode) || nameNode.value === null || typeof nameNode.value === 'object') {
		fail(`${at}.name`, 'must be a string');
	}
	const keyNode = get('client_master_key');
	if (keyNode === undefined) fail(`${at}.client_master_key`, 'is required');
	const idNode = get('key_server_object_id');
	if (idNode === undefined) fail(`${at}.key_server_object_id`, 'is required');
	const pkgNode = get('package_ids');
	if (pkgNode === undefined) fail(`${at}.package_ids`, 'is required (first-version package ids)');
	let packageIds: string[];
	if (isScalar(pkgNode) && pkgNode.value === null) packageIds = [];
	else if (isSeq(pkgNode)) {
		packageIds = pkgNode.items.map((p, j) => objectIdField(p as Node, `${at}.package_ids[${j}]`));
	} else fail(`${at}.package_ids`, 'must be a list of package ids');
	return {
		// serde_yaml reads any plain scalar into a String as written (`name: 1.0` is "1.0").
		name:
			typeof nameNode.value === 'string'
				? nameNode.value
				: (nameNode.source ?? String(nameNode.value)),
		clientMasterKey: parseClientKey(keyNode, `${at}.client_master_key`),
		keyServerObjectId: objectIdField(idNode, `${at}.key_server_object_id`),
		packageIds,
	};
}

function parseClientKey(node: Node, at: string): ClientKeyType {
	const tag = node.tag?.replace(/^!/, '');
	const field = (key: string) =>
		isMap(node) ? (node.get(key, true) as Node | undefined) : undefined;
	switch (tag) {
		case 'Derived':
			return {
				kind: 'Derived',
				derivationIndex: u64Field(field('derivation_index'), `${at}.derivation_index`),
			};
		case 'Exported':
			return {
				kind: 'Exported',
				deprecatedDerivationIndex: u64Field(
					field('deprecated_derivation_index'),
					`${at}.deprecated_derivation_index`,
				),
			};
		case 'Imported': {
			const env = field('env_var');
			if (!isScalar(env) || typeof env.value !== 'string' || env.value === '') {
				fail(`${at}.env_var`, 'must name the environment variable holding the client key');
			}
			return { kind: 'Imported', envVar: env.value };
		}
		default:
			fail(
				at,
				`must be !Derived { derivation_index }, !Imported { env_var } or !Exported { deprecated_derivation_index }, got ${tag ? `!${tag}` : 'no tag'}`,
			);
	}
}

/** A u64 from YAML, read from the source text so indices above 2^53 stay exact. */
function u64Field(node: Node | undefined, at: string): bigint {
	if (node === undefined) fail(at, 'is required (an integer ≥ 0)');
	const source =
		isScalar(node) && typeof node.value === 'number' ? String(node.source ?? node.value) : '';
	if (!/^[0-9]+$/.test(source) || BigInt(source) > (1n << 64n) - 1n) {
		fail(at, 'must be an integer in 0..2^64-1');
	}
	return BigInt(source);
}

/** `ObjectID` from YAML: `0x` + 1..64 hex digits, zero-padded (as config-file.ts reads ids). */
function objectIdField(node: Node | undefined, at: string): string {
	const value = isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
	if (value === undefined || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
		fail(at, 'must be an object id (0x + up to 64 hex digits)');
	}
	return `0x${value.slice(2).toLowerCase().padStart(64, '0')}`;
}

/**
 * Upstream's `KeyServerOptions::validate`, rule by rule and in its order (the first broken rule
 * is reported, with upstream's message):
 * 1. each client lists at least one package; 2. client names are unique; 3. derivation indices
 * (Derived and Exported together) are unique; 4. imported env-var names are unique; 5. object ids
 * are unique across key-server ids and package ids alike; 6. indices run 0, 1, 2, … without gaps.
 */
export function validateClientConfigs(configs: readonly ClientConfig[]): void {
	const names = new Set<string>();
	const indices = new Set<bigint>();
	const envVars = new Set<string>();
	const ids = new Set<string>();
	for (const config of configs) {
		if (config.packageIds.length === 0) {
			throw new PermissionedConfigError(
				`Client configuration must have at least one package ID: ${config.name}`,
				'list the first-version package ids this client may decrypt under',
			);
		}
		if (names.has(config.name)) {
			throw new PermissionedConfigError(
				`Duplicate client name: ${config.name}`,
				'names must be unique',
			);
		}
		names.add(config.name);
		const key = config.clientMasterKey;
		if (key.kind === 'Imported') {
			if (envVars.has(key.envVar)) {
				throw new PermissionedConfigError(
					`Duplicate environment variable: ${key.envVar}`,
					'each imported client key needs its own variable',
				);
			}
			envVars.add(key.envVar);
		} else {
			const index = key.kind === 'Derived' ? key.derivationIndex : key.deprecatedDerivationIndex;
			if (indices.has(index)) {
				throw new PermissionedConfigError(
					`Duplicate derivation index: ${index}`,
					'a derivation index, also an exported one, belongs to one client for good',
				);
			}
			indices.add(index);
		}
		if (ids.has(config.keyServerObjectId)) {
			throw new PermissionedConfigError(
				`Duplicate key server object ID: ${config.keyServerObjectId}`,
				'each client has its own KeyServer object',
			);
		}
		ids.add(config.keyServerObjectId);
		for (const pkg of config.packageIds) {
			if (ids.has(pkg)) {
				throw new PermissionedConfigError(
					`Duplicate package ID: ${pkg}`,
					'a package belongs to one client, and is not a key server object id',
				);
			}
			ids.add(pkg);
		}
	}
	for (let i = 0n; i < BigInt(indices.size); i++) {
		if (!indices.has(i)) {
			throw new PermissionedConfigError(
				'Derivation indexes must be incremental, starting from 0',
				`index ${i} is not used; 'seal-policies keyserver derive-key --index ${i}' gives its public key`,
			);
		}
	}
}

/** Object ids `/v1/service` answers for (upstream `get_supported_key_server_object_ids`). */
export function servedObjectIds(configs: readonly ClientConfig[]): string[] {
	return configs
		.filter((c) => c.clientMasterKey.kind !== 'Exported')
		.map((c) => c.keyServerObjectId);
}

/** The first derivation index no client holds (Derived or Exported): max + 1, or 0. */
export function nextFreeDerivationIndex(configs: readonly ClientConfig[]): bigint {
	let next = 0n;
	for (const { clientMasterKey: key } of configs) {
		const index =
			key.kind === 'Derived'
				? key.derivationIndex
				: key.kind === 'Exported'
					? key.deprecatedDerivationIndex
					: undefined;
		if (index !== undefined && index + 1n > next) next = index + 1n;
	}
	return next;
}

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;

/**
 * Upstream `MasterKeys::load` for Permissioned mode: reads the seed (and each imported key) from
 * `env` and REMOVES those variables from it, so child processes never inherit them; logs each
 * served client's public key and the next ten unassigned derived public keys; refuses to go on
 * without a served client ("No clients found in the configuration").
 * Call `validateClientConfigs` first (upstream validates before loading).
 */
export function loadPermissionedKeys(
	configs: readonly ClientConfig[],
	env: NodeJS.ProcessEnv,
	logger: Logger,
): PermissionedClientKey[] {
	const seed = takeSeed(env);
	const clients: PermissionedClientKey[] = [];
	try {
		for (const config of configs) {
			const key = config.clientMasterKey;
			if (key.kind === 'Exported') continue;
			const masterKey =
				key.kind === 'Derived'
					? deriveMasterKey(seed, key.derivationIndex)
					: takeImportedKey(env, key.envVar);
			clients.push({
				name: config.name,
				objectId: config.keyServerObjectId,
				masterKey,
				packageIds: [...config.packageIds],
			});
			logger.info(
				`Client ${JSON.stringify(config.name)} uses public key: "${hex(publicKeyFromMasterKey(masterKey))}"`,
			);
		}
		const next = nextFreeDerivationIndex(configs);
		for (let i = 0n; i < BigInt(UNASSIGNED_KEYS_LOGGED); i++) {
			const key = deriveMasterKey(seed, next + i);
			logger.info(
				`Unassigned derived public key with index ${next + i}: "${hex(publicKeyFromMasterKey(key))}"`,
			);
			key.fill(0);
		}
		if (clients.length === 0) {
			throw new PermissionedConfigError(
				'No clients found in the configuration',
				'add a client with !Derived or !Imported; !Exported clients are not served',
			);
		}
		return clients;
	} catch (error) {
		for (const client of clients) client.masterKey.fill(0);
		throw error;
	} finally {
		seed.fill(0);
	}
}

function takeSeed(env: NodeJS.ProcessEnv): Uint8Array {
	const name = SEED_ENV.find((n) => env[n] !== undefined && env[n] !== '');
	if (name === undefined) {
		throw new InvalidInputError(
			SEED_ENV[1],
			`Environment variable MASTER_KEY must be set: in Permissioned mode it is the 32-byte seed (hex) from 'seal-policies keyserver gen-seed'`,
		);
	}
	const value = env[name]!;
	for (const n of SEED_ENV) delete env[n];
	return parseSeedHex(value, name);
}

function takeImportedKey(env: NodeJS.ProcessEnv, name: string): Uint8Array {
	const value = env[name];
	if (value === undefined) {
		throw new InvalidInputError(
			name,
			`Environment variable ${name} must be set (an !Imported client key, 64 hex chars)`,
		);
	}
	delete env[name];
	try {
		return parseMasterKeyHex(value);
	} catch (error) {
		throw new InvalidInputError(
			name,
			`Invalid master key for environment variable ${name} (64 hex chars of a BLS12-381 scalar)`,
			{
				cause: error,
			},
		);
	}
}
