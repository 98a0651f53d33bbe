/** Transaction effects for unit tests: a successful transaction that created `changed`. */
import type { SuiClientTypes } from '@mysten/sui/client';

/** Each entry overrides a created object's fields (objectId, outputState, idOperation…). */
export function effectsFixture(
	changed: Partial<SuiClientTypes.ChangedObject>[],
	transactionDigest = 'DIG',
): SuiClientTypes.TransactionEffects {
	return {
		bcs: null,
		version: 2,
		status: { success: true, error: null },
		gasUsed: {
			computationCost: '1',
			storageCost: '1',
			storageRebate: '0',
			nonRefundableStorageFee: '0',
		},
		transactionDigest,
		gasObject: null,
		eventsDigest: null,
		dependencies: [],
		lamportVersion: null,
		changedObjects: changed.map((c) => ({
			objectId: `0x${'00'.repeat(32)}`,
			inputState: 'DoesNotExist',
			inputVersion: null,
			inputDigest: null,
			inputOwner: null,
			outputState: 'ObjectWrite',
			outputVersion: '1',
			outputDigest: 'x',
			outputOwner: null,
			idOperation: 'Created',
			...c,
		})),
		unchangedConsensusObjects: [],
		auxiliaryDataDigest: null,
	};
}
