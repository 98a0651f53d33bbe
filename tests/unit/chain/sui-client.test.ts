import { SuiGrpcClient } from '@mysten/sui/grpc';
import { SuiJsonRpcClient } from '@mysten/sui/jsonRpc';
import { describe, expect, it, vi } from 'vitest';

import { InvalidInputError } from '../../../ts/errors.js';
import { createSuiClient, parseSuiTransport } from '../../../ts/chain/sui-client.js';

describe('createSuiClient', () => {
	it('creates a gRPC client by default, labelled with the network', () => {
		const client = createSuiClient({ network: 'localnet', rpcUrl: 'http://127.0.0.1:9000' });
		expect(client).toBeInstanceOf(SuiGrpcClient);
		expect(client.network).toBe('localnet');
		expect(typeof client.core.executeTransaction).toBe('function');
	});

	it('creates a JSON-RPC client on request', () => {
		const client = createSuiClient({
			network: 'testnet',
			rpcUrl: 'https://fullnode.testnet.sui.io:443',
			transport: 'jsonrpc',
		});
		expect(client).toBeInstanceOf(SuiJsonRpcClient);
		expect(client.network).toBe('testnet');
	});

	it('sends gRPC-web requests to the given URL through the injected fetch', async () => {
		const fetchSpy = vi.fn(async () => new Response(null, { status: 503 }));
		const client = createSuiClient({
			network: 'localnet',
			rpcUrl: 'http://127.0.0.1:9000/',
			fetch: fetchSpy as unknown as typeof fetch,
		});
		await expect(client.core.getChainIdentifier()).rejects.toThrow();
		expect(fetchSpy).toHaveBeenCalled();
		const [url] = fetchSpy.mock.calls[0] as unknown as [string];
		// The trailing slash is dropped so the service path is not doubled.
		expect(url).toMatch(
			/^http:\/\/127\.0\.0\.1:9000\/sui\.rpc\.v2\.LedgerService\/GetServiceInfo$/,
		);
	});

	it('rejects a URL that is not http(s) and an unknown transport', () => {
		expect(() => createSuiClient({ network: 'localnet', rpcUrl: '127.0.0.1:9000' })).toThrow(
			InvalidInputError,
		);
		expect(() => createSuiClient({ network: 'localnet', rpcUrl: 'ws://127.0.0.1:9000' })).toThrow(
			/http\(s\)/,
		);
		expect(() => parseSuiTransport('graphql')).toThrow(/expected 'grpc' or 'jsonrpc'/);
		expect(parseSuiTransport('jsonrpc')).toBe('jsonrpc');
	});
});
