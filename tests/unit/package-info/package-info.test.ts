import { bcs } from '@mysten/sui/bcs';
import { ObjectError, type SuiClientTypes } from '@mysten/sui/client';

import { describe, expect, it } from 'vitest';

import { parseDeployment } from '../../../ts/chain/deployments.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { ObjectReadError } from '../../../ts/chain/errors.js';
import {
	describePackageInfo,
	readPackageInfo,
	UPGRADE_CAP_TYPE,
	UpgradeCapBcs,
} from '../../../ts/package-info/read.js';
import { parseUpgradePolicy, upgradePolicyName } from '../../../ts/chain/upgrade-policies.js';
import { restrictUpgradeTx } from '../../../ts/package-info/upgrade-policy.js';
import type { SuiClient } from '../../../ts/chain/sui-client.js';

const PKG_V1 = `0x${'a1'.repeat(32)}`;
const PKG_V2 = `0x${'a2'.repeat(32)}`;
const CAP = `0x${'ca'.repeat(32)}`;
const PUBLISHER = `0x${'11'.repeat(32)}`;
const PUBLISH_DIGEST = 'FKxvBPD1USPz5ri4zCx7Gcz7JrVSLhxnimwuhgMpRHKV';

/*
 * Fixtures in the shapes @mysten/sui 2.33.1's core API returns (SuiClientTypes in
 * dist/client/types.d.mts; the gRPC mapping in dist/grpc/core.mjs `getObjects`: a package's
 * `type` is the node's object_type "package", Move types are normalizeStructTag'ed, `content` is
 * the object's BCS contents, `previousTransaction` the last writing digest). The UpgradeCap
 * content is BCS `{ id, package, version: u64, policy: u8 }` (MystenLabs/sui
 * crates/sui-framework/packages/sui-framework/sources/package.move, `public struct UpgradeCap`).
 *
 * The cap's `version` is the newest package version itself: a publish creates the cap with
 * `version: 1` (crates/sui-types/src/move_package.rs `UpgradeCap::new`, and the transactional
 * test crates/sui-adapter-transactional-tests/tests/publish/publish_with_upgrade.snap: after
 * `publish --upgradeable` the cap reads `package: Test, version: 1u64, policy: 0u8`), and each
 * `commit_upgrade` adds one (package.move `cap.version = cap.version + 1`; package_tests.move
 * `cap.version() == version + 1`), all at shxdow-osec/sui 94cdbdacbafebbf22fb04e302ce113da931651f1.
 */
function packageObject(
	id: string,
	version: string,
): SuiClientTypes.Object<{ previousTransaction: true }> {
	return {
		objectId: id,
		version,
		digest: '11111111111111111111111111111111',
		owner: { $kind: 'Immutable', Immutable: true },
		type: 'package',
		previousTransaction: PUBLISH_DIGEST,
	} as SuiClientTypes.Object<{ previousTransaction: true }>;
}

function capObject(
	owner: SuiClientTypes.ObjectOwner,
	fields: { package: string; version: number; policy: number },
): SuiClientTypes.Object<{ content: true }> {
	return {
		objectId: CAP,
		version: '9',
		digest: '11111111111111111111111111111111',
		owner,
		type: UPGRADE_CAP_TYPE,
		content: UpgradeCapBcs.serialize({ id: CAP, ...fields }).toBytes(),
	} as SuiClientTypes.Object<{ content: true }>;
}

/** Effects of a publish (cap Created) or an upgrade (cap mutated: idOperation None). */
function publishTransaction(idOperation: 'Created' | 'None') {
	const change = (objectId: string, op: SuiClientTypes.ChangedObject['idOperation']) =>
		({
			objectId,
			inputState: op === 'Created' ? 'DoesNotExist' : 'Exists',
			inputVersion: null,
			inputDigest: null,
			inputOwner: null,
			outputState: 'ObjectWrite',
			outputVersion: '9',
			outputDigest: null,
			outputOwner: { $kind: 'AddressOwner', AddressOwner: PUBLISHER },
			idOperation: op,
		}) satisfies SuiClientTypes.ChangedObject;
	return {
		$kind: 'Transaction',
		Transaction: {
			digest: PUBLISH_DIGEST,
			effects: {
				changedObjects: [change(PKG_V2, 'Created'), change(CAP, idOperation)],
			},
			objectTypes: { [PKG_V2]: 'package', [CAP]: UPGRADE_CAP_TYPE },
		},
	};
}

