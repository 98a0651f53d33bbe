import { describe } from 'vitest';
import { registerScenarios, registerUpgradeScenario } from '../support/scenarios.js';
import { announceSkip, ROOT, testnetSkipReason, useTestnet } from '../support/tiers.js';

announceSkip('e2e-testnet', testnetSkipReason);

describe.skipIf(testnetSkipReason !== undefined)('testnet: configured key servers', () => {
	const getEnv = useTestnet();
	registerScenarios(getEnv);
	registerUpgradeScenario(getEnv, { root: ROOT, buildEnv: process.env });
});
