/**
 * A gRPC-web endpoint in a `fetch`: requests are unframed and handed to `handler` as protobuf
 * bytes, its protobuf answer is framed the way a full node's gRPC-web layer frames it (a data
 * frame, then a trailer frame with `grpc-status`). Lets the unmodified `SuiGrpcClient` talk to
 * canned node answers, so the SDK's own encoding and parsing run on both sides of the wire.
 */
export interface GrpcWebCall {
	/** `/<package>.<Service>/<Method>`, e.g. `/sui.rpc.v2.LedgerService/GetEpoch`. */
	path: string;
	request: Uint8Array;
}

/** Thrown by a handler to answer with a gRPC error status (3 = INVALID_ARGUMENT, 5 = NOT_FOUND, ...). */
export class GrpcWebStatus extends Error {
	constructor(
		readonly code: number,
		message: string,
	) {
		super(message);
	}
}

export type GrpcWebHandler = (call: GrpcWebCall) => Uint8Array | Promise<Uint8Array>;

export function grpcWebFetch(handler: GrpcWebHandler): {
	fetch: typeof fetch;
	calls: GrpcWebCall[];
} {
	const calls: GrpcWebCall[] = [];
	const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
		const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
		const raw = new Uint8Array(await new Response(init?.body ?? null).arrayBuffer());
		// The SDK's transport sends the base64 "text" variant unless told otherwise.
		const text = new Headers(init?.headers).get('content-type')?.includes('grpc-web-text');
		const body = text ? Buffer.from(new TextDecoder().decode(raw), 'base64') : raw;
		// Data frame: flag 0x00, 4-byte big-endian length, message.
		const length = new DataView(body.buffer, body.byteOffset).getUint32(1);
		const call = { path: url.pathname, request: body.slice(5, 5 + length) };
		calls.push(call);
		let message: Uint8Array;
		try {
			message = await handler(call);
		} catch (error) {
			if (!(error instanceof GrpcWebStatus)) throw error;
			// Trailers-only answer, as tonic-web sends a failed call: the status rides in the
			// headers and there is no body (read by @protobuf-ts/grpcweb-transport's
			// readGrpcWebResponseHeader); the message is percent-encoded like on the wire.
			return new Response(null, {
				status: 200,
				headers: {
					'content-type': 'application/grpc-web+proto',
					'grpc-status': String(error.code),
					'grpc-message': encodeURIComponent(error.message),
				},
			});
		}
		const trailer = new TextEncoder().encode('grpc-status: 0\r\ngrpc-message: \r\n');
		return new Response(Buffer.concat([frame(0x00, message), frame(0x80, trailer)]), {
			status: 200,
			headers: { 'content-type': 'application/grpc-web+proto', 'grpc-status': '0' },
		});
	}) as typeof fetch;
	return { fetch: fetchFn, calls };
}

function frame(flag: number, payload: Uint8Array): Uint8Array {
	const out = new Uint8Array(5 + payload.length);
	out[0] = flag;
	new DataView(out.buffer).setUint32(1, payload.length);
	out.set(payload, 5);
	return out;
}

/** A protobuf message type of the SDK (`GrpcTypes.X`): what `encode` needs of it. */
export interface ProtoMessageType<T extends object> {
	create(value?: unknown): T;
	toBinary(message: T): Uint8Array;
}

/** Protobuf bytes of a partial message, defaults filled in (as a node's encoder would). */
export function encode<T extends object>(type: ProtoMessageType<T>, partial: unknown): Uint8Array {
	return type.toBinary(type.create(partial));
}
