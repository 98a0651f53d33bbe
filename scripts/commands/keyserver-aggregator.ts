/**
 * `seal-policies keyserver aggregator --config aggregator-config.yaml`: parsing and printing for
 * the committee aggregator (ts/keyserver/aggregator). Mysten's aggregator reads CONFIG_PATH and
 * PORT; both work here too (flags win).
 */
import { readFile } from 'node:fs/promises';
import { InvalidInputError, UsageError } from '../../ts/errors.js';
import { KeyServerStartError } from '../../ts/keyserver/errors.js';
import { parseAggregatorConfig } from '../../ts/keyserver/aggregator/config.js';
import { AggregatorMetrics } from '../../ts/keyserver/aggregator/metrics.js';
import { startAggregator } from '../../ts/keyserver/aggregator/server.js';
import { DEFAULT_CURVE_BACKEND, parseCurveBackendName } from '../../ts/keyserver/curve/backend.js';
import { defaultWorkerCount } from '../../ts/keyserver/key-pool.js';
import { startMetricsServer } from '../../ts/keyserver/metrics.js';
import { NodePackageResolver } from '../../ts/keyserver/packages.js';
import { watchWrappers, wrapperAncestors } from '../../ts/keyserver/wrapper-watch.js';
import { createSuiClient, parseSuiTransport } from '../../ts/chain/sui-client.js';
import { parseCommandArgs, rejectPositionals, usageErrors } from '../args.js';
import type { CliIo } from '../cli-io.js';

const OPTIONS = {
	config: { type: 'string' },
	host: { type: 'string', default: '127.0.0.1' },
	port: { type: 'string' },
	'metrics-port': { type: 'string' },
	backend: { type: 'string', default: DEFAULT_CURVE_BACKEND },
	workers: { type: 'string' },
	transport: { type: 'string', default: 'grpc' },
} as const;

export async function runAggregator(args: string[], io: CliIo, usage: string): Promise<number> {
	const wrappers = wrapperAncestors();
	const { values, positionals } = parseCommandArgs(args, OPTIONS, usage);
	rejectPositionals(positionals, usage);
	const path = values.config ?? (io.env['CONFIG_PATH'] || undefined);
	if (!path) {
		throw new UsageError(
			'--config',
			"is required: Mysten's aggregator-config.yaml (or CONFIG_PATH)",
		);
	}
	let text: string;
	try {
		text = await readFile(path, 'utf8');
	} catch (error) {
		throw new InvalidInputError('config', `cannot read ${path}: ${(error as Error).message}`, {
			cause: error,
		});
	}
	const config = parseAggregatorConfig(text, io.env);
	if (config.ignored.length > 0) {
		io.logger.warn(`config: ignoring ${config.ignored.join(', ')} (not used by this aggregator)`);
	}
	const port = integer(values.port ?? io.env['PORT'] ?? '2024', values.port ? '--port' : 'PORT', 0);
	const metricsFlag = values['metrics-port'] ?? '9184';
	const metricsPort = metricsFlag === 'off' ? undefined : integer(metricsFlag, '--metrics-port', 0);
	const workers =
		values.workers === undefined
			? defaultWorkerCount()
			: integer(values.workers, '--workers', 0, 256);
	const curveBackend = usageErrors(() => parseCurveBackendName(values.backend), '--backend');
	const transport = usageErrors(() => parseSuiTransport(values.transport), '--transport');
	const client = createSuiClient({
		network: config.network.toLowerCase() as 'devnet' | 'testnet' | 'mainnet',
		rpcUrl: config.nodeUrl,
		transport,
	});
	const metrics = new AggregatorMetrics();
	let metricsServer;
	try {
		metricsServer =
			metricsPort === undefined
				? undefined
				: await startMetricsServer(metrics, values.host, metricsPort);
	} catch (error) {
		throw new KeyServerStartError(
			`${(error as Error).message}: choose another port with --metrics-port <n>, or --metrics-port off`,
			{ cause: error },
		);
	}
	let aggregator;
	try {
		aggregator = await startAggregator({
			config,
			client,
			packages: new NodePackageResolver(client),
			host: values.host,
			port,
			logger: io.logger,
			metrics,
			curveBackend,
			workers,
		});
	} catch (error) {
		await metricsServer?.close();
		throw error;
	}
	const reason = new Promise<string>((resolve) => {
		process.once('SIGINT', () => resolve('SIGINT'));
		process.once('SIGTERM', () => resolve('SIGTERM'));
		watchWrappers(wrappers, () => resolve('its npm/npx/tsx wrapper is gone'));
	});
	const committee = aggregator.committee();
	io.result(
		{
			url: aggregator.url,
			keyServerObjectId: config.keyServerObjectId,
			threshold: committee.threshold,
			members: committee.members.map((m) => ({ name: m.name, url: m.url, partyId: m.partyId })),
			metricsUrl: metricsServer?.url,
			workers: aggregator.workers,
		},
		`Seal aggregator for ${config.keyServerObjectId} at ${aggregator.url} (${committee.threshold}-of-${committee.members.length}: ${committee.members.map((m) => m.name).join(', ')}${metricsServer ? `; metrics at ${metricsServer.url}` : ''})`,
	);
	const why = await reason;
	io.logger.info(`stopping aggregator (${why})`);
	await Promise.all([aggregator.close(), metricsServer?.close()]);
	return 0;
}

function integer(value: string, field: string, min: number, max = 65535): number {
	const n = /^[0-9]+$/.test(value.trim()) ? Number(value) : NaN;
	if (!Number.isInteger(n) || n < min || n > max) {
		throw new UsageError(field, `expected an integer in ${min}..${max}, got '${value}'`);
	}
	return n;
}
