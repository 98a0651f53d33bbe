// CONTRACT (owned by the core-library work): types below are relied on by other modules; the
// loader is implemented by the core-library helper.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml } from 'yaml';

import {
	type ConfigSource,
	ConfigError,
	ConfigFileError,
	DuplicateKeyServerError,
	InvalidIdError,
	MissingKeyServersError,
	ThresholdConfigError,
} from './errors.js';
import { normalizeObjectId } from './identity.js';
import { NETWORKS, parseNetwork, type KeyServerEntry, type NetworkName } from './chain/networks.js';

export interface SealSettings {
	/** Original (version 1) package id of the policy package; identities and session keys use it. */
	policyPackage: string | undefined;
	/** Default policy object (e.g. an allowlist) for commands that need one. */
	policyObject: string | undefined;
	servers: readonly KeyServerEntry[];
	threshold: number | undefined;
}

export interface HarnessConfig {
	network: NetworkName;
	rpcUrl: string;
	faucetUrl: string | undefined;
	seal: SealSettings;
	/**
	 * Access log for key fetches (absolute path; yaml `auditLog`, env `SEAL_AUDIT_LOG`). Absent:
	 * no access log is written.
	 */
	auditLog?: string;
	/** Where each top-level value came from (for error messages and `config show`). */
	sources: Readonly<Record<string, ConfigSource>>;
}

// === loader ===

export interface LoadConfigOptions {
	/** Process environment (highest precedence). Defaults to `process.env`; never mutated. */
	env?: NodeJS.ProcessEnv;
	/** Explicit config file (`--config`); it must exist. */
	configPath?: string;
	/** `--network`: outranks every other source; errors name the flag. */
	networkFlag?: string;
	/** Where `./config.yaml` and `.env` are looked up. Defaults to `process.cwd()`. */
	cwd?: string;
	/** Also require a non-empty key-server list and a threshold (commands that talk to Seal). */
	requireSeal?: boolean;
}

/** A value together with the source it came from. */
interface Sourced<T> {
	value: T;
	source: ConfigSource;
}

/** What one source (config.yaml, .env, env) sets; absent keys are left to lower sources. */
interface Layer {
	network?: Sourced<string>;
	rpcUrl?: Sourced<string>;
	faucetUrl?: Sourced<string>;
	policyPackage?: Sourced<string>;
	policyObject?: Sourced<string>;
	servers?: Sourced<KeyServerEntry[]>;
	/** Server ids from `SEAL_SERVER_IDS`: details (weight, API key) are looked up in config.yaml. */
	serverIds?: Sourced<string[]>;
	threshold?: Sourced<unknown>;
	auditLog?: Sourced<string>;
}

/** Layer keys holding one plain string. */
type StringKey = 'network' | 'rpcUrl' | 'faucetUrl' | 'policyPackage' | 'policyObject' | 'auditLog';

const TOP_KEYS = new Set(['network', 'rpcUrl', 'faucetUrl', 'auditLog', 'seal']);
const SEAL_KEYS = new Set(['policyPackage', 'policyObject', 'serverIds', 'servers', 'threshold']);
const SERVER_KEYS = new Set(['objectId', 'weight', 'aggregatorUrl', 'apiKeyName', 'apiKey']);

/**
 * Loads the harness configuration. Sources, lowest to highest precedence: built-in network
 * presets → config.yaml (`configPath`, else `SEAL_CONFIG`, else `./config.yaml`; a missing default
 * file is fine, a missing explicit one is an error) → `.env` in `cwd` → the environment.
 *
 * Env variables: `SUI_NETWORK`, `SUI_RPC_URL`, `SUI_FAUCET_URL`, `SEAL_POLICY_PACKAGE`,
 * `SEAL_POLICY_OBJECT`, `SEAL_SERVER_IDS` (comma-separated), `SEAL_THRESHOLD`, `SEAL_CONFIG`,
 * `SEAL_AUDIT_LOG` (relative paths are resolved against `cwd`).
 * Every problem is a `ConfigError` subclass naming the field and its source; secrets (API keys)
 * never appear in messages. The result is frozen.
 */
