/** `.env.localnet`: the variables that point the CLI and the tests at the running localnet. */
import type { LocalnetState } from './state.js';

/** Renders the env file. Contains ids and URLs only: no keys of any kind. */
export function renderLocalnetEnv(state: LocalnetState): string {
	const lines = [
		'# Written by `seal-policies localnet up`; removed by nothing (ids change on every up).',
		'SUI_NETWORK=localnet',
		`SUI_RPC_URL=${state.rpcUrl}`,
		`SUI_FAUCET_URL=${state.faucetUrl}`,
		`SEAL_PACKAGE_ID=${state.sealPackageId ?? ''}`,
		`SEAL_POLICY_PACKAGE=${state.policyPackageId ?? ''}`,
		`SEAL_SERVER_IDS=${state.keyServers.map((server) => server.objectId).join(',')}`,
		`SEAL_SERVER_URLS=${state.keyServers.map((server) => server.url).join(',')}`,
		`SEAL_THRESHOLD=${state.threshold}`,
		'',
	];
	return lines.join('\n');
}
