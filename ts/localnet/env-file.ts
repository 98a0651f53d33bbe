/** `.env.localnet`: the variables that point the CLI and the tests at the running localnet. */
import { localnetServerEntries } from './servers.js';
import type { LocalnetState } from './state.js';

/**
 * Renders the env file. Contains ids and URLs only: no keys of any kind. `SEAL_SERVER_IDS` lists
 * every server of the stack (independent, committee, permissioned); `SEAL_CONFIG` (when given)
 * names the config file `up` wrote, where the committee entry carries its `aggregatorUrl`.
 */
export function renderLocalnetEnv(state: LocalnetState, configFile?: string): string {
	const lines = [
		'# Written by `seal-policies localnet up`; removed by nothing (ids change on every up).',
		'SUI_NETWORK=localnet',
		`SUI_RPC_URL=${state.rpcUrl}`,
		`SUI_FAUCET_URL=${state.faucetUrl}`,
		`SEAL_PACKAGE_ID=${state.sealPackageId ?? ''}`,
		`SEAL_POLICY_PACKAGE=${state.policyPackageId ?? ''}`,
		`SEAL_SERVER_IDS=${localnetServerEntries(state)
			.map((server) => server.objectId)
			.join(',')}`,
		`SEAL_SERVER_URLS=${state.keyServers.map((server) => server.url).join(',')}`,
		`SEAL_THRESHOLD=${state.threshold}`,
		...(configFile === undefined ? [] : [`SEAL_CONFIG=${configFile}`]),
		'',
	];
	return lines.join('\n');
}
