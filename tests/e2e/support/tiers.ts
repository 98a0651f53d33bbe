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
import { localnetUp, type LocalnetUpOptions } from '../../../ts/localnet/up.js';
import type { KeyServerEntry } from '../../../ts/chain/networks.js';
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

/** The running stack's topology, read synchronously (collection time); undefined: none runs. */
function runningStack(): { committee: boolean } | undefined {
	try {
		const state = JSON.parse(readFileSync(localnetPaths(ROOT).stateFile, 'utf8')) as {
			node?: { pid?: number };
			committee?: { objectId?: string };
		};
		return typeof state.node?.pid === 'number' && isAlive(state.node.pid)
			? { committee: typeof state.committee?.objectId === 'string' }
			: undefined;
	} catch {
		return undefined;
	}
}

/** Why the localnet tier is skipped (printed once), or undefined. */
export const localnetSkipReason = suiMissing();
export const testnetSkipReason = testnetUnavailable(process.env);

/** The committee topology the e2e-localnet tier also runs its scenarios against. */
export const COMMITTEE_TOPOLOGY = { committee: { threshold: 2, size: 3 } } as const;

/**
 * Why the committee variant of the localnet tier is skipped: no `sui`, or a stack without a
 * committee already holds the ports (it is reused, never stopped, by the tier).
 */
export const localnetCommitteeSkipReason =
	localnetSkipReason ??
	(runningStack()?.committee === false
		? 'a localnet stack without a committee is running; `seal-policies localnet down` lets this tier start `localnet up --committee 2-of-3`'
		: undefined);

export function announceSkip(tier: string, reason: string | undefined): void {
	if (reason !== undefined) console.warn(`[${tier}] skipped: ${reason}`);
}

/**
 * Provides the localnet environment: reuses a stack started with `localnet up`, else starts one
 * for this file and stops it afterwards.
 */
export function useLocalnet(
	topology: Pick<
		LocalnetUpOptions,
		'committee' | 'serverCount' | 'threshold' | 'permissioned'
	> = {},
): (() => E2eEnvironment) & { owned: () => boolean } {
	let env: E2eEnvironment | undefined;
	let owned = false;
	const logger = process.env['E2E_VERBOSE'] ? stderrLogger({ verbose: true }) : silentLogger;
	beforeAll(async () => {
		if (!runningStack()) {
			owned = true;
			await localnetUp({ root: ROOT, env: process.env, logger, ...topology });
		}
		env = await localnetEnvironment({ root: ROOT, logger });
	}, 900_000);
	afterAll(async () => {
		if (owned) await localnetDown({ root: ROOT, logger });
	}, 120_000);
	const get = () => {
		if (!env) throw new Error('localnet environment not ready (beforeAll failed)');
		return env;
	};
	/** True when this file started the stack (so it may stop parts of it). */
	return Object.assign(get, { owned: () => owned });
}

/** Provides the testnet environment (configured servers, or `servers`; SUI_PRIVATE_KEY). */
export function useTestnet(servers?: {
	servers: readonly KeyServerEntry[];
	threshold: number;
}): () => E2eEnvironment {
	let env: E2eEnvironment | undefined;
	beforeAll(async () => {
		env = await testnetEnvironment({
			root: ROOT,
			env: process.env,
			logger: silentLogger,
			servers,
		});
	}, 300_000);
	return () => {
		if (!env) throw new Error('testnet environment not ready (beforeAll failed)');
		return env;
	};
}
