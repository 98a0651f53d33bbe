import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HarnessConfig } from '../../../ts/config.js';
import type { KeyServerEntry } from '../../../ts/chain/networks.js';
import { writeDeployment, type DeploymentRecord } from '../../../ts/chain/deployments.js';
import { ConfigError } from '../../../ts/errors.js';
import { createSealClient, resolveThreshold, totalWeight } from '../../../ts/seal/client.js';
import { resolvePolicyPackage } from '../../../ts/seal/packages.js';
import { startSealTestbed } from '../../support/seal-testbed.js';

const id = (byte: string) => `0x${byte.repeat(32)}`;

function config(policyPackage: string | undefined): HarnessConfig {
	return {
		network: 'testnet',
		rpcUrl: 'https://fullnode.testnet.sui.io:443',
		faucetUrl: undefined,
		seal: { policyPackage, policyObject: undefined, servers: [], threshold: undefined },
		sources: {},
	};
}

function record(original: string, latest: string): DeploymentRecord {
	return {
		formatVersion: 1,
		network: 'testnet',
		chainId: '4c78adac',
		originalPackageId: original,
		latestPackageId: latest,
		upgradeCapId: id('03'),
		packageDigest: 'a1',
		publishDigest: 'D',
		publishedAt: '2026-01-01T00:00:00.000Z',
		upgrades: [],
		allowlists: [],
		extra: {},
	};
}

describe('policy package ids', () => {
	let dir: string;
	beforeEach(async () => {
		dir = await mkdtemp(join(tmpdir(), 'pkg-'));
	});
	afterEach(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	it('takes original and latest ids from the deployment record', async () => {
		await writeDeployment(dir, record(id('01'), id('02')));
		expect(await resolvePolicyPackage(config(undefined), dir)).toEqual({
			originalId: id('01'),
			latestId: id('02'),
			source: 'deployment',
		});
	});

	it('prefers the configured package, calling its latest version only when the record is the same package', async () => {
		await writeDeployment(dir, record(id('01'), id('02')));
		expect(await resolvePolicyPackage(config(id('01')), dir)).toMatchObject({
			originalId: id('01'),
			latestId: id('02'),
		});
		expect(await resolvePolicyPackage(config(id('09')), dir)).toMatchObject({
			originalId: id('09'),
			latestId: id('09'),
		});
	});

	it('says how to get a package when there is none', async () => {
		await expect(resolvePolicyPackage(config(undefined), dir)).rejects.toThrow(ConfigError);
		await expect(resolvePolicyPackage(config(undefined), dir)).rejects.toThrow(
			/seal-policies publish --network testnet/,
		);
	});
});

describe('SealClient from config', () => {
	const servers: KeyServerEntry[] = [
		{ objectId: id('0a'), weight: 2, apiKeyName: 'X-API-Key', apiKey: 'secret' },
		{ objectId: id('0b'), weight: 1 },
	];

	it('defaults the threshold to 2 when the weight allows and checks a given one', () => {
		expect(totalWeight(servers)).toBe(3);
		expect(resolveThreshold(servers, undefined)).toBe(2);
		expect(resolveThreshold([{ objectId: id('0a'), weight: 1 }], undefined)).toBe(1);
		expect(resolveThreshold(servers, 3)).toBe(3);
		expect(() => resolveThreshold(servers, 4)).toThrow(ConfigError);
		expect(() => resolveThreshold(servers, 0)).toThrow(ConfigError);
	});

	it('refuses an empty server list and never puts an API key in the message', () => {
		expect(() => createSealClient({ suiClient: {} as never, servers: [] })).toThrow(
			/SEAL_SERVER_IDS/,
		);
		try {
			resolveThreshold(servers, 9);
		} catch (error) {
			expect((error as Error).message).not.toContain('secret');
		}
	});

	it('encrypts with every configured server, each as often as its weight', async () => {
		const bed = await startSealTestbed({ serverCount: 2 });
		try {
			const [a, b] = bed.servers;
			const client = createSealClient({
				suiClient: bed.suiClient,
				servers: [
					{ objectId: a?.objectId ?? '', weight: 2 },
					{ objectId: b?.objectId ?? '', weight: 1 },
				],
			});
			const { EncryptedObject } = await import('@mysten/seal');
			const { encryptedObject, key } = await client.encrypt({
				threshold: 2,
				packageId: bed.packageId,
				id: '00',
				data: new Uint8Array([1]),
			});
			key.fill(0);
			const parsed = EncryptedObject.parse(encryptedObject);
			expect(parsed.services.map(([objectId]) => objectId)).toEqual([
				a?.objectId,
				a?.objectId,
				b?.objectId,
			]);
		} finally {
			await bed.close();
		}
	});
});
