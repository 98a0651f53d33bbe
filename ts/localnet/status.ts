/** `localnet status`: each part of the stack, whether its process runs and whether it answers. */
import { localnetPaths } from './paths.js';
import { deadChildReport, isAlive } from './processes.js';
import { readLocalnetState, type LocalnetState } from './state.js';
import { createSuiClient } from '../chain/sui-client.js';
import { probeHttp, probeKeyServer, probeNode } from './wait.js';
import { stackParts } from './stack-parts.js';

export interface PartStatus {
	part: string;
	pid: number | undefined;
	running: boolean;
	answering: boolean;
	detail: string;
}

/**
 * `up`: every recorded process runs. `failed`: the last `up` failed, or a process it started has
 * died since (not stopped by `down`). `stopped`: `down` stopped it. `not started`: no state here.
 */
export type LocalnetHealth = 'not started' | 'up' | 'failed' | 'stopped';

export interface LocalnetStatus {
	/** A stack was started here (a state file exists), whatever became of it. */
	started: boolean;
	health: LocalnetHealth;
	/** Why `health` is `failed`: the part, its exit and the tail of its log. */
	failure: string | undefined;
	state: LocalnetState | undefined;
	parts: PartStatus[];
}

export async function localnetStatus(options: {
	root: string;
	fetch?: typeof fetch;
}): Promise<LocalnetStatus> {
	const fetchFn = options.fetch ?? fetch;
	const state = await readLocalnetState(localnetPaths(options.root).stateFile);
	if (state === undefined)
		return { started: false, health: 'not started', failure: undefined, state, parts: [] };
	const ask = async <T>(probe: () => Promise<T | undefined>): Promise<T | undefined> => {
		try {
			return await probe();
		} catch {
			return undefined;
		}
	};
	const running = (pid: number | undefined) => pid !== undefined && isAlive(pid);
	const chainId = await ask(() =>
		probeNode(createSuiClient({ network: 'localnet', rpcUrl: state.rpcUrl })),
	);
	const faucet = await ask(() => probeHttp(fetchFn, state.faucetUrl));
	const parts: PartStatus[] = [
		{
			part: 'node',
			pid: state.node.pid,
			running: running(state.node.pid),
			answering: chainId !== undefined,
			detail: chainId ? `${state.rpcUrl} chain ${chainId}` : `${state.rpcUrl} not answering`,
		},
		{
			part: 'faucet',
			pid: state.node.pid,
			running: running(state.node.pid),
			answering: faucet !== undefined,
			detail: state.faucetUrl,
		},
	];
	for (const part of stackParts(state)) {
		// Key servers (all modes) serve /health; an aggregator need only answer HTTP at all.
		const answer = await ask<unknown>(() =>
			part.kind === 'aggregator' ? probeHttp(fetchFn, part.url) : probeKeyServer(fetchFn, part.url),
		);
		parts.push({
			part: part.part,
			pid: part.pid,
			running: running(part.pid),
			answering: answer !== undefined,
			detail: part.detail,
		});
	}
	const { health, failure } = await judgeHealth(state, parts);
	return { started: true, health, failure, state, parts };
}

/** A recorded failure wins; else a recorded pid that is gone means the part died. */
async function judgeHealth(
	state: LocalnetState,
	parts: PartStatus[],
): Promise<{ health: LocalnetHealth; failure: string | undefined }> {
	if (state.failure !== undefined) {
		return { health: 'failed', failure: `${state.failure.message} (at ${state.failure.at})` };
	}
	const processes = [
		{ part: 'node', command: 'sui', pid: state.node.pid, logFile: state.node.logFile },
		...stackParts(state).map((s) => ({
			part: s.part,
			command: s.kind,
			pid: s.pid,
			logFile: s.logFile,
		})),
	];
	const dead = processes.find(
		(p) => p.pid !== undefined && !parts.find((q) => q.pid === p.pid)?.running,
	);
	if (dead !== undefined) {
		const report = await deadChildReport(
			`${dead.part}: ${dead.command} (pid ${dead.pid}) is no longer running`,
			dead.logFile,
		);
		return { health: 'failed', failure: report };
	}
	if (processes.every((p) => p.pid === undefined)) return { health: 'stopped', failure: undefined };
	return { health: 'up', failure: undefined };
}

/** Human-readable table of a status. */
export function formatStatus(status: LocalnetStatus): string {
	if (!status.started) return 'localnet: not started here (run `seal-policies localnet up`)';
	const headline =
		status.health === 'failed'
			? `localnet: FAILED — ${status.failure ?? 'unknown cause'}\nrun \`seal-policies localnet down\` and \`seal-policies localnet up\` again`
			: `localnet: ${status.health}`;
	const rows = status.parts.map(
		(p) =>
			`${p.part.padEnd(28)} ${(p.running ? 'running' : 'stopped').padEnd(8)} ${(p.answering ? 'answering' : 'silent').padEnd(10)} ${p.pid ?? '-'}\t${p.detail}`,
	);
	const s = status.state;
	const ids = s
		? [
				`seal package:   ${s.sealPackageId ?? '-'}`,
				`policy package: ${s.policyPackageId ?? '-'}`,
				`threshold:      ${s.threshold}`,
				...(s.committee
					? [
							`committee:      ${s.committee.objectId} ${s.committee.threshold}-of-${s.committee.size}, aggregator ${s.committee.aggregator?.url ?? '-'}`,
						]
					: []),
				...(s.permissioned
					? [
							`permissioned:   ${s.permissioned.objectId} client ${s.permissioned.clientName} (derived key ${s.permissioned.derivationIndex})`,
						]
					: []),
			]
		: [];
	return [
		headline,
		`${'part'.padEnd(28)} ${'process'.padEnd(8)} ${'rpc'.padEnd(10)} pid\tdetail`,
		...rows,
		...ids,
	].join('\n');
}
