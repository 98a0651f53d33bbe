/**
 * A Seal key server over Node's `http`, speaking Mysten's wire protocol so the unmodified
 * `SealClient` works against it: `GET /v1/service`, `POST /v1/fetch_key`, `GET /health`,
 * SDK-header checks, `X-KeyServer-Version` on every response, CORS, a 180 KiB body limit and
 * `{error, message}` bodies with Mysten's names and status codes.
 * Open mode: one master key for every package. Permissioned mode (`clients`, permissioned.ts):
 * one key per client, used only for the packages that client lists.
 *
 * Master keys live only in memory; they are never logged, returned or written.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { normalizeSuiObjectId } from '@mysten/sui/utils';
import { InvalidInputError } from '../errors.js';
import { KeyServerRequestError, KeyServerStartError } from './errors.js';
import { silentLogger, type Logger } from '../logger.js';
import {
	checkedScalar,
	concat,
	DST_POP,
	type CurveBackendName,
	type ScalarSource,
} from './curve/curve.js';
import { DEFAULT_CURVE_BACKEND, loadCurveBackend } from './curve/backend.js';
import { NodeAddressAliases, type AddressAliasLookup } from './address-aliases.js';
import type { PolicyEvaluator } from './evaluator.js';
import type { CommitteeMemberKeys } from './committee/member-keys.js';
import { fetchKey } from './fetch-key.js';
import { checkSdkHeaders } from './headers.js';
import { defaultWorkerCount, inlineDeriver, startWorkerPool, type KeyDeriver } from './key-pool.js';
import type { KeyServerMetrics } from './metrics.js';
import type { MvrLookup } from './mvr.js';
import type { PackageResolver } from './packages.js';
import type { PermissionedClientKey } from './permissioned.js';
import {
	DEFAULT_TTL_MAX_MINUTES,
	KEY_SERVER_GIT_VERSION,
	KEY_SERVER_VERSION,
	MAX_REQUEST_BYTES,
	MESSAGES,
	STATUS_BY_ERROR,
} from './protocol.js';
import { readFetchKeyRequest } from './request.js';

// Part of this module's public surface since before the fetch_key reading moved to request.ts.
export { isJsonContentType } from './request.js';

/** Upstream's debug route (server.rs `app`): a committee member's partial public key. */
const DEBUG_PARTIAL_PK = '/v1/debug/committee_partial_pk';

export interface KeyServerOptions {
	/** Open mode: 32-byte master key (secret; never logged). */
	masterKey?: Uint8Array;
	/** Open and committee mode: the on-chain `KeyServer` object id this server answers for. */
	objectId?: string;
	/**
	 * Permissioned mode instead of `masterKey`/`objectId`: each client's key, object id and
	 * first-version package ids (from `loadPermissionedKeys`); other packages get
	 * `UnsupportedPackageId`.
	 */
	clients?: PermissionedClientKey[];
	/**
	 * Committee member mode (ts/keyserver/committee) instead of `masterKey`/`clients`: keys come
	 * from the member's share, `/v1/service` answers `InvalidServiceId` (no proof of possession)
	 * and `/v1/debug/committee_partial_pk` is served. The server closes it on `close()`.
	 */
	committee?: CommitteeMemberKeys;
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
	/** The full node: verifies zkLogin user signatures and, by default, answers the alias check. */
	suiClient?: ClientWithCoreApi;
	/** Mysten's address-alias check; default: asks `suiClient`, or nobody has aliases without one. */
	addressAliases?: AddressAliasLookup;
	/** Resolves certificate MVR names (`MvrResolver`); default: every name answers `Failure`. */
	mvr?: MvrLookup;
	/** Curve arithmetic: `mcl` (default, WASM) or `noble` (reference); byte-identical answers. */
	curveBackend?: CurveBackendName;
	/** Worker threads for key derivation; default = cores; 0 = on the event loop. */
	workers?: number;
	/** ElGamal randomness (tests only; needs `workers: 0`). */
	random?: ScalarSource;
	/** Prometheus metrics to record into (served by `startMetricsServer`). */
	metrics?: KeyServerMetrics;
	/** Longest wait for in-flight requests on `close()`; default 10 s. */
	drainTimeoutMs?: number;
	/** Log the "listening on" line (default true; the CLI prints its own start line). */
	announce?: boolean;
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
	/** Open mode's object id (Permissioned: the first client's). */
	objectId: string;
	/**
	 * 96-byte compressed G2 master public key (Permissioned: the first client's; committee member:
	 * its partial public key at start).
	 */
	publicKey: Uint8Array;
	/** Permissioned mode: each served client's object id and public key, in config order. */
	clients?: { name: string; objectId: string; publicKey: Uint8Array; packageIds: string[] }[];
	stats: KeyServerStats;
	curveBackend: CurveBackendName;
	workers: number;
	/** Requests being answered right now. */
	inFlight(): number;
	/** Stops accepting, lets in-flight requests finish (bounded), then frees the key. */
	close(): Promise<void>;
}

