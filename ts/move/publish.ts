/**
 * Publish and upgrade the Move package, and keep `deployments/<network>.json` in step.
 * Builders (`publishTx`, `upgradeTx`) are pure; `publishPackage` / `upgradePackage` execute;
 * `publishAndRecord` is what the CLI runs (build → decide → execute → record).
 */
import { Transaction, UpgradePolicy, type TransactionObjectInput } from '@mysten/sui/transactions';
import type { Signer } from '@mysten/sui/cryptography';

import {
	DEPLOYMENT_FORMAT_VERSION,
	packageDigestHex,
	readDeployment,
	writeDeployment,
	type DeploymentRecord,
} from '../deployments.js';
import { PackageUnchangedError, PrerequisiteMissingError, PublishError } from '../errors.js';
import { normalizeObjectId } from '../identity.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SuiClient } from '../sui-client.js';
import {
	executeTransaction,
	findCreatedObject,
	type ExecutedTransaction,
} from '../transactions.js';
import { buildMovePackage, type BuiltPackage } from './build.js';

/** Compiled package bytes, as `sui move build --dump-bytecode-as-base64` prints them. */
export type PackageBytes = Pick<BuiltPackage, 'modules' | 'dependencies' | 'digest'>;

/** Publishes `built` and sends the UpgradeCap to `recipient` (the publisher). */
export function publishTx({
	built,
	recipient,
	tx = new Transaction(),
}: {
	built: PackageBytes;
	recipient: string;
	tx?: Transaction;
}): Transaction {
	const upgradeCap = tx.publish({ modules: built.modules, dependencies: built.dependencies });
	tx.transferObjects([upgradeCap], tx.pure.address(normalizeObjectId(recipient, 'recipient')));
	return tx;
}

/**
 * Upgrades `packageId` (the newest version, which the cap tracks) to `built`: authorize with the
 * cap and the new digest, upgrade, commit. The original id stays the same.
 */
export function upgradeTx({
	built,
	packageId,
	upgradeCap,
	policy = UpgradePolicy.COMPATIBLE,
	tx = new Transaction(),
}: {
	built: PackageBytes;
	packageId: string;
	upgradeCap: TransactionObjectInput;
	policy?: UpgradePolicy;
	tx?: Transaction;
}): Transaction {
	const cap = tx.object(upgradeCap);
	const ticket = tx.moveCall({
		target: '0x2::package::authorize_upgrade',
		arguments: [cap, tx.pure.u8(policy), tx.pure.vector('u8', Array.from(built.digest))],
	});
	const receipt = tx.upgrade({
		modules: built.modules,
		dependencies: built.dependencies,
		package: normalizeObjectId(packageId, 'packageId'),
		ticket,
	});
	tx.moveCall({ target: '0x2::package::commit_upgrade', arguments: [cap, receipt] });
	return tx;
}

export interface PublishResult {
	packageId: string;
	upgradeCapId: string;
	digest: string;
}

/** Publishes `built`; the signer receives the UpgradeCap. */
export async function publishPackage({
	client,
	signer,
	built,
	logger = silentLogger,
}: {
	client: SuiClient;
	signer: Signer;
	built: PackageBytes;
	logger?: Logger;
}): Promise<PublishResult> {
	const transaction = publishTx({ built, recipient: signer.toSuiAddress() });
	const executed = await executeTransaction({
		client,
		signer,
		transaction,
		logger,
		label: 'publish',
	});
	return {
		packageId: publishedPackageId(executed),
		upgradeCapId: findCreatedObject(executed, {
			address: '0x2',
			module: 'package',
			name: 'UpgradeCap',
		}),
		digest: executed.digest,
	};
}

export interface UpgradeResult {
	/** The new version's package id (the original id is unchanged). */
	packageId: string;
	digest: string;
}

/** Upgrades `packageId` (the newest version) with the UpgradeCap `upgradeCapId`. */
export async function upgradePackage({
	client,
	signer,
	built,
	packageId,
	upgradeCapId,
	policy = UpgradePolicy.COMPATIBLE,
	logger = silentLogger,
}: {
	client: SuiClient;
	signer: Signer;
	built: PackageBytes;
	packageId: string;
	upgradeCapId: string;
	policy?: UpgradePolicy;
	logger?: Logger;
}): Promise<UpgradeResult> {
	const transaction = upgradeTx({
		built,
		packageId,
		upgradeCap: normalizeObjectId(upgradeCapId, 'upgradeCapId'),
		policy,
	});
	const executed = await executeTransaction({
		client,
		signer,
		transaction,
		logger,
		label: 'upgrade',
	});
	return { packageId: publishedPackageId(executed), digest: executed.digest };
}

/** The package a publish or upgrade transaction wrote. */
export function publishedPackageId(executed: ExecutedTransaction): string {
	const written = executed.effects.changedObjects.filter(
		(change) => change.outputState === 'PackageWrite' && change.idOperation === 'Created',
	);
	const [first, ...rest] = written;
	if (!first || rest.length > 0) {
		throw new PublishError(
			`tx ${executed.digest} wrote ${written.length} packages, expected exactly 1`,
		);
	}
	return first.objectId;
}

