/**
 * The HTTP shell of the key server (ts/keyserver/server.ts) beyond what the protocol tier checks:
 * start-up option checks, the status of every error name, what reaches the log and the metrics,
 * the headers of every answer, CORS preflight, the body limit, `service_id` forms, the clock and
 * TTL options, counters, and `close()`.
 */
import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { Transaction } from '@mysten/sui/transactions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { KeyServerRequestError, KeyServerStartError, type KeyServerErrorName } from '../../../ts/keyserver/errors.js';
import type { PolicyEvaluator } from '../../../ts/keyserver/evaluator.js';
import { defaultWorkerCount } from '../../../ts/keyserver/key-pool.js';
import { generateMasterKey } from '../../../ts/keyserver/keys.js';
import { KeyServerMetrics } from '../../../ts/keyserver/metrics.js';
import { StaticPackageResolver } from '../../../ts/keyserver/packages.js';
import { MESSAGES } from '../../../ts/keyserver/protocol.js';
import {
	isJsonContentType,
	startKeyServer,
	type KeyServerOptions,
	type RunningKeyServer,
} from '../../../ts/keyserver/server.js';
import type { Logger } from '../../../ts/logger.js';
import { handRequest, SDK_HEADERS } from '../../support/fetch-key-request.js';
import { randomObjectId } from '../../support/offline-sui-registry.js';
import { rawRequest, type RawAnswer } from '../../support/raw-http.js';

const packageId = randomObjectId();
const objectId = randomObjectId();
const lines: { level: string; message: string }[] = [];
const logger: Logger = {
	info: (message) => lines.push({ level: 'info', message }),
	warn: (message) => lines.push({ level: 'warn', message }),
	debug: (message) => lines.push({ level: 'debug', message }),
};
/** What the evaluator of the shared server does next (default: allow). */
let decide: PolicyEvaluator['evaluate'] = async () => ({ allowed: true });
let metrics: KeyServerMetrics;
let server: RunningKeyServer;
let txBytes: Uint8Array;
let body: string;

function options(extra: Partial<KeyServerOptions> = {}): KeyServerOptions {
	return {
		masterKey: generateMasterKey(),
		objectId,
		evaluator: { evaluate: (request) => decide(request) },
		packages: new StaticPackageResolver([[packageId, packageId]]),
		workers: 0,
		...extra,
	};
}

beforeAll(async () => {
	metrics = new KeyServerMetrics();
	server = await startKeyServer(options({ logger, metrics }));
	const tx = new Transaction();
	tx.moveCall({
		target: `${packageId}::policy::seal_approve`,
		arguments: [tx.pure.vector('u8', [1, 2, 3])],
	});
	txBytes = await tx.build({ onlyTransactionKind: true });
	body = JSON.stringify(
		(await handRequest({ user: Ed25519Keypair.generate(), packageId, txBytes })).body,
	);
});
afterAll(() => server?.close());

/** Raw HTTP (exact methods, headers and bytes), with the SDK's headers by default. */
function send(
	url: string,
	request: { method?: string; path?: string; headers?: OutgoingHttpHeaders; body?: string } = {},
): Promise<RawAnswer> {
	return rawRequest(url, { ...request, headers: request.headers ?? SDK_HEADERS });
}

/** Sum over every label set (only the series ending in `suffix`, for histograms). */
async function metricSum(name: string, suffix = ''): Promise<number> {
	const metric = await metrics.registry.getSingleMetric(name)!.get();
	return metric.values
		.filter((value) => ((value as { metricName?: string }).metricName ?? name) === name + suffix)
		.reduce((sum, value) => sum + value.value, 0);
}

async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
	const metric = await metrics.registry.getSingleMetric(name)!.get();
	const found = metric.values.find((value) =>
		Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
	);
	return found?.value ?? 0;
}

