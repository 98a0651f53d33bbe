import { describe } from 'vitest';
import { registerVaultScenarios } from '../support/vault-scenarios.js';
import { announceSkip, testnetSkipReason, useTestnet } from '../support/tiers.js';

announceSkip('e2e-testnet', testnetSkipReason);

describe.skipIf(testnetSkipReason !== undefined)('testnet: records vault', () => {
	registerVaultScenarios(useTestnet());
});
