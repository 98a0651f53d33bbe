/**
 * What every Sui-facing subcommand shares: the options `--network --config --transport
 * --deployments-dir` and the context they select (config, client, deployments dir, signer).
 */
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';

import type { Keypair } from '@mysten/sui/cryptography';

import type { CliIo } from './cli-io.js';
import { loadConfig, type HarnessConfig } from '../ts/config.js';
import { loadSigner } from '../ts/signer.js';
import {
	createSuiClient,
	parseSuiTransport,
	type SuiClient,
	type SuiTransport,
} from '../ts/sui-client.js';

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

/** Config (with `--network` overriding SUI_NETWORK), client, deployments dir and signer. */
export function suiContext(
	io: CliIo,
	values: { network?: string; config?: string; transport?: string; 'deployments-dir'?: string },
): SuiContext {
	const transport: SuiTransport =
		values.transport === undefined ? 'grpc' : parseSuiTransport(values.transport);
	const env = values.network === undefined ? io.env : { ...io.env, SUI_NETWORK: values.network };
	const config = loadConfig({
		env,
		cwd: process.cwd(),
		...(values.config === undefined ? {} : { configPath: values.config }),
	});
	const client = createSuiClient({ network: config.network, rpcUrl: config.rpcUrl, transport });
	let signer: Promise<Keypair> | undefined;
	return {
		config,
		client,
		deploymentsDir: resolve(values['deployments-dir'] ?? 'deployments'),
		signer: () => (signer ??= loadSigner({ env: io.env, logger: io.logger })),
	};
}
