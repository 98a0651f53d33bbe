import { GrpcTypes, SuiGrpcClient } from '@mysten/sui/grpc';
import { JsonRpcHTTPTransport, SuiJsonRpcClient } from '@mysten/sui/jsonRpc';
import { describe, expect, it } from 'vitest';
import {
	type MovePackageLookup,
	NodePackageResolver,
	StaticPackageResolver,
} from '../../../ts/keyserver/packages.js';
import { encode, grpcWebFetch, GrpcWebStatus } from '../../support/grpc-web.js';

const V1 = `0x${'a1'.repeat(32)}`;
const V2 = `0x${'a2'.repeat(32)}`;
const OTHER = `0x${'0b'.repeat(32)}`;

describe('StaticPackageResolver', () => {
	it('maps every registered version to its original id, in normalized form', async () => {
		const resolver = new StaticPackageResolver([[V2.toUpperCase().replace('0X', '0x'), V1]]);
		resolver.set('0x2');
		expect(await resolver.originalPackageId(V2)).toBe(V1);
		// A version-1 package registered without an original id is its own original.
		expect(await resolver.originalPackageId(`0x${'0'.repeat(63)}2`)).toBe(`0x${'0'.repeat(63)}2`);
		expect(await resolver.originalPackageId(OTHER)).toBeUndefined();
	});

	it('set() returns the resolver for chaining and a later entry replaces an earlier one', async () => {
		const resolver = new StaticPackageResolver();
		expect(resolver.set(V2, OTHER).set(V2, '0xa1' + 'a1'.repeat(31))).toBe(resolver);
		expect(await resolver.originalPackageId(V2)).toBe(V1);
	});
});

// --- A gRPC full node: MovePackageService.GetPackage ----------------------------------------
// Answer shape from MystenLabs/sui crates/sui-rpc-api/src/grpc/v2/move_package_service/
// get_package.rs @ b105ba2912024ea6ba2d8e49463dd31e21276109 (storage_id, original_id, version);
// an unknown id is NotFound and a non-package object InvalidArgument (same folder, mod.rs @
// bc9f64fe21faaf168c070f697ee11b8ed774635e, load_package).

function grpcNode(
	packages: Record<string, { original?: string; status?: number; empty?: boolean }>,
) {
	const { fetch, calls } = grpcWebFetch(({ path, request }) => {
		if (!path.endsWith('/GetPackage')) throw new Error(`unexpected call ${path}`);
		const { packageId } = GrpcTypes.GetPackageRequest.fromBinary(request);
		const entry = packages[packageId!];
		if (!entry) throw new GrpcWebStatus(5, 'not found');
		if (entry.status) throw new GrpcWebStatus(entry.status, 'node says no');
		if (entry.empty) return encode(GrpcTypes.GetPackageResponse, {});
		return encode(GrpcTypes.GetPackageResponse, {
			package: { storageId: packageId, originalId: entry.original, version: 2n },
		});
	});
	const client = new SuiGrpcClient({ network: 'localnet', baseUrl: 'http://node.test', fetch });
	return { client, calls };
}