export async function startKeyServer(options: KeyServerOptions): Promise<RunningKeyServer> {
	const committee = options.committee;
	const served = committee ? [] : servedKeys(options);
	const objectId = committee ? committeeObjectId(options) : served[0]!.objectId;
	const workerCount = options.workers ?? defaultWorkerCount();
	if (!Number.isInteger(workerCount) || workerCount < 0) {
		throw new InvalidInputError('workers', `must be an integer ≥ 0, got ${workerCount}`);
	}
	if (options.random && workerCount !== 0) {
		throw new InvalidInputError('random', 'a fixed randomness source needs workers: 0');
	}
	const logger = options.logger ?? silentLogger;
	const metrics = options.metrics;
	const now = options.now ?? Date.now;
	const ttlMaxMinutes = options.ttlMaxMinutes ?? DEFAULT_TTL_MAX_MINUTES;
	const addressAliases =
		options.addressAliases ??
		(options.suiClient ? new NodeAddressAliases(options.suiClient) : undefined);
	const curve = await loadCurveBackend(options.curveBackend ?? DEFAULT_CURVE_BACKEND);
	const ops = served.map((one) => curve.withMasterKey(one.masterKey));
	const publicKeys = ops.map((one) => one.publicKey());
	// Upstream `build_key_server_pop_map`: object id → PoP by that object's own key (committee
	// mode has none: its map is empty, so every service id is unknown).
	const pops = new Map(
		served.map((one, i) => [
			one.objectId,
			Buffer.from(
				ops[i]!.signG1(
					concat(concat(DST_POP, publicKeys[i]!), Buffer.from(one.objectId.slice(2), 'hex')),
				),
			).toString('base64'),
		]),
	);
	// Permissioned: original package id → the position of its client's key.
	const keyByPackage = options.clients
		? new Map(served.flatMap((one, i) => (one.packageIds ?? []).map((pkg) => [pkg, i] as const)))
		: undefined;
	let keys: KeyDeriver;
	let publicKey: Uint8Array;
	if (committee) {
		keys = committee;
		// A member rotating in without its old share has no key yet (it answers Failure until then).
		try {
			publicKey = committee.partialPublicKey();
		} catch {
			publicKey = new Uint8Array(0);
		}
	} else {
		publicKey = publicKeys[0]!;
		keys = await openKeys();
	}
	async function openKeys(): Promise<KeyDeriver> {
		if (workerCount === 0) return inlineDeriver(ops, options.random);
		for (const one of ops) one.wipe();
		return startWorkerPool({
			masterKey: served[0]!.masterKey,
			...(served.length > 1 ? { extraKeys: served.slice(1).map((one) => one.masterKey) } : {}),
			backend: curve.name,
			size: workerCount,
		});
	}
	const stats: KeyServerStats = { fetchKeyRequests: 0, fetchKeyIds: 0, serviceRequests: 0 };
	let inFlight = 0;
	let drained: (() => void) | undefined;

	async function route(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) {
		const path = url.pathname;
		// axum's `get` routes also answer HEAD (same handler, body dropped).
		const method = req.method === 'HEAD' ? 'GET' : req.method;
		if (path === '/health') {
			if (method !== 'GET') return sendText(res, 405, '');
			return sendJson(res, 200, { name: 'key-server', version: KEY_SERVER_VERSION, status: 'up' });
		}
		if (path === '/v1/service' || path === '/v1/fetch_key' || path === DEBUG_PARTIAL_PK) {
			const wanted = path === '/v1/fetch_key' ? 'POST' : 'GET';
			const sdk = checkSdkHeaders(req.headers, req.headersDistinct);
			metrics?.sdkVersions.inc({ sdk_type: sdk.sdkType, version: sdk.version });
			if (method !== wanted) return sendText(res, 405, '');
			if (path === '/v1/service') return service(res, url);
			if (path === DEBUG_PARTIAL_PK) return partialPk(res);
			return fetchKeyRoute(req, res, body);
		}
		return sendText(res, 404, '');
	}

	function service(res: ServerResponse, url: URL) {
		stats.serviceRequests++;
		metrics?.serviceRequests.inc();
		// `Query<HashMap<String, String>>`: a repeated parameter keeps its LAST value.
		const query = url.searchParams.getAll('service_id').at(-1) ?? '';
		// `0x` and up to 64 hex digits, zero-padded (`0x` alone is object 0x0).
		const asked = /^0x[0-9a-fA-F]{0,64}$/.test(query) ? normalizeSuiObjectId(query) : undefined;
		const pop = asked === undefined ? undefined : pops.get(asked);
		if (pop === undefined)
			throw new KeyServerRequestError('InvalidServiceId', MESSAGES.InvalidServiceId);
		sendJson(res, 200, { service_id: asked, pop });
	}

	/** `handle_get_committee_server_partial_pk`: counted as a service request, as upstream. */
	function partialPk(res: ServerResponse) {
		stats.serviceRequests++;
		metrics?.serviceRequests.inc();
		if (!committee) return sendText(res, 400, 'Unsupported');
		const pk = committee.partialPublicKey();
		sendJson(res, 200, { partial_pk: Buffer.from(pk).toString('base64') });
	}

	async function fetchKeyRoute(req: IncomingMessage, res: ServerResponse, body: Buffer) {
		const read = readFetchKeyRequest(req.headers['content-type'], body, curve);
		if ('status' in read) return sendText(res, read.status, read.text);
		const { request } = read;
		stats.fetchKeyRequests++;
		metrics?.requests.inc();
		const outcome = await fetchKey(request, {
			keys,
			evaluator: options.evaluator,
			packages: options.packages,
			nowMs: now(),
			ttlMaxMinutes,
			...(keyByPackage ? { keyFor: (original: string) => keyByPackage.get(original) } : {}),
			...(metrics ? { metrics } : {}),
			...(options.suiClient ? { suiClient: options.suiClient } : {}),
			...(addressAliases ? { addressAliases } : {}),
			...(options.mvr ? { mvr: options.mvr } : {}),
		});
		const count = outcome.response.decryption_keys.length;
		stats.fetchKeyIds += count;
		metrics?.idsPerRequest.observe(count);
		logger.info(
			`fetch_key ok: ${count} key(s) for ${outcome.user} under ${outcome.originalPackageId}`,
		);
		sendJson(res, 200, outcome.response);
	}

	const server = createServer((req, res) => {
		inFlight++;
		const started = performance.now();
		const url = new URL(req.url ?? '/', 'http://localhost');
		const tracked = url.pathname.startsWith('/v1/') ? url.pathname : undefined;
		if (tracked) metrics?.inFlight.inc({ route: tracked });
		res.once('close', () => {
			if (tracked && metrics) {
				metrics.inFlight.dec({ route: tracked });
				const labels = { route: tracked, status: String(res.statusCode) };
				metrics.httpRequests.inc(labels);
				metrics.httpDuration.observe(labels, performance.now() - started);
			}
			if (--inFlight === 0) drained?.();
		});
		setCommonHeaders(res);
		if (req.method === 'HEAD') {
			// Same status and headers as GET, no body.
			const end = res.end.bind(res);
			res.end = ((..._args: unknown[]) => end()) as typeof res.end;
		}
		if (req.method === 'OPTIONS') return preflight(req, res);
		// No or a malformed Content-Length is NaN: not refused here, counted while reading.
		if (Number(req.headers['content-length']) > MAX_REQUEST_BYTES) {
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
			route(req, res, url, Buffer.concat(chunks)).catch((error: unknown) => {
				sendError(res, error, logger, url.pathname, metrics);
			});
		});
		req.on('error', () => {
			aborted = true;
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
		await keys.close();
		throw error;
	}
	const port = (server.address() as AddressInfo).port;
	const urlHost = host.includes(':') ? `[${host}]` : host;
	if (options.announce !== false)
		logger.info(
			`key server ${objectId} listening on http://${urlHost}:${port} (${curve.name} backend, ${workerCount || 'no'} worker thread(s))`,
		);
	const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
	let closing: Promise<void> | undefined;
	return {
		url: `http://${urlHost}:${port}`,
		port,
		objectId,
		publicKey,
		...(options.clients
			? {
					clients: served.map((one, i) => ({
						name: one.name,
						objectId: one.objectId,
						publicKey: publicKeys[i]!,
						packageIds: [...(one.packageIds ?? [])],
					})),
				}
			: {}),
		stats,
		curveBackend: curve.name,
		workers: workerCount,
		inFlight: () => inFlight,
		close: () =>
			(closing ??= (async () => {
				// Also drops idle keep-alive connections (Node >= 19), so none sneaks a request in.
				const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
				if (inFlight > 0) {
					const done = new Promise<void>((resolve) => (drained = resolve));
					const timer = new Promise<void>((resolve) => setTimeout(resolve, drainTimeoutMs).unref());
					await Promise.race([done, timer]);
				}
				server.closeAllConnections();
				await stopped;
				// No request can run any more: wipe every copy of the master key.
				await keys.close();
			})()),
	};
}

interface ServedKey {
	name: string;
	objectId: string;
	masterKey: Uint8Array;
	/** Permissioned: the client's first-version packages; undefined = every package (Open). */
	packageIds?: string[];
}

/** Open mode's one key, or Permissioned mode's clients; keys and object ids checked. */
/** Committee mode's object id; a committee member serves no master key or clients of its own. */
function committeeObjectId(options: KeyServerOptions): string {
	if (options.masterKey !== undefined || options.clients !== undefined) {
		throw new InvalidInputError('committee', 'Committee mode takes no masterKey or clients');
	}
	if (options.objectId === undefined) {
		throw new InvalidInputError(
			'objectId',
			'Committee mode needs the committee KeyServer object id',
		);
	}
	return checkedObjectId(options.objectId, 'objectId');
}

function servedKeys(options: KeyServerOptions): ServedKey[] {
	if (options.clients) {
		if (options.masterKey !== undefined || options.objectId !== undefined) {
			throw new InvalidInputError('clients', 'Permissioned mode takes no masterKey or objectId');
		}
		if (options.clients.length === 0) {
			throw new InvalidInputError('clients', 'No clients found in the configuration');
		}
		const seen = new Set<string>();
		return options.clients.map((client, i) => {
			checkedScalar(client.masterKey, `clients[${i}].masterKey`);
			const objectId = checkedObjectId(client.objectId, `clients[${i}].objectId`);
			if (seen.has(objectId)) {
				throw new InvalidInputError('clients', `Duplicate key server object ID: ${objectId}`);
			}
			seen.add(objectId);
			const packageIds = client.packageIds.map((pkg) =>
				checkedObjectId(pkg, `clients[${i}].packageIds`),
			);
			// A package served with two keys would be answered with whichever came last.
			for (const pkg of packageIds) {
				if (seen.has(pkg)) throw new InvalidInputError('clients', `Duplicate package ID: ${pkg}`);
				seen.add(pkg);
			}
			return { name: client.name, objectId, masterKey: client.masterKey, packageIds };
		});
	}
	if (options.masterKey === undefined || options.objectId === undefined) {
		throw new InvalidInputError('masterKey', 'Open mode needs masterKey and objectId (or clients)');
	}
	checkedScalar(options.masterKey);
	return [
		{
			name: 'open',
			objectId: checkedObjectId(options.objectId, 'objectId'),
			masterKey: options.masterKey,
		},
	];
}

function checkedObjectId(value: string, field: string): string {
	let objectId: string;
	try {
		objectId = normalizeSuiObjectId(value);
	} catch (error) {
		throw new InvalidInputError(field, 'must be a Sui object id (0x + hex)', { cause: error });
	}
	if (!/^0x[0-9a-f]{64}$/.test(objectId)) {
		throw new InvalidInputError(field, `'${value}' is not a Sui object id`);
	}
	return objectId;
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

/** Called only before any answer: from the declared length, or while the body is read. */
function tooLarge(req: IncomingMessage, res: ServerResponse): void {
	res.setHeader('Connection', 'close');
	sendText(res, 413, 'length limit exceeded');
	req.resume();
}

function sendError(
	res: ServerResponse,
	error: unknown,
	logger: Logger,
	path: string,
	metrics: KeyServerMetrics | undefined,
): void {
	if (error instanceof KeyServerRequestError) {
		metrics?.errors.inc({ internal_error_type: error.errorName });
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
	metrics?.errors.inc({ internal_error_type: 'Failure' });
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
