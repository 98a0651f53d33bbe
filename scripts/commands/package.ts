import type { CliIo, Command } from '../cli-io.js';
import { readDeployment, updateDeployment, type DeploymentRecord } from '../../ts/chain/deployments.js';
import { InvalidInputError } from '../../ts/errors.js';
import { normalizeObjectId } from '../../ts/identity.js';
import { describePackageInfo, readPackageInfo } from '../../ts/package-info/read.js';
import { parseUpgradePolicy, type UpgradePolicyName } from '../../ts/chain/upgrade-policies.js';
import { restrictUpgradePolicy } from '../../ts/package-info/upgrade-policy.js';
import { parseCommandArgs, usageErrors } from '../args.js';
import { SUI_OPTIONS, suiContext, type SuiContext } from '../sui-context.js';

const USAGE = `usage: seal-policies package <subcommand> [options]

  info [PACKAGE]              version, upgrade policy and who holds the UpgradeCap (or that the
                              package is immutable); default: the recorded package
  restrict --upgrade-policy P allow only additive or dependency-only upgrades from now on
  freeze                      make the package immutable: destroy the UpgradeCap (irreversible)

Whoever holds the UpgradeCap can publish a new seal_approve and change who may decrypt; restrict
or freeze gives that power up. A policy only ever gets stricter.

options:
  --upgrade-policy P     restrict: additive | dependency-only (as \`publish --upgrade-policy\`)
  --cap ID               UpgradeCap (default: the one in deployments/<network>.json)
  --network N, --config FILE, --transport grpc|jsonrpc, --deployments-dir DIR`;

/** A validated command line (checked before any config, key or network is touched). */
export type PackageRequest =
	| { subcommand: 'info'; packageId: string | undefined }
	| { subcommand: 'restrict'; policy: 'additive' | 'dependency-only'; capId: string | undefined }
	| { subcommand: 'freeze'; capId: string | undefined };

export function parsePackageArgs(args: string[]) {
	const { values, positionals } = parseCommandArgs(
		args,
		{ ...SUI_OPTIONS, 'upgrade-policy': { type: 'string' }, cap: { type: 'string' } },
		USAGE,
	);
	const [subcommand, ...rest] = positionals;
	const upgradePolicy = values['upgrade-policy'];
	const capId = values.cap === undefined ? undefined : normalizeObjectId(values.cap, '--cap');
	const extra = (allowed: number) => {
		if (rest.length > allowed) {
			throw new InvalidInputError(
				'arguments',
				`unexpected '${rest.slice(allowed).join(' ')}'\n${USAGE}`,
			);
		}
	};
	let request: PackageRequest;
	switch (subcommand) {
		case 'info':
			extra(1);
			if (upgradePolicy !== undefined || capId !== undefined) {
				throw new InvalidInputError('--upgrade-policy/--cap', 'do not apply to `package info`');
			}
			request = {
				subcommand,
				packageId: rest[0] === undefined ? undefined : normalizeObjectId(rest[0], 'PACKAGE'),
			};
			break;
		case 'restrict': {
			extra(0);
			if (upgradePolicy === undefined) {
				throw new InvalidInputError('--upgrade-policy', 'is required: additive or dependency-only');
			}
			const policy = parseUpgradePolicy(upgradePolicy, '--upgrade-policy');
			if (policy !== 'additive' && policy !== 'dependency-only') {
				throw new InvalidInputError(
					'--upgrade-policy',
					policy === 'immutable'
						? 'use `package freeze` to make the package immutable'
						: "'compatible' is the default and a policy never gets looser",
				);
			}
			request = { subcommand, policy, capId };
			break;
		}
		case 'freeze':
			extra(0);
			if (upgradePolicy !== undefined) {
				throw new InvalidInputError('--upgrade-policy', 'does not apply to `package freeze`');
			}
			request = { subcommand, capId };
			break;
		default:
			throw new InvalidInputError(
				'subcommand',
				`${subcommand === undefined ? 'missing' : `unknown '${subcommand}'`}; expected info, restrict or freeze\n${USAGE}`,
			);
	}
	return { request, values };
}

export const command: Command = {
	summary: 'show or reduce who can upgrade the package (info, restrict, freeze)',
	usage: USAGE,
	async run(args, io) {
		const { request, values } = usageErrors(() => parsePackageArgs(args));
		const context = suiContext(io, values);
		const record = await readDeployment(context.deploymentsDir, context.config.network);
		if (request.subcommand === 'info') {
			const packageId =
				request.packageId ?? record?.latestPackageId ?? context.config.seal.policyPackage;
			if (packageId === undefined) {
				throw new InvalidInputError(
					'PACKAGE',
					`no package given and none recorded for ${context.config.network}; pass its id`,
				);
			}
			const info = await readPackageInfo({ client: context.client, packageId });
			io.result(info, describePackageInfo(info));
			return 0;
		}
		const policy: UpgradePolicyName =
			request.subcommand === 'freeze' ? 'immutable' : request.policy;
		return restrict(context, io, record, request.capId, policy);
	},
};

async function restrict(
	context: SuiContext,
	io: CliIo,
	record: DeploymentRecord | undefined,
	capOption: string | undefined,
	policy: UpgradePolicyName,
): Promise<number> {
	const network = context.config.network;
	const capId = capOption ?? record?.upgradeCapId;
	if (capId === undefined) {
		throw new InvalidInputError('--cap', `no UpgradeCap recorded for ${network}; pass --cap`);
	}
	const signer = await context.signer();
	io.logger.info(
		policy === 'immutable'
			? `making the package of UpgradeCap ${capId} immutable on ${network} (irreversible)`
			: `restricting UpgradeCap ${capId} to ${policy} upgrades on ${network}`,
	);
	const { digest } = await restrictUpgradePolicy({
		client: context.client,
		signer,
		upgradeCapId: capId,
		policy,
		logger: io.logger,
	});
	if (record && record.upgradeCapId === capId) {
		await updateDeployment(context.deploymentsDir, network, (current) => ({
			...current,
			upgradePolicy: policy,
		}));
	}
	io.result(
		{ network, upgradeCapId: capId, upgradePolicy: policy, digest },
		`upgrade policy is now ${policy}\n  cap ${capId}\n  tx  ${digest}`,
	);
	return 0;
}
