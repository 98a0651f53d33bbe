/**
 * Prometheus metrics of the aggregator (prom-client), with upstream's names, labels and buckets
 * (MystenLabs/seal crates/key-server/src/metrics.rs `AggregatorMetrics`, `uptime_metric`,
 * `aggregator_metrics_middleware`, ddc7e5d6): `total_requests`, `internal_errors{internal_error_type}`,
 * `http_request_duration_millis{route,status}`, `http_requests_total{route,status}`,
 * `http_request_in_flight{route}`, `client_sdk_version{sdk_type,version}`,
 * `upstream_key_server_errors{key_server_name,error_type}`,
 * `key_server_fetch_duration_millis{key_server_name}`, `expected_key_ids_per_request`,
 * `sui_rpc_request_duration_millis{method,status}`, `uptime{version}`.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { KEY_SERVER_VERSION, KEY_SERVER_GIT_VERSION } from '../protocol.js';
import { buckets, sharedServerMetrics } from '../metrics.js';

/** `default_network_call_duration_buckets`. */
const NETWORK_CALL_BUCKETS = [25, 50, 100, 200, 500, 1000, 2000, 5000, 8000];

/** `KNOWN_ROUTES`: anything else is labelled `unknown`. */
const KNOWN_ROUTES = ['/v1/fetch_key', '/v1/service', '/v1/debug/committee_partial_pk', '/health'];
export const normalizeRoute = (path: string): string =>
	KNOWN_ROUTES.includes(path) ? path : 'unknown';

export class AggregatorMetrics {
	readonly registry = new Registry();
	readonly #shared = sharedServerMetrics(this.registry, NETWORK_CALL_BUCKETS);
	readonly requests = this.#shared.requests;
	readonly errors = this.#shared.errors;
	readonly httpDuration = this.#shared.httpDuration;
	readonly httpRequests = this.#shared.httpRequests;
	readonly inFlight = this.#shared.inFlight;
	readonly sdkVersions = this.#shared.sdkVersions;
	readonly rpcDuration = this.#shared.rpcDuration;
	readonly upstreamErrors = new Counter({
		name: 'upstream_key_server_errors',
		help: 'Errors from upstream key servers by server name and error type',
		labelNames: ['key_server_name', 'error_type'],
		registers: [this.registry],
	});
	readonly memberFetchDuration = new Histogram({
		name: 'key_server_fetch_duration_millis',
		help: 'Upstream key server fetch latency in milliseconds by server name',
		labelNames: ['key_server_name'],
		buckets: NETWORK_CALL_BUCKETS,
		registers: [this.registry],
	});
	readonly expectedKeyIds = new Histogram({
		name: 'expected_key_ids_per_request',
		help: 'Number of expected key ids per aggregator request',
		buckets: buckets(0, 10, 1),
		registers: [this.registry],
	});

	constructor(now: () => number = Date.now) {
		const started = now();
		new Counter({
			name: 'uptime',
			help: 'uptime of the aggregator server in seconds',
			labelNames: ['version'],
			registers: [this.registry],
			collect() {
				this.reset();
				this.inc(
					{ version: `${KEY_SERVER_VERSION}-${KEY_SERVER_GIT_VERSION}` },
					Math.floor((now() - started) / 1000),
				);
			},
		});
	}
}
