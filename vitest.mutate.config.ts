import { defineConfig } from 'vitest/config';

import base from './vitest.config.js';

// Mutation testing (`npm run mutate`) runs only the offline tiers: the move and e2e tiers need a
// framework copy, a `sui` binary or a network, and would make every mutant cost minutes.
const MUTATION_TIERS = new Set(['unit', 'unit-isolated', 'protocol']);

export default defineConfig({
	test: {
		projects: (base.test?.projects ?? []).filter(
			(project) =>
				typeof project === 'object' &&
				'test' in project &&
				MUTATION_TIERS.has(project.test?.name as string),
		),
	},
});
