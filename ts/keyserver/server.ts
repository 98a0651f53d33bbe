/**
 * A Seal key server over Node's `http`, speaking Mysten's wire protocol so the unmodified
 * `SealClient` works against it: `GET /v1/service`, `POST /v1/fetch_key`, `GET /health`,
 * SDK-header checks, `X-KeyServer-Version` on every response, CORS, a 180 KiB body limit and
 * `{error, message}` bodies with Mysten's names and status codes.
 *
 * The master key lives only in memory; it is never logged, returned or written.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { normalizeSuiObjectId } from '@mysten/sui/utils';
import { InvalidInputError, KeyServerRequestError, KeyServerStartError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { PolicyEvaluator } from './evaluator.js';
import { fetchKey } from './fetch-key.js';
import { checkSdkHeaders } from './headers.js';
import { masterKeyScalar, proofOfPossession, publicKeyFromMasterKey } from './keys.js';
import type { PackageResolver } from './packages.js';
import {
	DEFAULT_TTL_MAX_MINUTES,
	KEY_SERVER_GIT_VERSION,
	KEY_SERVER_VERSION,
	MAX_REQUEST_BYTES,
	MESSAGES,
	STATUS_BY_ERROR,
} from './protocol.js';
import { BodyDataError, parseFetchKeyRequest } from './request.js';

export interface KeyServerOptions {
	/** 32-byte master key (secret; never logged). */
	masterKey: Uint8Array;
	/** On-chain `KeyServer` object id this server answers for (`/v1/service`). */
	objectId: string;
	evaluator: PolicyEvaluator;
	packages: PackageResolver;
	/** Default 127.0.0.1. */
	host?: string;
	/** Default 0 (any free port). */
	port?: number;
	logger?: Logger;
	/** Clock in ms since the epoch (certificate checks). */
	now?: () => number;
	/** Mysten's `session_key_ttl_max` in minutes; default 30. */
	ttlMaxMinutes?: number;
	/** Only needed to verify zkLogin user signatures. */
	suiClient?: ClientWithCoreApi;
}

/** Request counters, for tests and the bench (counted when a request reaches a route). */
export interface KeyServerStats {
	fetchKeyRequests: number;
	fetchKeyIds: number;
	serviceRequests: number;
}

export interface RunningKeyServer {
	/** `http://host:port`, no trailing slash (the form to register on chain). */
	url: string;
	port: number;
	objectId: string;
	/** 96-byte compressed G2 master public key. */
	publicKey: Uint8Array;
	stats: KeyServerStats;
	close(): Promise<void>;
}