function stubClient({
	pkg,
	cap,
	transaction = publishTransaction('Created'),
}: {
	pkg: SuiClientTypes.Object<{ previousTransaction: true }>;
	cap: SuiClientTypes.Object<{ content: true }> | Error;
	transaction?: unknown;
}): SuiClient {
	return {
		core: {
			getObject: async ({ objectId }: { objectId: string }) => {
				if (objectId !== pkg.objectId) throw new Error(`unexpected getObject ${objectId}`);
				return { object: pkg };
			},
			getObjects: async ({ objectIds }: { objectIds: string[] }) => {
				expect(objectIds).toEqual([CAP]);
				return { objects: [cap] };
			},
			getTransaction: async ({ digest }: { digest: string }) => {
				expect(digest).toBe(PUBLISH_DIGEST);
				return transaction;
			},
		},
	} as unknown as SuiClient;
}

describe('readPackageInfo', () => {
	it('a freshly published package is its own latest version 1 (publish_with_upgrade.snap)', async () => {
		const info = await readPackageInfo({
			client: stubClient({
				pkg: packageObject(PKG_V2, '1'),
				// view-object of the cap right after `publish --upgradeable`: version 1u64, policy 0u8.
				cap: capObject(
					{ $kind: 'AddressOwner', AddressOwner: PUBLISHER },
					{ package: PKG_V2, version: 1, policy: 0 },
				),
			}),
			packageId: PKG_V2,
		});
		expect(info.version).toBe(1);
		expect(info.upgradeCap).toMatchObject({ latestPackageId: PKG_V2, latestVersion: 1 });
		expect(describePackageInfo(info)).toContain(`latest version   1 (${PKG_V2})`);
	});

	it('reports version, policy, holder and latest version of an upgraded package', async () => {
		const info = await readPackageInfo({
			client: stubClient({
				pkg: packageObject(PKG_V1, '1'),
				// After one commit_upgrade: the cap tracks v2 and its version went from 1 to 2.
				cap: capObject(
					{ $kind: 'AddressOwner', AddressOwner: PUBLISHER },
					{ package: PKG_V2, version: 2, policy: 0 },
				),
			}),
			packageId: PKG_V1,
		});
		expect(info).toEqual({
			packageId: PKG_V1,
			version: 1,
			publishedBy: PUBLISH_DIGEST,
			upgradeCapId: CAP,
			upgradePolicy: 'compatible',
			upgradeCap: {
				holder: { kind: 'address', address: PUBLISHER },
				latestPackageId: PKG_V2,
				latestVersion: 2,
			},
		});
		expect(describePackageInfo(info)).toContain(`cap held by      address ${PUBLISHER}`);
	});

	it('finds the cap an upgrade mutated and reads restricted policies', async () => {
		for (const [code, name] of [
			[128, 'additive'],
			[192, 'dependency-only'],
		] as const) {
			const info = await readPackageInfo({
				client: stubClient({
					pkg: packageObject(PKG_V2, '2'),
					cap: capObject(
						{ $kind: 'ObjectOwner', ObjectOwner: PKG_V1 },
						{ package: PKG_V2, version: 2, policy: code },
					),
					transaction: publishTransaction('None'),
				}),
				packageId: PKG_V2,
			});
			expect(info.upgradePolicy).toBe(name);
			expect(info.upgradeCap?.holder).toEqual({ kind: 'object', objectId: PKG_V1 });
		}
	});

	it('reports a package whose cap is gone as immutable, with the reason', async () => {
		const info = await readPackageInfo({
			client: stubClient({
				pkg: packageObject(PKG_V1, '1'),
				cap: new ObjectError('notExists', 'not found', { reason: 'notFound', objectId: CAP }),
			}),
			packageId: PKG_V1,
		});
		expect(info.upgradePolicy).toBe('immutable');
		expect(info.upgradeCap).toBeUndefined();
		expect(info.note).toMatch(/make_immutable/);
	});

	it('refuses an object that is not a package, and a transaction without an UpgradeCap', async () => {
		const notPackage = { ...packageObject(PKG_V1, '1'), type: UPGRADE_CAP_TYPE };
		await expect(
			readPackageInfo({
				client: stubClient({ pkg: notPackage, cap: new Error('unused') }),
				packageId: PKG_V1,
			}),
		).rejects.toThrow(/not a Move package/);
		const systemPublish = {
			$kind: 'Transaction',
			Transaction: { digest: PUBLISH_DIGEST, effects: { changedObjects: [] }, objectTypes: {} },
		};
		await expect(
			readPackageInfo({
				client: stubClient({
					pkg: packageObject(PKG_V1, '1'),
					cap: new Error('unused'),
					transaction: systemPublish,
				}),
				packageId: PKG_V1,
			}),
		).rejects.toBeInstanceOf(ObjectReadError);
	});
});

