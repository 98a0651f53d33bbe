/**
 * `seal-policies keyserver genkey|gen-seed|derive-key|start`: our TypeScript Seal key server
 * (ts/keyserver). `genkey` prints a new master key and its public key; `gen-seed` and
 * `derive-key` mirror seal-cli's Permissioned-mode commands; `start` serves Mysten's HTTP API
 * with keys taken only from the environment, evaluating policies on a Sui full node.
 */
import { readFile } from 'node:fs/promises';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { InvalidInputError, UsageError } from '../../ts/errors.js';
import { KeyServerStartError } from '../../ts/keyserver/errors.js';
import { NodeAddressAliases } from '../../ts/keyserver/address-aliases.js';
import type { CommitteeModeConfig } from '../../ts/keyserver/committee/config.js';
import { loadCommitteeMemberKeys } from '../../ts/keyserver/committee/member-keys.js';
import { parseKeyServerConfig } from '../../ts/keyserver/config-file.js';
import { DEFAULT_CURVE_BACKEND, parseCurveBackendName } from '../../ts/keyserver/curve/backend.js';
import { NodeEvaluator } from '../../ts/keyserver/node-evaluator.js';
import {
	deriveMasterKey,
	generateSeed,
	parseDerivationIndex,
	parseSeedHex,
} from '../../ts/keyserver/derive-key.js';
import { loadPermissionedKeys, type ClientConfig } from '../../ts/keyserver/permissioned.js';
import {
	generateMasterKey,
	parseMasterKeyHex,
	publicKeyFromMasterKey,
} from '../../ts/keyserver/keys.js';
import { defaultWorkerCount } from '../../ts/keyserver/key-pool.js';
import { KeyServerMetrics, startMetricsServer } from '../../ts/keyserver/metrics.js';
import { MVR_REGISTRY_NODE_URL, MvrResolver } from '../../ts/keyserver/mvr.js';
import { NodePackageResolver } from '../../ts/keyserver/packages.js';
import { startKeyServer } from '../../ts/keyserver/server.js';
import { watchWrappers, wrapperAncestors } from '../../ts/keyserver/wrapper-watch.js';
import { normalizeObjectId } from '../../ts/identity.js';
import { NETWORK_NAMES } from '../../ts/chain/networks.js';
import { createSuiClient, parseSuiTransport } from '../../ts/chain/sui-client.js';
import { parseCommandArgs, rejectPositionals, usageErrors } from '../args.js';
import { subcommandUsage, type CliIo, type Command } from '../cli-io.js';

/** Environment variables holding the master key (first one set wins; never printed). */
export const MASTER_KEY_ENV = ['SEAL_KEYSERVER_MASTER_KEY', 'MASTER_KEY'] as const;

