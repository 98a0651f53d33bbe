/**
 * The Sui CLI client config every `sui` invocation of ours runs with. `sui move build|test`
 * resolves the chain and the dependencies through a wallet context (and with stdin closed its
 * "create a config?" prompt never gets a yes), so a machine without ~/.sui would fail, and one
 * with it would silently build against whatever network that config points at. Each invocation
 * therefore gets a private config for the network it targets, in a temporary directory removed
 * afterwards: a `client.yaml` with that one environment active and an empty keystore, passed as
 * `sui move --client.config <file>` and `SUI_CONFIG_DIR=<dir>`, as Sui's own shell tests run
 * every command (MystenLabs/sui crates/sui/tests/shell_tests/with_network/ephemeral_dump/
 * dump_with_pubfile.snap @ 086bf8a2: `sui move --client.config "$CONFIG" build …`) and the
 * ts-sdks e2e setup does (MystenLabs/ts-sdks packages/sui/test/e2e/utils/setup.ts and
 * data/localnet-client.yaml @ 03fe26bf: keystore file, one env, `active_env`).
 *
 * The user's own config is used only when asked for: `SEAL_POLICIES_SUI_CONFIG=<dir>` names a
 * directory holding a client.yaml (e.g. ~/.sui/sui_config), used as it is.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { stringify } from 'yaml';

import { writeFileAtomic } from '../atomic-file.js';
import { InvalidInputError } from '../errors.js';
import type { MoveToolchainEnv } from './env.js';

/** Names a directory whose client.yaml every `sui` call uses instead of a private one. */
export const USER_SUI_CONFIG_VAR = 'SEAL_POLICIES_SUI_CONFIG';

export const CLIENT_CONFIG_FILE = 'client.yaml';
export const KEYSTORE_FILE = 'sui.keystore';

/** The network a private config points at. */
export interface ClientConfigTarget {
	/** Environment alias in client.yaml (the network name: localnet, devnet, testnet, mainnet). */
	readonly alias: string;
	/** The full node `sui` talks to. */
	readonly rpcUrl: string;
}

export interface SuiClientConfig {
	/** `SUI_CONFIG_DIR` of the invocation. */
	readonly dir: string;
	/** `--client.config` of the invocation. */
	readonly file: string;
}

const ALIAS = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** client.yaml for one environment, active, with the keystore in `configDir`. */
export function renderClientYaml(configDir: string, target: ClientConfigTarget): string {
	if (!ALIAS.test(target.alias)) {
		throw new InvalidInputError('network', `'${target.alias}' is not a valid environment alias`);
	}
	let url: URL;
	try {
		url = new URL(target.rpcUrl);
	} catch {
		throw new InvalidInputError('rpcUrl', `'${target.rpcUrl}' is not a URL`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new InvalidInputError('rpcUrl', `'${target.rpcUrl}' must be an http(s) URL`);
	}
	return stringify({
		keystore: { File: path.join(configDir, KEYSTORE_FILE) },
		envs: [{ alias: target.alias, rpc: target.rpcUrl, ws: null, basic_auth: null }],
		active_env: target.alias,
		active_address: null,
	});
}

/** Writes client.yaml and an empty keystore (mode 0600) into `configDir`. */
export async function writeClientConfig(
	configDir: string,
	target: ClientConfigTarget,
): Promise<SuiClientConfig> {
	const yaml = renderClientYaml(configDir, target);
	await mkdir(configDir, { recursive: true, mode: 0o700 });
	await writeFile(path.join(configDir, KEYSTORE_FILE), '[]\n', { mode: 0o600 });
	const file = path.join(configDir, CLIENT_CONFIG_FILE);
	await writeFileAtomic(file, yaml);
	return { dir: configDir, file };
}

/** The config the user asked for with `SEAL_POLICIES_SUI_CONFIG`, or undefined. */
export function requestedUserConfig(env: MoveToolchainEnv): SuiClientConfig | undefined {
	const dir = env[USER_SUI_CONFIG_VAR]?.trim();
	if (!dir) return undefined;
	const resolved = path.resolve(dir);
	return { dir: resolved, file: path.join(resolved, CLIENT_CONFIG_FILE) };
}

/**
 * Runs `use` with the client config for `target` and a scratch directory of its own (under
 * `tmpRoot`, default the env's TMPDIR, else the system's): a fresh private config in that
 * directory (or the user's, when asked), all removed when `use` settles.
 */
export async function withClientConfig<T>(
	target: ClientConfigTarget,
	env: MoveToolchainEnv,
	use: (config: SuiClientConfig, scratchDir: string) => Promise<T>,
	{ tmpRoot = env['TMPDIR'] || tmpdir() }: { tmpRoot?: string } = {},
): Promise<T> {
	const scratch = await mkdtemp(path.join(tmpRoot, 'seal-policies-sui-'));
	try {
		const config =
			requestedUserConfig(env) ?? (await writeClientConfig(path.join(scratch, 'config'), target));
		return await use(config, scratch);
	} finally {
		await rm(scratch, { recursive: true, force: true });
	}
}

/**
 * What a `sui` child sees of our environment: where programs, home and the Move cache are, proxy
 * and certificate settings for git dependencies, log verbosity; nothing else (no
 * SUI_PRIVATE_KEY, no SUI_CONFIG_DIR of the caller).
 */
export const SUI_CHILD_ENV = [
	'PATH',
	'Path',
	'PATHEXT',
	'SYSTEMROOT',
	'HOME',
	'USERPROFILE',
	'APPDATA',
	'LOCALAPPDATA',
	'TMPDIR',
	'TEMP',
	'TMP',
	'MOVE_HOME',
	'RUST_LOG',
	'RUST_BACKTRACE',
	'HTTP_PROXY',
	'HTTPS_PROXY',
	'NO_PROXY',
	'http_proxy',
	'https_proxy',
	'no_proxy',
	'SSL_CERT_FILE',
	'SSL_CERT_DIR',
	'SSH_AUTH_SOCK',
	'GIT_SSH_COMMAND',
] as const;

/** The environment of a `sui` child using `config`. */
export function suiChildEnv(
	env: MoveToolchainEnv,
	config: SuiClientConfig,
): Record<string, string> {
	const child: Record<string, string> = {};
	for (const name of SUI_CHILD_ENV) {
		const value = env[name];
		if (value !== undefined) child[name] = value;
	}
	child['SUI_CONFIG_DIR'] = config.dir;
	return child;
}