describe('start-up options', () => {
	it('refuses an object id that is not 0x + hex, and normalises a short one', async () => {
		// (`0xab0x…` normalises to a string whose tail alone looks like an id.)
		for (const bad of ['0xzz', 'hello', '0x' + '1'.repeat(65), '0xab0x' + '1'.repeat(64), 5]) {
			const error = await startKeyServer(options({ objectId: bad as string })).catch(
				(e: unknown) => e,
			);
			expect(error, String(bad)).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).field, String(bad)).toBe('objectId');
		}
		const short = await startKeyServer(options({ objectId: '0x2' }));
		try {
			expect(short.objectId).toBe(`0x${'0'.repeat(63)}2`);
			const answer = await send(short.url, {
				method: 'GET',
				path: `/v1/service?service_id=0x2`,
			});
			expect(JSON.parse(answer.text).service_id).toBe(short.objectId);
		} finally {
			await short.close();
		}
	});

	it('workers must be an integer ≥ 0; a fixed randomness source needs workers: 0', async () => {
		for (const workers of [-1, 1.5, Number.NaN]) {
			await expect(startKeyServer(options({ workers }))).rejects.toMatchObject({
				name: 'InvalidInputError',
				field: 'workers',
			});
		}
		await expect(
			startKeyServer(options({ workers: 1, random: () => new Uint8Array(32).fill(1) })),
		).rejects.toMatchObject({ name: 'InvalidInputError', field: 'random' });
		// …and with workers: 0 it is accepted.
		const fixed = await startKeyServer(
			options({ workers: 0, random: () => new Uint8Array(32).fill(1) }),
		);
		await fixed.close();
		await expect(startKeyServer(options({ masterKey: new Uint8Array(31) }))).rejects.toMatchObject({
			name: 'InvalidInputError',
			field: 'masterKey',
		});
	});

	it('a new server counts requests from zero', async () => {
		const fresh = await startKeyServer(options());
		try {
			expect(fresh.stats).toEqual({ fetchKeyRequests: 0, fetchKeyIds: 0, serviceRequests: 0 });
			await send(fresh.url, { method: 'GET', path: `/v1/service?service_id=${objectId}` });
			expect(fresh.stats.serviceRequests).toBe(1);
		} finally {
			await fresh.close();
		}
	});

	it('reports its settings: url without trailing slash, backend, worker count, public key', () => {
		expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
		expect(server.objectId).toBe(objectId);
		expect(server.curveBackend).toBe('mcl');
		expect(server.workers).toBe(0);
		expect(server.publicKey).toHaveLength(96);
		expect(
			lines.some(
				(line) =>
					line.level === 'info' &&
					line.message.includes(objectId) &&
					line.message.includes(server.url),
			),
		).toBe(true);
	});

	it('an IPv6 host is bracketed in the url', async () => {
		const v6 = await startKeyServer(options({ host: '::1' })).catch(() => undefined);
		if (!v6) return void console.log('skip: no IPv6 loopback on this machine');
		try {
			expect(v6.url).toBe(`http://[::1]:${v6.port}`);
			expect((await send(v6.url, { method: 'GET', path: '/health' })).status).toBe(200);
		} finally {
			await v6.close();
		}
	});
});

