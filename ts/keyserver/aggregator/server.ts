/**
 * The committee aggregator over Node's `http` (MystenLabs/seal crates/key-server/src/aggregator/
 * server.rs, ddc7e5d6): `POST /v1/fetch_key` fans out to the committee members and answers the
 * same `FetchKeyResponse` a single key server gives; `GET /v1/service` is 400 `Unsupported`;
 * `GET /health`; `X-KeyServer-Version` on `/v1/*` answers; CORS like the key server. The committee
 * (threshold, members, their URLs and partial public keys) is read from chain at start and
 * re-read every 30 s (`monitor_members_update`); a failed refresh keeps the last one.
 *
 * Client headers (`validate_client_sdk_headers`): `Client-Sdk-Type` is required and must be
 * typescript, rust or python (else `InvalidSDKType`), `Client-Sdk-Version` is required and must
 * meet that SDK's requirement. The aggregator holds no key material.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { KeyServerRequestError, KeyServerStartError } from '../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import { readCommitteeKeyServer } from '../committee/chain.js';
import { DEFAULT_CURVE_BACKEND, loadCurveBackend } from '../curve/backend.js';
import type { CurveBackendName } from '../curve/curve.js';
import { firstHeader, parseSemver } from '../headers.js';
import type { PackageResolver } from '../packages.js';
import { KEY_SERVER_GIT_VERSION, KEY_SERVER_VERSION, MESSAGES } from '../protocol.js';
import { readFetchKeyRequest } from '../request.js';
import { validatePtbBase64 } from '../valid-ptb.js';
import type { AggregatorConfig } from './config.js';
import { startCurvePool } from './curve-pool.js';
import {
	aggregateFetchKey,
	AggregatorWireError,
	failure,
	type CommitteeSnapshot,
} from './fan-out.js';
import { normalizeRoute, type AggregatorMetrics } from './metrics.js';

/** `REFRESH_INTERVAL_SECS`. */
export const COMMITTEE_REFRESH_MS = 30_000;
/** axum's default body limit for `Json` (the aggregator sets no other). */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface AggregatorOptions {
	config: Pick<
		AggregatorConfig,
		| 'keyServerObjectId'
		| 'tsSdkVersionRequirement'
		| 'rustSdkVersionRequirement'
		| 'pythonSdkVersionRequirement'
		| 'keyServerVersionRequirement'
		| 'keyServerTimeoutMs'
		| 'apiCredentials'
	>;
	/** Chain reads (committee object). */
	client: ClientWithCoreApi;
	/** Package → original id (the expected full ids). */
	packages: PackageResolver;
	host?: string;
	port?: number;
	logger?: Logger;
	metrics?: AggregatorMetrics;
	curveBackend?: CurveBackendName;
	/** Curve worker threads (share verification, combination); 0 = on the event loop. */
	workers?: number;
	refreshIntervalMs?: number;
	/** Member HTTP calls (tests may wrap it). */
	fetch?: typeof fetch;
}

export interface RunningAggregator {
	url: string;
	port: number;
	committee(): CommitteeSnapshot;
	/** Re-reads the committee from chain now (the timer does it every 30 s). */
	refresh(): Promise<void>;
	workers: number;
	close(): Promise<void>;
}

