/**
 * Publish and upgrade the Move package, and keep its records in step: Sui's publication file
 * (move/Published.toml on testnet/mainnet, the git-ignored move/Pub.<env>.toml elsewhere) and
 * `deployments/<network>.json` (what only we know: allowlists, digests, times).
 * Builders (`publishTx`, `upgradeTx`) are pure; `publishPackage` / `upgradePackage` execute;
 * `publishAndRecord` is what the CLI runs (build → decide → execute → record).
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';

import { Transaction, UpgradePolicy, type TransactionObjectInput } from '@mysten/sui/transactions';
import type { Signer } from '@mysten/sui/cryptography';

import {
	DEPLOYMENT_FORMAT_VERSION,
	packageDigestHex,
	readDeployment,
	writeDeployment,
	type DeploymentRecord,
} from '../chain/deployments.js';
import { PrerequisiteMissingError } from '../errors.js';
import { DeploymentRecordError } from '../chain/errors.js';
import { PackageUnchangedError, PublishError } from './errors.js';
import { normalizeObjectId } from '../identity.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SuiClient } from '../chain/sui-client.js';
import {
	executeTransaction,
	findCreatedObject,
	type ExecutedTransaction,
} from '../chain/transactions.js';
import { buildEnvironment, moveChainId, type BuildEnvironment } from './build-env.js';
import { buildMovePackage, type BuiltPackage } from './build.js';
import {
	ephemeralPubsStatus,
	manifestBuildConfig,
	readPublication,
	recordPublication,
	publicationFile,
	renderEphemeralPubs,
	type BuildConfig,
	type PublicationRecord,
} from './publication-file.js';
import { writeFileAtomic } from '../atomic-file.js';

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
	/** Package object version (1 for a publish). */
	version: number;
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
		version: publishedPackageVersion(executed) ?? 1,
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
	/** The new package object's version, when the effects report it. */
	version: number | undefined;
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
	return {
		packageId: publishedPackageId(executed),
		digest: executed.digest,
		version: publishedPackageVersion(executed),
	};
}

/** The package a publish or upgrade transaction wrote. */
export function publishedPackageId(executed: ExecutedTransaction): string {
	return writtenPackage(executed).objectId;
}

/** The version of the package a publish or upgrade wrote (undefined if the effects lack it). */
export function publishedPackageVersion(executed: ExecutedTransaction): number | undefined {
	const version = Number(writtenPackage(executed).outputVersion ?? Number.NaN);
	return Number.isSafeInteger(version) && version >= 1 ? version : undefined;
}

function writtenPackage(executed: ExecutedTransaction) {
	const written = executed.effects.changedObjects.filter(
		(change) => change.outputState === 'PackageWrite' && change.idOperation === 'Created',
	);
	const [first, ...rest] = written;
	if (!first || rest.length > 0) {
		throw new PublishError(
			`tx ${executed.digest} wrote ${written.length} packages, expected exactly 1`,
		);
	}
	return first;
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
	/** The full node `client` talks to (the build's private `sui` config points there too); default: the network's preset. */
	rpcUrl?: string;
	/** Builds the package; defaults to `buildMovePackage` (sui CLI or the WASM builder). */
	build?: (options: {
		packagePath: string;
		environment: BuildEnvironment;
		/** Ephemeral chains: the package's Pub.<env>.toml, whose addresses the build uses. */
		pubfile?: string;
		logger: Logger;
	}) => Promise<PackageBytes & Pick<BuiltPackage, 'toolchainVersion'>>;
	/** Clock for the record's timestamps. */
	now?: () => Date;
}

export interface PublishAndRecordResult {
	action: 'published' | 'upgraded';
	record: DeploymentRecord;
	/** Path of the deployment file written. */
	file: string;
	/** Sui's publication file written: the package's Published.toml or Pub.<env>.toml. */
	publicationFile: string;
	digest: string;
}

