import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
	deploymentPath,
	packageDigestHex,
	readDeployment,
	recordAllowlist,
	writeDeployment,
	type DeploymentRecord,
} from '../../../ts/chain/deployments.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { DeploymentRecordError } from '../../../ts/chain/errors.js';

const id = (byte: string) => `0x${byte.repeat(32)}`;

function sampleRecord(): DeploymentRecord {
	return {
		formatVersion: 1,
		network: 'testnet',
		chainId: '4c78adac',
		originalPackageId: id('01'),
		latestPackageId: id('02'),
		upgradeCapId: id('03'),
		packageDigest: 'a1b2c3',
		publishDigest: 'Dig1',
		publishedAt: '2026-01-02T03:04:05.000Z',
		upgrades: [
			{
				packageId: id('02'),
				digest: 'Dig2',
				packageDigest: 'a1b2c3',
				upgradedAt: '2026-01-03T00:00:00.000Z',
			},
		],
		allowlists: [
			{
				id: id('04'),
				capId: id('05'),
				name: 'team',
				digest: 'Dig3',
				createdAt: '2026-01-04T00:00:00.000Z',
			},
		],
		extra: {},
	};
}

let dir: string;
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'deployments-'));
});
afterEach(async () => {
	await rm(dir, { recursive: true, force: true });
});

describe('deployment records', () => {
	it('round-trips a record through deployments/<network>.json', async () => {
		const record = sampleRecord();
		const file = await writeDeployment(dir, record);
		expect(file).toBe(join(dir, 'testnet.json'));
		expect(await readDeployment(dir, 'testnet')).toEqual(record);
		expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ originalPackageId: id('01') });
	});

	it('returns undefined when there is no record yet', async () => {
		expect(await readDeployment(dir, 'localnet')).toBeUndefined();
		expect(await readDeployment(join(dir, 'missing-dir'), 'localnet')).toBeUndefined();
	});

	it('keeps top-level keys written by other tools', async () => {
		const file = await writeDeployment(dir, {
			...sampleRecord(),
			extra: { seal: { packageId: id('0f') } },
		});
		const text = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
		expect(text['seal']).toEqual({ packageId: id('0f') });
		const read = await readDeployment(dir, 'testnet');
		expect(read?.extra).toEqual({ seal: { packageId: id('0f') } });
		await recordAllowlist(dir, 'testnet', {
			id: id('06'),
			capId: id('07'),
			name: 'second',
			digest: 'Dig4',
			createdAt: '2026-01-05T00:00:00.000Z',
		});
		const after = await readDeployment(dir, 'testnet');
		expect(after?.extra).toEqual({ seal: { packageId: id('0f') } });
		expect(after?.allowlists.map((a) => a.name)).toEqual(['team', 'second']);
	});

	it('writes atomically: no temp file is left and an invalid record never replaces the file', async () => {
		await writeDeployment(dir, sampleRecord());
		const before = await readFile(join(dir, 'testnet.json'), 'utf8');
		await expect(
			writeDeployment(dir, { ...sampleRecord(), latestPackageId: '0x2' }),
		).rejects.toThrow(DeploymentRecordError);
		expect(await readFile(join(dir, 'testnet.json'), 'utf8')).toBe(before);
		expect(await readdir(dir)).toEqual(['testnet.json']);
	});

	it('rejects a corrupt file with a typed error naming the file', async () => {
		await writeFile(join(dir, 'testnet.json'), '{ "formatVersion": 1,');
		const error = await readDeployment(dir, 'testnet').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DeploymentRecordError);
		expect((error as DeploymentRecordError).file).toBe(join(dir, 'testnet.json'));
		expect((error as Error).message).toContain('not valid JSON');
	});

	it.each([
		['originalPackageId', (r: Record<string, unknown>) => delete r['originalPackageId'], /missing/],
		[
			'upgradeCapId',
			(r: Record<string, unknown>) => (r['upgradeCapId'] = '0xABC'),
			/64 lowercase hex/,
		],
		['packageDigest', (r: Record<string, unknown>) => (r['packageDigest'] = '0xzz'), /hex/],
		['publishedAt', (r: Record<string, unknown>) => (r['publishedAt'] = 'yesterday'), /ISO 8601/],
		[
			'allowlists[0].capId',
			(r: Record<string, unknown>) => ((r['allowlists'] as { capId: unknown }[])[0]!.capId = 7),
			/string/,
		],
		['upgrades', (r: Record<string, unknown>) => (r['upgrades'] = {}), /array/],
		[
			'formatVersion',
			(r: Record<string, unknown>) => (r['formatVersion'] = 2),
			/unsupported format 2/,
		],
	])('names the bad field: %s', async (field, corrupt, message) => {
		const { extra: _extra, ...json } = sampleRecord();
		const copy = structuredClone(json) as unknown as Record<string, unknown>;
		corrupt(copy);
		await writeFile(join(dir, 'testnet.json'), JSON.stringify(copy));
		const error = await readDeployment(dir, 'testnet').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DeploymentRecordError);
		expect((error as DeploymentRecordError).field).toBe(field);
		expect((error as Error).message).toMatch(message);
	});

	it('refuses to record an allowlist when nothing was published', async () => {
		await expect(
			recordAllowlist(dir, 'devnet', {
				id: id('06'),
				capId: id('07'),
				name: 'x',
				digest: 'D',
				createdAt: '2026-01-05T00:00:00.000Z',
			}),
		).rejects.toThrow(/no deployment for devnet; run `seal-policies publish --network devnet`/);
	});

	it('rejects network names that would escape the directory', () => {
		expect(() => deploymentPath(dir, '../etc')).toThrow(InvalidInputError);
		expect(deploymentPath(dir, 'localnet')).toBe(join(dir, 'localnet.json'));
	});

	it('formats build digests as lowercase hex', () => {
		expect(packageDigestHex([0, 15, 255])).toBe('000fff');
	});
});