describe('error answers', () => {
	// SEAL_NOTES §1.6 (MystenLabs/seal crates/key-server/src/errors.rs `IntoResponse`).
	const STATUS: Record<KeyServerErrorName, number> = {
		InvalidPTB: 403,
		InvalidPackage: 403,
		NoAccess: 403,
		InvalidCertificate: 403,
		InvalidSignature: 403,
		InvalidSessionSignature: 403,
		InvalidParameter: 403,
		InvalidMVRName: 403,
		InvalidSDKVersion: 400,
		MissingRequiredHeader: 400,
		InvalidServiceId: 400,
		UnsupportedPackageId: 400,
		DeprecatedSDKVersion: 426,
		Failure: 503,
	};

	it("every error name gets Mysten's status and an {error, message} JSON body", async () => {
		for (const [name, status] of Object.entries(STATUS) as [KeyServerErrorName, number][]) {
			decide = async () => {
				throw new KeyServerRequestError(name, `wire text for ${name}`);
			};
			const answer = await send(server.url, { body });
			expect(answer.status, name).toBe(status);
			expect(answer.headers['content-type'], name).toBe('application/json');
			expect(JSON.parse(answer.text), name).toEqual({
				error: name,
				message: `wire text for ${name}`,
			});
		}
		decide = async () => ({ allowed: true });
	});

	it('client errors are logged at debug with the path, Failure at warn with its cause; both counted', async () => {
		lines.length = 0;
		const before = await metricValue('internal_errors', { internal_error_type: 'NoAccess' });
		decide = async () => ({ allowed: false, error: 'NoAccess', detail: 'abort 4' });
		expect((await send(server.url, { body })).status).toBe(403);
		expect(lines).toEqual([{ level: 'debug', message: '/v1/fetch_key: NoAccess' }]);
		expect(await metricValue('internal_errors', { internal_error_type: 'NoAccess' })).toBe(
			before + 1,
		);

		lines.length = 0;
		const failures = await metricValue('internal_errors', { internal_error_type: 'Failure' });
		decide = async () => {
			throw new KeyServerRequestError('Failure', MESSAGES.Failure);
		};
		expect((await send(server.url, { body })).status).toBe(503);
		// A Failure without an Error cause still names the path.
		expect(lines).toEqual([{ level: 'warn', message: '/v1/fetch_key: Failure: no detail' }]);

		lines.length = 0;
		decide = async () => {
			throw new KeyServerRequestError('Failure', MESSAGES.Failure, {
				cause: new Error('node is stale'),
			});
		};
		await send(server.url, { body });
		expect(lines).toEqual([{ level: 'warn', message: '/v1/fetch_key: Failure: node is stale' }]);

		lines.length = 0;
		decide = async () => {
			// eslint-disable-next-line @typescript-eslint/only-throw-error
			throw 'a bare string';
		};
		const answer = await send(server.url, { body });
		expect(answer.status).toBe(503);
		// Mysten's fixed text (SEAL_NOTES §1.6), not the thrown value.
		expect(JSON.parse(answer.text)).toEqual({
			error: 'Failure',
			message: 'Internal server error, please try again later',
		});
		expect(lines).toEqual([
			{ level: 'warn', message: '/v1/fetch_key: internal error: a bare string' },
		]);
		expect(await metricValue('internal_errors', { internal_error_type: 'Failure' })).toBe(
			failures + 3,
		);
		decide = async () => ({ allowed: true });
	});

	it('a server without metrics answers any thrown value as Failure, typed or not', async () => {
		let thrown: unknown = new Error('boom');
		const bare = await startKeyServer(
			options({
				evaluator: {
					evaluate: async () => {
						throw thrown;
					},
				},
			}),
		);
		try {
			for (const value of [
				new Error('boom'),
				'a bare string',
				new KeyServerRequestError('Failure', MESSAGES.Failure),
			]) {
				thrown = value;
				const answer = await send(bare.url, { body });
				expect(answer.status).toBe(503);
				expect(JSON.parse(answer.text).error).toBe('Failure');
			}
		} finally {
			await bare.close();
		}
	});

	it("SDK-header errors carry Mysten's fixed messages", async () => {
		const version = (value: string, type = 'typescript') =>
			send(server.url, {
				body,
				headers: { ...SDK_HEADERS, 'Client-Sdk-Type': type, 'Client-Sdk-Version': value },
			});
		expect(JSON.parse((await version('one')).text)).toEqual({
			error: 'InvalidSDKVersion',
			message: 'Invalid SDK version',
		});
		expect(JSON.parse((await version('0.4.4')).text)).toEqual({
			error: 'DeprecatedSDKVersion',
			message: 'Deprecated SDK version',
		});
	});

	it('a request header error is answered on /v1/service as well, and nothing else is logged', async () => {
		lines.length = 0;
		const answer = await send(server.url, {
			method: 'GET',
			path: `/v1/service?service_id=${objectId}`,
			headers: {},
		});
		expect(answer.status).toBe(400);
		expect(JSON.parse(answer.text).error).toBe('MissingRequiredHeader');
		expect(lines).toEqual([{ level: 'debug', message: '/v1/service: MissingRequiredHeader' }]);
	});
});

