/**
 * `localnet down`: stops every process `up` started (key servers, committee members, aggregator,
 * permissioned server, then the node), by the
 * pids in the state file. Removes nothing else: logs, deployments/localnet.json and
 * .env.localnet stay for inspection.
 */
import type { Logger } from '../logger.js';
import { localnetPaths } from './paths.js';
import { stopProcess } from './processes.js';
import { stackParts } from './stack-parts.js';
import { readLocalnetState, writeLocalnetState } from './state.js';

export interface LocalnetDownResult {
	stopped: string[];
	notRunning: string[];
}

export async function localnetDown(options: {
	root: string;
	logger: Logger;
}): Promise<LocalnetDownResult> {
	const paths = localnetPaths(options.root);
	const state = await readLocalnetState(paths.stateFile);
	const result: LocalnetDownResult = { stopped: [], notRunning: [] };
	if (state === undefined) {
		options.logger.info('nothing to stop: no localnet was started here');
		return result;
	}
	// Key servers, committee members, aggregator and permissioned server first, the node last.
	const parts = [
		...stackParts(state).map(({ part, pid, clear }) => ({ name: part, pid, clear })),
		{ name: 'node', pid: state.node.pid, clear: () => (state.node.pid = undefined) },
	];
	for (const part of parts) {
		const stopped = part.pid !== undefined && (await stopProcess(part.pid));
		(stopped ? result.stopped : result.notRunning).push(part.name);
		options.logger.info(`${part.name}: ${stopped ? `stopped (pid ${part.pid})` : 'not running'}`);
		part.clear();
	}
	await writeLocalnetState(paths.stateFile, state);
	return result;
}

/**
 * Stops one part of the running stack by name — an independent key server, a committee member,
 * the aggregator or the permissioned server (the e2e flow's "server down" steps).
 */
export async function stopKeyServer(options: { root: string; name: string }): Promise<boolean> {
	const paths = localnetPaths(options.root);
	const state = await readLocalnetState(paths.stateFile);
	const part = state && stackParts(state).find((p) => p.part === options.name);
	if (!state || !part || part.pid === undefined) return false;
	const stopped = await stopProcess(part.pid);
	part.clear();
	await writeLocalnetState(paths.stateFile, state);
	return stopped;
}
