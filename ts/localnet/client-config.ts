/**
 * A private Sui CLI config for the localnet (`SUI_CONFIG_DIR=.localnet/sui-config`): one env
 * `localnet` at the local node, an empty keystore. The Move tooling resolves the build
 * environment from it, and the user's ~/.sui is never read or changed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LOCALNET_ENV } from './seal-package.js';
import { writeFileAtomic } from '../atomic-file.js';

export function renderClientYaml(configDir: string, rpcUrl: string): string {
	return stringify({
		keystore: { File: join(configDir, 'sui.keystore') },
		envs: [{ alias: LOCALNET_ENV, rpc: rpcUrl, ws: null, basic_auth: null }],
		active_env: LOCALNET_ENV,
		active_address: null,
	});
}

export async function writePrivateClientConfig(configDir: string, rpcUrl: string): Promise<void> {
	await mkdir(configDir, { recursive: true });
	await writeFile(join(configDir, 'sui.keystore'), '[]\n', { mode: 0o600 });
	await writeFileAtomic(join(configDir, 'client.yaml'), renderClientYaml(configDir, rpcUrl));
}
