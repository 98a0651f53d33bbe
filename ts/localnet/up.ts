/**
 * `localnet up`: a localnet node with a faucet, Mysten's Seal package, our policy package and n
 * registered key servers (default 3, threshold 2) — optionally a committee behind an aggregator
 * and a Permissioned server too (./topology.ts) — recorded for `down`/`status`, the tests and
 * the CLI (`deployments/localnet.json`, `.env.localnet`). On failure everything started so far is
 * stopped again (logs stay in .localnet/logs).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Keypair } from '@mysten/sui/cryptography';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { updateDeployment } from '../chain/deployments.js';
import { LocalnetError } from './errors.js';
import type { Logger } from '../logger.js';
import { buildEnvironment } from '../move/build-env.js';
import { buildMovePackage } from '../move/build.js';
import { publishAndRecord, publishPackage } from '../move/publish.js';
import { NETWORKS } from '../chain/networks.js';
import { createSuiClient, type SuiClient } from '../chain/sui-client.js';
import { writePrivateClientConfig } from './client-config.js';
import { writeFileAtomic } from '../atomic-file.js';
import { localnetDown } from './down.js';
import { renderLocalnetEnv } from './env-file.js';
import { startKeyServers } from './keyservers.js';
import { AGGREGATOR_NAME, startCommittee } from './committee.js';
import { LocalnetTopologyError } from './errors.js';
import { startPermissioned } from './permissioned.js';
import { renderLocalnetConfigYaml } from './servers.js';
import { stackParts } from './stack-parts.js';
import {
	describeServers,
	resolveTopology,
	topologyPorts,
	type CommitteeShape,
} from './topology.js';
import { localnetPaths, type LocalnetPaths } from './paths.js';
import { busyPorts } from './ports.js';
import { childEnvironment, isAlive, spawnDetached } from './processes.js';
import { ensureSealCheckout, LOCALNET_ENV, SEAL_RELEASE_TAG } from './seal-package.js';
import { readLocalnetState, writeLocalnetState, type LocalnetState } from './state.js';
import { StackWatch } from './watch.js';
import { requireSui } from './sui.js';
import { probeHttp, probeKeyServer, probeNode, waitFor } from './wait.js';

export { DEFAULT_SERVER_COUNT, DEFAULT_THRESHOLD } from './topology.js';
export const DEFAULT_KEY_SERVER_PORT = 2024;
const RPC_PORT = 9000;
const FAUCET_PORT = 9123;

export interface LocalnetUpOptions {
	/** Project root (holds move/, deployments/, .localnet/). */
	root: string;
	env: NodeJS.ProcessEnv;
	logger: Logger;
	/** Independent Open servers (default 3, or 0 with a committee / permissioned server). */
	serverCount?: number;
	/** Client threshold over all servers (default min(2, total weight)). */
	threshold?: number;
	/** `--committee T-of-N`: a committee behind an aggregator, weight 1 in the client config. */
	committee?: CommitteeShape | undefined;
	/** `--permissioned`: a Permissioned server with one client for the policy package. */
	permissioned?: boolean;
	basePort?: number;
	/** Clone cache of Mysten's Seal repo (default .localnet/cache). */
	cacheDir?: string;
	fetch?: typeof fetch;
	/** Node startup can take a while on a cold machine. */
	startTimeoutMs?: number;
}

export interface LocalnetUpResult {
	state: LocalnetState;
	paths: LocalnetPaths;
	/** Funded admin of this localnet (publisher; in memory only). */
	admin: Keypair;
}

/** Checks the numbers before anything starts. */
export function checkStackSize(serverCount: number, threshold: number): void {
	if (!Number.isInteger(serverCount) || serverCount < 1 || serverCount > 20) {
		throw new LocalnetError(
			'key servers',
			`--server-count ${serverCount} must be an integer from 1 to 20`,
		);
	}
	if (!Number.isInteger(threshold) || threshold < 1 || threshold > serverCount) {
		throw new LocalnetError(
			'key servers',
			`--threshold ${threshold} must be an integer from 1 to ${serverCount}`,
		);
	}
}