describe('NodePackageResolver on a gRPC node', () => {
	it('reads original_id, normalized, and asks the node once per package', async () => {
		const { client, calls } = grpcNode({ [V2]: { original: '0xa1' + 'a1'.repeat(31) } });
		const resolver = new NodePackageResolver(client);
		expect(await resolver.originalPackageId(V2)).toBe(V1);
		expect(await resolver.originalPackageId(V2.toUpperCase().replace('0X', '0x'))).toBe(V1);
		expect(calls).toHaveLength(1);
		// The node is asked with the normalized id.
		expect(GrpcTypes.GetPackageRequest.fromBinary(calls[0]!.request).packageId).toBe(V2);
	});

	it('unknown id (NotFound) or not a package (InvalidArgument) → undefined, asked again next time', async () => {
		const { client, calls } = grpcNode({ [OTHER]: { status: 3 } });
		const resolver = new NodePackageResolver(client);
		expect(await resolver.originalPackageId(V1)).toBeUndefined();
		expect(await resolver.originalPackageId(OTHER)).toBeUndefined();
		// Not-found answers are not cached: the package may be published a moment later.
		expect(await resolver.originalPackageId(V1)).toBeUndefined();
		expect(calls).toHaveLength(3);
	});

	it('an answer without original_id, or without a package at all → undefined', async () => {
		const { client } = grpcNode({ [V2]: {}, [V1]: { empty: true } });
		expect(await new NodePackageResolver(client).originalPackageId(V2)).toBeUndefined();
		expect(await new NodePackageResolver(client).originalPackageId(V1)).toBeUndefined();
	});

	it('any other status propagates (the server answers Failure)', async () => {
		const { client } = grpcNode({ [V2]: { status: 14 } });
		await expect(new NodePackageResolver(client).originalPackageId(V2)).rejects.toMatchObject({
			code: 'UNAVAILABLE',
		});
	});

	it('a rejection without error fields is passed on unchanged', async () => {
		for (const reason of [null, undefined]) {
			const lookup: MovePackageLookup = {
				movePackageService: { getPackage: () => Promise.reject(reason) },
			};
			const { client } = jsonRpcNode({});
			await expect(new NodePackageResolver(client, lookup).originalPackageId(V2)).rejects.toBe(
				reason,
			);
		}
	});

	it('an explicitly passed lookup is used instead of the core client', async () => {
		const asked: string[] = [];
		const lookup: MovePackageLookup = {
			movePackageService: {
				getPackage: async ({ packageId }) => {
					asked.push(packageId);
					return { response: { package: { originalId: V1 } } };
				},
			},
		};
		const { client } = jsonRpcNode({});
		expect(await new NodePackageResolver(client, lookup).originalPackageId(V2)).toBe(V1);
		expect(asked).toEqual([V2]);
	});
});

// --- Any other core client: a version-1 package is its own original ---------------------------
// sui_multiGetObjects answers as sui-json-rpc-types SuiObjectResponse; errors as
// `{ code: 'notExists', object_id }`, mapped by MystenLabs/ts-sdks packages/sui/src/jsonRpc/core.ts
// @ db170e3bbd0ee67bb39b3c897ccc868df67d6f7c (mapJsonRpcObjectError: reason 'notFound' / 'deleted').

function jsonRpcNode(objects: Record<string, unknown>) {
	const asked: string[][] = [];
	const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
		const request = JSON.parse(String(init?.body)) as {
			id: number;
			method: string;
			params: unknown[];
		};
		if (request.method !== 'sui_multiGetObjects') throw new Error(`unexpected ${request.method}`);
		const ids = request.params[0] as string[];
		asked.push(ids);
		const result = ids.map((id) => objects[id] ?? { error: { code: 'notExists', object_id: id } });
		return new Response(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }), {
			headers: { 'content-type': 'application/json' },
		});
	}) as typeof globalThis.fetch;
	const client = new SuiJsonRpcClient({
		network: 'localnet',
		transport: new JsonRpcHTTPTransport({ url: 'http://node.test', fetch }),
	});
	return { client, asked };
}

const packageObject = (objectId: string, version: string) => ({
	data: {
		objectId,
		version,
		digest: '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi',
		type: 'package',
		owner: 'Immutable',
	},
});

describe('NodePackageResolver on a JSON-RPC node', () => {
	it('a version-1 package is its own original id (read once); an upgraded one needs gRPC → undefined', async () => {
		const { client, asked } = jsonRpcNode({
			[V1]: packageObject(V1, '1'),
			[V2]: packageObject(V2, '2'),
		});
		const resolver = new NodePackageResolver(client);
		expect(await resolver.originalPackageId(V1)).toBe(V1);
		expect(await resolver.originalPackageId(V1)).toBe(V1);
		expect(await resolver.originalPackageId(V2)).toBeUndefined();
		expect(asked).toEqual([[V1], [V2]]);
	});

	it('a Move object that is not a package → undefined', async () => {
		const { client } = jsonRpcNode({
			[OTHER]: {
				data: {
					objectId: OTHER,
					version: '1',
					digest: '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi',
					type: `${V1}::m::Thing`,
					owner: 'Immutable',
				},
			},
		});
		expect(await new NodePackageResolver(client).originalPackageId(OTHER)).toBeUndefined();
	});

	it('an unknown id → undefined; a deleted one propagates', async () => {
		const { client } = jsonRpcNode({
			[V2]: { error: { code: 'deleted', object_id: V2, version: 3, digest: 'x' } },
		});
		const resolver = new NodePackageResolver(client);
		expect(await resolver.originalPackageId(V1)).toBeUndefined();
		await expect(resolver.originalPackageId(V2)).rejects.toMatchObject({ reason: 'deleted' });
	});
});
