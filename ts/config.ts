// CONTRACT (owned by the core-library work): types below are relied on by other modules; the
// loader is implemented by the core-library helper.
import type { ConfigSource } from './errors.js';

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
	/** Where each top-level value came from (for error messages and `config show`). */
	sources: Readonly<Record<string, ConfigSource>>;
}
