/**
 * Upgrade power over a published package: who holds its `0x2::package::UpgradeCap` can publish a
 * new `seal_approve` and so change who may decrypt. These builders call the framework's own
 * functions that reduce that power for good (`sui::package`, sui-framework/sources/package.move):
 * `only_additive_upgrades(&mut cap)` (policy 128), `only_dep_upgrades(&mut cap)` (192),
 * `make_immutable(cap)` (destroys the cap). A policy can only get stricter: the framework aborts
 * with `ETooPermissive` otherwise.
 */
import type { Signer } from '@mysten/sui/cryptography';
import { Transaction, type TransactionObjectInput } from '@mysten/sui/transactions';

import { InvalidInputError } from '../errors.js';
import { normalizeObjectId } from '../identity.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SuiClient } from '../chain/sui-client.js';
import { executeTransaction } from '../chain/transactions.js';
import type { UpgradePolicyName } from '../chain/upgrade-policies.js';

const FUNCTION_FOR: Record<Exclude<UpgradePolicyName, 'compatible'>, string> = {
	additive: '0x2::package::only_additive_upgrades',
	'dependency-only': '0x2::package::only_dep_upgrades',
	immutable: '0x2::package::make_immutable',
};

/**
 * The call that moves `upgradeCap` to `policy`. `compatible` is the policy a fresh cap already
 * has and cannot be returned to, so asking for it is an error rather than a no-op transaction.
 */
export function restrictUpgradeTx({
	upgradeCap,
	policy,
	tx = new Transaction(),
}: {
	upgradeCap: TransactionObjectInput;
	policy: UpgradePolicyName;
	tx?: Transaction;
}): Transaction {
	if (policy === 'compatible') {
		throw new InvalidInputError(
			'policy',
			"'compatible' is a new package's default and a policy never gets looser; choose additive, dependency-only or immutable",
		);
	}
	tx.moveCall({ target: FUNCTION_FOR[policy], arguments: [tx.object(upgradeCap)] });
	return tx;
}

/** Signs and executes `restrictUpgradeTx`; the signer must own the cap. */
export async function restrictUpgradePolicy({
	client,
	signer,
	upgradeCapId,
	policy,
	logger = silentLogger,
}: {
	client: SuiClient;
	signer: Signer;
	upgradeCapId: string;
	policy: UpgradePolicyName;
	logger?: Logger;
}): Promise<{ digest: string }> {
	const transaction = restrictUpgradeTx({
		upgradeCap: normalizeObjectId(upgradeCapId, 'upgradeCapId'),
		policy,
	});
	const { digest } = await executeTransaction({
		client,
		signer,
		transaction,
		logger,
		label: policy === 'immutable' ? 'make the package immutable' : `restrict upgrades to ${policy}`,
	});
	return { digest };
}
