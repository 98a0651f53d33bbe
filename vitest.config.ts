import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

import { unitFilesMutatingGlobals } from './tests/support/isolation.js';

// Unit files that mock modules or spy on globals run isolated; the rest share a module cache per
// worker (tests/support/isolation.ts says why and how they are found).
const isolatedUnitFiles = unitFilesMutatingGlobals(import.meta.dirname);

// One project per test tier. Tiers that need something this machine may lack (a Sui framework
// copy, a `sui` binary, testnet access) skip themselves with a printed reason.
export default defineConfig({
	test: {
		reporters: ['default', './tests/support/summary-reporter.ts'],
		// One test file per core (vitest's default leaves one core idle): most files wait on
		// child processes, sockets or worker threads, so a 2-core machine runs two at once.
		maxWorkers: availableParallelism(),
		projects: [
			{
				test: {
					name: 'unit',
					include: ['tests/unit/**/*.test.ts'],
					exclude: isolatedUnitFiles,
					isolate: false,
					testTimeout: 30_000,
				},
			},
			{
				test: {
					name: 'unit-isolated',
					include: isolatedUnitFiles,
					testTimeout: 30_000,
				},
			},
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