export async function startKeyServer(options: KeyServerOptions): Promise<RunningKeyServer> {
	masterKeyScalar(options.masterKey);
	const masterKey = Uint8Array.from(options.masterKey);
	let objectId: string;
	try {
		objectId = normalizeSuiObjectId(options.objectId);
	} catch (error) {
		throw new InvalidInputError('objectId', 'must be a Sui object id (0x + hex)', { cause: error });
	}
	if (!/^0x[0-9a-f]{64}$/.test(objectId)) {
		throw new InvalidInputError('objectId', `'${options.objectId}' is not a Sui object id`);
	}
	const logger = options.logger ?? silentLogger;
	const now = options.now ?? Date.now;
	const ttlMaxMinutes = options.ttlMaxMinutes ?? DEFAULT_TTL_MAX_MINUTES;
	const publicKey = publicKeyFromMasterKey(masterKey);
	const pop = Buffer.from(
		proofOfPossession(masterKey, Buffer.from(objectId.slice(2), 'hex')),
	).toString('base64');
	const stats: KeyServerStats = { fetchKeyRequests: 0, fetchKeyIds: 0, serviceRequests: 0 };

	async function route(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) {
		if (path === '/health') {
			if (req.method !== 'GET') return sendText(res, 405, '');
			return sendJson(res, 200, { name: 'key-server', version: KEY_SERVER_VERSION, status: 'up' });
		}
		if (path === '/v1/service' || path === '/v1/fetch_key') {
			const wanted = path === '/v1/service' ? 'GET' : 'POST';
			checkSdkHeaders(req.headers);
			if (req.method !== wanted) return sendText(res, 405, '');
			if (path === '/v1/service') return service(req, res);
			return fetchKeyRoute(req, res, body);
		}
		return sendText(res, 404, '');
	}

	function service(req: IncomingMessage, res: ServerResponse) {
		stats.serviceRequests++;
		const query = new URL(req.url ?? '/', 'http://localhost').searchParams.get('service_id');
		let asked: string | undefined;
		try {
			asked =
				query && /^0x[0-9a-fA-F]{1,64}$/.test(query) ? normalizeSuiObjectId(query) : undefined;
		} catch {
			asked = undefined;
		}
		if (asked !== objectId)
			throw new KeyServerRequestError('InvalidServiceId', MESSAGES.InvalidServiceId);
		sendJson(res, 200, { service_id: objectId, pop });
	}

	async function fetchKeyRoute(req: IncomingMessage, res: ServerResponse, body: Buffer) {
		if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
			return sendText(res, 415, 'Expected request with `Content-Type: application/json`');
		}
		let json: unknown;
		try {
			json = JSON.parse(body.toString('utf8'));
		} catch (error) {
			return sendText(
				res,
				400,
				`Failed to parse the request body as JSON: ${(error as Error).message}`,
			);
		}
		let request;
		try {
			request = parseFetchKeyRequest(json);
		} catch (error) {
			if (!(error instanceof BodyDataError)) throw error;
			return sendText(
				res,
				422,
				`Failed to deserialize the JSON body into the target type: ${error.message}`,
			);
		}
		stats.fetchKeyRequests++;
		const outcome = await fetchKey(request, {
			masterKey,
			evaluator: options.evaluator,
			packages: options.packages,
			nowMs: now(),
			ttlMaxMinutes,
			...(options.suiClient ? { suiClient: options.suiClient } : {}),
		});
		stats.fetchKeyIds += outcome.response.decryption_keys.length;
		logger.info(
			`fetch_key ok: ${outcome.response.decryption_keys.length} key(s) for ${outcome.user} under ${outcome.originalPackageId}`,
		);
		sendJson(res, 200, outcome.response);
	}

	const server = createServer((req, res) => {
		setCommonHeaders(res);
		if (req.method === 'OPTIONS') return preflight(req, res);
		const path = new URL(req.url ?? '/', 'http://localhost').pathname;
		const declared = Number(req.headers['content-length'] ?? '0');
		if (Number.isFinite(declared) && declared > MAX_REQUEST_BYTES) {
			return tooLarge(req, res);
		}
		const chunks: Buffer[] = [];
		let size = 0;
		let aborted = false;
		req.on('data', (chunk: Buffer) => {
			if (aborted) return;
			size += chunk.length;
			if (size > MAX_REQUEST_BYTES) {
				aborted = true;
				tooLarge(req, res);
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => {
			if (aborted) return;
			route(req, res, path, Buffer.concat(chunks)).catch((error: unknown) => {
				sendError(res, error, logger, path);
			});
		});
		req.on('error', () => {
			aborted = true;
		});
	});

	const host = options.host ?? '127.0.0.1';
	await new Promise<void>((resolve, reject) => {
		server.once('error', (error) =>
			reject(
				new KeyServerStartError(`cannot listen on ${host}:${options.port ?? 0}: ${error.message}`, {
					cause: error,
				}),
			),
		);
		server.listen(options.port ?? 0, host, () => resolve());
	});
	const port = (server.address() as AddressInfo).port;
	const urlHost = host.includes(':') ? `[${host}]` : host;
	logger.info(`key server ${objectId} listening on http://${urlHost}:${port}`);
	return {
		url: `http://${urlHost}:${port}`,
		port,
		objectId,
		publicKey,
		stats,
		close: () =>
			new Promise<void>((resolve, reject) => {
				server.close((error) => {
					// No request can run any more: wipe our copy of the master key.
					masterKey.fill(0);
					if (error) reject(error);
					else resolve();
				});
				server.closeAllConnections();
			}),
	};
}

function setCommonHeaders(res: ServerResponse): void {
	res.setHeader('X-KeyServer-Version', KEY_SERVER_VERSION);
	res.setHeader('X-KeyServer-GitVersion', KEY_SERVER_GIT_VERSION);
	res.setHeader('Access-Control-Allow-Origin', '*');
	res.setHeader('Access-Control-Expose-Headers', '*');
	res.setHeader('Vary', 'origin, access-control-request-method, access-control-request-headers');
}

/** CORS preflight: any origin, method and header (Mysten's `CorsLayer` with `Any`). */
function preflight(req: IncomingMessage, res: ServerResponse): void {
	res.setHeader('Access-Control-Allow-Methods', '*');
	res.setHeader(
		'Access-Control-Allow-Headers',
		req.headers['access-control-request-headers'] ?? '*',
	);
	res.setHeader('Access-Control-Max-Age', '86400');
	res.writeHead(200, { 'Content-Length': '0' });
	res.end();
	req.resume();
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
	if (!res.headersSent) {
		res.setHeader('Connection', 'close');
		sendText(res, 413, 'length limit exceeded');
	}
	req.resume();
}

function sendError(res: ServerResponse, error: unknown, logger: Logger, path: string): void {
	if (error instanceof KeyServerRequestError) {
		if (error.errorName === 'Failure') {
			// Server-side trouble (stale or unreachable full node): the operator needs the cause,
			// the client only gets the fixed message (as Mysten logs its `Failure` detail at warn).
			const cause = error.cause instanceof Error ? error.cause.message : 'no detail';
			logger.warn(`${path}: Failure: ${cause}`);
		} else {
			logger.debug(`${path}: ${error.errorName}`);
		}
		return sendJson(res, STATUS_BY_ERROR[error.errorName], {
			error: error.errorName,
			message: error.wireMessage,
		});
	}
	// Unexpected failure: details stay in the log (never key material), the wire gets `Failure`.
	logger.warn(`${path}: internal error: ${error instanceof Error ? error.message : String(error)}`);
	sendJson(res, STATUS_BY_ERROR.Failure, { error: 'Failure', message: MESSAGES.Failure });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
	if (res.headersSent) return;
	const body = JSON.stringify(value);
	res.writeHead(status, {
		'Content-Type': 'application/json',
		'Content-Length': Buffer.byteLength(body),
	});
	res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
	if (res.headersSent) return;
	res.writeHead(status, {
		'Content-Type': 'text/plain; charset=utf-8',
		'Content-Length': Buffer.byteLength(text),
	});
	res.end(text);
}