const USAGE = `usage:
  seal-policies keyserver genkey [--json]
      Generate a master key. PRINTS THE SECRET MASTER KEY (hex) and the public key (96-byte G2,
      hex) to stdout — that is its purpose. Store the master key in a secret store, register the
      public key on chain with key_server::create_and_transfer_v2_independent_server.

  seal-policies keyserver gen-seed [--json]
      Generate a 32-byte seed for Permissioned mode (seal-cli gen-seed). PRINTS THE SECRET SEED:
      it becomes MASTER_KEY of a server with server_mode !Permissioned.

  seal-policies keyserver derive-key --seed <hex> --index <n> [--show-master-key] [--json]
      The public key of the client key derived at index n (seal-cli derive-key; register it
      with create_and_transfer_v2_independent_server). --show-master-key also prints the
      derived master key (secret: only to hand it to a client, then mark it !Exported).

  seal-policies keyserver start --object-id <0x…> --node-url <url> [options]
  seal-policies keyserver start --config <key-server-config.yaml> [options]
      Serve the Seal key-server API (GET /v1/service, POST /v1/fetch_key, GET /health) and
      Prometheus metrics (GET /metrics on their own port).
      The master key is read ONLY from the environment: SEAL_KEYSERVER_MASTER_KEY (or MASTER_KEY,
      Mysten's name), 64 hex chars, optional 0x. It is never logged or written.
      In Permissioned mode MASTER_KEY is the seed from gen-seed, and each !Imported client's
      key is read from the variable its env_var names.
      --config <file>          Mysten's key-server-config.yaml (also CONFIG_PATH): network,
                               node_url, server_mode !Open or !Permissioned, metrics_host_port,
                               allowed_staleness,
                               session_key_ttl_max, rgp_update_interval; PORT from the environment
      --object-id <id>         on-chain KeyServer object id registered with this key's public key
      --node-url <url>         Sui full node for policy simulation (e.g. http://127.0.0.1:9000)
      --seal-package <id>      Seal package (published-at) id: run seal::time::check_staleness first
      --transport grpc|jsonrpc full-node API (default grpc; jsonrpc = dry run)
      --network <name>         network served (default localnet); on mainnet and testnet,
                               session keys may carry MVR names (testnet: read on mainnet)
      --host <host>            listen address (default 127.0.0.1)
      --port <n>               listen port (default PORT or 2024)
      --ttl-max-minutes <n>    longest session TTL accepted (default 30)
      --backend mcl|noble      curve arithmetic (default mcl; noble = reference, ~5x slower)
      --workers <n>            key-derivation threads (default: number of cores; 0 = none)
      --metrics-port <n|off>   Prometheus port (default metrics_host_port or 9184); both ports
                               are bound before the server is announced
      --check-node warn|fail|off  probe the full node (and the Seal package) before serving:
                               warn (default) prints a warning when it does not answer, fail
                               stops, off skips the probe
      Runs until SIGINT/SIGTERM (or until the npm/npx/tsx wrapper it runs under is gone), then
      finishes in-flight requests (at most 10 s) and exits.
      With server_mode !Committee in the config (a committee member): the share comes from
      MASTER_SHARE_V<n> (n = the committee version on chain, or the rotation target), is checked
      against this member's partial public key on chain, and GET /v1/debug/committee_partial_pk
      is served. See docs/keyserver-committee.md.

  seal-policies keyserver aggregator --config <aggregator-config.yaml> [options]
      The committee aggregator (Mysten's aggregator-config.yaml, also CONFIG_PATH): forwards
      POST /v1/fetch_key to the committee members read from chain, verifies every encrypted
      share and combines threshold of them. PORT (default 2024); metrics on 9184.
      --host <host>  --port <n>  --metrics-port <n|off>  --backend mcl|noble  --workers <n>
      --transport grpc|jsonrpc`;

export const command: Command = {
	summary: 'genkey | gen-seed | derive-key | start: our TypeScript Seal key server',
	usage: USAGE,
	usageFor: (subcommand) => subcommandUsage(USAGE, 'keyserver', subcommand),
	async run(args, io) {
		const [sub, ...rest] = args;
		if (sub === 'genkey') return genkey(rest, io);
		if (sub === 'gen-seed') return genSeed(rest, io);
		if (sub === 'derive-key') return deriveKey(rest, io);
		if (sub === 'start') return start(rest, io);
		if (sub === 'aggregator') {
			return (await import('./keyserver-aggregator.js')).runAggregator(rest, io, USAGE);
		}
		throw new UsageError(
			'subcommand',
			`expected 'genkey', 'gen-seed', 'derive-key', 'start' or 'aggregator', got '${sub ?? ''}'`,
		);
	},
};

async function genkey(args: string[], io: CliIo): Promise<number> {
	if (args.length > 0)
		throw new UsageError('genkey', `takes no arguments, got '${args.join(' ')}'`);
	const masterKey = generateMasterKey();
	const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;
	const result = { masterKey: hex(masterKey), publicKey: hex(publicKeyFromMasterKey(masterKey)) };
	masterKey.fill(0);
	io.result(result, `Master key: ${result.masterKey}\nPublic key: ${result.publicKey}`);
	return 0;
}

/** seal-cli `gen-seed`: `Seed: 0x…` (the seed is the secret; printing it is the purpose). */
async function genSeed(args: string[], io: CliIo): Promise<number> {
	if (args.length > 0)
		throw new UsageError('gen-seed', `takes no arguments, got '${args.join(' ')}'`);
	const seed = generateSeed();
	const result = { seed: `0x${Buffer.from(seed).toString('hex')}` };
	seed.fill(0);
	io.result(result, `Seed: ${result.seed}`);
	return 0;
}