/**
 * Builds the package for the node's chain and publishes it (or upgrades the recorded one with
 * `upgrade`), then writes the deployment record and Sui's publication file. An unchanged package
 * (same digest as recorded, same chain) is refused with `PackageUnchangedError` unless `force`;
 * an upgrade whose deployment record and publication file disagree is refused with
 * `DeploymentRecordError`. Records are written only after success.
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
	rpcUrl,
	build = (options) => buildMovePackage({ ...options, env }),
	now = () => new Date(),
}: PublishAndRecordOptions): Promise<PublishAndRecordResult> {
	const chainId = await chainIdentifier(client, network);
	const environment = buildEnvironment(network, chainId, rpcUrl);
	const buildConfig = await packageBuildConfig(packagePath);
	const pubfile = environment.ephemeral
		? await preparePubfile(packagePath, environment, logger)
		: undefined;
	const built = await build({
		packagePath,
		environment,
		...(pubfile === undefined ? {} : { pubfile }),
		logger,
	});
	const packageDigest = packageDigestHex(built.digest);
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
		await checkAgreement(record, packagePath, environment);
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
		const pubFile = await recordPublication(packagePath, environment, {
			chainId: environment.chainId,
			publishedAt: result.packageId,
			originalId: record.originalPackageId,
			// An upgrade bumps the package version by one (first upgrade: 2).
			version: result.version ?? record.upgrades.length + 2,
			toolchainVersion: built.toolchainVersion,
			buildConfig,
			upgradeCapability: record.upgradeCapId,
		});
		logger.info(
			`upgraded to ${result.packageId} (original id ${record.originalPackageId}); wrote ${file} and ${pubFile}`,
		);
		return {
			action: 'upgraded',
			record: next,
			file,
			publicationFile: pubFile,
			digest: result.digest,
		};
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
	const previous = await readPublication(packagePath, environment);
	if (!record && previous && previous.chainId === environment.chainId) {
		logger.warn(
			`${publicationFile(packagePath, environment)} already names ` +
				`${previous.originalId} on ${network} and no deployment record does; publishing a new copy replaces that entry`,
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
	const pubFile = await recordPublication(packagePath, environment, {
		chainId: environment.chainId,
		publishedAt: result.packageId,
		originalId: result.packageId,
		version: result.version,
		toolchainVersion: built.toolchainVersion,
		buildConfig,
		upgradeCapability: result.upgradeCapId,
	});
	logger.info(
		`published ${result.packageId} (upgrade cap ${result.upgradeCapId}); wrote ${file} and ${pubFile}`,
	);
	return {
		action: 'published',
		record: next,
		file,
		publicationFile: pubFile,
		digest: result.digest,
	};
}

/**
 * The package's Pub.<env>.toml, made loadable for this build: `sui` refuses a file for another
 * chain or another build environment (root_package.rs `load_ephemeral_pubfile`). A file for
 * another chain describes packages of a chain that is gone (a regenesis) and is removed; one
 * recorded for another build environment on this chain (older releases wrote
 * `build-env = "<network>"`) keeps its entries under the build environment used now.
 */
async function preparePubfile(
	packagePath: string,
	environment: BuildEnvironment,
	logger: Logger,
): Promise<string> {
	const file = publicationFile(packagePath, environment);
	const status = await ephemeralPubsStatus(file, environment);
	if (status.kind === 'other-chain') {
		logger.warn(
			`${file} is for chain ${status.pubs.chainId}, but the ${environment.name} node serves ` +
				`chain ${environment.chainId} (a regenesis?); its packages no longer exist, so it is removed`,
		);
		await rm(file, { force: true });
	} else if (status.kind === 'other-build-env') {
		logger.warn(
			`${file} records build-env "${status.pubs.buildEnv}"; rewriting it with ` +
				`"${environment.buildEnv}" (an environment Move.toml has), as sui requires`,
		);
		await writeFileAtomic(
			file,
			renderEphemeralPubs({ ...status.pubs, buildEnv: environment.buildEnv }),
		);
	}
	return file;
}

/** `build-config` of the package, from its Move.toml. */
async function packageBuildConfig(packagePath: string): Promise<BuildConfig> {
	const manifest = path.join(packagePath, 'Move.toml');
	let text: string;
	try {
		text = await readFile(manifest, 'utf8');
	} catch (error) {
		throw new PublishError(`cannot read ${manifest}: ${(error as Error).message}`, {
			cause: error,
		});
	}
	return manifestBuildConfig(text, manifest);
}

/**
 * Throws `DeploymentRecordError` when Sui's publication file and the deployment record name
 * different ids for the same chain: acting on either would be a guess. A publication file
 * without an entry for this environment (older records) is not a disagreement.
 */
export async function checkAgreement(
	record: DeploymentRecord,
	packagePath: string,
	environment: BuildEnvironment,
): Promise<PublicationRecord | undefined> {
	const recorded = await readPublication(packagePath, environment);
	if (recorded === undefined) return undefined;
	const file = publicationFile(packagePath, environment);
	const pairs: [string, string | undefined, string, string][] = [
		['chain-id', recorded.chainId, 'chainId', moveChainId(record.chainId)],
		['original-id', recorded.originalId, 'originalPackageId', record.originalPackageId],
		['published-at', recorded.publishedAt, 'latestPackageId', record.latestPackageId],
		['upgrade-capability', recorded.upgradeCapability, 'upgradeCapId', record.upgradeCapId],
	];
	for (const [field, ours, recordField, theirs] of pairs) {
		if (ours !== undefined && ours !== theirs) {
			throw new DeploymentRecordError(
				file,
				field,
				`says ${ours} but deployments/${record.network}.json ${recordField} says ${theirs}; ` +
					'check the chain (which one is current?) and fix or remove the stale one before upgrading',
			);
		}
	}
	return recorded;
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
