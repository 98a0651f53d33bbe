/** Polling helpers: wait until the node, the faucet or a key server answers. */
import { LocalnetError } from '../errors.js';

export interface WaitOptions {
	timeoutMs: number;
	intervalMs?: number;
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
}

/** Polls `check` until it returns a value (not undefined); throws LocalnetError on timeout. */
export async function waitFor<T>(
	part: string,
	what: string,
	check: () => Promise<T | undefined>,
	options: WaitOptions,
): Promise<T> {
	const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
	const now = options.now ?? Date.now;
	const deadline = now() + options.timeoutMs;
	let lastError: unknown;
	for (;;) {
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
		await sleep(options.intervalMs ?? 500);
	}
}

/** The chain id when a Sui JSON-RPC endpoint answers, else undefined. */
export async function probeRpc(fetchFn: typeof fetch, rpcUrl: string): Promise<string | undefined> {
	const response = await fetchFn(rpcUrl, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'sui_getChainIdentifier', params: [] }),
		signal: AbortSignal.timeout(2_000),
	});
	if (!response.ok) return undefined;
	const body = (await response.json()) as { result?: unknown };
	return typeof body.result === 'string' ? body.result : undefined;
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
