/**
 * The upgrade policies of a `0x2::package::UpgradeCap` (sui-framework/sources/package.move): the
 * names the CLI and deployment records use and the policy bytes the framework stores. Facts only;
 * the transactions that change a cap's policy live in `package-info/upgrade-policy.ts`.
 */
import { InvalidInputError } from '../errors.js';

/** Names as the CLI and the deployment record spell them. */
export const UPGRADE_POLICIES = ['compatible', 'additive', 'dependency-only', 'immutable'] as const;
export type UpgradePolicyName = (typeof UPGRADE_POLICIES)[number];

/** `UpgradeCap.policy` values (sui::package `COMPATIBLE`, `ADDITIVE`, `DEP_ONLY`). */
export const UPGRADE_POLICY_CODES = {
	compatible: 0,
	additive: 128,
	'dependency-only': 192,
} as const;

/** The name of an `UpgradeCap.policy` byte; unknown codes are reported, not guessed. */
export function upgradePolicyName(code: number): Exclude<UpgradePolicyName, 'immutable'> {
	for (const [name, value] of Object.entries(UPGRADE_POLICY_CODES)) {
		if (value === code) return name as Exclude<UpgradePolicyName, 'immutable'>;
	}
	throw new InvalidInputError('UpgradeCap.policy', `unknown upgrade policy code ${code}`);
}

/** `policy` when it is one of `UPGRADE_POLICIES`; else a typed error listing them. */
export function parseUpgradePolicy(policy: string, field = '--upgrade-policy'): UpgradePolicyName {
	if ((UPGRADE_POLICIES as readonly string[]).includes(policy)) return policy as UpgradePolicyName;
	throw new InvalidInputError(
		field,
		`expected one of ${UPGRADE_POLICIES.join(', ')}, got '${policy}'`,
	);
}
