/**
 * The localnet's Permissioned server: a fresh 32-byte seed, one client with derived key index 0
 * serving the published policy package (its first-version id), registered on chain the way
 * upstream's docs register a permissioned client (docs/content/KeyServerOps.mdx "Register a
 * client": `create_and_transfer_v2_independent_server(name, url, 0, <derived public key>)`).
 * The seed reaches only the server's environment (`MASTER_KEY`) and is zeroed here after spawn.
 */
import { join } from 'node:path';
import type { Signer } from '@mysten/sui/cryptography';
import { writeFileAtomic } from '../atomic-file.js';
import type { Logger } from '../logger.js';
import type { SuiClient } from '../chain/sui-client.js';
import {
	executeTransaction,
	findCreatedObject,
	type ExecutedTransaction,
} from '../chain/transactions.js';
import type { Transaction } from '@mysten/sui/transactions';
import { keyServerChildEnv, keyServerStartArgs, metricsPort } from './keyservers.js';
import type { LocalnetPaths } from './paths.js';
import { derivedClientPublicKey, generateSeed } from './permissioned-key.js';
import { spawnDetached, type DetachedChild } from './processes.js';
import { buildRegisterKeyServerTx } from './register.js';
import type { PermissionedRecord } from './state.js';
import type { TopologyCommand } from './committee.js';
import { permissionedYaml } from './topology-configs.js';

export const PERMISSIONED_NAME = 'localnet-permissioned';
export const PERMISSIONED_CLIENT_NAME = 'localnet-policy-client';
export const PERMISSIONED_DERIVATION_INDEX = 0;

/** Our key server, or Mysten's binary, on the Permissioned config; the seed only in the env. */
export function permissionedCommand(options: {
	mystenBinary: string | undefined;
	nodeExecPath: string;
	cliPath: string;
	configPath: string;
	port: number;
	seedHex: string;
}): TopologyCommand {
	if (options.mystenBinary !== undefined) {
		return {
			command: options.mystenBinary,
			args: [],
			env: {
				CONFIG_PATH: options.configPath,
				MASTER_KEY: options.seedHex,
				PORT: String(options.port),
			},
			implementation: 'mysten',
		};
	}
	return {
		command: options.nodeExecPath,
		args: keyServerStartArgs(options.cliPath, options.configPath, options.port),
		// Both names our key server reads, so an inherited value can never win over this seed.
		env: { SEAL_KEYSERVER_MASTER_KEY: options.seedHex, MASTER_KEY: options.seedHex },
		implementation: 'harness',
	};
}

export interface StartPermissionedOptions {
	client: SuiClient;
	admin: Signer;
	sealPackageId: string;
	rpcUrl: string;
	/** First-version id of the policy package the client may use. */
	policyPackageId: string;
	port: number;
	metricsIndex: number;
	paths: LocalnetPaths;
	env: NodeJS.ProcessEnv;
	mystenBinary: string | undefined;
	nodeExecPath: string;
	cliPath: string;
	logger: Logger;
	onStarted: (record: PermissionedRecord, child: DetachedChild) => Promise<void>;
	signal?: AbortSignal | undefined;
	/** Runs the registration PTB (default: sign with `admin` and execute on `client`). */
	execute?: (transaction: Transaction, label: string) => Promise<ExecutedTransaction>;
	/** Starts the server (default: spawnDetached). */
	spawn?: typeof spawnDetached;
}

export async function startPermissioned(
	options: StartPermissionedOptions,
): Promise<PermissionedRecord> {
	options.signal?.throwIfAborted();
	const url = `http://127.0.0.1:${options.port}`;
	const seed = generateSeed();
	try {
		const publicKey = derivedClientPublicKey(seed, PERMISSIONED_DERIVATION_INDEX);
		const execute =
			options.execute ??
			((transaction: Transaction, label: string) =>
				executeTransaction({
					client: options.client,
					signer: options.admin,
					transaction,
					logger: options.logger,
					label,
				}));
		const executed = await execute(
			buildRegisterKeyServerTx({
				sealPackageId: options.sealPackageId,
				name: PERMISSIONED_CLIENT_NAME,
				url,
				publicKey,
			}),
			`register permissioned client ${PERMISSIONED_CLIENT_NAME}`,
		);
		const objectId = findCreatedObject(executed, {
			address: options.sealPackageId,
			module: 'key_server',
			name: 'KeyServer',
		});
		const configPath = join(options.paths.keyServerConfigDir, `${PERMISSIONED_NAME}.yaml`);
		await writeFileAtomic(
			configPath,
			permissionedYaml({
				sealPackageId: options.sealPackageId,
				nodeUrl: options.rpcUrl,
				clientName: PERMISSIONED_CLIENT_NAME,
				derivationIndex: PERMISSIONED_DERIVATION_INDEX,
				keyServerObjectId: objectId,
				packageIds: [options.policyPackageId],
				metricsPort: metricsPort(options.metricsIndex),
			}),
		);
		const spec = permissionedCommand({
			mystenBinary: options.mystenBinary,
			nodeExecPath: options.nodeExecPath,
			cliPath: options.cliPath,
			configPath,
			port: options.port,
			seedHex: Buffer.from(seed).toString('hex'),
		});
		const logFile = join(options.paths.logsDir, `${PERMISSIONED_NAME}.log`);
		let child: DetachedChild;
		try {
			child = await (options.spawn ?? spawnDetached)({
				part: PERMISSIONED_NAME,
				command: spec.command,
				args: spec.args,
				env: keyServerChildEnv(options.env, spec.env),
				cwd: options.paths.root,
				logFile,
				signal: options.signal,
			});
		} finally {
			for (const name of Object.keys(spec.env)) spec.env[name] = '';
		}
		const record: PermissionedRecord = {
			name: PERMISSIONED_NAME,
			url,
			port: options.port,
			pid: child.pid,
			implementation: spec.implementation,
			logFile,
			objectId,
			clientName: PERMISSIONED_CLIENT_NAME,
			derivationIndex: PERMISSIONED_DERIVATION_INDEX,
			packageIds: [options.policyPackageId],
		};
		await options.onStarted(record, child);
		options.logger.info(
			`  ${PERMISSIONED_NAME}: client ${PERMISSIONED_CLIENT_NAME} ${objectId} at ${url} (pid ${child.pid}, ${spec.implementation})`,
		);
		return record;
	} finally {
		seed.fill(0);
	}
}