export function loadConfig(options: LoadConfigOptions = {}): HarnessConfig {
	const env = options.env ?? process.env;
	const cwd = options.cwd ?? process.cwd();
	const dotenvValues = readDotenv(join(cwd, '.env'));

	const explicit = explicitConfigFile(options.configPath, env, dotenvValues);
	const yamlPath =
		explicit === undefined ? join(cwd, 'config.yaml') : resolvePath(cwd, explicit.value);
	const yamlLayer = readYamlLayer(yamlPath, explicit);
	const flagLayer: Layer =
		options.networkFlag === undefined
			? {}
			: { network: { value: options.networkFlag, source: '--network' } };
	const layers = [yamlLayer, envLayer(dotenvValues, '.env'), envLayer(env, 'env'), flagLayer];

	// Later layers win.
	const pick = <K extends keyof Layer>(key: K): Layer[K] | undefined => {
		let found: Layer[K] | undefined;
		for (const layer of layers) if (layer[key] !== undefined) found = layer[key];
		return found;
	};

	const sources: Record<string, ConfigSource> = {};
	const networkValue = pick('network');
	const network = networkValue ? parseNetwork(networkValue.value, networkValue.source) : 'localnet';
	sources['network'] = networkValue?.source ?? 'preset';
	const preset = NETWORKS[network];

	const rpcUrl = pick('rpcUrl');
	sources['rpcUrl'] = rpcUrl?.source ?? 'preset';
	const faucetUrl = pick('faucetUrl');
	sources['faucetUrl'] = faucetUrl?.source ?? 'preset';

	const auditLog = pick('auditLog');
	if (auditLog) sources['auditLog'] = auditLog.source;

	const policyPackage = optionalId(pick('policyPackage'), 'seal.policyPackage');
	const policyObject = optionalId(pick('policyObject'), 'seal.policyObject');
	if (policyPackage) sources['seal.policyPackage'] = policyPackage.source;
	if (policyObject) sources['seal.policyObject'] = policyObject.source;

	const servers = resolveServers(pick('servers'), pick('serverIds'), yamlLayer.servers);
	const usePreset = servers === undefined;
	const serverList = servers?.value ?? preset.defaultKeyServers.map((server) => ({ ...server }));
	const serverSource: ConfigSource = servers?.source ?? 'preset';
	sources['seal.servers'] = serverSource;
	checkDuplicates(serverList, serverSource);

	const thresholdValue = pick('threshold');
	const threshold = thresholdValue
		? parseThreshold(thresholdValue)
		: usePreset
			? preset.defaultThreshold
			: undefined;
	if (threshold !== undefined) sources['seal.threshold'] = thresholdValue?.source ?? 'preset';
	const totalWeight = serverList.reduce((sum, server) => sum + server.weight, 0);
	if (threshold !== undefined && serverList.length > 0 && threshold > totalWeight) {
		throw new ThresholdConfigError(
			'seal.threshold',
			sources['seal.threshold'],
			`threshold ${threshold} exceeds the total key-server weight ${totalWeight} (servers from ${serverSource}); lower it or add servers`,
		);
	}
	if (options.requireSeal) {
		if (serverList.length === 0) {
			throw new MissingKeyServersError(
				'seal.servers',
				serverSource,
				`no key servers configured for ${network}; set seal.serverIds / seal.servers in config.yaml or SEAL_SERVER_IDS`,
			);
		}
		if (threshold === undefined) {
			throw new ThresholdConfigError(
				'seal.threshold',
				undefined,
				'no threshold configured; set seal.threshold in config.yaml or SEAL_THRESHOLD',
			);
		}
	}

	return deepFreeze({
		network,
		rpcUrl: rpcUrl ? checkUrl(rpcUrl, 'rpcUrl') : preset.rpcUrl,
		faucetUrl: faucetUrl ? checkUrl(faucetUrl, 'faucetUrl') : preset.faucetUrl,
		...(auditLog ? { auditLog: resolvePath(cwd, auditLog.value) } : {}),
		seal: {
			policyPackage: policyPackage?.value,
			policyObject: policyObject?.value,
			servers: serverList,
			threshold,
		},
		sources,
	});
}

/** What the signer reads (see ts/chain/signer.ts), with where `SUI_PRIVATE_KEY` came from. */
export interface SignerSettings {
	SUI_PRIVATE_KEY?: string;
	SUI_CONFIG_DIR?: string;
	/** `'env'` or `'.env'` when `SUI_PRIVATE_KEY` is set; names the source in signer errors. */
	privateKeySource?: ConfigSource;
}

