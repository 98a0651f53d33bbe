/**
 * Bounded retry for key-server requests that fail only because a key server's full node has
 * not yet seen a just-created object (Seal answers `InvalidParameter`; docs: retry after a few
 * seconds). Anything else fails at once.
 */
import { setTimeout as pause } from 'node:timers/promises';

import { InvalidParameterError } from '@mysten/seal';
import { SealObjectNotVisibleError } from '../crypto/seal-errors.js';
import type { Logger } from '../logger.js';

export interface RetryPolicy {
	/** Total attempts including the first. */
	attempts: number;
	/** Delay before the second attempt; doubles each time up to `maxDelayMs`. */
	baseDelayMs: number;
	maxDelayMs: number;
}

/** 6 attempts over ≈ 15 s: 0.5, 1, 2, 4, 8 s — enough for a lagging full node, short for a typo. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	attempts: 6,
	baseDelayMs: 500,
	maxDelayMs: 8_000,
};

export interface RetryOptions {
	policy?: RetryPolicy;
	sleep?: (ms: number) => Promise<void>;
	logger?: Logger;
	/** What is being fetched, for messages (e.g. "keys for 3 ids"). */
	what?: string;
}

/** True for errors that mean "object not yet visible to the key server's node". */
export function isNotYetVisible(error: unknown): boolean {
	return error instanceof InvalidParameterError;
}

/** Delay before attempt `attempt` (1-based; attempt 1 has none). */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
	if (attempt <= 1) return 0;
	return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 2));
}

/**
 * Runs `operation`, retrying only not-yet-visible errors, at most `policy.attempts` times.
 * After the last attempt throws `SealObjectNotVisibleError` saying what to check.
 */
export async function withVisibilityRetry<T>(
	operation: () => Promise<T>,
	options: RetryOptions = {},
): Promise<T> {
	const policy = options.policy ?? DEFAULT_RETRY_POLICY;
	const sleep = options.sleep ?? pause;
	let lastError: unknown;
	for (let attempt = 1; attempt <= policy.attempts; attempt++) {
		const delay = retryDelayMs(policy, attempt);
		if (delay > 0) {
			options.logger?.info(
				`key server does not see the object yet; retry ${attempt}/${policy.attempts} in ${delay} ms`,
			);
			await sleep(delay);
		}
		try {
			return await operation();
		} catch (error) {
			if (!isNotYetVisible(error)) throw error;
			lastError = error;
		}
	}
	throw new SealObjectNotVisibleError(
		policy.attempts,
		`key servers still answer InvalidParameter for ${options.what ?? 'the request'} after ${policy.attempts} attempts: an object in the approval PTB (e.g. a just-created allowlist) is not visible to their full node. Check the object id and network, wait a little, and retry`,
		{ cause: lastError },
	);
}