describe('every answer', () => {
	const common = {
		'x-keyserver-version': '0.6.10',
		'x-keyserver-gitversion': 'seal-policies-ts',
		'access-control-allow-origin': '*',
		'access-control-expose-headers': '*',
		vary: 'origin, access-control-request-method, access-control-request-headers',
	};

	it('carries the version and CORS headers, whatever the status', async () => {
		const answers = [
			await send(server.url, { method: 'GET', path: '/health' }),
			await send(server.url, { method: 'GET', path: '/nothing' }),
			await send(server.url, { body }),
			await send(server.url, { body: 'x'.repeat(200 * 1024) }),
			await send(server.url, { method: 'OPTIONS' }),
		];
		expect(answers.map((answer) => answer.status)).toEqual([200, 404, 200, 413, 200]);
		for (const answer of answers) expect(answer.headers).toMatchObject(common);
	});

	it('/health: JSON name, version and status; other methods 405 with an empty body', async () => {
		const health = await send(server.url, { method: 'GET', path: '/health' });
		expect(health.headers['content-type']).toBe('application/json');
		expect(JSON.parse(health.text)).toEqual({
			name: 'key-server',
			version: '0.6.10',
			status: 'up',
		});
		const post = await send(server.url, { method: 'POST', path: '/health' });
		expect(post.status).toBe(405);
		expect(post.text).toBe('');
		const missing = await send(server.url, { method: 'GET', path: '/v1/other' });
		expect(missing.status).toBe(404);
		expect(missing.text).toBe('');
		expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8');
	});

	it('HEAD has the GET status and headers (Content-Length included) but no body', async () => {
		const get = await send(server.url, { method: 'GET', path: '/health' });
		const head = await send(server.url, { method: 'HEAD', path: '/health' });
		expect(head.status).toBe(200);
		expect(head.text).toBe('');
		expect(Number(get.headers['content-length'])).toBe(Buffer.byteLength(get.text));
		expect(head.headers['content-length']).toBe(get.headers['content-length']);
		expect(head.headers['content-type']).toBe('application/json');
	});

	it('CORS preflight: 200, empty, any method, the asked headers (or any), cached a day', async () => {
		const asked = await send(server.url, {
			method: 'OPTIONS',
			headers: { 'Access-Control-Request-Headers': 'client-sdk-version,x-odd' },
		});
		expect(asked.status).toBe(200);
		expect(asked.text).toBe('');
		expect(asked.headers).toMatchObject({
			'access-control-allow-methods': '*',
			'access-control-allow-headers': 'client-sdk-version,x-odd',
			'access-control-max-age': '86400',
			'content-length': '0',
		});
		const bare = await send(server.url, { method: 'OPTIONS', headers: {} });
		expect(bare.headers['access-control-allow-headers']).toBe('*');
		// The preflight never reaches the routes: no SDK-header check, no 405.
		expect(bare.status).toBe(200);
	});
});

describe('body limit (180 KiB)', () => {
	it('a declared length over the limit is refused before reading, and the connection closed', async () => {
		// No body is sent: the answer comes from the header alone.
		const answer = await send(server.url, {
			headers: { ...SDK_HEADERS, 'Content-Length': String(180 * 1024 + 1) },
			body: '',
		});
		expect(answer.status).toBe(413);
		expect(answer.text).toBe('length limit exceeded');
		expect(answer.headers['connection']).toBe('close');
	});

	it('exactly 180 KiB is read (then parsed); one byte more is 413', async () => {
		const padded = (size: number) => body.slice(0, -1) + ' '.repeat(size - body.length) + '}';
		const at = await send(server.url, { body: padded(180 * 1024) });
		expect(at.status).toBe(200);
		const over = await send(server.url, { body: padded(180 * 1024 + 1) });
		expect(over.status).toBe(413);
		expect(over.text).toBe('length limit exceeded');
		expect(over.headers['connection']).toBe('close');
	});
	it('a refused body is never routed, even when the rest of it arrives', async () => {
		const served = server.stats.serviceRequests;
		// Just over the limit, and far over it (chunks keep coming after the 413).
		for (const size of [180 * 1024 + 10, 180 * 1024 + 10, 256 * 1024, 256 * 1024]) {
			const answer = await send(server.url, {
				method: 'GET',
				path: `/v1/service?service_id=${objectId}`,
				// Streamed, so the limit is met while reading (no Content-Length to refuse up front).
				headers: { ...SDK_HEADERS, 'Transfer-Encoding': 'chunked' },
				body: 'x'.repeat(size),
			});
			expect(answer.status).toBe(413);
		}
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(server.stats.serviceRequests).toBe(served);
	});
});