/**
 * `SUI_PRIVATE_KEY` and `SUI_CONFIG_DIR` from the environment, else from `.env` in `cwd` (the
 * same precedence as every other variable). The key is returned, never logged or printed.
 */
export function loadSignerSettings(
	options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): SignerSettings {
	const env = options.env ?? process.env;
	const dotenvValues = readDotenv(join(options.cwd ?? process.cwd(), '.env'));
	const settings: SignerSettings = {};
	const key = nonEmpty(env['SUI_PRIVATE_KEY']);
	const dotenvKey = nonEmpty(dotenvValues['SUI_PRIVATE_KEY']);
	if (key !== undefined) {
		settings.SUI_PRIVATE_KEY = key;
		settings.privateKeySource = 'env';
	} else if (dotenvKey !== undefined) {
		settings.SUI_PRIVATE_KEY = dotenvKey;
		settings.privateKeySource = '.env';
	}
	const configDir = nonEmpty(env['SUI_CONFIG_DIR']) ?? nonEmpty(dotenvValues['SUI_CONFIG_DIR']);
	if (configDir !== undefined) settings.SUI_CONFIG_DIR = configDir;
	return settings;
}

/** A printable copy of `config` with every API key replaced by `'<redacted>'`. */
export function describeConfig(config: HarnessConfig): Record<string, unknown> {
	return {
		network: config.network,
		rpcUrl: config.rpcUrl,
		faucetUrl: config.faucetUrl ?? null,
		auditLog: config.auditLog ?? null,
		seal: {
			policyPackage: config.seal.policyPackage ?? null,
			policyObject: config.seal.policyObject ?? null,
			threshold: config.seal.threshold ?? null,
			servers: config.seal.servers.map((server) => ({
				objectId: server.objectId,
				weight: server.weight,
				...(server.aggregatorUrl === undefined ? {} : { aggregatorUrl: server.aggregatorUrl }),
				...(server.apiKeyName === undefined ? {} : { apiKeyName: server.apiKeyName }),
				...(server.apiKey === undefined ? {} : { apiKey: '<redacted>' }),
			})),
		},
		sources: { ...config.sources },
	};
}

function readDotenv(path: string): Record<string, string> {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		if (isNotFound(error)) return {};
		throw new ConfigFileError('.env', '.env', `cannot read ${path}`, { cause: error });
	}
	return parseDotenv(text);
}

/**
 * The config file named by `--config`, else `SEAL_CONFIG` (env, then .env); the source says which,
 * so a missing file is reported against the flag or variable that named it.
 */
function explicitConfigFile(
	flag: string | undefined,
	env: NodeJS.ProcessEnv,
	dotenvValues: Record<string, string>,
): Sourced<string> | undefined {
	if (flag !== undefined) return { value: flag, source: '--config' };
	const fromEnv = nonEmpty(env['SEAL_CONFIG']);
	if (fromEnv !== undefined) return { value: fromEnv, source: 'env' };
	const fromDotenv = nonEmpty(dotenvValues['SEAL_CONFIG']);
	return fromDotenv === undefined ? undefined : { value: fromDotenv, source: '.env' };
}

