/**
 * Shared setup of the e2e tiers: decides at collection time whether a tier can run (printing ONE
 * reason when not) and provides the environment to the tests.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import {
	localnetEnvironment,
	testnetEnvironment,
	testnetUnavailable,
	type E2eEnvironment,
} from '../../../ts/e2e/environment.js';
import { localnetDown } from '../../../ts/localnet/down.js';
import { localnetPaths } from '../../../ts/localnet/paths.js';
import { isAlive } from '../../../ts/localnet/processes.js';
import { localnetUp } from '../../../ts/localnet/up.js';
import { silentLogger, stderrLogger } from '../../../ts/logger.js';
import { findSuiBinary } from '../../../ts/move/sui-binary.js';
import { readFileSync } from 'node:fs';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

function suiMissing(): string | undefined {
	try {
		return findSuiBinary(process.env) === undefined
			? 'no `sui` binary (SUI_BIN, `seal-policies sui install`, or PATH); see docs/sui-install.md'
			: undefined;
	} catch (error) {
		return (error as Error).message;
	}
}

/** Pid of a running stack's node, read synchronously (collection time). */
function runningStack(): boolean {
	try {
		const state = JSON.parse(readFileSync(localnetPaths(ROOT).stateFile, 'utf8')) as {
			node?: { pid?: number };
		};
		return typeof state.node?.pid === 'number' && isAlive(state.node.pid);
	} catch {
		return false;
	}
}

/** Why the localnet tier is skipped (printed once), or undefined. */
export const localnetSkipReason = suiMissing();
export const testnetSkipReason = testnetUnavailable(process.env);

export function announceSkip(tier: string, reason: string | undefined): void {
	if (reason !== undefined) console.warn(`[${tier}] skipped: ${reason}`);
}

/**
 * Provides the localnet environment: reuses a stack started with `localnet up`, else starts one
 * for this file and stops it afterwards.
 */
export function useLocalnet(): () => E2eEnvironment {
	let env: E2eEnvironment | undefined;
	let owned = false;
	const logger = process.env['E2E_VERBOSE'] ? stderrLogger({ verbose: true }) : silentLogger;
	beforeAll(async () => {
		if (!runningStack()) {
			owned = true;
			await localnetUp({ root: ROOT, env: process.env, logger });
		}
		env = await localnetEnvironment({ root: ROOT, logger });
	}, 900_000);
	afterAll(async () => {
		if (owned) await localnetDown({ root: ROOT, logger });
	}, 120_000);
	return () => {
		if (!env) throw new Error('localnet environment not ready (beforeAll failed)');
		return env;
	};
}

/** Provides the testnet environment (configured servers, SUI_PRIVATE_KEY). */
export function useTestnet(): () => E2eEnvironment {
	let env: E2eEnvironment | undefined;
	beforeAll(async () => {
		env = await testnetEnvironment({ root: ROOT, env: process.env, logger: silentLogger });
	}, 300_000);
	return () => {
		if (!env) throw new Error('testnet environment not ready (beforeAll failed)');
		return env;
	};
}
