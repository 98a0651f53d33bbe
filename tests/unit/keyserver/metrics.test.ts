/**
 * The metrics module on its own: the names, types, labels, help texts and buckets Mysten's key
 * server registers (MystenLabs/seal crates/key-server/src/metrics.rs at
 * 9aa4dc0867a7cf08095a72b07a92976785c74175; `uptime` from crates/key-server/src/server.rs),
 * uptime from an injected clock, `time()` on success and failure, and the `/metrics` listener
 * (GET and HEAD only, 404 elsewhere, 500 when collection fails, a typed error when the port is
 * taken). The whole-server view (counters moving with real requests) is in
 * keyserver-operations.test.ts.
 */
import { connect, createServer } from 'node:net';
import { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { KeyServerStartError } from '../../../ts/keyserver/errors.js';
import { KeyServerMetrics, startMetricsServer } from '../../../ts/keyserver/metrics.js';
import { KEY_SERVER_VERSION } from '../../../ts/keyserver/protocol.js';

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };

/** Mysten's `default_fast_call_duration_buckets()`: buckets(10, 100, 10). */
const FAST = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

async function describeMetric(metrics: KeyServerMetrics, name: string) {
	const metric = metrics.registry.getSingleMetric(name);
	expect(metric, name).toBeDefined();
	const data = (await metric!.get()) as unknown as {
		type: string;
		help: string;
		values: Sample[];
	};
	const buckets = data.values
		.filter((value) => value.metricName === `${name}_bucket`)
		.map((value) => value.labels.le)
		.filter((le) => le !== '+Inf');
	return { type: data.type, help: data.help, data, buckets };
}

describe('metric definitions (parity with Mysten key server)', () => {
	const expected: [string, string, string, string[], number[]][] = [
		['total_requests', 'counter', 'Total number of fetch_key requests received', [], []],
		['service_requests', 'counter', 'Total number of service requests received', [], []],
		[
			'internal_errors',
			'counter',
			'Total number of internal errors by type',
			['internal_error_type'],
			[],
		],
		[
			'requests_per_number_of_ids',
			'histogram',
			'Total number of requests per number of ids',
			[],
			[0, 1, 2, 3, 4, 5],
		],
		['check_policy_duration', 'histogram', 'Duration of check_policy', [], FAST],
		['fetch_pkg_ids_duration', 'histogram', 'Duration of fetch_pkg_ids', [], FAST],
		[
			'http_request_duration_millis',
			'histogram',
			'HTTP request duration in milliseconds',
			['route', 'status'],
			FAST,
		],
		['http_requests_total', 'counter', 'Total number of HTTP requests', ['route', 'status'], []],
		['http_request_in_flight', 'gauge', 'Number of HTTP requests in flight', ['route'], []],
		[
			'sui_rpc_request_duration_millis',
			'histogram',
			'Sui RPC request duration and status in milliseconds',
			['method', 'status'],
			FAST,
		],
	];

	for (const [name, type, help, labels, buckets] of expected) {
		it(`${name}: ${type}, labels [${labels.join(', ')}]`, async () => {
			const metrics = new KeyServerMetrics();
			const field = Object.values(metrics).find(
				(value) => (value as { name?: string })?.name === name,
			) as { labelNames?: string[] } | undefined;
			expect(field, `a field of KeyServerMetrics registers ${name}`).toBeDefined();
			expect(field!.labelNames ?? []).toEqual(labels);
			const described = await describeMetric(metrics, name);
			expect(described.type).toBe(type);
			expect(described.help).toBe(help);
			if (type === 'histogram') {
				// One observation per bucket edge (and one past the last) makes every bucket visible.
				const histogram = metrics.registry.getSingleMetric(name) as unknown as {
					observe(labels: Record<string, string>, value: number): void;
				};
				const sample = Object.fromEntries(labels.map((label) => [label, 'x']));
				histogram.observe(sample, 1);
				const after = await describeMetric(metrics, name);
				expect(after.buckets).toEqual(buckets);
			}
		});
	}

	it('the requests-per-ids buckets count each id count in its own bucket', async () => {
		const metrics = new KeyServerMetrics();
		for (const ids of [0, 1, 1, 3, 5, 7]) metrics.idsPerRequest.observe(ids);
		const { data } = await describeMetric(metrics, 'requests_per_number_of_ids');
		const cumulative = Object.fromEntries(
			data.values
				.filter((value) => value.metricName === 'requests_per_number_of_ids_bucket')
				.map((value) => [String(value.labels.le), value.value]),
		);
		expect(cumulative).toEqual({ '0': 1, '1': 3, '2': 3, '3': 4, '4': 4, '5': 5, '+Inf': 6 });
	});

	it('key_server_version is 1 for the running version; uptime counts whole seconds', async () => {
		let clock = 1_000_000;
		const metrics = new KeyServerMetrics(() => clock);
		const text = async () => metrics.registry.metrics();
		expect(await text()).toContain(`key_server_version{version="${KEY_SERVER_VERSION}"} 1\n`);
		expect(await text()).toContain(`uptime{version="${KEY_SERVER_VERSION}"} 0\n`);
		clock += 2_999;
		expect(await text()).toContain(`uptime{version="${KEY_SERVER_VERSION}"} 2\n`);
		clock += 1;
		expect(await text()).toContain(`uptime{version="${KEY_SERVER_VERSION}"} 3\n`);
		const uptime = await describeMetric(metrics, 'uptime');
		expect(uptime.help).toBe('uptime of the key server in seconds');
		const sdk = await describeMetric(metrics, 'client_sdk_version');
		expect(sdk.type).toBe('counter');
		expect((metrics.sdkVersions as unknown as { labelNames: string[] }).labelNames).toEqual([
			'sdk_type',
			'version',
		]);
	});

	it('uses the real clock by default', async () => {
		const metrics = new KeyServerMetrics();
		expect(await metrics.registry.metrics()).toContain(
			`uptime{version="${KEY_SERVER_VERSION}"} 0\n`,
		);
	});

	it('each instance has its own registry (two servers in one process do not collide)', async () => {
		const a = new KeyServerMetrics();
		const b = new KeyServerMetrics();
		a.requests.inc();
		expect(await a.registry.metrics()).toContain('total_requests 1\n');
		expect(await b.registry.metrics()).toContain('total_requests 0\n');
	});
});

