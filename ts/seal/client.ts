/**
 * The one place a `SealClient` is constructed. Server list, weights, API keys and the
 * verification switch come from the harness config; nothing is read from the environment here.
 */
import { SealClient, type KeyServerConfig, type SealCompatibleClient } from '@mysten/seal';
import type { HarnessConfig } from '../config.js';
import type { KeyServerEntry } from '../chain/networks.js';
import { ConfigError } from '../errors.js';

export interface SealClientOptions {
	suiClient: SealCompatibleClient;
	servers: readonly KeyServerEntry[];
	/** Check each server's proof of possession on first use (`/v1/service`). Default true. */
	verifyKeyServers?: boolean;
	/** Per-request timeout towards key servers, in ms (SDK default 10 000). */
	timeoutMs?: number;
	/** Custom fetch (tests, proxies); defaults to the global fetch inside the SDK. */
	fetch?: typeof fetch;
}

/**
 * A new `SealClient`. The SDK caches derived keys for the life of a client, so access checks
 * (member vs non-member, before/after removal) must each use a fresh one.
 */
export function createSealClient(options: SealClientOptions): SealClient {
	if (options.servers.length === 0) {
		throw new ConfigError(
			'seal.servers',
			undefined,
			'no key servers configured; set SEAL_SERVER_IDS or seal.servers in config.yaml',
		);
	}
	return new SealClient({
		suiClient: options.suiClient,
		serverConfigs: options.servers.map(toServerConfig),
		verifyKeyServers: options.verifyKeyServers ?? true,
		...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
		...(options.fetch === undefined ? {} : { fetch: options.fetch }),
	});
}

/** `createSealClient` with the servers of a loaded config. */
export function sealClientFromConfig(
	config: HarnessConfig,
	suiClient: SealCompatibleClient,
	options: Omit<SealClientOptions, 'suiClient' | 'servers'> = {},
): SealClient {
	return createSealClient({ ...options, suiClient, servers: config.seal.servers });
}

/** Total weight of a server list (what a threshold is compared against). */
export function totalWeight(servers: readonly KeyServerEntry[]): number {
	return servers.reduce((sum, server) => sum + server.weight, 0);
}

/**
 * The threshold to use: the configured one, else 2 when the weight allows it (the usual 2-of-n),
 * else 1. Throws when a configured threshold cannot be met by the servers' total weight.
 */
export function resolveThreshold(
	servers: readonly KeyServerEntry[],
	threshold: number | undefined,
): number {
	const weight = totalWeight(servers);
	if (threshold === undefined) return Math.min(2, Math.max(1, weight));
	if (!Number.isInteger(threshold) || threshold < 1 || threshold > weight) {
		throw new ConfigError(
			'seal.threshold',
			undefined,
			`threshold ${threshold} must be an integer between 1 and the servers' total weight ${weight}`,
		);
	}
	return threshold;
}

function toServerConfig(server: KeyServerEntry): KeyServerConfig {
	return {
		objectId: server.objectId,
		weight: server.weight,
		...(server.aggregatorUrl === undefined ? {} : { aggregatorUrl: server.aggregatorUrl }),
		...(server.apiKeyName === undefined ? {} : { apiKeyName: server.apiKeyName }),
		...(server.apiKey === undefined ? {} : { apiKey: server.apiKey }),
	};
}
