/**
 * `deployments/<network>.json`: what publish and `allowlist create` did on a network, so later
 * commands find the package (original id for Seal identities, latest id for calls), the upgrade
 * cap and the allowlists' caps. Reads validate every field; writes are atomic (temp + rename).
 * Top-level keys this module does not know (e.g. a localnet's Seal setup) are kept as they are.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { writeFileAtomic } from '../atomic-file.js';
import { InvalidInputError } from '../errors.js';
import { DeploymentRecordError } from './errors.js';
import { UPGRADE_POLICIES, type UpgradePolicyName } from './upgrade-policies.js';

export const DEPLOYMENT_FORMAT_VERSION = 1;

export interface UpgradeEntry {
	packageId: string;
	/** Upgrade transaction digest. */
	digest: string;
	/** Hex digest of the built package that was published in this upgrade. */
	packageDigest: string;
	upgradedAt: string;
}

export interface AllowlistEntry {
	id: string;
	capId: string;
	name: string;
	/** Creation transaction digest. */
	digest: string;
	createdAt: string;
}

export interface DeploymentRecord {
	formatVersion: number;
	network: string;
	/** Chain identifier of the network when published (a regenesis changes it). */
	chainId: string;
	/** Version-1 package id: Seal identities and session keys use it. */
	originalPackageId: string;
	/** The id to call: the newest upgrade, or the original id when never upgraded. */
	latestPackageId: string;
	upgradeCapId: string;
	/** Upgrade policy as last set by publish / `package restrict|freeze` (absent: compatible). */
	upgradePolicy?: UpgradePolicyName;
	/** Hex digest of the built package last published or upgraded (the unchanged-package check). */
	packageDigest: string;
	publishDigest: string;
	publishedAt: string;
	upgrades: UpgradeEntry[];
	allowlists: AllowlistEntry[];
	/** Top-level keys written by other tools; preserved on rewrite. */
	extra: Record<string, unknown>;
}

const KNOWN_KEYS = new Set([
	'formatVersion',
	'network',
	'chainId',
	'originalPackageId',
	'latestPackageId',
	'upgradeCapId',
	'upgradePolicy',
	'packageDigest',
	'publishDigest',
	'publishedAt',
	'upgrades',
	'allowlists',
]);

/** `deployments/<network>.json` under `deploymentsDir`. */
export function deploymentPath(deploymentsDir: string, network: string): string {
	if (!/^[a-z0-9][a-z0-9_-]*$/.test(network)) {
		throw new InvalidInputError(
			'network',
			`'${network}' is not a valid network name (a-z, 0-9, -, _)`,
		);
	}
	return join(deploymentsDir, `${network}.json`);
}

/** The record for `network`, or undefined when none was written yet. */
export async function readDeployment(
	deploymentsDir: string,
	network: string,
): Promise<DeploymentRecord | undefined> {
	const file = deploymentPath(deploymentsDir, network);
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw new DeploymentRecordError(file, undefined, `cannot read: ${(error as Error).message}`, {
			cause: error,
		});
	}
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (error) {
		throw new DeploymentRecordError(
			file,
			undefined,
			'not valid JSON; fix it or delete it and publish again',
			{ cause: error },
		);
	}
	return parseDeployment(json, file);
}

/** Validates parsed JSON as a deployment record; errors name `file` and the bad field. */
export function parseDeployment(json: unknown, file: string): DeploymentRecord {
	const v = new Validator(file);
	const root = v.record(json, '');
	const formatVersion = v.integer(root['formatVersion'], 'formatVersion');
	if (formatVersion !== DEPLOYMENT_FORMAT_VERSION) {
		throw new DeploymentRecordError(
			file,
			'formatVersion',
			`unsupported format ${formatVersion}; this harness reads format ${DEPLOYMENT_FORMAT_VERSION}`,
		);
	}
	const extra: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(root)) if (!KNOWN_KEYS.has(key)) extra[key] = value;
	return {
		formatVersion,
		network: v.string(root['network'], 'network'),
		chainId: v.string(root['chainId'], 'chainId'),
		originalPackageId: v.id(root['originalPackageId'], 'originalPackageId'),
		latestPackageId: v.id(root['latestPackageId'], 'latestPackageId'),
		upgradeCapId: v.id(root['upgradeCapId'], 'upgradeCapId'),
		...(root['upgradePolicy'] === undefined
			? {}
			: { upgradePolicy: upgradePolicyField(root['upgradePolicy'], file) }),
		packageDigest: v.hex(root['packageDigest'], 'packageDigest'),
		publishDigest: v.string(root['publishDigest'], 'publishDigest'),
		publishedAt: v.time(root['publishedAt'], 'publishedAt'),
		upgrades: v.array(root['upgrades'], 'upgrades').map((item, i) => {
			const at = `upgrades[${i}]`;
			const entry = v.record(item, at);
			return {
				packageId: v.id(entry['packageId'], `${at}.packageId`),
				digest: v.string(entry['digest'], `${at}.digest`),
				packageDigest: v.hex(entry['packageDigest'], `${at}.packageDigest`),
				upgradedAt: v.time(entry['upgradedAt'], `${at}.upgradedAt`),
			};
		}),
		allowlists: v.array(root['allowlists'], 'allowlists').map((item, i) => {
			const at = `allowlists[${i}]`;
			const entry = v.record(item, at);
			return {
				id: v.id(entry['id'], `${at}.id`),
				capId: v.id(entry['capId'], `${at}.capId`),
				name: v.string(entry['name'], `${at}.name`, { allowEmpty: true }),
				digest: v.string(entry['digest'], `${at}.digest`),
				createdAt: v.time(entry['createdAt'], `${at}.createdAt`),
			};
		}),
		extra,
	};
}