const DERIVE_OPTIONS = {
	seed: { type: 'string' },
	index: { type: 'string' },
	'show-master-key': { type: 'boolean', default: false },
} as const;

/** seal-cli `derive-key`, but the master key only with --show-master-key. */
async function deriveKey(args: string[], io: CliIo): Promise<number> {
	const { values, positionals } = parseCommandArgs(args, DERIVE_OPTIONS, USAGE);
	rejectPositionals(positionals, USAGE);
	const seed = usageErrors(() => parseSeedHex(required(values.seed, 'seed')), '--seed');
	const index = usageErrors(() => parseDerivationIndex(required(values.index, 'index')), '--index');
	const masterKey = deriveMasterKey(seed, index);
	seed.fill(0);
	const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;
	const publicKey = hex(publicKeyFromMasterKey(masterKey));
	const show = values['show-master-key'] === true;
	const result = {
		index: index.toString(),
		publicKey,
		...(show ? { masterKey: hex(masterKey) } : {}),
	};
	masterKey.fill(0);
	io.result(
		result,
		show ? `Master key: ${result.masterKey}\nPublic key: ${publicKey}` : `Public key: ${publicKey}`,
	);
	return 0;
}

/** What `start` runs with, from flags or from Mysten's config file. */
export interface StartSettings {
	/** Open mode's object id (undefined in Permissioned mode). */
	objectId: string | undefined;
	/** Permissioned mode's validated clients (from the config file). */
	clientConfigs?: ClientConfig[];
	nodeUrl: string;
	sealPackageId: string | undefined;
	port: number;
	ttlMaxMinutes: number;
	metricsPort: number | undefined;
	allowedStalenessMs: number | undefined;
	rgpUpdateIntervalMs: number | undefined;
	/** Network served (`mainnet`, `testnet`, …): where MVR names resolve. */
	network: string;
	/** `server_mode: !Committee` from the config file. */
	committee?: CommitteeModeConfig;
}

const START_OPTIONS = {
	config: { type: 'string' },
	'object-id': { type: 'string' },
	'node-url': { type: 'string' },
	'seal-package': { type: 'string' },
	transport: { type: 'string', default: 'grpc' },
	network: { type: 'string', default: 'localnet' },
	host: { type: 'string', default: '127.0.0.1' },
	port: { type: 'string' },
	'ttl-max-minutes': { type: 'string' },
	backend: { type: 'string', default: DEFAULT_CURVE_BACKEND },
	workers: { type: 'string' },
	'metrics-port': { type: 'string' },
	'check-node': { type: 'string' },
} as const;

