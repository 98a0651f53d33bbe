import { describe } from 'vitest';
import { registerScenarios } from '../support/scenarios.js';
import { announceSkip, testnetSkipReason, useTestnet } from '../support/tiers.js';

announceSkip('e2e-testnet', testnetSkipReason);

describe.skipIf(testnetSkipReason !== undefined)('testnet: configured key servers', () => {
	registerScenarios(useTestnet());
});
