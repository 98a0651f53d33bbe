// Mutation testing: `npm run mutate` (all files below) or `npm run mutate -- --mutate ts/identity.ts`.
// Not part of `npm test`. Only the security-relevant modules are mutated, and only the offline test
// tiers run (vitest.mutate.config.ts), so a run fits a 2-core machine.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
	testRunner: 'vitest',
	vitest: { configFile: 'vitest.mutate.config.ts', related: true },
	// perTest: each mutant runs only the tests that reach it.
	coverageAnalysis: 'perTest',
	mutate: [
		'ts/identity.ts',
		'ts/audit/log.ts',
		'ts/audit/lock.ts',
		'ts/seal/key-access-audit.ts',
		'ts/config.ts',
		'ts/crypto/node/format.ts',
		'ts/crypto/format-seal.ts',
		'ts/crypto/node/envelope.ts',
		'ts/crypto/envelope-header.ts',
		'ts/crypto/envelope-key.ts',
		'ts/crypto/node/envelope-stream.ts',
		'ts/crypto/node/wallet-key.ts',
		'ts/keyserver/**/*.ts',
		'ts/vault/**/*.ts',
	],
	ignorePatterns: ['move/build', '.localnet', '.audit', 'reports', 'build', 'dist'],
	concurrency: 2,
	timeoutMS: 60_000,
	// Mutants in module-level constants would need every test re-run with a fresh module graph.
	ignoreStatic: true,
	reporters: ['clear-text', 'progress', 'html', 'json'],
	htmlReporter: { fileName: 'reports/mutation/index.html' },
	jsonReporter: { fileName: 'reports/mutation/report.json' },
	tempDirName: '.stryker-tmp',
	cleanTempDir: 'always',
	thresholds: { high: 90, low: 80, break: null },
};
