/**
 * Built-in network presets: the lowest-precedence configuration source (see `loadConfig`).
 * Seal facts come from SEAL_NOTES §6.4 (package ids) and §6.5 (verified open key servers).
 */
import type { ConfigSource } from '../errors.js';
import { UnknownNetworkError } from '../errors.js';

export type NetworkName = 'localnet' | 'devnet' | 'testnet' | 'mainnet';

/** One key server as the Seal SDK's `KeyServerConfig` wants it (ids normalised). */
export interface KeyServerEntry {
	objectId: string;
	weight: number;
	aggregatorUrl?: string;
	apiKeyName?: string;
	/** Secret: never printed, never put in an error message. */
	apiKey?: string;
}

export interface NetworkPreset {
	name: NetworkName;
	/** Full-node URL (JSON-RPC and gRPC are served on the same port). */
	rpcUrl: string;
	/** Faucet endpoint (full URL, POST), when the network has one. */
	faucetUrl: string | undefined;
	/**
	 * Mysten's Seal package as published on this network (its latest `published-at` id: the
	 * package key servers call for the staleness check). Undefined where it must be published
	 * locally (localnet) or has no fixed id (devnet).
	 */
	sealPackageId: string | undefined;
	/** The Seal package's original (version 1) id. */
	sealOriginalPackageId: string | undefined;
	/** Key servers used when the configuration names none. */
	defaultKeyServers: readonly KeyServerEntry[];
	/** Threshold used together with `defaultKeyServers` (only when those are used). */
	defaultThreshold: number | undefined;
}

export const NETWORK_NAMES: readonly NetworkName[] = ['localnet', 'devnet', 'testnet', 'mainnet'];

/** Presets per network. Testnet defaults to Mysten's two open key servers, 2-of-2. */
export const NETWORKS: Readonly<Record<NetworkName, NetworkPreset>> = {
	localnet: {
		name: 'localnet',
		rpcUrl: 'http://127.0.0.1:9000',
		faucetUrl: 'http://127.0.0.1:9123/gas',
		sealPackageId: undefined,
		sealOriginalPackageId: undefined,
		defaultKeyServers: [],
		defaultThreshold: undefined,
	},
	devnet: {
		name: 'devnet',
		rpcUrl: 'https://fullnode.devnet.sui.io:443',
		faucetUrl: 'https://faucet.devnet.sui.io/v2/gas',
		sealPackageId: undefined,
		sealOriginalPackageId: undefined,
		defaultKeyServers: [],
		defaultThreshold: undefined,
	},
	testnet: {
		name: 'testnet',
		rpcUrl: 'https://fullnode.testnet.sui.io:443',
		faucetUrl: 'https://faucet.testnet.sui.io/v2/gas',
		sealPackageId: '0xdccbeb87767be2b2346af5575eb139807205e4c23ec53dc616f951fe1d814112',
		sealOriginalPackageId: '0x4614e5da0136ee7d464992ddd3719d388ae2bfdb48dfec6d9ad579f87341f2e1',
		defaultKeyServers: [
			// mysten-testnet-1 and mysten-testnet-2 (independent, Open mode).
			{
				objectId: '0x73d05d62c18d9374e3ea529e8e0ed6161da1a141a94d3f76ae3fe4e99356db75',
				weight: 1,
			},
			{
				objectId: '0xf5d14a81a982144ae441cd7d64b09027f116a468bd36e7eca494f750591623c8',
				weight: 1,
			},
		],
		defaultThreshold: 2,
	},
	mainnet: {
		name: 'mainnet',
		rpcUrl: 'https://fullnode.mainnet.sui.io:443',
		faucetUrl: undefined,
		sealPackageId: '0x931739224160073d8e391c9aa6e7ade9818e9814b4907066b7efa058636c4e45',
		sealOriginalPackageId: '0x9636e0c761e7476b8579cb13d543838e3732ca482dc0a64f086f57b60c024e23',
		defaultKeyServers: [],
		defaultThreshold: undefined,
	},
};

/**
 * The network named by `name` (trimmed, case-insensitive). Throws `UnknownNetworkError` naming
 * `source` (where the value came from) otherwise.
 */
export function parseNetwork(name: string, source?: ConfigSource): NetworkName {
	const wanted = String(name).trim().toLowerCase();
	const found = NETWORK_NAMES.find((network) => network === wanted);
	if (found === undefined) {
		throw new UnknownNetworkError(
			'network',
			source,
			`unknown network '${String(name)}'; use one of ${NETWORK_NAMES.join(', ')}`,
		);
	}
	return found;
}
