/** Raw HTTP for key-server tests: exact methods, headers and bytes reach the server as written. */
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';

export interface RawAnswer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	text: string;
}

export interface RawRequest {
	method?: string;
	/** Default `/v1/fetch_key`. */
	path?: string;
	headers: OutgoingHttpHeaders;
	body?: string | Buffer;
}

/** Sends one request to `baseUrl` (default method POST) and reads the whole answer. */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawAnswer> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(
			new URL(request.path ?? '/v1/fetch_key', baseUrl),
			{ method: request.method ?? 'POST', headers: request.headers },
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('end', () =>
					resolve({
						status: res.statusCode ?? 0,
						headers: res.headers,
						text: Buffer.concat(chunks).toString('utf8'),
					}),
				);
			},
		);
		req.on('error', reject);
		req.end(request.body);
	});
}