function readYamlLayer(path: string, explicit: Sourced<string> | undefined): Layer {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		if (isNotFound(error) && explicit === undefined) return {};
		const field = explicit?.source === '--config' ? 'config file' : 'SEAL_CONFIG';
		throw new ConfigFileError(
			explicit === undefined ? 'config' : field,
			explicit?.source ?? 'config.yaml',
			isNotFound(error)
				? `config file ${path} does not exist`
				: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
			{ cause: error },
		);
	}
	// Errors inside the file name it: ./config.yaml, or the file --config / SEAL_CONFIG chose.
	const source: ConfigSource = explicit === undefined ? 'config.yaml' : `file ${explicit.value}`;
	let doc: unknown;
	try {
		doc = parseYaml(text);
	} catch (error) {
		// The YAML parser's message quotes the offending line, which may hold an API key.
		throw new ConfigFileError('config', source, `${path} is not valid YAML`, {
			cause: error instanceof Error ? new Error(error.name) : undefined,
		});
	}
	if (doc === null || doc === undefined) return {};
	const top = asRecord(doc, '(top level)', source);
	checkKeys(top, TOP_KEYS, '', source);
	const layer: Layer = {};
	setString(layer, 'network', top['network'], 'network', source);
	setString(layer, 'rpcUrl', top['rpcUrl'], 'rpcUrl', source);
	setString(layer, 'faucetUrl', top['faucetUrl'], 'faucetUrl', source);
	setString(layer, 'auditLog', top['auditLog'], 'auditLog', source);
	if (top['seal'] === undefined || top['seal'] === null) return layer;
	const seal = asRecord(top['seal'], 'seal', source);
	checkKeys(seal, SEAL_KEYS, 'seal.', source);
	setString(layer, 'policyPackage', seal['policyPackage'], 'seal.policyPackage', source);
	setString(layer, 'policyObject', seal['policyObject'], 'seal.policyObject', source);
	if (seal['threshold'] !== undefined && seal['threshold'] !== null) {
		layer.threshold = { value: seal['threshold'], source };
	}
	const hasIds = seal['serverIds'] !== undefined && seal['serverIds'] !== null;
	const hasServers = seal['servers'] !== undefined && seal['servers'] !== null;
	if (hasIds && hasServers) {
		throw new ConfigFileError(
			'seal.serverIds',
			source,
			'set either seal.serverIds or seal.servers, not both',
		);
	}
	if (hasIds) {
		const ids = asArray(seal['serverIds'], 'seal.serverIds', source);
		layer.servers = {
			value: ids.map((id, index) => ({
				objectId: parseId(id, `seal.serverIds[${index}]`, source),
				weight: 1,
			})),
			source,
		};
	}
	if (hasServers) {
		const list = asArray(seal['servers'], 'seal.servers', source);
		layer.servers = {
			value: list.map((raw, index) => parseServer(raw, `seal.servers[${index}]`, source)),
			source,
		};
	}
	return layer;
}

function parseServer(raw: unknown, field: string, source: ConfigSource): KeyServerEntry {
	const record = asRecord(raw, field, source);
	checkKeys(record, SERVER_KEYS, `${field}.`, source);
	const server: KeyServerEntry = {
		objectId: parseId(record['objectId'], `${field}.objectId`, source),
		weight: 1,
	};
	if (record['weight'] !== undefined) {
		const weight = record['weight'];
		if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 254) {
			throw new ConfigFileError(
				`${field}.weight`,
				source,
				'weight must be an integer from 1 to 254',
			);
		}
		server.weight = weight;
	}
	for (const key of ['aggregatorUrl', 'apiKeyName', 'apiKey'] as const) {
		const value = record[key];
		if (value === undefined || value === null) continue;
		if (typeof value !== 'string' || value === '') {
			throw new ConfigFileError(`${field}.${key}`, source, 'must be a non-empty string');
		}
		server[key] = value;
	}
	if (server.aggregatorUrl !== undefined) {
		checkUrl({ value: server.aggregatorUrl, source }, `${field}.aggregatorUrl`);
	}
	if ((server.apiKey === undefined) !== (server.apiKeyName === undefined)) {
		throw new ConfigFileError(
			`${field}.apiKey`,
			source,
			'apiKeyName and apiKey must be given together (the header name and its value)',
		);
	}
	return server;
}

function envLayer(values: Record<string, string | undefined>, source: ConfigSource): Layer {
	const layer: Layer = {};
	const read = (name: string): Sourced<string> | undefined => {
		const value = nonEmpty(values[name]);
		return value === undefined ? undefined : { value, source };
	};
	const assign = <K extends StringKey>(key: K, name: string) => {
		const value = read(name);
		if (value) layer[key] = value;
	};
	assign('network', 'SUI_NETWORK');
	assign('rpcUrl', 'SUI_RPC_URL');
	assign('faucetUrl', 'SUI_FAUCET_URL');
	assign('policyPackage', 'SEAL_POLICY_PACKAGE');
	assign('policyObject', 'SEAL_POLICY_OBJECT');
	assign('auditLog', 'SEAL_AUDIT_LOG');
	const threshold = read('SEAL_THRESHOLD');
	if (threshold) layer.threshold = threshold;
	const ids = read('SEAL_SERVER_IDS');
	if (ids) {
		const parts = ids.value
			.split(',')
			.map((part) => part.trim())
			.filter((part) => part !== '');
		layer.serverIds = {
			value: parts.map((id, index) => parseId(id, `SEAL_SERVER_IDS[${index}]`, source)),
			source,
		};
	}
	return layer;
}

