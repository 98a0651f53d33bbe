/**
 * A full node that serves only object reads, over either transport the key server supports, so
 * the unmodified `SuiGrpcClient` / `SuiJsonRpcClient` parse canned answers in the node's shapes:
 * - gRPC `LedgerService.BatchGetObjects`: one `GetObjectResult` per id, an object or a
 *   `google.rpc.Status` (NOT_FOUND for a missing object; MystenLabs/sui
 *   crates/sui-rpc-api/src/grpc/v2/ledger_service/get_object.rs at 62d585c1, `batch_get_objects`);
 * - JSON-RPC `sui_multiGetObjects`: `SuiObjectResponse` `{data}` or `{error: {code: "notExists",
 *   object_id}}` (MystenLabs/sui crates/sui-json-rpc-types, `SuiObjectResponseError`).
 * Any other call fails the test.
 */
import { GrpcTypes, SuiGrpcClient } from '@mysten/sui/grpc';
import { JsonRpcHTTPTransport, SuiJsonRpcClient } from '@mysten/sui/jsonRpc';
import { normalizeSuiAddress } from '@mysten/sui/utils';
import { encode, grpcWebFetch, GrpcWebStatus } from './grpc-web.js';

export interface NodeObject {
	type: string;
	/** BCS of the Move struct (what `include: {content: true}` returns). */
	contents: Uint8Array;
	version?: number;
	owner?: { address: string } | 'shared';
}

export interface ObjectNodeOptions {
	/** Objects the node holds, by id (read on every call: a test may add objects later). */
	objects?: Record<string, NodeObject>;
	/**
	 * A per-object error other than "not there": `deleted` (JSON-RPC `deleted`; gRPC answers
	 * NOT_FOUND for it) or `unknown` (JSON-RPC `unknown`; gRPC status 13 INTERNAL).
	 */
	errors?: Record<string, 'deleted' | 'unknown'>;
	/** Every call fails at the transport (gRPC status 14 UNAVAILABLE / HTTP 503). */
	down?: boolean;
}

export type Transport = 'grpc' | 'jsonrpc';
export const TRANSPORTS: Transport[] = ['grpc', 'jsonrpc'];

const DIGEST = 'HHmLJ7zX4ZgdSmFfxR9S1bTVqBR7E4E8Bqs1SMxAG2Lz';

/** A client of `transport` talking to the canned node; `asked` lists every object id read. */
export function objectNode(
	transport: Transport,
	options: ObjectNodeOptions = {},
): { client: SuiGrpcClient | SuiJsonRpcClient; asked: string[] } {
	const asked: string[] = [];
	const held = {
		get: (id: string) =>
			Object.entries(options.objects ?? {}).find(
				([key]) => normalizeSuiAddress(key) === normalizeSuiAddress(id),
			)?.[1],
	};
	if (transport === 'grpc') {
		const { fetch } = grpcWebFetch(({ path, request }) => {
			if (options.down) throw new GrpcWebStatus(14, 'node unavailable');
			if (!path.endsWith('/BatchGetObjects')) throw new Error(`unexpected call ${path}`);
			const { requests } = GrpcTypes.BatchGetObjectsRequest.fromBinary(request);
			return encode(GrpcTypes.BatchGetObjectsResponse, {
				objects: requests.map(({ objectId = '' }) => {
					asked.push(objectId);
					const object = held.get(objectId);
					if (!object) {
						const internal = options.errors?.[objectId] === 'unknown';
						return {
							result: {
								oneofKind: 'error',
								error: internal
									? { code: 13, message: 'internal error' }
									: { code: 5, message: `Object ${objectId} not found` },
							},
						};
					}
					return {
						result: {
							oneofKind: 'object',
							object: {
								objectId,
								version: BigInt(object.version ?? 1),
								digest: DIGEST,
								objectType: object.type,
								owner:
									object.owner === 'shared'
										? { kind: GrpcTypes.Owner_OwnerKind.SHARED, version: 1n }
										: {
												kind: GrpcTypes.Owner_OwnerKind.ADDRESS,
												address: object.owner?.address ?? normalizeSuiAddress('0x1'),
											},
								contents: { name: object.type, value: object.contents },
							},
						},
					};
				}),
			});
		});
		return {
			client: new SuiGrpcClient({ network: 'testnet', baseUrl: 'http://node.test', fetch }),
			asked,
		};
	}
	const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
		if (options.down) return new Response('unavailable', { status: 503 });
		const request = JSON.parse(String(init?.body)) as {
			id: number;
			method: string;
			params: unknown[];
		};
		if (request.method !== 'sui_multiGetObjects') throw new Error(`unexpected ${request.method}`);
		const ids = request.params[0] as string[];
		const result = ids.map((objectId) => {
			asked.push(objectId);
			const object = held.get(objectId);
			const error = options.errors?.[objectId];
			if (!object) return { error: { code: error ?? 'notExists', object_id: objectId } };
			const version = String(object.version ?? 1);
			return {
				data: {
					objectId,
					version,
					digest: DIGEST,
					type: object.type,
					owner:
						object.owner === 'shared'
							? { Shared: { initial_shared_version: 1 } }
							: { AddressOwner: object.owner?.address ?? normalizeSuiAddress('0x1') },
					bcs: {
						dataType: 'moveObject',
						type: object.type,
						hasPublicTransfer: false,
						version: Number(version),
						bcsBytes: Buffer.from(object.contents).toString('base64'),
					},
				},
			};
		});
		return new Response(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }), {
			headers: { 'content-type': 'application/json' },
		});
	}) as typeof globalThis.fetch;
	return {
		client: new SuiJsonRpcClient({
			network: 'testnet',
			transport: new JsonRpcHTTPTransport({ url: 'http://node.test', fetch }),
		}),
		asked,
	};
}
