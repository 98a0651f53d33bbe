/**
 * What every Sui-facing subcommand shares: the options `--network --config --transport
 * --deployments-dir` and the context they select (config, client, deployments dir, signer).
 */
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';

import type { Keypair } from '@mysten/sui/cryptography';

import type { CliIo } from './cli-io.js';
import { loadConfig, loadSignerSettings, type HarnessConfig } from '../ts/config.js';
import { UsageError } from '../ts/errors.js';
import { NETWORK_NAMES } from '../ts/chain/networks.js';
import { loadSigner } from '../ts/chain/signer.js';
import { createSuiClient, type SuiClient, type SuiTransport } from '../ts/chain/sui-client.js';

/** Options every Sui-facing command accepts. */
export const SUI_OPTIONS = {
	network: { type: 'string' },
	config: { type: 'string' },
	transport: { type: 'string' },
	'deployments-dir': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface SuiContext {
	config: HarnessConfig;
	client: SuiClient;
	deploymentsDir: string;
	/** Loaded on first use: read-only commands need no key. */
	signer(): Promise<Keypair>;
}

/** `--network` and `--transport` values; a wrong one is a `UsageError` (exit 2). */
export function checkSuiOptions(values: { network?: string; transport?: string }): SuiTransport {
	if (
		values.network !== undefined &&
		!(NETWORK_NAMES as readonly string[]).includes(values.network.trim().toLowerCase())
	) {
		throw new UsageError(
			'--network',
			`unknown network '${values.network}'; use one of ${NETWORK_NAMES.join(', ')}`,
		);
	}
	if (values.transport === undefined) return 'grpc';
	if (values.transport === 'grpc' || values.transport === 'jsonrpc') return values.transport;
	throw new UsageError('--transport', `expected 'grpc' or 'jsonrpc', got '${values.transport}'`);
}

/** Config (with `--network` overriding SUI_NETWORK), client, deployments dir and signer. */
export function suiContext(
	io: CliIo,
	values: { network?: string; config?: string; transport?: string; 'deployments-dir'?: string },
): SuiContext {
	const transport = checkSuiOptions(values);
	const config = loadConfig({
		env: io.env,
		cwd: process.cwd(),
		...(values.config === undefined ? {} : { configPath: values.config }),
		...(values.network === undefined ? {} : { networkFlag: values.network }),
	});
	const client = createSuiClient({ network: config.network, rpcUrl: config.rpcUrl, transport });
	if (io.endpoints) {
		io.endpoints.fullNode = { url: config.rpcUrl, network: config.network };
		if (config.faucetUrl !== undefined) io.endpoints.faucet = config.faucetUrl;
	}
	let signer: Promise<Keypair> | undefined;
	return {
		config,
		client,
		deploymentsDir: resolve(values['deployments-dir'] ?? 'deployments'),
		signer: () => (signer ??= loadSignerFromSettings(io)),
	};
}

/** The signer from SUI_PRIVATE_KEY (env, then .env) or the Sui CLI keystore. */
function loadSignerFromSettings(io: CliIo): Promise<Keypair> {
	const { privateKeySource, ...env } = loadSignerSettings({ env: io.env, cwd: process.cwd() });
	return loadSigner({
		env,
		logger: io.logger,
		...(privateKeySource === undefined ? {} : { privateKeySource }),
	});
}