describe('/v1/service', () => {
	const service = (query: string) =>
		send(server.url, { method: 'GET', path: `/v1/service${query}` });

	it('matches service_id in any hex case and length; anything else is InvalidServiceId', async () => {
		const ok = await service(`?service_id=${objectId.toUpperCase().replace('0X', '0x')}`);
		expect(ok.status).toBe(200);
		const json = JSON.parse(ok.text);
		expect(json.service_id).toBe(objectId);
		expect(Buffer.from(json.pop, 'base64')).toHaveLength(48);
		// The proof of possession verifies as the SDK checks it (key-server.mjs verifyKeyServer):
		// a min-sig BLS signature over DST_POP ‖ public key ‖ object id bytes.
		const message = Buffer.concat([
			Buffer.from('SUI-SEAL-IBE-BLS12381-POP-00'),
			server.publicKey,
			Buffer.from(objectId.slice(2), 'hex'),
		]);
		const popValid = (signed: Uint8Array) =>
			bls12_381.shortSignatures.verify(
				Buffer.from(json.pop, 'base64'),
				bls12_381.shortSignatures.hash(signed),
				server.publicKey,
			);
		expect(popValid(message)).toBe(true);
		expect(popValid(Buffer.concat([message.subarray(0, -32), Buffer.alloc(32)]))).toBe(false);
		for (const query of [
			'',
			'?service_id=',
			`?service_id=${objectId.slice(2)}`,
			`?service_id=${objectId}0`,
			`?service_id=${objectId.slice(0, -1)}g`,
			`?service_id=%20${objectId}`,
			'?service_id=0x',
		]) {
			const answer = await service(query);
			expect(answer.status, query).toBe(400);
			expect(JSON.parse(answer.text), query).toEqual({
				error: 'InvalidServiceId',
				message: 'Invalid service ID',
			});
		}
	});

	it('`0x` alone names object 0x0', async () => {
		const zero = await startKeyServer(options({ objectId: '0x0' }));
		try {
			expect(
				(await send(zero.url, { method: 'GET', path: '/v1/service?service_id=0x' })).status,
			).toBe(200);
			expect(
				(await send(zero.url, { method: 'GET', path: '/v1/service?service_id=0x00' })).status,
			).toBe(200);
		} finally {
			await zero.close();
		}
	});
});

describe('fetch_key', () => {
	it('415 names the content type it wants; 400 and 422 say what failed to parse', async () => {
		const plain = await send(server.url, {
			headers: { ...SDK_HEADERS, 'Content-Type': 'text/plain' },
			body,
		});
		expect(plain.status).toBe(415);
		expect(plain.text).toBe('Expected request with `Content-Type: application/json`');
		expect(Number(plain.headers['content-length'])).toBe(Buffer.byteLength(plain.text));
		expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
		const syntax = await send(server.url, { body: '{' });
		expect(syntax.status).toBe(400);
		expect(syntax.text).toMatch(/^Failed to parse the request body as JSON: ./);
		const data = await send(server.url, { body: '{}' });
		expect(data.status).toBe(422);
		expect(data.text).toMatch(/^Failed to deserialize the JSON body into the target type: ./);
	});

	it('counts requests, keys and service calls, and logs each success without key material', async () => {
		const stats = { ...server.stats };
		const requests = await metricValue('total_requests');
		lines.length = 0;
		const answer = await send(server.url, { body });
		expect(answer.status).toBe(200);
		const keys = JSON.parse(answer.text).decryption_keys;
		expect(keys).toHaveLength(1);
		await send(server.url, { method: 'GET', path: `/v1/service?service_id=${objectId}` });
		await send(server.url, { body: '{}' });
		expect(server.stats).toEqual({
			fetchKeyRequests: stats.fetchKeyRequests + 1,
			fetchKeyIds: stats.fetchKeyIds + 1,
			serviceRequests: stats.serviceRequests + 1,
		});
		expect(await metricValue('total_requests')).toBe(requests + 1);
		expect(lines).toHaveLength(1);
		expect(lines[0]!.level).toBe('info');
		expect(lines[0]!.message).toMatch(/^fetch_key ok: 1 key\(s\) for 0x[0-9a-f]{64} under /);
		expect(lines[0]!.message).toContain(packageId);
		expect(lines[0]!.message).not.toContain(keys[0].encrypted_key[0]);
	});

	it('the certificate is checked against `now` and `ttlMaxMinutes`', async () => {
		const created = Date.UTC(2030, 0, 1);
		const { body: longTtl } = await handRequest({
			user: Ed25519Keypair.generate(),
			packageId,
			txBytes,
			creationTimeMs: created,
			ttlMin: 45,
		});
		const at = (minutes: number) => () => created + minutes * 60_000;
		const wide = await startKeyServer(options({ now: at(40), ttlMaxMinutes: 60 }));
		const narrow = await startKeyServer(options({ now: at(40) }));
		const late = await startKeyServer(options({ now: at(46), ttlMaxMinutes: 60 }));
		try {
			const post = (url: string) => send(url, { body: JSON.stringify(longTtl) });
			expect((await post(wide.url)).status).toBe(200);
			// Default maximum 30 minutes.
			expect(JSON.parse((await post(narrow.url)).text).error).toBe('InvalidCertificate');
			expect(JSON.parse((await post(late.url)).text).error).toBe('InvalidCertificate');
		} finally {
			await Promise.all([wide.close(), narrow.close(), late.close()]);
		}
	});
});