/** Flags and environment → settings; `--config`/CONFIG_PATH excludes the per-field flags. */
export async function startSettings(
	values: { [K in keyof typeof START_OPTIONS]?: string | undefined },
	env: NodeJS.ProcessEnv,
	logger: CliIo['logger'],
): Promise<StartSettings> {
	const configPath = values.config ?? (env['CONFIG_PATH'] || undefined);
	const metricsFlag = values['metrics-port'];
	const metricsFromFlag =
		metricsFlag === undefined
			? undefined
			: metricsFlag === 'off'
				? -1
				: integer(metricsFlag, 'metrics-port', 0, 65535);
	const portDefault = env['PORT'] ? integer(env['PORT'], 'PORT', 0, 65535, 'PORT') : 2024;
	const port = values.port === undefined ? portDefault : integer(values.port, 'port', 0, 65535);
	if (configPath) {
		for (const flag of ['object-id', 'node-url', 'seal-package', 'ttl-max-minutes'] as const) {
			if (values[flag] !== undefined) {
				throw new InvalidInputError(
					flag,
					`--${flag} cannot be combined with --config (set it in the file)`,
				);
			}
		}
		let text: string;
		try {
			text = await readFile(configPath, 'utf8');
		} catch (error) {
			throw new InvalidInputError(
				'config',
				`cannot read ${configPath}: ${(error as Error).message}`,
				{
					cause: error,
				},
			);
		}
		const file = parseKeyServerConfig(text, env);
		if (file.ignored.length > 0) {
			logger.warn(`config: ignoring ${file.ignored.join(', ')} (not used by this key server)`);
		}
		return {
			objectId: file.keyServerObjectId,
			...(file.clientConfigs ? { clientConfigs: file.clientConfigs } : {}),
			nodeUrl: file.nodeUrl,
			sealPackageId: file.sealPackageId,
			port,
			ttlMaxMinutes: file.sessionKeyTtlMaxMinutes,
			metricsPort: metricsFromFlag === -1 ? undefined : (metricsFromFlag ?? file.metricsPort),
			allowedStalenessMs: file.allowedStalenessMs,
			rgpUpdateIntervalMs: file.rgpUpdateIntervalMs,
			network: file.network.toLowerCase(),
			...(file.committee ? { committee: file.committee } : {}),
		};
	}
	// Same id rule as every other command: 0x and all 64 digits, never zero-padded.
	const id = (value: string, flag: string) =>
		usageErrors(() => normalizeObjectId(value, flag), flag);
	const sealPackage = values['seal-package'];
	return {
		objectId: id(required(values['object-id'], 'object-id'), '--object-id'),
		nodeUrl: nodeUrl(required(values['node-url'], 'node-url')),
		sealPackageId: sealPackage === undefined ? undefined : id(sealPackage, '--seal-package'),
		port,
		ttlMaxMinutes: integer(values['ttl-max-minutes'] ?? '30', 'ttl-max-minutes', 1, 24 * 60),
		metricsPort: metricsFromFlag === -1 ? undefined : (metricsFromFlag ?? 9184),
		allowedStalenessMs: undefined,
		rgpUpdateIntervalMs: undefined,
		network: values.network ?? 'localnet',
	};
}

