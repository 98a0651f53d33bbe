/** Polling helpers: wait until the node, the faucet or a key server answers. */
import { setTimeout as pause } from 'node:timers/promises';

import { fromBase58, toHex } from '@mysten/bcs';
import { LocalnetError } from './errors.js';
import type { SuiClient } from '../chain/sui-client.js';

export interface WaitOptions {
	timeoutMs: number;
	intervalMs?: number;
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
	/** Stops polling at once with the signal's reason (e.g. a watched child exited). */
	signal?: AbortSignal | undefined;
}

/** Polls `check` until it returns a value (not undefined); throws LocalnetError on timeout. */
export async function waitFor<T>(
	part: string,
	what: string,
	check: () => Promise<T | undefined>,
	options: WaitOptions,
): Promise<T> {
	const sleep = options.sleep ?? pause;
	const now = options.now ?? Date.now;
	const deadline = now() + options.timeoutMs;
	let lastError: unknown;
	for (;;) {
		options.signal?.throwIfAborted();
		try {
			const value = await check();
			if (value !== undefined) return value;
		} catch (error) {
			lastError = error;
		}
		if (now() >= deadline) {
			const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
			throw new LocalnetError(
				part,
				`${what} did not answer within ${Math.round(options.timeoutMs / 1000)} s${reason}`,
				{
					cause: lastError,
				},
			);
		}
		options.signal?.throwIfAborted();
		await sleep(options.intervalMs ?? 500);
	}
}

/** The chain identifier when the full node answers (gRPC `GetServiceInfo`), else undefined. */
export async function probeNode(client: SuiClient): Promise<string | undefined> {
	const { chainIdentifier } = await client.core.getChainIdentifier({
		signal: AbortSignal.timeout(2_000),
	});
	return chainIdentifier || undefined;
}

/**
 * The short chain id (`sui client chain-identifier`, 8 hex digits) that Move.toml
 * `[environments]` use: the first 4 bytes of the genesis checkpoint digest, which gRPC reports
 * in base58 (JSON-RPC already returns the short form).
 */
export function shortChainId(chainIdentifier: string): string {
	if (/^[0-9a-f]{8}$/.test(chainIdentifier)) return chainIdentifier;
	let digest: Uint8Array;
	try {
		digest = fromBase58(chainIdentifier);
	} catch (error) {
		throw new LocalnetError('node', `unexpected chain identifier '${chainIdentifier}'`, {
			cause: error,
		});
	}
	if (digest.length !== 32)
		throw new LocalnetError('node', `unexpected chain identifier '${chainIdentifier}'`);
	return toHex(digest.slice(0, 4));
}

/** True when anything HTTP answers at `url`'s origin (the faucet has no JSON health route). */
export async function probeHttp(fetchFn: typeof fetch, url: string): Promise<true | undefined> {
	const response = await fetchFn(new URL(url).origin, { signal: AbortSignal.timeout(2_000) });
	await response.body?.cancel();
	return response.status < 500 ? true : undefined;
}

/** The `/health` JSON of a Seal key server (ours and Mysten's serve it), else undefined. */
export async function probeKeyServer(
	fetchFn: typeof fetch,
	url: string,
): Promise<{ version?: string } | undefined> {
	const response = await fetchFn(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
	if (!response.ok) return undefined;
	return (await response.json()) as { version?: string };
}
