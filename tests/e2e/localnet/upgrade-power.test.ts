/**
 * Upgrade power on a real localnet: `package freeze` leaves no way to upgrade, and `package
 * restrict --policy additive` refuses an upgrade that changes existing code while still allowing
 * an additive one. Uses the fixture packages in move/fixtures/upgrade-power/ (not the policy
 * package, whose deployment the other e2e files share).
 */
import { resolve } from 'node:path';

import { UpgradePolicy } from '@mysten/sui/transactions';
import { beforeAll, describe, expect, it } from 'vitest';

import { TransactionFailedError } from '../../../ts/chain/errors.js';
import { buildEnvironment } from '../../../ts/move/build-env.js';
import { buildMovePackage } from '../../../ts/move/build.js';
import { publishPackage, upgradePackage, type PackageBytes } from '../../../ts/move/publish.js';
import { readPackageInfo } from '../../../ts/package-info/read.js';
import { restrictUpgradePolicy } from '../../../ts/package-info/upgrade-policy.js';
import { announceSkip, localnetSkipReason, ROOT, useLocalnet } from '../support/tiers.js';

announceSkip('e2e-localnet', localnetSkipReason);

const FIXTURES = resolve(ROOT, 'move', 'fixtures', 'upgrade-power');

describe.skipIf(localnetSkipReason !== undefined)('localnet: upgrade power', () => {
	const getEnv = useLocalnet();
	// Filled by beforeAll.
	const built = {} as Record<'v1' | 'v2-body' | 'v2-additive', PackageBytes>;

	beforeAll(async () => {
		const env = getEnv();
		// Localnet's chain id is known only now: each fixture is built for it (as testnet, with a
		// private client config pointing at this node).
		const { chainIdentifier } = await env.client.core.getChainIdentifier();
		const environment = buildEnvironment('localnet', chainIdentifier, env.rpcUrl);
		for (const version of ['v1', 'v2-body', 'v2-additive'] as const) {
			built[version] = await buildMovePackage({
				packagePath: resolve(FIXTURES, version),
				environment,
				env: process.env,
				logger: env.logger,
			});
		}
	}, 600_000);

	async function publishV1() {
		const env = getEnv();
		const published = await publishPackage({
			client: env.client,
			signer: env.admin,
			built: built.v1,
		});
		const info = await readPackageInfo({ client: env.client, packageId: published.packageId });
		expect(info).toMatchObject({
			version: 1,
			upgradeCapId: published.upgradeCapId,
			upgradePolicy: 'compatible',
			upgradeCap: { holder: { kind: 'address', address: env.admin.toSuiAddress() } },
		});
		return published;
	}

	it('after freeze, package info says immutable and an upgrade attempt fails with a typed error', async () => {
		const env = getEnv();
		const { packageId, upgradeCapId } = await publishV1();
		await restrictUpgradePolicy({
			client: env.client,
			signer: env.admin,
			upgradeCapId,
			policy: 'immutable',
		});
		const info = await readPackageInfo({ client: env.client, packageId });
		expect(info.upgradePolicy).toBe('immutable');
		expect(info.upgradeCap).toBeUndefined();

		const attempt = upgradePackage({
			client: env.client,
			signer: env.admin,
			built: built['v2-additive'],
			packageId,
			upgradeCapId,
		});
		await expect(attempt).rejects.toBeInstanceOf(TransactionFailedError);
	});

	it('after restrict to additive, a body change is refused and an additive change is accepted', async () => {
		const env = getEnv();
		const { packageId, upgradeCapId } = await publishV1();
		await restrictUpgradePolicy({
			client: env.client,
			signer: env.admin,
			upgradeCapId,
			policy: 'additive',
		});
		expect((await readPackageInfo({ client: env.client, packageId })).upgradePolicy).toBe(
			'additive',
		);

		// Asking for the old, looser policy is itself refused by sui::package (ETooPermissive).
		await expect(
			upgradePackage({
				client: env.client,
				signer: env.admin,
				built: built['v2-body'],
				packageId,
				upgradeCapId,
				policy: UpgradePolicy.COMPATIBLE,
			}),
		).rejects.toBeInstanceOf(TransactionFailedError);
		// Under the additive policy the verifier refuses the changed function body.
		await expect(
			upgradePackage({
				client: env.client,
				signer: env.admin,
				built: built['v2-body'],
				packageId,
				upgradeCapId,
				policy: UpgradePolicy.ADDITIVE,
			}),
		).rejects.toBeInstanceOf(TransactionFailedError);

		// Positive control: the restriction did not simply break upgrades.
		const upgraded = await upgradePackage({
			client: env.client,
			signer: env.admin,
			built: built['v2-additive'],
			packageId,
			upgradeCapId,
			policy: UpgradePolicy.ADDITIVE,
		});
		const info = await readPackageInfo({ client: env.client, packageId: upgraded.packageId });
		expect(info).toMatchObject({
			version: 2,
			upgradePolicy: 'additive',
			upgradeCap: { latestPackageId: upgraded.packageId, latestVersion: 2 },
		});
	});
});
