/**
 * Key-server processes of the localnet: n master keys, n on-chain registrations, n servers on
 * 127.0.0.1 ports. The master key is handed to its server only through the child's environment
 * (`MASTER_KEY`) and zeroed here after the spawn; it is never written to disk.
 */
import { join } from 'node:path';
import type { Signer } from '@mysten/sui/cryptography';
import { generateMasterKey, publicKeyFromMasterKey } from '../keyserver/keys.js';
import type { Logger } from '../logger.js';
import type { SuiClient } from '../chain/sui-client.js';
import { executeTransaction, findCreatedObject } from '../chain/transactions.js';
import { mystenKeyServerYaml } from './keyserver-config.js';
import { childEnvironment, spawnDetached, type DetachedChild } from './processes.js';
import { buildRegisterKeyServerTx } from './register.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { KeyServerImplementation, KeyServerRecord } from './state.js';
import type { LocalnetPaths } from './paths.js';

export interface KeyServerLaunch {
	name: string;
	objectId: string;
	url: string;
	port: number;
	/** Hex master key for the child's env only. */
	masterKeyHex: string;
}

/** How a key-server child is started: command, args and the env it needs on top of ours. */
export interface KeyServerCommand {
	command: string;
	args: string[];
	env: Record<string, string>;
	implementation: KeyServerImplementation;
}

/** Metrics port of Mysten's server i (its default 9184 would collide between servers). */
export function metricsPort(index: number): number {
	return 9_200 + index;
}

/**
 * The arguments that run our key server (`seal-policies keyserver start --config FILE`) on a
 * localnet port, for every mode (Open, Permissioned, committee member): the file decides the mode.
 */
export function keyServerStartArgs(cliPath: string, configPath: string, port: number): string[] {
	return [
		'--import',
		'tsx',
		cliPath,
		'keyserver',
		'start',
		'--config',
		configPath,
		'--host',
		'127.0.0.1',
		'--port',
		String(port),
		'--network',
		'localnet',
	];
}

/** Our key server (`seal-policies keyserver start --config`) on the same file as Mysten's binary. */
export function harnessKeyServerCommand(options: {
	launch: KeyServerLaunch;
	nodeExecPath: string;
	cliPath: string;
	configPath: string;
}): KeyServerCommand {
	const { launch } = options;
	return {
		command: options.nodeExecPath,
		args: keyServerStartArgs(options.cliPath, options.configPath, launch.port),
		// Both names our key server reads, so an inherited value can never win over this key.
		env: { SEAL_KEYSERVER_MASTER_KEY: launch.masterKeyHex, MASTER_KEY: launch.masterKeyHex },
		implementation: 'harness',
	};
}

/** Mysten's `key-server` binary with the YAML written at `configPath`. */
export function mystenKeyServerCommand(options: {
	launch: KeyServerLaunch;
	binary: string;
	configPath: string;
}): KeyServerCommand {
	return {
		command: options.binary,
		args: [],
		env: {
			CONFIG_PATH: options.configPath,
			MASTER_KEY: options.launch.masterKeyHex,
			PORT: String(options.launch.port),
		},
		implementation: 'mysten',
	};
}

export interface StartKeyServersOptions {
	client: SuiClient;
	admin: Signer;
	sealPackageId: string;
	rpcUrl: string;
	count: number;
	basePort: number;
	paths: LocalnetPaths;
	env: NodeJS.ProcessEnv;
	/** Mysten's binary when set (SEAL_KEY_SERVER_BIN); else our key server. */
	mystenBinary: string | undefined;
	nodeExecPath: string;
	cliPath: string;
	logger: Logger;
	/** Called as soon as a child runs, so a later failure still leaves its pid recorded. */
	onStarted: (record: KeyServerRecord, child: DetachedChild) => Promise<void>;
	/** When aborted (another part died), no further server is registered or started. */
	signal?: AbortSignal | undefined;
}

/** Generates keys, registers each server on chain, then starts it. */
export async function startKeyServers(options: StartKeyServersOptions): Promise<KeyServerRecord[]> {
	const records: KeyServerRecord[] = [];
	for (let i = 0; i < options.count; i++) {
		const name = `localnet-key-server-${i + 1}`;
		const port = options.basePort + i;
		const url = `http://127.0.0.1:${port}`;
		options.signal?.throwIfAborted();
		const masterKey = generateMasterKey();
		try {
			const publicKey = publicKeyFromMasterKey(masterKey);
			const executed = await executeTransaction({
				client: options.client,
				signer: options.admin,
				transaction: buildRegisterKeyServerTx({
					sealPackageId: options.sealPackageId,
					name,
					url,
					publicKey,
				}),
				logger: options.logger,
				label: `register ${name}`,
			});
			const objectId = findCreatedObject(executed, {
				address: options.sealPackageId,
				module: 'key_server',
				name: 'KeyServer',
			});
			const launch: KeyServerLaunch = {
				name,
				objectId,
				url,
				port,
				masterKeyHex: Buffer.from(masterKey).toString('hex'),
			};
			// One Mysten-format config file per server, read by either implementation.
			const configPath = join(options.paths.keyServerConfigDir, `${name}.yaml`);
			await writeFileAtomic(
				configPath,
				mystenKeyServerYaml({
					sealPackageId: options.sealPackageId,
					nodeUrl: options.rpcUrl,
					keyServerObjectId: objectId,
					metricsPort: metricsPort(i),
				}),
			);
			const spec: KeyServerCommand = options.mystenBinary
				? mystenKeyServerCommand({ launch, binary: options.mystenBinary, configPath })
				: harnessKeyServerCommand({
						launch,
						nodeExecPath: options.nodeExecPath,
						cliPath: options.cliPath,
						configPath,
					});
			const logFile = join(options.paths.logsDir, `${name}.log`);
			const child = await spawnDetached({
				part: name,
				command: spec.command,
				args: spec.args,
				env: keyServerChildEnv(options.env, spec.env),
				cwd: options.paths.root,
				logFile,
				signal: options.signal,
			});
			const { pid } = child;
			const record: KeyServerRecord = {
				name,
				objectId,
				url,
				port,
				pid,
				implementation: spec.implementation,
				logFile,
			};
			records.push(record);
			await options.onStarted(record, child);
			options.logger.info(`  ${name}: ${objectId} at ${url} (pid ${pid}, ${spec.implementation})`);
		} finally {
			masterKey.fill(0);
		}
	}
	return records;
}

/** Variables a key server may take from us besides PATH and HOME: log verbosity only. */
const KEY_SERVER_PASS_THROUGH = ['RUST_LOG', 'RUST_BACKTRACE'];

/**
 * The child's environment: PATH, HOME (and RUST_LOG) from ours plus what its command needs.
 * Built up, not filtered down: no secret of ours (SUI_PRIVATE_KEY, another server's master key)
 * and no variable that changes its configuration (Mysten's server panics on NODE_URL when its
 * YAML sets node_url) can reach it.
 */
export function keyServerChildEnv(
	parent: NodeJS.ProcessEnv,
	own: Record<string, string>,
): NodeJS.ProcessEnv {
	return childEnvironment(parent, own, KEY_SERVER_PASS_THROUGH);
}
