import { describe, expect, it } from 'vitest';

import { UnknownNetworkError } from '../../../ts/errors.js';
import { normalizeObjectId } from '../../../ts/identity.js';
import { NETWORKS, NETWORK_NAMES, parseNetwork } from '../../../ts/chain/networks.js';

describe('network presets', () => {
	it('uses the documented RPC and faucet URLs', () => {
		expect(NETWORKS.localnet.rpcUrl).toBe('http://127.0.0.1:9000');
		expect(NETWORKS.localnet.faucetUrl).toBe('http://127.0.0.1:9123/gas');
		for (const net of ['devnet', 'testnet', 'mainnet'] as const) {
			expect(NETWORKS[net].rpcUrl).toBe(`https://fullnode.${net}.sui.io:443`);
		}
		expect(NETWORKS.devnet.faucetUrl).toMatch(/^https:\/\/faucet\.devnet\.sui\.io\//);
		expect(NETWORKS.testnet.faucetUrl).toMatch(/^https:\/\/faucet\.testnet\.sui\.io\//);
		expect(NETWORKS.mainnet.faucetUrl).toBeUndefined();
	});

	it('testnet defaults to the two Mysten open key servers, 2-of-2, weight 1', () => {
		expect(NETWORKS.testnet.defaultKeyServers).toEqual([
			{ objectId: '0x73d05d62c18d9374e3ea529e8e0ed6161da1a141a94d3f76ae3fe4e99356db75', weight: 1 },
			{ objectId: '0xf5d14a81a982144ae441cd7d64b09027f116a468bd36e7eca494f750591623c8', weight: 1 },
		]);
		expect(NETWORKS.testnet.defaultThreshold).toBe(2);
	});

	it('Seal package ids match SEAL_NOTES §6.4 and are normalised', () => {
		expect(NETWORKS.testnet.sealPackageId).toBe(
			'0xdccbeb87767be2b2346af5575eb139807205e4c23ec53dc616f951fe1d814112',
		);
		expect(NETWORKS.mainnet.sealPackageId).toBe(
			'0x931739224160073d8e391c9aa6e7ade9818e9814b4907066b7efa058636c4e45',
		);
		for (const name of NETWORK_NAMES) {
			const preset = NETWORKS[name];
			for (const id of [preset.sealPackageId, preset.sealOriginalPackageId]) {
				if (id !== undefined) expect(normalizeObjectId(id)).toBe(id);
			}
			for (const server of preset.defaultKeyServers) {
				expect(normalizeObjectId(server.objectId)).toBe(server.objectId);
			}
		}
	});
});

describe('parseNetwork', () => {
	it('accepts known names case-insensitively', () => {
		expect(parseNetwork('TestNet', 'env')).toBe('testnet');
		expect(parseNetwork(' localnet ')).toBe('localnet');
	});

	it('rejects unknown names with UnknownNetworkError naming the source', () => {
		try {
			parseNetwork('moonnet', 'config.yaml');
			expect.unreachable();
		} catch (error) {
			expect(error).toBeInstanceOf(UnknownNetworkError);
			expect((error as UnknownNetworkError).source).toBe('config.yaml');
			expect((error as Error).message).toMatch(/moonnet.*localnet, devnet, testnet, mainnet/);
		}
	});
});
