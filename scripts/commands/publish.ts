import { resolve } from 'node:path';

import { parseCommandArgs, rejectPositionals } from '../args.js';
import type { Command } from '../cli-io.js';
import { SUI_OPTIONS, suiContext } from '../sui-context.js';
import { publishAndRecord } from '../../ts/move/publish.js';

const USAGE = `usage: seal-policies publish [--network N] [--upgrade] [--force] [options]

Builds the Move package for the network's chain and publishes it (or, with --upgrade, upgrades
the recorded package, keeping its original id), then records the publication in Sui's format
(move/Published.toml on testnet/mainnet; the git-ignored move/Pub.<network>.toml on localnet and
devnet) and in deployments/<network>.json. An unchanged package is refused unless --force.

options:
  --network N            localnet | devnet | testnet | mainnet (default: config / SUI_NETWORK)
  --upgrade              upgrade the recorded package instead of publishing a new one
  --force                publish even when the package is unchanged
  --package-path DIR     Move package directory (default: move)
  --deployments-dir DIR  where <network>.json is kept (default: deployments)
  --config FILE          config file (default: ./config.yaml)
  --transport T          grpc (default) | jsonrpc

signer: SUI_PRIVATE_KEY (suiprivkey…) or the Sui CLI keystore's active address.`;

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
		rejectPositionals(positionals, USAGE);
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
				publicationFile: result.publicationFile,
			},
			[
				`${result.action} on ${record.network}`,
				`  original package id  ${record.originalPackageId}`,
				`  latest package id    ${record.latestPackageId}`,
				`  upgrade cap          ${record.upgradeCapId}`,
				`  transaction          ${result.digest}`,
				`  record               ${result.file}`,
				`  publication          ${result.publicationFile}`,
			].join('\n'),
		);
		return 0;
	},
};
