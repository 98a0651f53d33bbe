import { defineConfig } from 'vitest/config';

// One project per test tier. Tiers that need something this machine may lack (a Sui framework
// copy, a `sui` binary, testnet access) skip themselves with a printed reason.
export default defineConfig({
	test: {
		reporters: ['default', './tests/support/summary-reporter.ts'],
		projects: [
			{ test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], testTimeout: 30_000 } },
			{
				test: {
					name: 'protocol',
					include: ['tests/protocol/**/*.test.ts'],
					testTimeout: 120_000,
					hookTimeout: 120_000,
				},
			},
			{
				test: {
					name: 'browser',
					include: ['tests/browser/**/*.test.ts'],
					testTimeout: 120_000,
					hookTimeout: 180_000,
				},
			},
			{
				test: {
					name: 'move',
					include: ['tests/move/**/*.test.ts'],
					testTimeout: 600_000,
					hookTimeout: 600_000,
				},
			},
			{
				test: {
					name: 'e2e-localnet',
					include: ['tests/e2e/localnet/**/*.test.ts'],
					testTimeout: 300_000,
					hookTimeout: 600_000,
					fileParallelism: false,
				},
			},
			{
				test: {
					name: 'e2e-testnet',
					include: ['tests/e2e/testnet/**/*.test.ts'],
					testTimeout: 300_000,
					hookTimeout: 300_000,
					fileParallelism: false,
				},
			},
		],
	},
});