/**
 * The effective server list, or undefined to use the preset. `SEAL_SERVER_IDS` (env / .env)
 * outranks config.yaml; for each id it names, weight / aggregator / API key come from the
 * matching config.yaml entry if there is one.
 */
function resolveServers(
	servers: Sourced<KeyServerEntry[]> | undefined,
	serverIds: Sourced<string[]> | undefined,
	yamlServers: Sourced<KeyServerEntry[]> | undefined,
): Sourced<KeyServerEntry[]> | undefined {
	if (serverIds !== undefined && (servers === undefined || servers === yamlServers)) {
		return {
			value: serverIds.value.map((objectId) => {
				const known = yamlServers?.value.find((server) => server.objectId === objectId);
				return known ? { ...known } : { objectId, weight: 1 };
			}),
			source: serverIds.source,
		};
	}
	return servers;
}

function checkDuplicates(servers: readonly KeyServerEntry[], source: ConfigSource): void {
	const seen = new Set<string>();
	for (const server of servers) {
		if (seen.has(server.objectId)) {
			throw new DuplicateKeyServerError(
				'seal.servers',
				source,
				`key server ${server.objectId} is listed twice; list each server once (use weight for more shares)`,
			);
		}
		seen.add(server.objectId);
	}
}

function parseThreshold({ value, source }: Sourced<unknown>): number {
	const number =
		typeof value === 'number'
			? value
			: typeof value === 'string' && /^\s*\d+\s*$/.test(value)
				? Number(value)
				: NaN;
	if (!Number.isInteger(number) || number < 1) {
		throw new ThresholdConfigError(
			'seal.threshold',
			source,
			`threshold must be an integer >= 1 (got ${JSON.stringify(value)})`,
		);
	}
	return number;
}

function optionalId(
	value: Sourced<string> | undefined,
	field: string,
): Sourced<string> | undefined {
	return value === undefined
		? undefined
		: { value: parseId(value.value, field, value.source), source: value.source };
}

function parseId(value: unknown, field: string, source: ConfigSource): string {
	if (typeof value !== 'string') {
		throw new InvalidIdError(field, source, 'expected a string 0x followed by 64 hex digits');
	}
	try {
		return normalizeObjectId(value.trim(), field);
	} catch {
		throw new InvalidIdError(
			field,
			source,
			`'${value}' is not an id: expected 0x followed by exactly 64 hex digits`,
		);
	}
}

function checkUrl({ value, source }: Sourced<string>, field: string): string {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new ConfigError(field, source, `'${value}' is not a URL`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new ConfigError(field, source, `'${value}' must be an http:// or https:// URL`);
	}
	return value;
}

function setString(
	layer: Layer,
	key: StringKey,
	value: unknown,
	field: string,
	source: ConfigSource,
): void {
	if (value === undefined || value === null) return;
	if (typeof value !== 'string' || value.trim() === '') {
		throw new ConfigFileError(field, source, 'must be a non-empty string');
	}
	layer[key] = { value: value.trim(), source };
}

function asRecord(value: unknown, field: string, source: ConfigSource): Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new ConfigFileError(field, source, 'must be a mapping (key: value)');
	}
	return value as Record<string, unknown>;
}

function asArray(value: unknown, field: string, source: ConfigSource): unknown[] {
	if (!Array.isArray(value)) throw new ConfigFileError(field, source, 'must be a list');
	return value;
}

function checkKeys(
	record: Record<string, unknown>,
	allowed: Set<string>,
	prefix: string,
	source: ConfigSource,
): void {
	for (const key of Object.keys(record)) {
		if (!allowed.has(key)) {
			throw new ConfigFileError(
				`${prefix}${key}`,
				source,
				`unknown key; allowed here: ${[...allowed].join(', ')}`,
			);
		}
	}
}

function nonEmpty(value: string | undefined): string | undefined {
	const trimmed = value?.trim();
	return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function resolvePath(cwd: string, path: string): string {
	return isAbsolute(path) ? path : join(cwd, path);
}

function isNotFound(error: unknown): boolean {
	return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function deepFreeze<T>(value: T): T {
	if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
		Object.freeze(value);
		for (const inner of Object.values(value)) deepFreeze(inner);
	}
	return value;
}
