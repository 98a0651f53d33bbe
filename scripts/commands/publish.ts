import { resolve } from 'node:path';

import { checkMovePackageDir, parseCommandArgs, rejectPositionals, usageErrors } from '../args.js';
import type { Command } from '../cli-io.js';
import { SUI_OPTIONS, suiContext } from '../sui-context.js';
import { publishAndRecord } from '../../ts/move/publish.js';
import { readDeployment, updateDeployment } from '../../ts/chain/deployments.js';
import { PublishError } from '../../ts/move/errors.js';
import { parseUpgradePolicy } from '../../ts/chain/upgrade-policies.js';
import { restrictUpgradePolicy } from '../../ts/package-info/upgrade-policy.js';

const USAGE = `usage: seal-policies publish [--network N] [--upgrade] [--force] [options]

Builds the Move package for the network's chain and publishes it (or, with --upgrade, upgrades
the recorded package, keeping its original id), then records the publication in Sui's format
(move/Published.toml on testnet/mainnet; the git-ignored move/Pub.<network>.toml on localnet and
devnet) and in deployments/<network>.json. An unchanged package is refused unless --force.

options:
  --network N            localnet | devnet | testnet | mainnet (default: config / SUI_NETWORK)
  --upgrade              upgrade the recorded package instead of publishing a new one
  --force                publish even when the package is unchanged
  --upgrade-policy P     compatible (default) | additive | dependency-only | immutable: right
                         after publishing, restrict the UpgradeCap (a second transaction; see
                         docs/publish-and-allowlists.md). Production: immutable or dependency-only.
  --package-path DIR     Move package directory (default: move)
  --deployments-dir DIR  where <network>.json is kept (default: deployments)
  --config FILE          config file (default: ./config.yaml)
  --transport T          grpc (default) | jsonrpc

signer: SUI_PRIVATE_KEY (suiprivkey…) or the Sui CLI keystore's active address.`;

export const command: Command = {
	summary: 'publish (or --upgrade) the seal_policies Move package and record its ids',
	usage: USAGE,
	async run(args, io) {
		const { values, positionals } = usageErrors(() =>
			parseCommandArgs(
				args,
				{
					...SUI_OPTIONS,
					upgrade: { type: 'boolean' },
					force: { type: 'boolean' },
					'package-path': { type: 'string' },
					'upgrade-policy': { type: 'string' },
				},
				USAGE,
			),
		);
		rejectPositionals(positionals, USAGE);
		const upgradePolicy =
			values['upgrade-policy'] === undefined
				? undefined
				: usageErrors(() => parseUpgradePolicy(values['upgrade-policy'] ?? '', '--upgrade-policy'));
		// Files before config, signer or chain: a wrong directory is named as such.
		const packagePath = resolve(values['package-path'] ?? 'move');
		checkMovePackageDir(packagePath, '--package-path');
		const context = suiContext(io, values);
		if (values.upgrade)
			await refuseRestrictedUpgrade(context.deploymentsDir, context.config.network);
		const signer = await context.signer();
		io.logger.info(
			`network ${context.config.network} (${context.config.rpcUrl}), signer ${signer.toSuiAddress()}`,
		);
		const result = await publishAndRecord({
			client: context.client,
			signer,
			network: context.config.network,
			packagePath,
			deploymentsDir: context.deploymentsDir,
			force: values.force ?? false,
			upgrade: values.upgrade ?? false,
			logger: io.logger,
			env: io.env,
			rpcUrl: context.config.rpcUrl,
		});
		let { record } = result;
		if (upgradePolicy !== undefined) {
			if (upgradePolicy !== 'compatible') {
				io.logger.info(`restricting the UpgradeCap to ${upgradePolicy}`);
				await restrictUpgradePolicy({
					client: context.client,
					signer,
					upgradeCapId: record.upgradeCapId,
					policy: upgradePolicy,
					logger: io.logger,
				}).catch((error: unknown) => {
					io.logger.warn(
						`${result.action} ${record.latestPackageId}, but restricting its UpgradeCap failed; ` +
							`retry with \`seal-policies package ${upgradePolicy === 'immutable' ? 'freeze' : `restrict --policy ${upgradePolicy}`}\``,
					);
					throw error;
				});
			}
			record = await updateDeployment(context.deploymentsDir, record.network, (current) => ({
				...current,
				upgradePolicy,
			}));
		}
		io.result(
			{
				action: result.action,
				network: record.network,
				chainId: record.chainId,
				originalPackageId: record.originalPackageId,
				latestPackageId: record.latestPackageId,
				upgradeCapId: record.upgradeCapId,
				upgradePolicy: record.upgradePolicy ?? 'compatible',
				digest: result.digest,
				deploymentFile: result.file,
				publicationFile: result.publicationFile,
			},
			[
				`${result.action} on ${record.network}`,
				`  original package id  ${record.originalPackageId}`,
				`  latest package id    ${record.latestPackageId}`,
				`  upgrade cap          ${record.upgradeCapId}`,
				`  upgrade policy       ${record.upgradePolicy ?? 'compatible'}`,
				`  transaction          ${result.digest}`,
				`  record               ${result.file}`,
				`  publication          ${result.publicationFile}`,
			].join('\n'),
		);
		return 0;
	},
};

/**
 * `--upgrade` authorizes a compatible upgrade; once the recorded cap is restricted or destroyed,
 * sui::package refuses that (ETooPermissive, or no cap at all). Say so before building.
 */
async function refuseRestrictedUpgrade(deploymentsDir: string, network: string): Promise<void> {
	const policy = (await readDeployment(deploymentsDir, network))?.upgradePolicy;
	if (policy === 'immutable') {
		throw new PublishError(
			`the ${network} package was made immutable (its UpgradeCap is destroyed); it can never be upgraded. Publish a new package instead (without --upgrade)`,
		);
	}
	if (policy === 'additive' || policy === 'dependency-only') {
		throw new PublishError(
			`the ${network} package's UpgradeCap is restricted to ${policy} upgrades; \`publish --upgrade\` authorizes compatible upgrades, which sui::package refuses (ETooPermissive). Upgrade with the library's upgradePackage({ policy }) instead`,
		);
	}
}
