/**
 * `localnet down`: stops every process `up` started (key servers first, then the node), by the
 * pids in the state file. Removes nothing else: logs, deployments/localnet.json and
 * .env.localnet stay for inspection.
 */
import type { Logger } from '../logger.js';
import { localnetPaths } from './paths.js';
import { stopProcess } from './processes.js';
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
	const parts = [
		...state.keyServers.map((server) => ({
			name: server.name,
			pid: server.pid,
			clear: () => (server.pid = undefined),
		})),
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

/** Stops one key server of the running stack (the e2e flow's "server down" steps). */
export async function stopKeyServer(options: { root: string; name: string }): Promise<boolean> {
	const paths = localnetPaths(options.root);
	const state = await readLocalnetState(paths.stateFile);
	const server = state?.keyServers.find((s) => s.name === options.name);
	if (!state || !server || server.pid === undefined) return false;
	const stopped = await stopProcess(server.pid);
	server.pid = undefined;
	await writeLocalnetState(paths.stateFile, state);
	return stopped;
}