export interface PublishAndRecordOptions {
	client: SuiClient;
	signer: Signer;
	network: string;
	/** The Move package directory (`move`). */
	packagePath: string;
	/** Where `<network>.json` lives (`deployments`). */
	deploymentsDir: string;
	/** Publish even when the built package equals the recorded one. */
	force?: boolean;
	/** Upgrade the recorded package instead of publishing a new one. */
	upgrade?: boolean;
	logger?: Logger;
	/** Environment for the Move toolchain (e.g. where `sui` is). */
	env?: NodeJS.ProcessEnv;
	/** Builds the package; defaults to `buildMovePackage` (sui CLI or the WASM builder). */
	build?: (options: { packagePath: string; logger: Logger }) => Promise<PackageBytes>;
	/** Clock for the record's timestamps. */
	now?: () => Date;
}

export interface PublishAndRecordResult {
	action: 'published' | 'upgraded';
	record: DeploymentRecord;
	/** Path of the deployment file written. */
	file: string;
	digest: string;
}

/**
 * Builds the package and publishes it (or upgrades the recorded one with `upgrade`), then writes
 * the deployment record. An unchanged package (same digest as recorded, same chain) is refused
 * with `PackageUnchangedError` unless `force`. The record is written only after success.
 */
export async function publishAndRecord({
	client,
	signer,
	network,
	packagePath,
	deploymentsDir,
	force = false,
	upgrade = false,
	logger = silentLogger,
	env = {},
	build = ({ packagePath: path, logger: log }) =>
		buildMovePackage({ packagePath: path, env, logger: log }),
	now = () => new Date(),
}: PublishAndRecordOptions): Promise<PublishAndRecordResult> {
	const built = await build({ packagePath, logger });
	const packageDigest = packageDigestHex(built.digest);
	const chainId = await chainIdentifier(client, network);
	let record = await readDeployment(deploymentsDir, network);

	if (record && record.chainId !== chainId) {
		logger.warn(
			`the ${network} deployment record is for chain ${record.chainId} but the node serves ` +
				`chain ${chainId} (a regenesis?); its package and allowlists no longer exist`,
		);
		if (upgrade) {
			throw new PublishError(
				`cannot upgrade: the recorded package lives on chain ${record.chainId}; ` +
					'publish without --upgrade to start a new deployment',
			);
		}
		record = undefined;
	}

	if (record && record.packageDigest === packageDigest && !force) {
		throw new PackageUnchangedError(
			`the package in ${packagePath} is unchanged since it was ${upgrade ? 'last published' : 'published'} ` +
				`on ${network} as ${record.latestPackageId} (digest ${packageDigest.slice(0, 16)}…); ` +
				'change it first, or pass --force to publish it again',
		);
	}

	if (upgrade) {
		if (!record) {
			throw new PublishError(
				`nothing to upgrade on ${network}: no deployment record in ${deploymentsDir}; ` +
					'run publish without --upgrade first',
			);
		}
		logger.info(`upgrading ${record.latestPackageId} on ${network}`);
		const result = await upgradePackage({
			client,
			signer,
			built,
			packageId: record.latestPackageId,
			upgradeCapId: record.upgradeCapId,
			logger,
		});
		const upgradedAt = now().toISOString();
		const next: DeploymentRecord = {
			...record,
			latestPackageId: result.packageId,
			packageDigest,
			upgrades: [
				...record.upgrades,
				{ packageId: result.packageId, digest: result.digest, packageDigest, upgradedAt },
			],
		};
		const file = await writeDeployment(deploymentsDir, next);
		logger.info(
			`upgraded to ${result.packageId} (original id ${record.originalPackageId}); wrote ${file}`,
		);
		return { action: 'upgraded', record: next, file, digest: result.digest };
	}

	if (record) {
		logger.warn(
			`publishing a new copy: the record for ${record.originalPackageId} is replaced` +
				(record.allowlists.length > 0
					? ` and its ${record.allowlists.length} allowlist(s) are dropped from it (they stay on chain)`
					: '') +
				'; use --upgrade to keep the original id',
		);
	}
	logger.info(`publishing ${packagePath} to ${network}`);
	const result = await publishPackage({ client, signer, built, logger });
	const next: DeploymentRecord = {
		formatVersion: DEPLOYMENT_FORMAT_VERSION,
		network,
		chainId,
		originalPackageId: result.packageId,
		latestPackageId: result.packageId,
		upgradeCapId: result.upgradeCapId,
		packageDigest,
		publishDigest: result.digest,
		publishedAt: now().toISOString(),
		upgrades: [],
		allowlists: [],
		extra: record?.extra ?? {},
	};
	const file = await writeDeployment(deploymentsDir, next);
	logger.info(`published ${result.packageId} (upgrade cap ${result.upgradeCapId}); wrote ${file}`);
	return { action: 'published', record: next, file, digest: result.digest };
}

/** The node's chain id; an unreachable node is a missing prerequisite, said in one line. */
async function chainIdentifier(client: SuiClient, network: string): Promise<string> {
	try {
		return (await client.core.getChainIdentifier()).chainIdentifier;
	} catch (error) {
		throw new PrerequisiteMissingError(
			'sui full node',
			`the ${network} full node did not answer (${(error as Error).message}); ` +
				(network === 'localnet'
					? 'start one with `seal-policies localnet up`, or set SUI_RPC_URL'
					: 'check SUI_RPC_URL / rpcUrl and your connection'),
			{ cause: error },
		);
	}
}
