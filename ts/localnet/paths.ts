/**
 * Where the localnet stack keeps its files. Everything lives under `<root>/.localnet/`
 * (git-ignored) except the two outputs users read: `deployments/localnet.json` and
 * `.env.localnet`.
 */
import { join } from 'node:path';

export interface LocalnetPaths {
	root: string;
	dir: string;
	/** `SUI_CONFIG_DIR` of the node and every `sui` call: the user's ~/.sui is never touched. */
	suiConfigDir: string;
	logsDir: string;
	/** Pids, ports and ids of the running stack (no secrets). */
	stateFile: string;
	/** Key-server YAML configs for Mysten's binary. */
	keyServerConfigDir: string;
	/** Reserved for a working copy of Mysten's Seal Move package (builds use the cached checkout). */
	sealWorkDir: string;
	/** Shared clone cache of Mysten's Seal repository (per pinned tag). */
	cacheDir: string;
	envFile: string;
	/** Harness config of the stack (servers incl. the committee's aggregatorUrl; no secrets). */
	configFile: string;
	deploymentFile: string;
}

export function localnetPaths(root: string, cacheDir?: string): LocalnetPaths {
	const dir = join(root, '.localnet');
	return {
		root,
		dir,
		suiConfigDir: join(dir, 'sui-config'),
		logsDir: join(dir, 'logs'),
		stateFile: join(dir, 'state.json'),
		keyServerConfigDir: join(dir, 'key-servers'),
		sealWorkDir: join(dir, 'seal-move'),
		cacheDir: cacheDir ?? join(dir, 'cache'),
		envFile: join(root, '.env.localnet'),
		configFile: join(dir, 'config.yaml'),
		deploymentFile: join(root, 'deployments', 'localnet.json'),
	};
}
