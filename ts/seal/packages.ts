/**
 * Which policy package ids to use: the ORIGINAL id (identities, session keys, encrypt) and the
 * LATEST id (the package the approval PTB calls). The deployment record knows both; config's
 * `seal.policyPackage` is the original id and is used for both when no record exists.
 */
import type { HarnessConfig } from '../config.js';
import { readDeployment } from '../chain/deployments.js';
import { ConfigError } from '../errors.js';

export interface PolicyPackageIds {
	originalId: string;
	latestId: string;
	source: 'deployment' | 'config';
}

export async function resolvePolicyPackage(
	config: HarnessConfig,
	deploymentsDir: string,
): Promise<PolicyPackageIds> {
	const record = await readDeployment(deploymentsDir, config.network);
	if (config.seal.policyPackage !== undefined) {
		// An explicit setting wins; take the latest id from the record only when it is the same package.
		const latestId =
			record?.originalPackageId === config.seal.policyPackage
				? record.latestPackageId
				: config.seal.policyPackage;
		return { originalId: config.seal.policyPackage, latestId, source: 'config' };
	}
	if (record !== undefined) {
		return {
			originalId: record.originalPackageId,
			latestId: record.latestPackageId,
			source: 'deployment',
		};
	}
	throw new ConfigError(
		'seal.policyPackage',
		undefined,
		`no policy package for ${config.network}: publish it (\`seal-policies publish --network ${config.network}\`) or set SEAL_POLICY_PACKAGE`,
	);
}