describe('time()', () => {
	it('observes the duration in milliseconds of work that resolves, and returns its value', async () => {
		const metrics = new KeyServerMetrics();
		const value = await metrics.time(metrics.checkPolicyDuration, async () => {
			await new Promise((resolve) => setTimeout(resolve, 30));
			return 'done';
		});
		expect(value).toBe('done');
		const values = (await metrics.checkPolicyDuration.get()).values as Sample[];
		const count = values.find((v) => v.metricName === 'check_policy_duration_count')!.value;
		const sum = values.find((v) => v.metricName === 'check_policy_duration_sum')!.value;
		expect(count).toBe(1);
		expect(sum).toBeGreaterThanOrEqual(25);
		expect(sum).toBeLessThan(5_000);
	});

	it('observes work that throws, and rethrows the same error', async () => {
		const metrics = new KeyServerMetrics();
		const failure = new Error('policy said no');
		await expect(
			metrics.time(metrics.fetchPkgIdsDuration, async () => {
				throw failure;
			}),
		).rejects.toBe(failure);
		const values = (await metrics.fetchPkgIdsDuration.get()).values as Sample[];
		expect(values.find((v) => v.metricName === 'fetch_pkg_ids_duration_count')!.value).toBe(1);
		const sum = values.find((v) => v.metricName === 'fetch_pkg_ids_duration_sum')!.value;
		expect(sum).toBeGreaterThanOrEqual(0);
		expect(sum).toBeLessThan(5_000);
	});
});

function rawRequest(port: number, request: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = connect(port, '127.0.0.1', () => socket.write(request));
		let text = '';
		socket.on('data', (chunk) => (text += chunk.toString()));
		socket.on('end', () => resolve(text));
		socket.on('error', reject);
	});
}