async function start(args: string[], io: CliIo): Promise<number> {
	// Before anything slow: a wrapper that dies during start-up must already be on the list.
	const wrappers = wrapperAncestors();
	const { values, positionals } = parseCommandArgs(args, START_OPTIONS, USAGE);
	rejectPositionals(positionals, USAGE);
	const settings = await startSettings(values, io.env, io.logger);
	const curveBackend = usageErrors(() => parseCurveBackendName(values.backend), '--backend');
	const workers =
		values.workers === undefined ? undefined : integer(values.workers, 'workers', 0, 256);
	const checkNode = values['check-node'] ?? 'warn';
	if (checkNode !== 'fail' && checkNode !== 'warn' && checkNode !== 'off') {
		throw new UsageError('--check-node', `expected warn, fail or off, got '${checkNode}'`);
	}
	if (!(NETWORK_NAMES as readonly string[]).includes(values.network)) {
		throw new UsageError(
			'--network',
			`unknown network '${values.network}'; use one of ${NETWORK_NAMES.join(', ')}`,
		);
	}
	const transport = usageErrors(() => parseSuiTransport(values.transport), '--transport');
	// Permissioned: the seed and every imported key leave the environment here (permissioned.ts);
	// a committee member's shares are read below, once the chain can be asked.
	const keys = settings.committee
		? undefined
		: settings.clientConfigs
			? { clients: loadPermissionedKeys(settings.clientConfigs, io.env, io.logger) }
			: { masterKey: takeMasterKeyFromEnv(io.env), objectId: settings.objectId! };
	const wipeKeys = () => {
		if (keys === undefined) return;
		if ('clients' in keys) for (const client of keys.clients) client.masterKey.fill(0);
		else keys.masterKey.fill(0);
	};

	const client = createSuiClient({ network: values.network, rpcUrl: settings.nodeUrl, transport });
	// A committee member reads its share and checks it against the chain before anything else.
	let fatal: ((reason: string) => void) | undefined;
	let fatalReason: string | undefined;
	const committee = settings.committee
		? await loadCommitteeMemberKeys({
				client,
				config: settings.committee,
				env: io.env,
				backend: curveBackend,
				workers: workers ?? defaultWorkerCount(),
				logger: io.logger,
				onFatal: (error) => fatal?.(error.message),
			})
		: undefined;
	if (checkNode !== 'off') {
		const problem = await probeNode(client, settings.sealPackageId);
		if (problem && checkNode === 'fail') {
			wipeKeys();
			await committee?.close();
			throw new KeyServerStartError(`full node ${settings.nodeUrl}: ${problem}`);
		}
		if (problem) io.logger.warn(`full node ${settings.nodeUrl}: ${problem}`);
		else io.logger.info(`full node ${settings.nodeUrl} answers`);
	}
	if (!settings.sealPackageId) {
		io.logger.warn('no --seal-package: the staleness check (seal::time) is skipped');
	}
	const metrics = new KeyServerMetrics();
	const onRpc = (method: string, ok: boolean, ms: number) =>
		metrics.rpcDuration.observe({ method, status: ok ? 'success' : 'failure' }, ms);
	// Both ports are bound before anything is announced: a clash names its flag, and no
	// "listening" line precedes the failure.
	let metricsServer;
	try {
		metricsServer =
			settings.metricsPort === undefined
				? undefined
				: await startMetricsServer(metrics, values.host, settings.metricsPort);
	} catch (error) {
		wipeKeys();
		await committee?.close();
		throw new KeyServerStartError(
			`${(error as Error).message}: choose another port with --metrics-port <n>, or --metrics-port off`,
			{ cause: error },
		);
	}
	const evaluator = new NodeEvaluator({
		client,
		...(settings.sealPackageId ? { sealPackageId: settings.sealPackageId } : {}),
		...(settings.allowedStalenessMs !== undefined
			? { allowedStalenessMs: settings.allowedStalenessMs }
			: {}),
		...(settings.rgpUpdateIntervalMs !== undefined
			? { rgpUpdateIntervalMs: settings.rgpUpdateIntervalMs }
			: {}),
		onRpc,
	});
	// Testnet MVR names live in the mainnet registry, read on mainnet's default node (as Mysten).
	const mvr = new MvrResolver({
		network: settings.network,
		client,
		...(settings.network.toLowerCase() === 'testnet'
			? {
					registryClient: createSuiClient({
						network: 'mainnet',
						rpcUrl: MVR_REGISTRY_NODE_URL,
						transport: usageErrors(() => parseSuiTransport(values.transport)),
					}),
				}
			: {}),
		onRpc,
	});
	let server;
	try {
		server = await startKeyServer({
			announce: false,
			...(committee ? { committee, objectId: settings.objectId! } : keys!),
			evaluator,
			packages: new NodePackageResolver(client),
			host: values.host,
			port: settings.port,
			ttlMaxMinutes: settings.ttlMaxMinutes,
			logger: io.logger,
			suiClient: client,
			curveBackend,
			...(workers !== undefined ? { workers } : {}),
			metrics,
			addressAliases: new NodeAddressAliases(client, { onRpc }),
			mvr,
		});
	} catch (error) {
		await metricsServer?.close();
		await committee?.close();
		if (error instanceof KeyServerStartError && /EADDRINUSE/.test(error.message)) {
			throw new KeyServerStartError(`${error.message}: choose another port with --port <n>`, {
				cause: error,
			});
		}
		throw error;
	} finally {
		wipeKeys();
	}
	// Listen for the stop conditions before announcing the server (a test or supervisor may
	// signal as soon as it sees the line).
	const reason = new Promise<string>((resolve) => {
		process.once('SIGINT', () => resolve('SIGINT'));
		process.once('SIGTERM', () => resolve('SIGTERM'));
		watchWrappers(wrappers, () => resolve('its npm/npx/tsx wrapper is gone'));
		fatal = (why) => {
			fatalReason = why;
			resolve(`committee member must stop: ${why}`);
		};
	});
	const served = server.clients
		?.map(
			(c) => `${c.name} ${c.objectId} (public key 0x${Buffer.from(c.publicKey).toString('hex')})`,
		)
		.join('; ');
	io.result(
		{
			url: server.url,
			objectId: server.objectId,
			publicKey: server.publicKey,
			...(server.clients ? { clients: server.clients } : {}),
			metricsUrl: metricsServer?.url,
			backend: server.curveBackend,
			workers: server.workers,
		},
		served
			? `Seal key server (Permissioned, ${server.clients!.length} client(s): ${served}) at ${server.url} (${server.curveBackend} backend, ${server.workers} worker(s)${metricsServer ? `; metrics at ${metricsServer.url}` : ''})`
			: `Seal key server ${server.objectId} at ${server.url} (${committee ? `committee member${committee.memberName ? ` ${committee.memberName}` : ''}, partial ` : ''}public key 0x${Buffer.from(server.publicKey).toString('hex')}; ${server.curveBackend} backend, ${server.workers} worker(s)${metricsServer ? `; metrics at ${metricsServer.url}` : ''})`,
	);
	const stopReason = await reason;
	io.logger.info(
		`stopping key server (${stopReason}): finishing ${server.inFlight()} in-flight request(s)`,
	);
	// A second signal while draining stops at once.
	const hardStop = () => process.exit(1);
	process.once('SIGINT', hardStop);
	process.once('SIGTERM', hardStop);
	await Promise.all([server.close(), metricsServer?.close()]);
	// A committee member that had to stop serving (share mismatch after rotation) exits non-zero.
	return fatalReason === undefined ? 0 : 1;
}