export async function startAggregator(options: AggregatorOptions): Promise<RunningAggregator> {
	const logger = options.logger ?? silentLogger;
	const metrics = options.metrics;
	const { config } = options;
	const curve = await loadCurveBackend(options.curveBackend ?? DEFAULT_CURVE_BACKEND);
	const read = async (): Promise<CommitteeSnapshot> => {
		const ks = await readCommitteeKeyServer(options.client, config.keyServerObjectId);
		return { threshold: ks.threshold, members: ks.members };
	};
	let committee = await read();
	const warnMissing = (snapshot: CommitteeSnapshot, known: Set<string>) => {
		for (const m of snapshot.members) {
			if (!known.has(m.name) && !config.apiCredentials.has(m.name)) {
				logger.warn(
					`Missing API credentials for committee member '${m.name}' (party_id: ${m.partyId}, url: ${m.url}): it will not be asked`,
				);
			}
		}
	};
	warnMissing(committee, new Set());
	const refresh = async () => {
		try {
			const next = await read();
			warnMissing(next, new Set(committee.members.map((m) => m.name)));
			committee = next;
			logger.debug(
				`Committee refreshed: ${next.members.length} members, threshold ${next.threshold}`,
			);
		} catch (error) {
			logger.warn(`Committee refresh failed: ${(error as Error).message} - will retry`);
		}
	};
	const pool = await startCurvePool({
		backend: curve.name,
		size: options.workers ?? 0,
	});
	const timer = setInterval(
		() => void refresh(),
		options.refreshIntervalMs ?? COMMITTEE_REFRESH_MS,
	);
	timer.unref();

	async function fetchKeyRoute(req: IncomingMessage, res: ServerResponse, body: Buffer) {
		const read = readFetchKeyRequest(req.headers['content-type'], body, curve);
		if ('status' in read) return sendText(res, read.status, read.text);
		const { request } = read;
		// Counted once the body is a request (upstream: inside the handler, after `Json`).
		metrics?.requests.inc();
		const requestId = firstHeader(req.headersDistinct, req.headers, 'request-id') ?? '';
		const sdk = checkClientHeaders(req);
		metrics?.sdkVersions.inc({ sdk_type: sdk.type, version: versionLabel(sdk.version) });

		let expectedFullIds: Uint8Array[];
		try {
			const ptb = validatePtbBase64(request.ptbBase64);
			const original = await options.packages.originalPackageId(ptb.packageId);
			if (!original) throw new AggregatorWireError('InvalidPackage', MESSAGES.InvalidPackage);
			const prefix = Buffer.from(original.slice(2), 'hex');
			const distinct = new Map<string, Uint8Array>();
			for (const inner of ptb.innerIds) {
				const full = Uint8Array.from(Buffer.concat([prefix, inner]));
				distinct.set(Buffer.from(full).toString('hex'), full);
			}
			expectedFullIds = [...distinct.values()];
		} catch (error) {
			if (error instanceof KeyServerRequestError) {
				throw new AggregatorWireError(error.errorName, error.wireMessage, { cause: error });
			}
			throw error;
		}
		metrics?.expectedKeyIds.observe(expectedFullIds.length);
		if (expectedFullIds.length === 0) {
			throw new AggregatorWireError('InvalidPTB', 'Invalid PTB: Empty key ids');
		}
		const response = await aggregateFetchKey(
			{
				body,
				requestId,
				encVerificationKey: request.encVerificationKey,
				expectedFullIds,
			},
			{
				committee,
				apiCredentials: config.apiCredentials,
				timeoutMs: config.keyServerTimeoutMs,
				keyServerVersionRequirement: config.keyServerVersionRequirement,
				version: KEY_SERVER_VERSION,
				pool,
				logger,
				...(metrics ? { metrics } : {}),
				...(options.fetch ? { fetch: options.fetch } : {}),
			},
		);
		sendJson(res, 200, response);
	}

	function checkClientHeaders(req: IncomingMessage): { type: string; version: string } {
		const type = firstHeader(req.headersDistinct, req.headers, 'client-sdk-type');
		if (type === undefined) throw new AggregatorWireError('InvalidSDKType', 'Invalid SDK type');
		const version = firstHeader(req.headersDistinct, req.headers, 'client-sdk-version');
		if (version === undefined) {
			throw new AggregatorWireError(
				'MissingRequiredHeader',
				'Missing required header: Client-Sdk-Version',
			);
		}
		if (!parseSemver(version)) {
			throw new AggregatorWireError('InvalidSDKVersion', MESSAGES.InvalidSDKVersion);
		}
		const requirement =
			type === 'typescript'
				? config.tsSdkVersionRequirement
				: type === 'rust'
					? config.rustSdkVersionRequirement
					: type === 'python'
						? config.pythonSdkVersionRequirement
						: undefined;
		if (!requirement) throw new AggregatorWireError('InvalidSDKType', 'Invalid SDK type');
		if (!requirement.matches(version)) {
			throw new AggregatorWireError('DeprecatedSDKVersion', MESSAGES.DeprecatedSDKVersion);
		}
		return { type, version };
	}

	async function route(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) {
		const method = req.method === 'HEAD' ? 'GET' : req.method;
		if (path === '/health') {
			if (method !== 'GET') return sendText(res, 405, '');
			return sendJson(res, 200, { name: 'key-server', version: KEY_SERVER_VERSION, status: 'up' });
		}
		if (path === '/v1/service') {
			setVersionHeaders(res);
			if (method !== 'GET') return sendText(res, 405, '');
			return sendText(res, 400, 'Unsupported');
		}
		if (path === '/v1/fetch_key') {
			setVersionHeaders(res);
			if (method !== 'POST') return sendText(res, 405, '');
			return fetchKeyRoute(req, res, body);
		}
		return sendText(res, 404, '');
	}

	const server = createServer((req, res) => {
		const started = performance.now();
		const path = new URL(req.url ?? '/', 'http://localhost').pathname;
		const label = normalizeRoute(path);
		metrics?.inFlight.inc({ route: label });
		res.once('close', () => {
			if (!metrics) return;
			metrics.inFlight.dec({ route: label });
			const labels = { route: label, status: String(res.statusCode) };
			metrics.httpRequests.inc(labels);
			metrics.httpDuration.observe(labels, performance.now() - started);
		});
		res.setHeader('Access-Control-Allow-Origin', '*');
		res.setHeader('Access-Control-Expose-Headers', '*');
		res.setHeader('Vary', 'origin, access-control-request-method, access-control-request-headers');
		if (req.method === 'OPTIONS') {
			res.setHeader('Access-Control-Allow-Methods', '*');
			res.setHeader(
				'Access-Control-Allow-Headers',
				req.headers['access-control-request-headers'] ?? '*',
			);
			res.setHeader('Access-Control-Max-Age', '86400');
			res.writeHead(200, { 'Content-Length': '0' }).end();
			req.resume();
			return;
		}
		const chunks: Buffer[] = [];
		let size = 0;
		let aborted = false;
		req.on('data', (chunk: Buffer) => {
			if (aborted) return;
			size += chunk.length;
			if (size > MAX_BODY_BYTES) {
				aborted = true;
				res.setHeader('Connection', 'close');
				sendText(res, 413, 'length limit exceeded');
				req.resume();
				return;
			}
			chunks.push(chunk);
		});
		req.on('error', () => {
			aborted = true;
		});
		req.on('end', () => {
			if (aborted) return;
			route(req, res, path, Buffer.concat(chunks)).catch((error: unknown) => {
				const wire =
					error instanceof AggregatorWireError
						? error
						: failure((error as Error)?.message ?? String(error));
				metrics?.errors.inc({ internal_error_type: wire.error });
				if (wire.error === 'Failure') {
					const cause = wire.cause instanceof Error ? wire.cause.message : 'no detail';
					logger.warn(`${path}: Failure: ${cause}`);
				}
				sendJson(res, wire.status, { error: wire.error, message: wire.wireMessage });
			});
		});
	});

	const host = options.host ?? '127.0.0.1';
	try {
		await new Promise<void>((resolve, reject) => {
			server.once('error', (error) =>
				reject(
					new KeyServerStartError(
						`cannot listen on ${host}:${options.port ?? 0}: ${error.message}`,
						{
							cause: error,
						},
					),
				),
			);
			server.listen(options.port ?? 0, host, () => resolve());
		});
	} catch (error) {
		clearInterval(timer);
		await pool.close();
		throw error;
	}
	const port = (server.address() as AddressInfo).port;
	const urlHost = host.includes(':') ? `[${host}]` : host;
	let closing: Promise<void> | undefined;
	return {
		url: `http://${urlHost}:${port}`,
		port,
		committee: () => committee,
		refresh,
		workers: pool.workers,
		close: () =>
			(closing ??= (async () => {
				clearInterval(timer);
				const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
				server.closeAllConnections();
				await stopped;
				await pool.close();
			})()),
	};
}

/** `normalize_sdk_version_label`: major.minor.patch, each capped at 20; unparsable → other. */
function versionLabel(version: string): string {
	const parsed = parseSemver(version);
	if (!parsed) return 'other';
	return parsed.core.map((part) => String(part > 20n ? 20n : part)).join('.');
}

function setVersionHeaders(res: ServerResponse): void {
	res.setHeader('X-KeyServer-Version', KEY_SERVER_VERSION);
	res.setHeader('X-KeyServer-GitVersion', KEY_SERVER_GIT_VERSION);
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