describe('HTTP metrics', () => {
	it('counts /v1/* requests by route and status, with their duration; /health is not tracked', async () => {
		const labels = { route: '/v1/service', status: '400' };
		const before = await metricValue('http_requests_total', labels);
		const all = await metricSum('http_requests_total');
		const durations = await metricSum('http_request_duration_millis', '_sum');
		const sdk = await metricValue('client_sdk_version', {
			sdk_type: 'typescript',
			version: '1.4.12',
		});
		const started = performance.now();
		await send(server.url, { method: 'GET', path: '/v1/service?service_id=0x1' });
		await send(server.url, { method: 'GET', path: '/health' });
		// The counters move when the response closes.
		await new Promise((resolve) => setTimeout(resolve, 20));
		const took = performance.now() - started;
		expect(await metricValue('http_requests_total', labels)).toBe(before + 1);
		expect(await metricSum('http_requests_total')).toBe(all + 1);
		expect(
			await metricValue('http_request_duration_millis', { ...labels, le: '+Inf' }),
		).toBeGreaterThanOrEqual(before + 1);
		const spent = (await metricSum('http_request_duration_millis', '_sum')) - durations;
		expect(spent).toBeGreaterThanOrEqual(0);
		expect(spent).toBeLessThanOrEqual(took);
		expect(await metricValue('http_request_in_flight', { route: '/v1/service' })).toBe(0);
		expect(
			await metricValue('client_sdk_version', { sdk_type: 'typescript', version: '1.4.12' }),
		).toBe(sdk + 1);
	});

	it('counts service and fetch_key requests, ids per request and policy-check time', async () => {
		const service = await metricValue('service_requests');
		const ids = await metricSum('requests_per_number_of_ids', '_count');
		const checks = await metricSum('check_policy_duration', '_count');
		await send(server.url, { method: 'GET', path: `/v1/service?service_id=${objectId}` });
		expect((await send(server.url, { body })).status).toBe(200);
		expect(await metricValue('service_requests')).toBe(service + 1);
		expect(await metricSum('requests_per_number_of_ids', '_count')).toBe(ids + 1);
		expect(await metricSum('requests_per_number_of_ids', '_sum')).toBeGreaterThanOrEqual(1);
		expect(await metricSum('check_policy_duration', '_count')).toBe(checks + 1);
	});

	it('the in-flight gauge is up while a request is being answered', async () => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		let reached!: () => void;
		const atEvaluator = new Promise<void>((resolve) => (reached = resolve));
		decide = async () => {
			reached();
			await held;
			return { allowed: true };
		};
		const pending = send(server.url, { body });
		await atEvaluator;
		expect(server.inFlight()).toBe(1);
		expect(await metricValue('http_request_in_flight', { route: '/v1/fetch_key' })).toBe(1);
		release();
		expect((await pending).status).toBe(200);
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(server.inFlight()).toBe(0);
		expect(await metricValue('http_request_in_flight', { route: '/v1/fetch_key' })).toBe(0);
		decide = async () => ({ allowed: true });
	});
});

