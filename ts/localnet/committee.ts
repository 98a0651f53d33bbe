/**
 * The localnet committee: a trusted dealer's shares (localnet only, ./dealer.ts), one PTB that
 * creates the committee `KeyServer` with its partial key servers (./committee-tx.ts), then n member
 * processes (`keyserver start --config member.yaml`, share in `MASTER_SHARE_V0`) and the
 * aggregator (`keyserver aggregator --config aggregator-config.yaml`), both in Mysten's formats.
 * Each share reaches only its member's environment and is zeroed here right after the spawn.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Signer } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { writeFileAtomic } from '../atomic-file.js';
import type { Logger } from '../logger.js';
import type { SuiClient } from '../chain/sui-client.js';
import {
	executeTransaction,
	findCreatedObject,
	type ExecutedTransaction,
} from '../chain/transactions.js';
import type { Transaction } from '@mysten/sui/transactions';
import { buildCreateCommitteeTx } from './committee-tx.js';
import { dealCommittee, wipeShares } from './dealer.js';
import { keyServerChildEnv, keyServerStartArgs, metricsPort } from './keyservers.js';
import type { LocalnetPaths } from './paths.js';
import { spawnDetached, type DetachedChild } from './processes.js';
import type {
	CommitteeMemberRecord,
	CommitteeRecord,
	KeyServerImplementation,
	ProcessRecord,
} from './state.js';
import type { CommitteeShape } from './topology.js';
import { aggregatorYaml, committeeMemberYaml } from './topology-configs.js';

export const COMMITTEE_NAME = 'localnet-committee';
export const AGGREGATOR_NAME = 'localnet-aggregator';
/** Header the aggregator sends each member (upstream's example and tests use X-API-Key). */
export const MEMBER_API_KEY_HEADER = 'X-API-Key';
/** The committee version `create_committee_v2` starts at; members read MASTER_SHARE_V<it>. */
export const INITIAL_COMMITTEE_VERSION = 0;

export function memberName(partyId: number): string {
	return `${COMMITTEE_NAME}-member-${partyId}`;
}

/** How a member or the aggregator is started: command, args, and env on top of PATH/HOME. */
export interface TopologyCommand {
	command: string;
	args: string[];
	env: Record<string, string>;
	implementation: KeyServerImplementation;
}

/** Our key server in committee mode on a Mysten-format member config. */
export function harnessMemberCommand(options: {
	nodeExecPath: string;
	cliPath: string;
	configPath: string;
	port: number;
	shareHex: string;
}): TopologyCommand {
	return {
		command: options.nodeExecPath,
		args: keyServerStartArgs(options.cliPath, options.configPath, options.port),
		env: { [`MASTER_SHARE_V${INITIAL_COMMITTEE_VERSION}`]: options.shareHex },
		implementation: 'harness',
	};
}

/** Our aggregator, or Mysten's `aggregator-server` binary: both read CONFIG_PATH and PORT. */
export function aggregatorCommand(options: {
	/** Mysten's binary (SEAL_AGGREGATOR_BIN) when set. */
	mystenBinary: string | undefined;
	nodeExecPath: string;
	cliPath: string;
	configPath: string;
	port: number;
}): TopologyCommand {
	const env = { CONFIG_PATH: options.configPath, PORT: String(options.port) };
	if (options.mystenBinary !== undefined) {
		return { command: options.mystenBinary, args: [], env, implementation: 'mysten' };
	}
	return {
		command: options.nodeExecPath,
		args: [
			'--import',
			'tsx',
			options.cliPath,
			'keyserver',
			'aggregator',
			'--config',
			options.configPath,
		],
		env,
		implementation: 'harness',
	};
}

export interface StartCommitteeOptions {
	client: SuiClient;
	admin: Signer;
	sealPackageId: string;
	rpcUrl: string;
	shape: CommitteeShape;
	memberPorts: readonly number[];
	aggregatorPort: number;
	/** Metrics port index of the first member (after the independent servers). */
	metricsIndex: number;
	paths: LocalnetPaths;
	env: NodeJS.ProcessEnv;
	aggregatorBinary: string | undefined;
	nodeExecPath: string;
	cliPath: string;
	logger: Logger;
	/** Called when the committee object exists (before any member runs) and after each start. */
	onProgress: (
		committee: CommitteeRecord,
		child?: { record: ProcessRecord; child: DetachedChild },
	) => Promise<void>;
	signal?: AbortSignal | undefined;
	/** Runs the creation PTB (default: sign with `admin` and execute on `client`). */
	execute?: (transaction: Transaction, label: string) => Promise<ExecutedTransaction>;
	/** Starts a child (default: spawnDetached). */
	spawn?: typeof spawnDetached;
}