/** One cheap call (and the Seal package, when known); a problem as text, or undefined. */
export async function probeNode(
	client: ClientWithCoreApi,
	sealPackageId: string | undefined,
	timeoutMs = 10_000,
): Promise<string | undefined> {
	const timeout = new Promise<string>((resolve) =>
		setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs).unref(),
	);
	const probe = (async () => {
		try {
			await client.core.getReferenceGasPrice();
		} catch (error) {
			return `unreachable: ${(error as Error).message}`;
		}
		if (sealPackageId) {
			try {
				await client.core.getObject({ objectId: sealPackageId });
			} catch (error) {
				return `Seal package ${sealPackageId} not found: ${(error as Error).message}`;
			}
		}
		return undefined;
	})();
	return Promise.race([probe, timeout]);
}

/** Reads the master key and removes it from `env`, so children of this process never inherit it. */
export function takeMasterKeyFromEnv(env: NodeJS.ProcessEnv): Uint8Array {
	const masterKey = masterKeyFromEnv(env);
	for (const name of MASTER_KEY_ENV) delete env[name];
	return masterKey;
}

/** The master key from the environment; its value never appears in errors or output. */
export function masterKeyFromEnv(env: NodeJS.ProcessEnv): Uint8Array {
	for (const name of MASTER_KEY_ENV) {
		const value = env[name];
		if (value === undefined || value === '') continue;
		try {
			return parseMasterKeyHex(value);
		} catch (error) {
			throw new InvalidInputError(name, 'is not a valid master key (64 hex chars, optional 0x)', {
				cause: error,
			});
		}
	}
	throw new InvalidInputError(
		MASTER_KEY_ENV[0],
		`not set: export ${MASTER_KEY_ENV[0]}=<hex> (from 'seal-policies keyserver genkey')`,
	);
}

function required(value: string | undefined, name: string): string {
	if (!value)
		throw new UsageError(`--${name}`, `is required (see 'seal-policies keyserver --help')`);
	return value;
}

function integer(
	value: string,
	name: string,
	min: number,
	max: number,
	field = `--${name}`,
): number {
	const n = /^-?[0-9]+$/.test(value.trim()) ? Number(value) : NaN;
	if (!Number.isInteger(n) || n < min || n > max) {
		throw new UsageError(field, `expected an integer in ${min}..${max}, got '${value}'`);
	}
	return n;
}

/** `--node-url`: an http(s) URL (checked here so the message names the flag). */
function nodeUrl(value: string): string {
	let parsed: URL | undefined;
	try {
		parsed = new URL(value);
	} catch {
		parsed = undefined;
	}
	if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
		throw new UsageError(
			'--node-url',
			`expected an http(s) URL such as http://127.0.0.1:9000, got '${value}'`,
		);
	}
	return value;
}
