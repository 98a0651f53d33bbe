/**
 * The one place a Sui client is constructed. Everything else accepts the smallest client type,
 * `SuiClient` (= the SDK's `ClientWithCoreApi`), so tests and callers can pass any transport.
 */
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { SuiJsonRpcClient } from '@mysten/sui/jsonRpc';

import { InvalidInputError } from '../errors.js';

/** The client type every harness function accepts: any `@mysten/sui` 2.x client with `core`. */
export type SuiClient = ClientWithCoreApi;

/**
 * `grpc` (default): full nodes serve gRPC-web on their RPC port; Move aborts come back with the
 * `#[error]` constant name. `jsonrpc`: the deprecated fallback; aborts carry only the numeric
 * code, which the harness decodes for `#[error(code = N)]` constants.
 */
export type SuiTransport = 'grpc' | 'jsonrpc';

export interface CreateSuiClientOptions {
	/** Network name: selects the SDK's per-network defaults (e.g. MVR) and labels the client. */
	network: string;
	/** Full-node URL, e.g. `http://127.0.0.1:9000` or `https://fullnode.testnet.sui.io:443`. */
	rpcUrl: string;
	transport?: SuiTransport;
	/** A `fetch` to use instead of the global one (tests, proxies). */
	fetch?: typeof fetch;
}

/** Creates a `SuiGrpcClient` (default) or a `SuiJsonRpcClient` for `rpcUrl`. */
export function createSuiClient({
	network,
	rpcUrl,
	transport = 'grpc',
	fetch: fetchFn,
}: CreateSuiClientOptions): SuiClient {
	const url = checkRpcUrl(rpcUrl);
	if (transport === 'grpc') {
		return new SuiGrpcClient({ network, baseUrl: url, ...(fetchFn ? { fetch: fetchFn } : {}) });
	}
	if (transport === 'jsonrpc') {
		if (fetchFn) {
			throw new InvalidInputError(
				'fetch',
				'a custom fetch is only supported with the grpc transport',
			);
		}
		return new SuiJsonRpcClient({ network, url });
	}
	throw new InvalidInputError(
		'transport',
		`expected 'grpc' or 'jsonrpc', got '${String(transport)}'`,
	);
}

/** Parses a transport name from user input (`--transport`, config). */
export function parseSuiTransport(value: string): SuiTransport {
	if (value === 'grpc' || value === 'jsonrpc') return value;
	throw new InvalidInputError('transport', `expected 'grpc' or 'jsonrpc', got '${value}'`);
}

/** Full nodes are reached over http(s); anything else is a typo worth stopping on. */
function checkRpcUrl(rpcUrl: string): string {
	let parsed: URL;
	try {
		parsed = new URL(rpcUrl);
	} catch (error) {
		throw new InvalidInputError('rpcUrl', `not a URL: '${rpcUrl}' (expected http(s)://host:port)`, {
			cause: error,
		});
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw new InvalidInputError('rpcUrl', `expected an http(s) URL, got '${rpcUrl}'`);
	}
	// gRPC-web appends `/<service>/<method>`; a trailing slash would double it.
	return rpcUrl.replace(/\/+$/, '');
}
