/**
 * The localnet's own Sui CLI config (`SUI_CONFIG_DIR=.localnet/sui-config` of `sui start`): one
 * env `localnet` at the local node, an empty keystore, in the shape every other `sui` call of
 * ours gets (ts/move/client-config.ts). The user's ~/.sui is never read or changed.
 */
import { renderClientYaml as renderFor, writeClientConfig } from '../move/client-config.js';
import { LOCALNET_ENV } from './seal-package.js';

export function renderClientYaml(configDir: string, rpcUrl: string): string {
	return renderFor(configDir, { alias: LOCALNET_ENV, rpcUrl });
}

export async function writePrivateClientConfig(configDir: string, rpcUrl: string): Promise<void> {
	await writeClientConfig(configDir, { alias: LOCALNET_ENV, rpcUrl });
}