export async function startCommittee(options: StartCommitteeOptions): Promise<CommitteeRecord> {
	const { shape } = options;
	if (options.memberPorts.length !== shape.size) {
		throw new RangeError(`${shape.size} members need ${shape.size} ports`);
	}
	options.signal?.throwIfAborted();
	const spawn = options.spawn ?? spawnDetached;
	const dealt = dealCommittee(shape.threshold, shape.size);
	try {
		const members = dealt.shares.map((share) => ({
			name: memberName(share.partyId),
			url: `http://127.0.0.1:${options.memberPorts[share.partyId]}`,
			partialPublicKey: share.partialPublicKey,
			// The address the member's config names; its key is not kept (it signs nothing here).
			memberAddress: Ed25519Keypair.generate().toSuiAddress(),
		}));
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
			buildCreateCommitteeTx({
				sealPackageId: options.sealPackageId,
				name: COMMITTEE_NAME,
				threshold: shape.threshold,
				masterPublicKey: dealt.masterPublicKey,
				members,
				owner: options.admin.toSuiAddress(),
			}),
			`create committee ${shape.threshold}-of-${shape.size}`,
		);
		const objectId = findCreatedObject(executed, {
			address: options.sealPackageId,
			module: 'key_server',
			name: 'KeyServer',
		});
		const committee: CommitteeRecord = {
			name: COMMITTEE_NAME,
			objectId,
			threshold: shape.threshold,
			size: shape.size,
			version: INITIAL_COMMITTEE_VERSION,
			members: [],
			aggregator: undefined,
		};
		await options.onProgress(committee);
		options.logger.info(`  committee ${objectId} (${shape.threshold}-of-${shape.size})`);

		for (const [partyId, member] of members.entries()) {
			options.signal?.throwIfAborted();
			const share = dealt.shares[partyId];
			if (share === undefined) throw new RangeError(`no share for party ${partyId}`);
			const port = options.memberPorts[partyId] as number;
			const configPath = join(options.paths.keyServerConfigDir, `${member.name}.yaml`);
			await writeFileAtomic(
				configPath,
				committeeMemberYaml({
					sealPackageId: options.sealPackageId,
					nodeUrl: options.rpcUrl,
					memberAddress: member.memberAddress,
					keyServerObjectId: objectId,
					metricsPort: metricsPort(options.metricsIndex + partyId),
				}),
			);
			const spec = harnessMemberCommand({
				nodeExecPath: options.nodeExecPath,
				cliPath: options.cliPath,
				configPath,
				port,
				shareHex: `0x${Buffer.from(share.share).toString('hex')}`,
			});
			const logFile = join(options.paths.logsDir, `${member.name}.log`);
			let child: DetachedChild;
			try {
				child = await spawn({
					part: member.name,
					command: spec.command,
					args: spec.args,
					env: keyServerChildEnv(options.env, spec.env),
					cwd: options.paths.root,
					logFile,
					signal: options.signal,
				});
			} finally {
				// The child has its copy (or never started); ours goes.
				share.share.fill(0);
				for (const name of Object.keys(spec.env)) spec.env[name] = '';
			}
			const record: CommitteeMemberRecord = {
				name: member.name,
				url: member.url,
				port,
				pid: child.pid,
				implementation: spec.implementation,
				logFile,
				partyId,
				memberAddress: member.memberAddress,
				partialPublicKey: Buffer.from(member.partialPublicKey).toString('hex'),
			};
			committee.members.push(record);
			await options.onProgress(committee, { record, child });
			options.logger.info(`  ${member.name}: party ${partyId} at ${member.url} (pid ${child.pid})`);
		}

		options.signal?.throwIfAborted();
		const configPath = join(options.paths.keyServerConfigDir, `${AGGREGATOR_NAME}.yaml`);
		// API keys are only for the aggregator's config (key servers do not check them); 0600.
		await writeFileAtomic(
			configPath,
			aggregatorYaml({
				sealPackageId: options.sealPackageId,
				nodeUrl: options.rpcUrl,
				keyServerObjectId: objectId,
				members: members.map((member) => ({
					name: member.name,
					apiKeyName: MEMBER_API_KEY_HEADER,
					apiKey: randomBytes(24).toString('base64url'),
				})),
			}),
			0o600,
		);
		const spec = aggregatorCommand({
			mystenBinary: options.aggregatorBinary,
			nodeExecPath: options.nodeExecPath,
			cliPath: options.cliPath,
			configPath,
			port: options.aggregatorPort,
		});
		const logFile = join(options.paths.logsDir, `${AGGREGATOR_NAME}.log`);
		const child = await spawn({
			part: AGGREGATOR_NAME,
			command: spec.command,
			args: spec.args,
			env: keyServerChildEnv(options.env, spec.env),
			cwd: options.paths.root,
			logFile,
			signal: options.signal,
		});
		const aggregator: ProcessRecord = {
			name: AGGREGATOR_NAME,
			url: `http://127.0.0.1:${options.aggregatorPort}`,
			port: options.aggregatorPort,
			pid: child.pid,
			implementation: spec.implementation,
			logFile,
		};
		committee.aggregator = aggregator;
		await options.onProgress(committee, { record: aggregator, child });
		options.logger.info(
			`  ${AGGREGATOR_NAME}: ${aggregator.url} (pid ${child.pid}, ${spec.implementation})`,
		);
		return committee;
	} finally {
		wipeShares(dealt);
	}
}