function upgradePolicyField(value: unknown, file: string): UpgradePolicyName {
	if (typeof value === 'string' && (UPGRADE_POLICIES as readonly string[]).includes(value)) {
		return value as UpgradePolicyName;
	}
	throw new DeploymentRecordError(
		file,
		'upgradePolicy',
		`expected one of ${UPGRADE_POLICIES.join(', ')}, got ${JSON.stringify(value)}`,
	);
}

/** Writes the record atomically: a crash leaves the old file or the new one, never half. */
export async function writeDeployment(
	deploymentsDir: string,
	record: DeploymentRecord,
): Promise<string> {
	const file = deploymentPath(deploymentsDir, record.network);
	// Validate what we are about to persist, so a bad value never reaches the disk.
	const { extra, ...known } = record;
	const json = { ...extra, ...known };
	parseDeployment(JSON.parse(JSON.stringify(json)), file);
	try {
		await writeFileAtomic(file, `${JSON.stringify(json, null, '\t')}\n`);
	} catch (error) {
		throw new DeploymentRecordError(file, undefined, `cannot write: ${(error as Error).message}`, {
			cause: error,
		});
	}
	return file;
}

/**
 * Read-modify-write for `network`'s record. `update` receives the current record (which must
 * exist) and returns the new one.
 */
export async function updateDeployment(
	deploymentsDir: string,
	network: string,
	update: (record: DeploymentRecord) => DeploymentRecord,
): Promise<DeploymentRecord> {
	const current = await readDeployment(deploymentsDir, network);
	if (!current) {
		throw new DeploymentRecordError(
			deploymentPath(deploymentsDir, network),
			undefined,
			`no deployment for ${network}; run \`seal-policies publish --network ${network}\` first`,
		);
	}
	const next = update(current);
	await writeDeployment(deploymentsDir, next);
	return next;
}

/** Appends a created allowlist to the record. */
export async function recordAllowlist(
	deploymentsDir: string,
	network: string,
	entry: AllowlistEntry,
): Promise<DeploymentRecord> {
	return updateDeployment(deploymentsDir, network, (record) => ({
		...record,
		allowlists: [...record.allowlists.filter((a) => a.id !== entry.id), entry],
	}));
}

/** Hex (no `0x`) of a package digest as the Move build reports it (`number[]`). */
export function packageDigestHex(digest: readonly number[] | Uint8Array): string {
	return Buffer.from(Uint8Array.from(digest)).toString('hex');
}

class Validator {
	readonly #file: string;
	constructor(file: string) {
		this.#file = file;
	}
	fail(field: string, message: string): never {
		throw new DeploymentRecordError(this.#file, field || undefined, message);
	}
	record(value: unknown, field: string): Record<string, unknown> {
		if (typeof value !== 'object' || value === null || Array.isArray(value)) {
			this.fail(field, 'expected a JSON object');
		}
		return value as Record<string, unknown>;
	}
	array(value: unknown, field: string): unknown[] {
		if (!Array.isArray(value)) this.fail(field, 'expected an array');
		return value;
	}
	string(value: unknown, field: string, { allowEmpty = false } = {}): string {
		if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
			this.fail(field, value === undefined ? 'missing' : 'expected a non-empty string');
		}
		return value;
	}
	integer(value: unknown, field: string): number {
		if (typeof value !== 'number' || !Number.isInteger(value)) {
			this.fail(field, value === undefined ? 'missing' : 'expected an integer');
		}
		return value;
	}
	id(value: unknown, field: string): string {
		const text = this.string(value, field);
		if (!/^0x[0-9a-f]{64}$/.test(text))
			this.fail(field, 'expected 0x followed by 64 lowercase hex digits');
		return text;
	}
	hex(value: unknown, field: string): string {
		const text = this.string(value, field);
		if (!/^([0-9a-f]{2})+$/.test(text)) this.fail(field, 'expected lowercase hex without 0x');
		return text;
	}
	time(value: unknown, field: string): string {
		const text = this.string(value, field);
		if (Number.isNaN(Date.parse(text))) this.fail(field, 'expected an ISO 8601 time');
		return text;
	}
}