describe('the /metrics listener', () => {
	it('answers GET and HEAD on /metrics only, with the Prometheus content type', async () => {
		const metrics = new KeyServerMetrics();
		metrics.requests.inc(4);
		const endpoint = await startMetricsServer(metrics, '127.0.0.1', 0);
		try {
			expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}/metrics`);
			expect(endpoint.port).toBeGreaterThan(0);
			const get = await fetch(endpoint.url);
			expect(get.status).toBe(200);
			expect(get.headers.get('content-type')).toBe(metrics.registry.contentType);
			expect(await get.text()).toContain('total_requests 4\n');
			// With a query string the path is still /metrics.
			expect((await fetch(`${endpoint.url}?x=1`)).status).toBe(200);
			const head = await fetch(endpoint.url, { method: 'HEAD' });
			expect(head.status).toBe(200);
			expect(head.headers.get('content-type')).toBe(metrics.registry.contentType);
			expect(await head.text()).toBe('');
			// On the wire (fetch would hide a body): headers only.
			const raw = await rawRequest(
				endpoint.port,
				'HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
			);
			expect(raw).toMatch(/^HTTP\/1\.1 200 /);
			expect(raw).not.toContain('total_requests');
			for (const [path, method] of [
				['/metrics', 'POST'],
				['/metrics', 'DELETE'],
				['/', 'GET'],
				['/metrics/', 'GET'],
				['/health', 'GET'],
			] as const) {
				const res = await fetch(new URL(path, endpoint.url), { method });
				expect(res.status, `${method} ${path}`).toBe(404);
				expect(await res.text()).toBe('');
			}
		} finally {
			await endpoint.close();
		}
		await expect(fetch(endpoint.url)).rejects.toThrow();
	});

	it('answers 500 without a body when collecting fails', async () => {
		const metrics = new KeyServerMetrics();
		new Gauge({
			name: 'broken',
			help: 'a collector that fails',
			registers: [metrics.registry],
			collect() {
				throw new Error('collector failed');
			},
		});
		const endpoint = await startMetricsServer(metrics, '127.0.0.1', 0);
		try {
			const res = await fetch(endpoint.url);
			expect(res.status).toBe(500);
			expect(await res.text()).toBe('');
		} finally {
			await endpoint.close();
		}
	});

	it('close() resolves even with a keep-alive connection open', async () => {
		const metrics = new KeyServerMetrics();
		const endpoint = await startMetricsServer(metrics, '127.0.0.1', 0);
		const res = await fetch(endpoint.url, { headers: { Connection: 'keep-alive' } });
		await res.text();
		const closed = await Promise.race([
			endpoint.close().then(() => true),
			new Promise((resolve) => setTimeout(() => resolve(false), 2_000)),
		]);
		expect(closed).toBe(true);
	});

	it('close() does not wait for a request whose collection never finishes', async () => {
		const metrics = new KeyServerMetrics();
		new Gauge({
			name: 'stuck',
			help: 'a collector that never finishes',
			registers: [metrics.registry],
			collect: () => new Promise<void>(() => {}),
		});
		const endpoint = await startMetricsServer(metrics, '127.0.0.1', 0);
		const pending = fetch(endpoint.url).catch((error: unknown) => error);
		await new Promise((resolve) => setTimeout(resolve, 100));
		const closed = await Promise.race([
			endpoint.close().then(() => true),
			new Promise((resolve) => setTimeout(() => resolve(false), 2_000)),
		]);
		expect(closed).toBe(true);
		expect(await pending).toBeInstanceOf(Error);
	});

	it('a taken port is a KeyServerStartError naming host and port', async () => {
		const blocker = createServer();
		await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
		const port = (blocker.address() as { port: number }).port;
		try {
			const error = await startMetricsServer(new KeyServerMetrics(), '127.0.0.1', port).catch(
				(caught: unknown) => caught,
			);
			expect(error).toBeInstanceOf(KeyServerStartError);
			expect((error as Error).message).toContain(`127.0.0.1:${port}`);
			expect((error as Error).message).toMatch(/EADDRINUSE/);
			expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
		} finally {
			await new Promise((resolve) => blocker.close(resolve));
		}
	});

	it('brackets an IPv6 host in the URL', async (context) => {
		const metrics = new KeyServerMetrics();
		const endpoint = await startMetricsServer(metrics, '::1', 0).catch(() => undefined);
		if (!endpoint) {
			context.skip('no IPv6 loopback on this machine');
			return;
		}
		try {
			expect(endpoint.url).toBe(`http://[::1]:${endpoint.port}/metrics`);
			expect((await fetch(endpoint.url)).status).toBe(200);
		} finally {
			await endpoint.close();
		}
	});
});
