/**
 * The e2e-testnet scenarios against Mysten's testnet committee (3-of-5 behind Mysten's
 * aggregator; object id and URL from docs/content/Pricing.mdx, MystenLabs/seal seal-v0.6.10).
 * Opt-in like the rest of the tier: SEAL_E2E_TESTNET=1 and a funded SUI_PRIVATE_KEY.
 */
import { describe } from 'vitest';
import { TESTNET_COMMITTEE_SERVER } from '../../../ts/e2e/environment.js';
import { registerScenarios } from '../support/scenarios.js';
import { announceSkip, testnetSkipReason, useTestnet } from '../support/tiers.js';

announceSkip('e2e-testnet committee', testnetSkipReason);

describe.skipIf(testnetSkipReason !== undefined)("testnet: Mysten's committee key server", () => {
	registerScenarios(useTestnet({ servers: [TESTNET_COMMITTEE_SERVER], threshold: 1 }));
});
