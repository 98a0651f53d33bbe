/** `localnet status`: each part of the stack, whether its process runs and whether it answers. */
import { localnetPaths } from './paths.js';
import { isAlive } from './processes.js';
import { readLocalnetState, type LocalnetState } from './state.js';
import { createSuiClient } from '../sui-client.js';
import { probeHttp, probeKeyServer, probeNode } from './wait.js';

export interface PartStatus {
	part: string;
	pid: number | undefined;
	running: boolean;
	answering: boolean;
	detail: string;
}

export interface LocalnetStatus {
	started: boolean;
	state: LocalnetState | undefined;
	parts: PartStatus[];
}

export async function localnetStatus(options: {
	root: string;
	fetch?: typeof fetch;
}): Promise<LocalnetStatus> {
	const fetchFn = options.fetch ?? fetch;
	const state = await readLocalnetState(localnetPaths(options.root).stateFile);
	if (state === undefined) return { started: false, state, parts: [] };
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
	for (const server of state.keyServers) {
		const health = await ask(() => probeKeyServer(fetchFn, server.url));
		parts.push({
			part: server.name,
			pid: server.pid,
			running: running(server.pid),
			answering: health !== undefined,
			detail: `${server.url} ${server.objectId} (${server.implementation})`,
		});
	}
	return { started: true, state, parts };
}

/** Human-readable table of a status. */
export function formatStatus(status: LocalnetStatus): string {
	if (!status.started) return 'localnet: not started here (run `seal-policies localnet up`)';
	const rows = status.parts.map(
		(p) =>
			`${p.part.padEnd(22)} ${(p.running ? 'running' : 'stopped').padEnd(8)} ${(p.answering ? 'answering' : 'silent').padEnd(10)} ${p.pid ?? '-'}\t${p.detail}`,
	);
	const s = status.state;
	const ids = s
		? [
				`seal package:   ${s.sealPackageId ?? '-'}`,
				`policy package: ${s.policyPackageId ?? '-'}`,
				`threshold:      ${s.threshold}`,
			]
		: [];
	return [
		`${'part'.padEnd(22)} ${'process'.padEnd(8)} ${'rpc'.padEnd(10)} pid\tdetail`,
		...rows,
		...ids,
	].join('\n');
}