describe('close()', () => {
	it('is idempotent (one shutdown), and refuses connections afterwards', async () => {
		const running = await startKeyServer(options());
		const first = running.close();
		expect(running.close()).toBe(first);
		await first;
		await expect(send(running.url, { method: 'GET', path: '/health' })).rejects.toThrow();
	});

	it('waits for an in-flight request, which still gets its answer; idle connections are dropped at once', async () => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		let reached!: () => void;
		const atEvaluator = new Promise<void>((resolve) => (reached = resolve));
		const running = await startKeyServer(
			options({
				// Far above the test's own timeout: the close must end because the request did.
				drainTimeoutMs: 600_000,
				evaluator: {
					evaluate: async () => {
						reached();
						await held;
						return { allowed: true };
					},
				},
			}),
		);
		const agent = new Agent({ keepAlive: true });
		const viaAgent = (path: string, method = 'GET', payload?: string) =>
			new Promise<number>((resolve, reject) => {
				const req = httpRequest(
					new URL(path, running.url),
					{ method, headers: SDK_HEADERS, agent },
					(res) => {
						res.resume();
						res.on('end', () => resolve(res.statusCode ?? 0));
					},
				);
				req.on('error', reject);
				req.end(payload);
			});
		try {
			const pending = viaAgent('/v1/fetch_key', 'POST', body);
			await atEvaluator;
			// A second connection, answered and then idle in the agent's pool.
			expect(await viaAgent('/health')).toBe(200);
			let closed = false;
			const closing = running.close().then(() => (closed = true));
			await new Promise((resolve) => setTimeout(resolve, 50));
			expect(closed).toBe(false);
			expect(running.inFlight()).toBe(1);
			// The idle connection was closed by the server: no request gets in during the drain.
			await expect(viaAgent('/health')).rejects.toThrow();
			release();
			expect(await pending).toBe(200);
			const afterAnswer = performance.now();
			await closing;
			expect(performance.now() - afterAnswer).toBeLessThan(5_000);
			expect(running.inFlight()).toBe(0);
		} finally {
			release();
			agent.destroy();
			await running.close();
		}
	});

	it('the drain is bounded by drainTimeoutMs', async () => {
		let reached!: () => void;
		const atEvaluator = new Promise<void>((resolve) => (reached = resolve));
		const running = await startKeyServer(
			options({
				drainTimeoutMs: 100,
				evaluator: {
					evaluate: () => {
						reached();
						return new Promise(() => {});
					},
				},
			}),
		);
		const pending = send(running.url, { body }).catch((error: unknown) => error);
		await atEvaluator;
		const started = performance.now();
		await running.close();
		const took = performance.now() - started;
		expect(took).toBeGreaterThanOrEqual(90);
		expect(took).toBeLessThan(2000);
		// The stuck request's connection is cut, not answered.
		expect(await pending).toBeInstanceOf(Error);
	});
});

describe('isJsonContentType', () => {
	it('application/json or application/*+json, parameters and case ignored', () => {
		for (const yes of [
			'application/json',
			'Application/JSON; charset=utf-8',
			' application/json ;x=1',
			'application/ld+json',
		]) {
			expect(isJsonContentType(yes), yes).toBe(true);
		}
		for (const no of [
			undefined,
			'',
			'text/json',
			'application/jsonx',
			'application/xjson',
			'application/json+x',
			'xapplication/json',
			'application/ json',
			'application/json/x',
		]) {
			expect(isJsonContentType(no), String(no)).toBe(false);
		}
	});
});

// Last: these start worker threads (slow), so the fast tests above meet a mutant first.
describe('worker threads', () => {
	it('takes the curve backend and worker count asked for; workers default to the cores', async () => {
		const noble = await startKeyServer(options({ curveBackend: 'noble', workers: 1 }));
		// No `workers` at all: the default.
		const { workers: _, ...byDefault } = options();
		const pooled = await startKeyServer(byDefault);
		try {
			expect(noble.curveBackend).toBe('noble');
			expect(noble.workers).toBe(1);
			expect(pooled.workers).toBe(defaultWorkerCount());
			expect(pooled.curveBackend).toBe('mcl');
			// Both answer: the keys come from the worker threads.
			for (const running of [noble, pooled]) {
				expect((await send(running.url, { body })).status).toBe(200);
			}
		} finally {
			await Promise.all([noble.close(), pooled.close()]);
		}
	});

	it('a failed listen stops the worker threads it had started', async () => {
		const ports = () =>
			process.getActiveResourcesInfo().filter((kind) => kind === 'MessagePort').length;
		const before = ports();
		await expect(startKeyServer(options({ workers: 1, port: server.port }))).rejects.toThrow(
			KeyServerStartError,
		);
		expect(ports()).toBe(before);
	});
});
