/**
 * Where `seal-policies sui install` keeps Sui, per user:
 *   `<cache>/sui/<tag>-<platform>/sui`   one verified binary per release and platform
 *   `<cache>/sui/current`                the `<tag>-<platform>` installed last (what is used)
 * `<cache>` is SEAL_POLICIES_CACHE_DIR, else `$XDG_CACHE_HOME/seal-policies`, else the
 * platform's user cache (`~/Library/Caches`, `%LOCALAPPDATA%`, `~/.cache`). Only the
 * environment passed in is read, so tests and callers choose it.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { suiExecutableName, suiPlatform, type SuiPlatform } from './platform.js';

export type CacheEnv = Readonly<Record<string, string | undefined>>;

/** The per-user cache directory, or undefined when the environment names no home. */
export function cacheDir(env: CacheEnv, platform: string = process.platform): string | undefined {
	const explicit = env['SEAL_POLICIES_CACHE_DIR']?.trim();
	if (explicit) return path.resolve(explicit);
	const xdg = env['XDG_CACHE_HOME']?.trim();
	if (xdg) return path.join(xdg, 'seal-policies');
	if (platform === 'win32') {
		const local = env['LOCALAPPDATA']?.trim();
		return local ? path.join(local, 'seal-policies') : undefined;
	}
	const home = env['HOME']?.trim();
	if (!home) return undefined;
	return platform === 'darwin'
		? path.join(home, 'Library', 'Caches', 'seal-policies')
		: path.join(home, '.cache', 'seal-policies');
}

/** The directory one release for one platform is installed into. */
export function installDir(cache: string, tag: string, platform: SuiPlatform): string {
	return path.join(cache, 'sui', `${tag}-${platform}`);
}

/** The file naming the release that is used. */
export function currentFile(cache: string): string {
	return path.join(cache, 'sui', 'current');
}

/**
 * The `sui` installed by `seal-policies sui install` for this machine, or undefined: no cache,
 * nothing installed, or an install for another platform (a home shared across machines).
 */
export function installedSui(env: CacheEnv): string | undefined {
	const cache = cacheDir(env);
	if (cache === undefined) return undefined;
	let platform: SuiPlatform;
	try {
		platform = suiPlatform(process.platform, process.arch);
	} catch {
		return undefined;
	}
	let current: string;
	try {
		current = readFileSync(currentFile(cache), 'utf8').trim();
	} catch {
		return undefined;
	}
	// Only a name this code writes: `<tag>-<platform>`, nothing that leaves the cache.
	if (!/^[a-z]+-v[0-9]+\.[0-9]+\.[0-9]+-/.test(current) || !current.endsWith(`-${platform}`)) {
		return undefined;
	}
	const binary = path.join(cache, 'sui', current, suiExecutableName(platform));
	return isExecutableFile(binary) ? binary : undefined;
}

export function isExecutableFile(file: string): boolean {
	try {
		if (!statSync(file).isFile()) return false;
		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}