describe('upgrade policies', () => {
	it('names the framework codes and refuses unknown ones', () => {
		expect([0, 128, 192].map(upgradePolicyName)).toEqual([
			'compatible',
			'additive',
			'dependency-only',
		]);
		expect(() => upgradePolicyName(7)).toThrow(InvalidInputError);
		expect(parseUpgradePolicy('immutable')).toBe('immutable');
		expect(() => parseUpgradePolicy('frozen')).toThrow(
			/compatible, additive, dependency-only, immutable/,
		);
	});

	it.each([
		['additive', 'only_additive_upgrades'],
		['dependency-only', 'only_dep_upgrades'],
		['immutable', 'make_immutable'],
	] as const)('%s calls 0x2::package::%s on the cap', async (policy, fn) => {
		const cap = {
			$kind: 'Object',
			Object: {
				$kind: 'ImmOrOwnedObject',
				ImmOrOwnedObject: { objectId: CAP, version: '9', digest: PUBLISH_DIGEST },
			},
		} as const;
		const tx = restrictUpgradeTx({ upgradeCap: cap, policy });
		const kind = bcs.TransactionKind.parse(await tx.build({ onlyTransactionKind: true }));
		const ptb = kind.ProgrammableTransaction;
		expect(ptb?.commands).toHaveLength(1);
		expect(ptb?.commands[0]?.MoveCall).toMatchObject({
			package: `0x${'0'.repeat(63)}2`,
			module: 'package',
			function: fn,
		});
		expect(ptb?.inputs[0]?.Object?.ImmOrOwnedObject?.objectId).toBe(CAP);
	});

	it('refuses "compatible" (a policy never gets looser)', () => {
		expect(() => restrictUpgradeTx({ upgradeCap: CAP, policy: 'compatible' })).toThrow(
			/never gets looser/,
		);
	});
});

describe('deployment record: upgradePolicy', () => {
	const record = {
		formatVersion: 1,
		network: 'testnet',
		chainId: '4c78adac',
		originalPackageId: PKG_V1,
		latestPackageId: PKG_V2,
		upgradeCapId: CAP,
		packageDigest: 'ab'.repeat(32),
		publishDigest: PUBLISH_DIGEST,
		publishedAt: '2026-12-01T00:00:00.000Z',
		upgrades: [],
		allowlists: [],
	};

	it('reads a recorded policy and leaves it out when absent', () => {
		expect(
			parseDeployment({ ...record, upgradePolicy: 'dependency-only' }, 'f').upgradePolicy,
		).toBe('dependency-only');
		const plain = parseDeployment(record, 'f');
		expect('upgradePolicy' in plain).toBe(false);
		expect(plain.extra).toEqual({});
	});

	it('refuses an unknown policy, naming the field', () => {
		expect(() => parseDeployment({ ...record, upgradePolicy: 'frozen' }, 'f')).toThrow(
			/field upgradePolicy.*compatible, additive, dependency-only, immutable/,
		);
	});
});