export async function localnetUp(options: LocalnetUpOptions): Promise<LocalnetUpResult> {
	const { env, logger } = options;
	const fetchFn = options.fetch ?? fetch;
	const topology = resolveTopology({
		serverCount: options.serverCount,
		threshold: options.threshold,
		committee: options.committee,
		permissioned: options.permissioned,
	});
	const { serverCount, threshold } = topology;
	const basePort = options.basePort ?? DEFAULT_KEY_SERVER_PORT;
	const topologyPortList = topologyPorts(topology, basePort);
	const mystenBinary = env['SEAL_KEY_SERVER_BIN']?.trim() || undefined;
	if (topology.committee && mystenBinary !== undefined) {
		// Mysten's member finds its party through the seal_committee `Committee` object that owns
		// the KeyServer (sui_rpc_client.rs fetch_partial_key_server_for_member); the localnet
		// committee is created directly with key_server functions and has no such owner.
		throw new LocalnetTopologyError(
			'SEAL_KEY_SERVER_BIN',
			"Mysten's key-server binary cannot be a member of the localnet committee (it needs a seal_committee DKG committee); unset SEAL_KEY_SERVER_BIN or drop --committee",
		);
	}
	const sui = requireSui(env);
	const paths = localnetPaths(options.root, options.cacheDir);
	const { rpcUrl, faucetUrl } = NETWORKS.localnet;
	const faucet = faucetUrl ?? `http://127.0.0.1:${FAUCET_PORT}/gas`;

	const previous = await readLocalnetState(paths.stateFile);
	if (previous?.node.pid !== undefined && isAlive(previous.node.pid)) {
		throw new LocalnetError(
			'node',
			`already running (pid ${previous.node.pid}); run \`seal-policies localnet down\` first`,
		);
	}
	const ports = [RPC_PORT, FAUCET_PORT, ...topologyPortList.all];
	const busy = await busyPorts(ports);
	if (busy.length > 0) {
		throw new LocalnetError(
			'ports',
			`127.0.0.1 port(s) ${busy.join(', ')} already in use; stop whatever listens there (another localnet?)`,
		);
	}

	await mkdir(paths.logsDir, { recursive: true });
	await writePrivateClientConfig(paths.suiConfigDir, rpcUrl);
	const childEnv: NodeJS.ProcessEnv = { ...env, SUI_CONFIG_DIR: paths.suiConfigDir };
	const state: LocalnetState = {
		version: 1,
		startedAt: new Date().toISOString(),
		rpcUrl,
		faucetUrl: faucet,
		chainId: undefined,
		node: { pid: undefined, logFile: join(paths.logsDir, 'sui.log') },
		sealPackageId: undefined,
		sealReleaseTag: SEAL_RELEASE_TAG,
		policyPackageId: undefined,
		threshold,
		admin: undefined,
		keyServers: [],
	};
	// Saves run one after another; once start-up has failed, none starts any more and the one
	// in flight is awaited before `down`, so nothing rewrites what `down` recorded.
	let failed = false;
	let lastSave: Promise<unknown> = Promise.resolve();
	const save = (): Promise<void> => {
		const next = lastSave.then(() =>
			failed ? undefined : writeLocalnetState(paths.stateFile, state),
		);
		lastSave = next.catch(() => undefined);
		return next;
	};
	// Reports the first child that exits during start-up, at once (not at the next timeout).
	const watch = new StackWatch();
	const { signal } = watch;

	const steps = async (): Promise<LocalnetUpResult> => {
		logger.info(`[1/7] starting sui (${sui}) — log: ${state.node.logFile}`);
		const node = await spawnDetached({
			part: 'node',
			command: sui,
			args: ['start', '--with-faucet', '--force-regenesis'],
			// Only what `sui start` needs: its config dir, PATH, HOME (and log verbosity).
			env: childEnvironment(env, { SUI_CONFIG_DIR: paths.suiConfigDir }, [
				'RUST_LOG',
				'RUST_BACKTRACE',
			]),
			cwd: paths.root,
			logFile: state.node.logFile,
			signal,
		});
		state.node.pid = node.pid;
		watch.watch('node', 'sui', node, state.node.logFile);
		await save();
		const waitOptions = {
			timeoutMs: options.startTimeoutMs ?? 180_000,
			intervalMs: 1_000,
			signal,
		};
		// A fresh client per probe: nothing from a failed attempt is cached.
		state.chainId = await waitFor(
			'node',
			`RPC at ${rpcUrl}`,
			() => probeNode(createSuiClient({ network: 'localnet', rpcUrl })),
			waitOptions,
		);
		await waitFor('faucet', `faucet at ${faucet}`, () => probeHttp(fetchFn, faucet), waitOptions);
		logger.info(`      chain ${state.chainId}; faucet ready`);

		logger.info('[2/7] funding the admin account');
		const client = createSuiClient({ network: 'localnet', rpcUrl });
		const admin = Ed25519Keypair.generate();
		state.admin = admin.toSuiAddress();
		await fundFromFaucet({ client, faucetUrl: faucet, address: state.admin });
		await save();

		logger.info(`[3/7] publishing Mysten's Seal package (${SEAL_RELEASE_TAG})`);
		const checkout = await ensureSealCheckout({ cacheDir: paths.cacheDir, logger });
		const sealBuilt = await buildMovePackage({
			packagePath: join(checkout, 'move', 'seal'),
			environment: buildEnvironment(LOCALNET_ENV, state.chainId, rpcUrl),
			env: childEnv,
			logger,
		});
		const seal = await publishPackage({ client, signer: admin, built: sealBuilt, logger });
		state.sealPackageId = seal.packageId;
		await save();
		logger.info(`      seal package ${seal.packageId}`);

		logger.info('[4/7] publishing seal_policies');
		const published = await publishAndRecord({
			client,
			signer: admin,
			network: 'localnet',
			packagePath: join(paths.root, 'move'),
			deploymentsDir: join(paths.root, 'deployments'),
			force: true,
			env: childEnv,
			rpcUrl,
			logger,
		});
		state.policyPackageId = published.record.originalPackageId;
		await save();

		logger.info(
			`[5/7] registering and starting key servers: ${describeServers(topology)} (threshold ${threshold})`,
		);
		const cliPath = join(paths.root, 'scripts', 'cli.ts');
		await startKeyServers({
			client,
			admin,
			sealPackageId: seal.packageId,
			rpcUrl,
			count: serverCount,
			basePort,
			paths,
			env: childEnv,
			mystenBinary,
			nodeExecPath: process.execPath,
			cliPath,
			logger,
			signal,
			onStarted: async (record, child) => {
				state.keyServers.push(record);
				watch.watch(record.name, 'key server', child, record.logFile);
				await save();
			},
		});
		if (topology.committee) {
			await startCommittee({
				client,
				admin,
				sealPackageId: seal.packageId,
				rpcUrl,
				shape: topology.committee,
				memberPorts: topologyPortList.members,
				aggregatorPort: topologyPortList.aggregator as number,
				metricsIndex: serverCount,
				paths,
				env: childEnv,
				aggregatorBinary: env['SEAL_AGGREGATOR_BIN']?.trim() || undefined,
				nodeExecPath: process.execPath,
				cliPath,
				logger,
				signal,
				onProgress: async (committee, started) => {
					state.committee = committee;
					if (started) {
						const kind =
							started.record.name === AGGREGATOR_NAME ? 'aggregator' : 'committee member';
						watch.watch(started.record.name, kind, started.child, started.record.logFile);
					}
					await save();
				},
			});
		}
		if (topology.permissioned) {
			await startPermissioned({
				client,
				admin,
				sealPackageId: seal.packageId,
				rpcUrl,
				policyPackageId: published.record.originalPackageId,
				port: topologyPortList.permissioned as number,
				metricsIndex: serverCount + (topology.committee?.size ?? 0),
				paths,
				env: childEnv,
				mystenBinary,
				nodeExecPath: process.execPath,
				cliPath,
				logger,
				signal,
				onStarted: async (record, child) => {
					state.permissioned = record;
					watch.watch(record.name, 'permissioned server', child, record.logFile);
					await save();
				},
			});
		}

		logger.info('[6/7] waiting for the key servers');
		for (const part of stackParts(state)) {
			await waitFor<unknown>(
				part.part,
				`${part.kind} at ${part.url} (log: ${part.logFile})`,
				() =>
					part.kind === 'aggregator'
						? probeHttp(fetchFn, part.url)
						: probeKeyServer(fetchFn, part.url),
				{ timeoutMs: 60_000, intervalMs: 500, signal },
			);
		}

		logger.info('[7/7] writing deployments/localnet.json and .env.localnet');
		await updateDeployment(join(paths.root, 'deployments'), 'localnet', (record) => ({
			...record,
			extra: {
				...record.extra,
				seal: {
					packageId: seal.packageId,
					releaseTag: SEAL_RELEASE_TAG,
					threshold,
					keyServers: state.keyServers.map(({ name, objectId, url }) => ({ name, objectId, url })),
					...(state.committee
						? {
								committee: {
									objectId: state.committee.objectId,
									threshold: state.committee.threshold,
									size: state.committee.size,
									aggregatorUrl: state.committee.aggregator?.url,
									members: state.committee.members.map(({ name, partyId, url }) => ({
										name,
										partyId,
										url,
									})),
								},
							}
						: {}),
					...(state.permissioned
						? {
								permissioned: {
									objectId: state.permissioned.objectId,
									url: state.permissioned.url,
									client: state.permissioned.clientName,
									packageIds: state.permissioned.packageIds,
								},
							}
						: {}),
				},
			},
		}));
		await writeFileAtomic(paths.configFile, renderLocalnetConfigYaml(state));
		// SEAL_CONFIG only when an entry needs more than its id (the committee's aggregatorUrl), so
		// an independent stack leaves the user's own config.yaml in charge as before.
		await writeFileAtomic(
			paths.envFile,
			renderLocalnetEnv(state, state.committee ? paths.configFile : undefined),
		);
		await save();
		return { state, paths, admin };
	};

	try {
		const result = await watch.guard(steps());
		// From here on the stack outlives `up`; `status` reports a part that dies later.
		watch.close();
		return result;
	} catch (caught) {
		// A child that exited explains every later symptom (refused connections, timeouts).
		const error = watch.failure ?? caught;
		failed = true;
		watch.close();
		await lastSave;
		logger.warn(`localnet up failed; stopping what was started (logs stay in ${paths.logsDir})`);
		await localnetDown({ root: options.root, logger }).catch(() => undefined);
		await recordFailure(paths.stateFile, error).catch(() => undefined);
		throw error;
	}
}

