/**
 * Prometheus metrics of the key server (prom-client), named as Mysten's key server names them
 * where the meaning is the same (MystenLabs/seal crates/key-server/src/metrics.rs, read at
 * 9aa4dc0867a7cf08095a72b07a92976785c74175): `total_requests`, `service_requests`,
 * `internal_errors{internal_error_type}`, `requests_per_number_of_ids`, `check_policy_duration`,
 * `fetch_pkg_ids_duration`, `http_request_duration_millis{route,status}`,
 * `http_requests_total{route,status}`, `http_request_in_flight{route}`,
 * `sui_rpc_request_duration_millis{method,status}`, and from server.rs at ddc7e5d6
 * `client_sdk_version{sdk_type,version}`, `key_server_version{version}` and
 * `uptime{version}` (seconds); Permissioned mode only (server.rs `check_policy`, metrics.rs at
 * ddc7e5d6): `dry_run_gas_cost_per_package{package}`. Served on their own port (default 9184, `/metrics`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KeyServerStartError } from './errors.js';
import { KEY_SERVER_VERSION } from './protocol.js';

/** Mysten's `buckets(start, end, step)`: start, start+step, …, end. */
export function buckets(start: number, end: number, step: number): number[] {
	const out: number[] = [];
	for (let value = start; value < end; value += step) out.push(value);
	out.push(end);
	return out;
}
const FAST_CALL_BUCKETS = buckets(10, 100, 10);

/**
 * The metrics Mysten's key server and aggregator both expose under the same names and help
 * texts (metrics.rs): fetch_key requests, internal errors, the HTTP middleware's duration, count
 * and in-flight gauge, client SDK versions, and Sui RPC durations. Each binary has its own
 * duration buckets (fast calls for the key server, network calls for the aggregator).
 */
export function sharedServerMetrics(registry: Registry, durationBuckets: number[]) {
	const registers = [registry];
	return {
		requests: new Counter({
			name: 'total_requests',
			help: 'Total number of fetch_key requests received',
			registers,
		}),
		errors: new Counter({
			name: 'internal_errors',
			help: 'Total number of internal errors by type',
			labelNames: ['internal_error_type'],
			registers,
		}),
		httpDuration: new Histogram({
			name: 'http_request_duration_millis',
			help: 'HTTP request duration in milliseconds',
			labelNames: ['route', 'status'],
			buckets: durationBuckets,
			registers,
		}),
		httpRequests: new Counter({
			name: 'http_requests_total',
			help: 'Total number of HTTP requests',
			labelNames: ['route', 'status'],
			registers,
		}),
		inFlight: new Gauge({
			name: 'http_request_in_flight',
			help: 'Number of HTTP requests in flight',
			labelNames: ['route'],
			registers,
		}),
		sdkVersions: new Counter({
			name: 'client_sdk_version',
			help: 'Client SDK versions by type seen in requests',
			labelNames: ['sdk_type', 'version'],
			registers,
		}),
		rpcDuration: new Histogram({
			name: 'sui_rpc_request_duration_millis',
			help: 'Sui RPC request duration and status in milliseconds',
			labelNames: ['method', 'status'],
			buckets: durationBuckets,
			registers,
		}),
	};
}

export class KeyServerMetrics {
	readonly registry = new Registry();
	readonly #shared = sharedServerMetrics(this.registry, FAST_CALL_BUCKETS);
	readonly requests = this.#shared.requests;
	readonly errors = this.#shared.errors;
	readonly httpDuration = this.#shared.httpDuration;
	readonly httpRequests = this.#shared.httpRequests;
	readonly inFlight = this.#shared.inFlight;
	readonly sdkVersions = this.#shared.sdkVersions;
	readonly rpcDuration = this.#shared.rpcDuration;
	readonly serviceRequests = new Counter({
		name: 'service_requests',
		help: 'Total number of service requests received',
		registers: [this.registry],
	});
	readonly idsPerRequest = new Histogram({
		name: 'requests_per_number_of_ids',
		help: 'Total number of requests per number of ids',
		buckets: buckets(0, 5, 1),
		registers: [this.registry],
	});
	readonly checkPolicyDuration = new Histogram({
		name: 'check_policy_duration',
		help: 'Duration of check_policy',
		buckets: FAST_CALL_BUCKETS,
		registers: [this.registry],
	});
	readonly fetchPkgIdsDuration = new Histogram({
		name: 'fetch_pkg_ids_duration',
		help: 'Duration of fetch_pkg_ids',
		buckets: FAST_CALL_BUCKETS,
		registers: [this.registry],
	});
	/** Permissioned mode only: upstream keeps per-package labels out of Open mode (cardinality). */
	readonly dryRunGasCost = new Histogram({
		name: 'dry_run_gas_cost_per_package',
		help: 'Dry run gas cost per package',
		labelNames: ['package'],
		buckets: buckets(0, 500_000_000, 5_000_000),
		registers: [this.registry],
	});

	constructor(now: () => number = Date.now) {
		const started = now();
		new Gauge({
			name: 'uptime',
			help: 'uptime of the key server in seconds',
			labelNames: ['version'],
			registers: [this.registry],
			collect() {
				this.set({ version: KEY_SERVER_VERSION }, Math.floor((now() - started) / 1000));
			},
		});
		new Counter({
			name: 'key_server_version',
			help: 'The current key server version',
			labelNames: ['version'],
			registers: [this.registry],
		}).inc({ version: KEY_SERVER_VERSION });
	}

	/** Times `work` into `histogram` (milliseconds), whether it resolves or throws. */
	async time<T>(histogram: Histogram, work: () => Promise<T>): Promise<T> {
		const start = performance.now();
		try {
			return await work();
		} finally {
			histogram.observe(performance.now() - start);
		}
	}
}

export interface RunningMetricsServer {
	url: string;
	port: number;
	close(): Promise<void>;
}

/** `GET /metrics` on its own listener (Mysten: `metrics_host_port`, default 9184). */
export async function startMetricsServer(
	metrics: { registry: Registry },
	host: string,
	port: number,
): Promise<RunningMetricsServer> {
	const server: Server = createServer((req, res) => {
		const path = new URL(req.url ?? '/', 'http://localhost').pathname;
		if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
			res.writeHead(404).end();
			return;
		}
		metrics.registry.metrics().then(
			(text) => {
				// Node sends no body for HEAD itself.
				res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text);
			},
			() => res.writeHead(500).end(),
		);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', (error) =>
			reject(
				new KeyServerStartError(`cannot listen for metrics on ${host}:${port}: ${error.message}`, {
					cause: error,
				}),
			),
		);
		server.listen(port, host, () => resolve());
	});
	const bound = (server.address() as AddressInfo).port;
	const urlHost = host.includes(':') ? `[${host}]` : host;
	return {
		url: `http://${urlHost}:${bound}/metrics`,
		port: bound,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
