/**
 * What an app team relies on when it uses a published package: which version it is, how it may
 * still be upgraded, and who can do it. Read from the chain through the core client API only
 * (gRPC or JSON-RPC alike):
 *
 * 1. the package object (`getObject`, `previousTransaction`): its version and the transaction that
 *    published or last upgraded it;
 * 2. that transaction's effects (`getTransaction`, `effects` + `objectTypes`): publish creates the
 *    `0x2::package::UpgradeCap` and every upgrade mutates it, so its id is there;
 * 3. the cap (`getObject`, BCS content `{ id, package, version: u64, policy: u8 }` as declared in
 *    sui-framework/sources/package.move): owner, policy, latest package id and version. The cap's
 *    `version` already is the newest package version: a publish creates it with 1
 *    (sui-types move_package.rs `UpgradeCap::new`) and each `commit_upgrade` adds one.
 *
 * A cap that no longer exists was destroyed by `make_immutable` (the package can never change),
 * or wrapped into another object that then decides upgrades; both are reported as such.
 */
import { bcs } from '@mysten/sui/bcs';
import type { SuiClientTypes } from '@mysten/sui/client';
import { normalizeStructTag, normalizeSuiAddress } from '@mysten/sui/utils';

import { ObjectReadError } from '../chain/errors.js';
import { normalizeObjectId } from '../identity.js';
import type { SuiClient } from '../chain/sui-client.js';
import { upgradePolicyName, type UpgradePolicyName } from '../chain/upgrade-policies.js';

export const UPGRADE_CAP_TYPE = normalizeStructTag('0x2::package::UpgradeCap');

/** `sui::package::UpgradeCap` field order (BCS). */
export const UpgradeCapBcs = bcs.struct('UpgradeCap', {
	id: bcs.Address,
	package: bcs.Address,
	version: bcs.u64(),
	policy: bcs.u8(),
});

/** Who holds the cap, in words a user can act on. */
export type CapHolder =
	| { kind: 'address'; address: string }
	| { kind: 'object'; objectId: string }
	| { kind: 'shared' }
	| { kind: 'other'; owner: string };

export interface PackageInfo {
	/** The id asked about. */
	packageId: string;
	/** Version of that package object (1 = the original publication). */
	version: number;
	/** Transaction that published or upgraded to this version. */
	publishedBy: string;
	upgradeCapId: string;
	/** Current rule for future upgrades. */
	upgradePolicy: UpgradePolicyName;
	/** Present while the cap exists. */
	upgradeCap?: {
		holder: CapHolder;
		/** The newest package id (the one upgrades replace). */
		latestPackageId: string;
		/** The newest package version (the cap's `version`: 1 after publish, +1 per upgrade). */
		latestVersion: number;
	};
	/** When the cap is gone: why the package is treated as immutable. */
	note?: string;
}

/** Reads `PackageInfo` for any published package id (original or upgraded). */
export async function readPackageInfo({
	client,
	packageId,
}: {
	client: SuiClient;
	packageId: string;
}): Promise<PackageInfo> {
	const id = normalizeObjectId(packageId, 'packageId');
	const pkg = await readObject(client, id, { previousTransaction: true }, 'the package');
	if (pkg.type !== 'package') {
		throw new ObjectReadError(id, `is a ${pkg.type || 'non-package object'}, not a Move package`);
	}
	const digest = pkg.previousTransaction;
	if (!digest) {
		throw new ObjectReadError(id, 'the node did not return the transaction that published it');
	}
	const upgradeCapId = await upgradeCapOf(client, id, digest);
	const base = { packageId: id, version: Number(pkg.version), publishedBy: digest, upgradeCapId };

	const { objects } = await client.core.getObjects({
		objectIds: [upgradeCapId],
		include: { content: true },
	});
	const cap = objects[0];
	if (cap === undefined || cap instanceof Error) {
		return {
			...base,
			upgradePolicy: 'immutable',
			note:
				`the UpgradeCap ${upgradeCapId} no longer exists as an object: destroyed by ` +
				'`make_immutable` (no upgrade is possible), or wrapped into another object whose own ' +
				'rules then decide upgrades',
		};
	}
	if (cap.type !== UPGRADE_CAP_TYPE || !cap.content) {
		throw new ObjectReadError(upgradeCapId, `is a ${cap.type}, not a ${UPGRADE_CAP_TYPE}`);
	}
	const fields = UpgradeCapBcs.parse(cap.content);
	return {
		...base,
		upgradePolicy: upgradePolicyName(fields.policy),
		upgradeCap: {
			holder: holderOf(cap.owner),
			latestPackageId: normalizeSuiAddress(fields.package),
			latestVersion: Number(fields.version),
		},
	};
}