/** Marks the state file as failed, so `status` says so (and why) instead of "started". */
async function recordFailure(stateFile: string, error: unknown): Promise<void> {
	const state = await readLocalnetState(stateFile);
	if (state === undefined) return;
	state.failure = {
		part: error instanceof LocalnetError ? error.part : 'up',
		message: error instanceof Error ? error.message : String(error),
		at: new Date().toISOString(),
	};
	await writeLocalnetState(stateFile, state);
}

/** Asks the faucet for SUI and waits until the node shows a balance. */
export async function fundFromFaucet(options: {
	client: SuiClient;
	faucetUrl: string;
	address: string;
}): Promise<void> {
	const host = new URL(options.faucetUrl).origin;
	// The SDK throws a plain Error for a `Failure` reply; say which part failed and why.
	const response = await requestSuiFromFaucetV2({ host, recipient: options.address }).catch(
		(error: unknown) => {
			throw new LocalnetError(
				'faucet',
				`refused to fund ${options.address}: ${(error as Error).message}`,
				{ cause: error },
			);
		},
	);
	if (response.status !== 'Success') {
		throw new LocalnetError(
			'faucet',
			`refused to fund ${options.address}: ${JSON.stringify(response.status)}`,
		);
	}
	await waitFor(
		'faucet',
		`balance of ${options.address}`,
		async () => {
			const { balance } = await options.client.core.getBalance({ owner: options.address });
			return BigInt(balance.balance) > 0n ? true : undefined;
		},
		{ timeoutMs: 30_000, intervalMs: 500 },
	);
}
