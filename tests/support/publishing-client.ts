/**
 * The SDK core interface with canned answers for publish transactions on one chain: resolution
 * sets gas, execution reports a package write (`packageId`, version 1) and an UpgradeCap.
 */
import type { SuiClientTypes } from '@mysten/sui/client';
import type { TransactionPlugin } from '@mysten/sui/transactions';
import { vi } from 'vitest';

import type { SuiClient } from '../../ts/chain/sui-client.js';
import { effectsFixture } from './effects.js';

const id = (byte: string) => `0x${byte.repeat(32)}`;
const DIGEST = 'FKxvBPD1USPz5ri4zCx7Gcz7JrVSLhxnimwuhgMpRHKV';

export function publishingClient(
	chainIdentifier: string,
	{
		packageId = id('0b'),
		upgradeCapId = id('0c'),
	}: { packageId?: string; upgradeCapId?: string } = {},
): SuiClient {
	const resolve: TransactionPlugin = async (data, _options, next) => {
		data.gasData.price = '1000';
		data.gasData.budget = '50000000';
		data.gasData.payment = [{ objectId: id('09'), version: '3', digest: DIGEST }];
		await next();
	};
	const changed: Partial<SuiClientTypes.ChangedObject>[] = [
		{ objectId: packageId, outputState: 'PackageWrite', outputVersion: '1' },
		{ objectId: upgradeCapId },
	];
	return {
		core: {
			getChainIdentifier: vi.fn(async () => ({ chainIdentifier })),
			resolveTransactionPlugin: () => resolve,
			executeTransaction: vi.fn(async () => ({
				$kind: 'Transaction',
				Transaction: {
					digest: 'TX1',
					status: { success: true, error: null },
					effects: effectsFixture(changed, 'TX1'),
					objectTypes: { [upgradeCapId]: '0x2::package::UpgradeCap' },
					events: [],
				},
			})),
			waitForTransaction: vi.fn(async () => ({})),
		},
	} as unknown as SuiClient;
}
