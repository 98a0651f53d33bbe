import { describe } from 'vitest';
import { registerVaultScenarios } from '../support/vault-scenarios.js';
import { announceSkip, localnetSkipReason, useLocalnet } from '../support/tiers.js';

announceSkip('e2e-localnet', localnetSkipReason);

describe.skipIf(localnetSkipReason !== undefined)('localnet: records vault', () => {
	registerVaultScenarios(useLocalnet());
});
