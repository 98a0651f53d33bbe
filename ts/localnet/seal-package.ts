/**
 * Mysten's Seal Move package for localnet. Localnet has no Seal deployment, so `up` publishes
 * `move/seal` from a pinned release of github.com/MystenLabs/seal, cloned once into a cache.
 *
 * Pin: `seal-v0.6.10` (2026-06-24), the latest release tag when this was written. Its
 * `move/seal` has `key_server::create_and_transfer_v2_independent_server` (registration) and
 * `seal::time::check_staleness` (called by Mysten's key server on every request), and matches
 * the key-server protocol our SDK (@mysten/seal 1.4.12) and key server speak (server 0.6.10).
 * Bump it together with `@mysten/seal` and, when used, the `key-server` binary.
 */
import { execFile } from 'node:child_process';
import { access, cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalnetError } from '../errors.js';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from '../atomic-file.js';

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

/**
 * Copies `move/seal` into `workDir` and declares the local chain in its Move.toml, which the
 * Move tooling requires before it publishes to a chain it has no record of.
 */
export async function prepareSealPackage(options: {
	checkoutDir: string;
	workDir: string;
	chainId: string;
}): Promise<string> {
	await rm(options.workDir, { recursive: true, force: true });
	await cp(join(options.checkoutDir, 'move', 'seal'), options.workDir, { recursive: true });
	// Published.toml records testnet/mainnet only; a stale localnet entry must never exist.
	const manifest = join(options.workDir, 'Move.toml');
	const text = await readFile(manifest, 'utf8');
	await writeFileAtomic(manifest, withEnvironment(text, LOCALNET_ENV, options.chainId));
	return options.workDir;
}

/**
 * `toml` with `[environments] <name> = "<chainId>"`, added to an existing `[environments]`
 * table or appended as a new one; an existing entry for `name` is replaced.
 */
export function withEnvironment(toml: string, name: string, chainId: string): string {
	if (!/^[0-9a-f]{8,64}$/i.test(chainId)) {
		throw new LocalnetError('seal package', `unexpected chain id '${chainId}'`);
	}
	const entry = `${name} = "${chainId}"`;
	const lines = toml.replace(/\s+$/, '').split('\n');
	const header = lines.findIndex((line) => line.trim() === '[environments]');
	if (header === -1) return `${lines.join('\n')}\n\n[environments]\n${entry}\n`;
	let end = lines.length;
	for (let i = header + 1; i < lines.length; i++) {
		if (/^\s*\[/.test(lines[i] ?? '')) {
			end = i;
			break;
		}
	}
	const keyRe = new RegExp(`^\\s*${name}\\s*=`);
	const body = lines.slice(header + 1, end).filter((line) => !keyRe.test(line));
	return `${[...lines.slice(0, header + 1), entry, ...body, ...lines.slice(end)].join('\n')}\n`;
}

async function exists(path: string): Promise<boolean> {
	try {
		await access(path);
		return true;
	} catch {
		return false;
	}
}