/** The UpgradeCap created or mutated by the publish/upgrade transaction `digest`. */
async function upgradeCapOf(client: SuiClient, packageId: string, digest: string): Promise<string> {
	let result: SuiClientTypes.TransactionResult<{ effects: true; objectTypes: true }>;
	try {
		result = await client.core.getTransaction({
			digest,
			include: { effects: true, objectTypes: true },
		});
	} catch (error) {
		throw new ObjectReadError(
			packageId,
			`cannot read its publish transaction ${digest}: ${(error as Error).message}`,
			{ cause: error },
		);
	}
	const tx = result.Transaction ?? result.FailedTransaction;
	const caps = (tx.effects?.changedObjects ?? [])
		.map((change) => change.objectId)
		.filter((objectId) => {
			const type = tx.objectTypes?.[objectId];
			// Packages written by the transaction have the type "package", not a struct tag.
			return type?.includes('::') === true && normalizeStructTag(type) === UPGRADE_CAP_TYPE;
		});
	const [cap, ...others] = caps;
	if (cap === undefined || others.length > 0) {
		throw new ObjectReadError(
			packageId,
			`its publish transaction ${digest} touched ${caps.length} UpgradeCaps, expected 1 ` +
				'(a package published by a system transaction has none)',
		);
	}
	return normalizeSuiAddress(cap);
}

async function readObject<Include extends SuiClientTypes.ObjectInclude>(
	client: SuiClient,
	objectId: string,
	include: Include,
	what: string,
): Promise<SuiClientTypes.Object<Include>> {
	try {
		const { object } = await client.core.getObject({ objectId, include });
		return object;
	} catch (error) {
		throw new ObjectReadError(objectId, `cannot read ${what}: ${(error as Error).message}`, {
			cause: error,
		});
	}
}

function holderOf(owner: SuiClientTypes.ObjectOwner): CapHolder {
	switch (owner.$kind) {
		case 'AddressOwner':
			return { kind: 'address', address: normalizeSuiAddress(owner.AddressOwner) };
		case 'ConsensusAddressOwner':
			return { kind: 'address', address: normalizeSuiAddress(owner.ConsensusAddressOwner.owner) };
		case 'ObjectOwner':
			return { kind: 'object', objectId: normalizeSuiAddress(owner.ObjectOwner) };
		case 'Shared':
			return { kind: 'shared' };
		default:
			return { kind: 'other', owner: owner.$kind };
	}
}

/** One line per fact, for the CLI and logs. */
export function describePackageInfo(info: PackageInfo): string {
	const lines = [
		`package          ${info.packageId} (version ${info.version})`,
		`upgrade policy   ${info.upgradePolicy}`,
		`upgrade cap      ${info.upgradeCapId}`,
	];
	if (info.upgradeCap) {
		const { holder } = info.upgradeCap;
		const who =
			holder.kind === 'address'
				? `address ${holder.address}`
				: holder.kind === 'object'
					? `object ${holder.objectId} (wrapped: that object's rules decide upgrades)`
					: holder.kind === 'shared'
						? 'a shared object (anyone its functions allow)'
						: holder.owner;
		lines.push(`cap held by      ${who}`);
		lines.push(
			`latest version   ${info.upgradeCap.latestVersion} (${info.upgradeCap.latestPackageId})`,
		);
	} else if (info.note) {
		lines.push(`note             ${info.note}`);
	}
	return lines.join('\n');
}
