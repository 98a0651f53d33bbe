/**
 * Mysten's Seal Move package for localnet. Localnet has no Seal deployment, so `up` publishes
 * `move/seal` from a pinned release of github.com/MystenLabs/seal, cloned once into a cache and
 * built for the local chain like our own package (ts/move/build-env.ts: `--build-env testnet`
 * with a scratch `--pubfile-path`; the checkout is never edited).
 *
 * Pin: `seal-v0.6.10` (2026-06-24), the latest release tag when this was written. Its
 * `move/seal` has `key_server::create_and_transfer_v2_independent_server` (registration) and
 * `seal::time::check_staleness` (called by Mysten's key server on every request), and matches
 * the key-server protocol our SDK (@mysten/seal 1.4.12) and key server speak (server 0.6.10).
 * Bump it together with `@mysten/seal` and, when used, the `key-server` binary.
 */
import { execFile } from 'node:child_process';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalnetError } from './errors.js';
import type { Logger } from '../logger.js';

export const SEAL_REPO_URL = 'https://github.com/MystenLabs/seal.git';
export const SEAL_RELEASE_TAG = 'seal-v0.6.10';
/** Environment name used in Move.toml and the client config for the local chain. */
export const LOCALNET_ENV = 'localnet';

const run = promisify(execFile);

/** Path of the cached checkout for `tag`; clones it (shallow, that tag only) on first use. */
export async function ensureSealCheckout(options: {
	cacheDir: string;
	tag?: string;
	logger?: Logger;
}): Promise<string> {
	const tag = options.tag ?? SEAL_RELEASE_TAG;
	const dir = join(options.cacheDir, tag);
	if (await exists(join(dir, 'move', 'seal', 'Move.toml'))) return dir;
	options.logger?.info(`fetching Mysten's Seal ${tag} (once; cached in ${dir})`);
	await rm(dir, { recursive: true, force: true });
	try {
		await run('git', ['clone', '--quiet', '--depth', '1', '--branch', tag, SEAL_REPO_URL, dir]);
	} catch (error) {
		await rm(dir, { recursive: true, force: true });
		throw new LocalnetError(
			'seal package',
			`git clone of ${SEAL_REPO_URL} at ${tag} failed (${(error as Error).message.split('\n')[0]}); check git and network access, or pre-populate ${dir}`,
			{ cause: error },
		);
	}
	return dir;
}

async function exists(path: string): Promise<boolean> {
	try {
		await access(path);
		return true;
	} catch {
		return false;
	}
}
