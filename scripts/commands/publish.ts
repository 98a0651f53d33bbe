import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import type { Keypair } from '@mysten/sui/cryptography';

import type { CliIo, Command } from '../cli-io.js';
import { loadConfig, type HarnessConfig } from '../../ts/config.js';
import { InvalidInputError } from '../../ts/errors.js';
import { publishAndRecord } from '../../ts/move/publish.js';
import { loadSigner } from '../../ts/signer.js';
import {
	createSuiClient,
	parseSuiTransport,
	type SuiClient,
	type SuiTransport,
} from '../../ts/sui-client.js';

const USAGE = `usage: seal-policies publish [--network N] [--upgrade] [--force] [options]

Builds the Move package and publishes it (or, with --upgrade, upgrades the recorded package,
keeping its original id), then records ids in deployments/<network>.json. An unchanged package
is refused unless --force.

options:
  --network N            localnet | devnet | testnet | mainnet (default: config / SUI_NETWORK)
  --upgrade              upgrade the recorded package instead of publishing a new one
  --force                publish even when the package is unchanged
  --package-path DIR     Move package directory (default: move)
  --deployments-dir DIR  where <network>.json is kept (default: deployments)
  --config FILE          config file (default: ./config.yaml)
  --transport T          grpc (default) | jsonrpc

signer: SUI_PRIVATE_KEY (suiprivkey…) or the Sui CLI keystore's active address.`;

/** Options every Sui-facing command accepts. */
export const SUI_OPTIONS = {
	network: { type: 'string' },
	config: { type: 'string' },
	transport: { type: 'string' },
	'deployments-dir': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` with user errors turned into `InvalidInputError` (exit 1 with one line). */
export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig['options']>>(
	args: string[],
	options: O,
	usage: string,
) {
	try {
		return parseArgs({ args, options, allowPositionals: true, strict: true });
	} catch (error) {
		throw new InvalidInputError('arguments', `${(error as Error).message}\n${usage}`, {
			cause: error,
		});
	}
}

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

export const command: Command = {
	summary: 'publish (or --upgrade) the seal_policies Move package and record its ids',
	usage: USAGE,
	async run(args, io) {
		const { values, positionals } = parseCommandArgs(
			args,
			{
				...SUI_OPTIONS,
				upgrade: { type: 'boolean' },
				force: { type: 'boolean' },
				'package-path': { type: 'string' },
			},
			USAGE,
		);
		if (positionals.length > 0) {
			throw new InvalidInputError('arguments', `unexpected '${positionals.join(' ')}'\n${USAGE}`);
		}
		const context = suiContext(io, values);
		const signer = await context.signer();
		io.logger.info(
			`network ${context.config.network} (${context.config.rpcUrl}), signer ${signer.toSuiAddress()}`,
		);
		const result = await publishAndRecord({
			client: context.client,
			signer,
			network: context.config.network,
			packagePath: resolve(values['package-path'] ?? 'move'),
			deploymentsDir: context.deploymentsDir,
			force: values.force ?? false,
			upgrade: values.upgrade ?? false,
			logger: io.logger,
			env: io.env,
		});
		const { record } = result;
		io.result(
			{
				action: result.action,
				network: record.network,
				chainId: record.chainId,
				originalPackageId: record.originalPackageId,
				latestPackageId: record.latestPackageId,
				upgradeCapId: record.upgradeCapId,
				digest: result.digest,
				deploymentFile: result.file,
			},
			[
				`${result.action} on ${record.network}`,
				`  original package id  ${record.originalPackageId}`,
				`  latest package id    ${record.latestPackageId}`,
				`  upgrade cap          ${record.upgradeCapId}`,
				`  transaction          ${result.digest}`,
				`  record               ${result.file}`,
			].join('\n'),
		);
		return 0;
	},
};
