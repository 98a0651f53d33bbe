/**
 * The upgrade scenario of the e2e suites: publish a fresh copy of the policy package (v1), then
 * a compatible upgrade (v2 = v1 + the modules in move/fixtures/upgrade). Both are assembled in
 * temporary directories from move/Move.toml and move/sources, so the upgrade can never drift
 * from the package it upgrades, and nothing is recorded in the project's deployments/.
 * After the upgrade, identities and session keys keep the ORIGINAL id; approvals call the LATEST.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger } from '../logger.js';
import { publishAndRecord } from '../move/publish.js';
import type { PolicyPackageIds } from '../seal/packages.js';
import type { E2eEnvironment } from './environment.js';

/** Extra sources of v2, relative to the project root. */
export const UPGRADE_FIXTURE_DIR = join('move', 'fixtures', 'upgrade', 'sources');

/**
 * A copy of the policy package under `workDir/<name>`: move/'s manifest files and sources, plus
 * the `.move` files of `extraSourcesDir`. Returns the package directory.
 */
export async function assemblePackageCopy(options: {
	root: string;
	workDir: string;
	name: string;
	extraSourcesDir?: string;
}): Promise<string> {
	const source = join(options.root, 'move');
	const target = join(options.workDir, options.name);
	await mkdir(join(target, 'sources'), { recursive: true });
	// The manifest only: a Published.toml / lock file of move/ describes the real deployment.
	await copyFile(join(source, 'Move.toml'), join(target, 'Move.toml'));
	const copyMove = async (dir: string) => {
		for (const entry of await readdir(dir, { withFileTypes: true })) {
			if (entry.isFile() && entry.name.endsWith('.move')) {
				await copyFile(join(dir, entry.name), join(target, 'sources', entry.name));
			}
		}
	};
	await copyMove(join(source, 'sources'));
	if (options.extraSourcesDir !== undefined) await copyMove(options.extraSourcesDir);
	return target;
}

/** The steps of the scenario that touch the chain, split so a test can act in between. */
export interface UpgradeRun {
	v1: PolicyPackageIds;
	/** Publishes v2 as an upgrade of v1 (the admin holds the cap). */
	upgrade(): Promise<PolicyPackageIds>;
	/** Removes the temporary directories. */
	cleanUp(): Promise<void>;
}

/**
 * Publishes a fresh v1 of the policy package with `env.admin` (which receives the UpgradeCap)
 * and returns the run; `upgrade()` then publishes v2. Builds go through `publishAndRecord`, so
 * they name their environment the same way `seal-policies publish` does; its record goes to a
 * temporary deployments directory.
 */
export async function publishUpgradeableCopy(
	env: E2eEnvironment,
	options: { root: string; buildEnv: NodeJS.ProcessEnv; logger?: Logger },
): Promise<UpgradeRun> {
	const workDir = await mkdtemp(join(tmpdir(), 'seal-policies-upgrade-'));
	const cleanUp = () => rm(workDir, { recursive: true, force: true });
	try {
		const deploymentsDir = join(workDir, 'deployments');
		const logger = options.logger ?? env.logger;
		const common = {
			client: env.client,
			signer: env.admin,
			network: env.network,
			deploymentsDir,
			env: options.buildEnv,
			rpcUrl: env.rpcUrl,
			logger,
		};
		const v1Dir = await assemblePackageCopy({ root: options.root, workDir, name: 'v1' });
		const published = await publishAndRecord({ ...common, packagePath: v1Dir, force: true });
		const original = published.record.originalPackageId;
		const v1: PolicyPackageIds = { originalId: original, latestId: original, source: 'deployment' };
		return {
			v1,
			async upgrade() {
				const v2Dir = await assemblePackageCopy({
					root: options.root,
					workDir,
					name: 'v2',
					extraSourcesDir: join(options.root, UPGRADE_FIXTURE_DIR),
				});
				const upgraded = await publishAndRecord({ ...common, packagePath: v2Dir, upgrade: true });
				return {
					originalId: upgraded.record.originalPackageId,
					latestId: upgraded.record.latestPackageId,
					source: 'deployment',
				};
			},
			cleanUp,
		};
	} catch (error) {
		await cleanUp();
		throw error;
	}
}

/** `env` with other policy package ids (every step reads them from here). */
export function withPackages(env: E2eEnvironment, packages: PolicyPackageIds): E2eEnvironment {
	return { ...env, packages };
}
