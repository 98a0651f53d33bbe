/**
 * The record `localnet up` leaves for `down` and `status`: what was started (pids, ports, logs)
 * and the on-chain ids. It holds no secrets: master keys only ever exist in the key-server
 * processes' environment (committee shares and the permissioned seed too), so a stopped key
 * server cannot be restarted without a new `up`.
 */
import { readFile, rm } from 'node:fs/promises';

import { writeFileAtomic } from '../atomic-file.js';
import { LocalnetError } from './errors.js';

export type KeyServerImplementation = 'harness' | 'mysten';

export interface KeyServerRecord {
	name: string;
	objectId: string;
	url: string;
	port: number;
	pid: number | undefined;
	implementation: KeyServerImplementation;
	logFile: string;
}

/** A child process of the stack other than the node (member, aggregator, permissioned server). */
export interface ProcessRecord {
	name: string;
	url: string;
	port: number;
	pid: number | undefined;
	implementation: KeyServerImplementation;
	logFile: string;
}

/** One committee member: its party, the address its config names, its on-chain partial key. */
export interface CommitteeMemberRecord extends ProcessRecord {
	partyId: number;
	memberAddress: string;
	/** Hex of the 96-byte partial public key registered for this party (public). */
	partialPublicKey: string;
}

/** The localnet committee: one on-chain KeyServer (Committee type), its members, its aggregator. */
export interface CommitteeRecord {
	name: string;
	objectId: string;
	threshold: number;
	size: number;
	/** Committee version on chain (0 after creation); members read MASTER_SHARE_V<version>. */
	version: number;
	members: CommitteeMemberRecord[];
	aggregator: ProcessRecord | undefined;
}

/** The Permissioned server and its one client (derived key index 0, the policy package). */
export interface PermissionedRecord extends ProcessRecord {
	/** The client's on-chain KeyServer object (registered with the derived public key). */
	objectId: string;
	clientName: string;
	derivationIndex: number;
	packageIds: string[];
}

export interface LocalnetState {
	version: 1;
	startedAt: string;
	rpcUrl: string;
	faucetUrl: string;
	chainId: string | undefined;
	node: { pid: number | undefined; logFile: string };
	sealPackageId: string | undefined;
	sealReleaseTag: string;
	policyPackageId: string | undefined;
	threshold: number;
	admin: string | undefined;
	keyServers: KeyServerRecord[];
	/** `--committee T-of-N`: members and aggregator (absent: no committee). */
	committee?: CommitteeRecord | undefined;
	/** `--permissioned`: the Permissioned server (absent: none). */
	permissioned?: PermissionedRecord | undefined;
	/** Set when `up` failed: which part, and the report it printed (exit code, log tail). */
	failure?: LocalnetFailure | undefined;
}

export interface LocalnetFailure {
	part: string;
	message: string;
	at: string;
}

/** Reads the state file; `undefined` when there is none (nothing was started). */
export async function readLocalnetState(path: string): Promise<LocalnetState | undefined> {
	let text: string;
	try {
		text = await readFile(path, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw error;
	}
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new LocalnetError(
			'state',
			`${path} is not JSON; run \`seal-policies localnet down\` and delete it`,
			{
				cause: error,
			},
		);
	}
	if (!isState(value)) {
		throw new LocalnetError(
			'state',
			`${path} has an unknown layout; stop leftover processes and delete it`,
		);
	}
	return value;
}

/** Writes atomically (temp file + rename) so `down` never reads half a record. */
export async function writeLocalnetState(path: string, state: LocalnetState): Promise<void> {
	await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

export async function removeLocalnetState(path: string): Promise<void> {
	await rm(path, { force: true });
}

function isState(value: unknown): value is LocalnetState {
	if (typeof value !== 'object' || value === null) return false;
	const v = value as Partial<LocalnetState>;
	return v.version === 1 && Array.isArray(v.keyServers) && typeof v.node === 'object';
}
