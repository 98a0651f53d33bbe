import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import type { MoveToolchainEnv } from './env.js';

/** The framework packages the WASM builder needs, as folder names under the framework dir. */
export const FRAMEWORK_PACKAGES = ['sui-framework', 'move-stdlib'] as const;
export type FrameworkPackage = (typeof FRAMEWORK_PACKAGES)[number];

/** Where the Sui CLI caches git dependencies (`$MOVE_HOME`, default `~/.move`). */
const CACHE_ENTRY_PREFIX = 'https___github_com_MystenLabs_sui_git_';
const CACHE_PACKAGES_SUBDIR = path.join('crates', 'sui-framework', 'packages');

export type FrameworkLookup =
	| {
			readonly kind: 'found';
			/** Folder holding `sui-framework/` and `move-stdlib/`. */
			readonly dir: string;
			readonly source: 'SUI_FRAMEWORK_DIR' | 'sui-cli-cache';
	  }
	| { readonly kind: 'missing'; readonly reason: string };

/**
 * Locates Sui framework sources for offline builds: `SUI_FRAMEWORK_DIR` when set (and then only
 * it: a wrong value is reported, not skipped), else the newest Sui framework checkout in the Sui
 * CLI's git-dependency cache. `reason` says exactly what is missing and how to provide it.
 */
export function findSuiFramework(env: MoveToolchainEnv): FrameworkLookup {
	const explicit = env['SUI_FRAMEWORK_DIR']?.trim();
	if (explicit) {
		const dir = path.resolve(explicit);
		const missing = missingPackages(dir);
		if (missing.length === 0) return { kind: 'found', dir, source: 'SUI_FRAMEWORK_DIR' };
		return {
			kind: 'missing',
			reason:
				`SUI_FRAMEWORK_DIR=${explicit} has no ${missing.map((p) => `${p}/Move.toml`).join(' and no ')}. ` +
				'Point it at a folder holding sui-framework/ and move-stdlib/ ' +
				'(crates/sui-framework/packages of a Sui checkout).',
		};
	}

	const moveHome = moveHomeDir(env);
	const cached = moveHome === undefined ? undefined : newestCachedFramework(moveHome);
	if (cached !== undefined) return { kind: 'found', dir: cached, source: 'sui-cli-cache' };
	const cachePattern = path.join(
		moveHome ?? '~/.move',
		`${CACHE_ENTRY_PREFIX}*`,
		CACHE_PACKAGES_SUBDIR,
	);
	return {
		kind: 'missing',
		reason:
			`no Sui framework sources: SUI_FRAMEWORK_DIR is not set and the Sui CLI cache has none ` +
			`(${cachePattern}). Set SUI_FRAMEWORK_DIR to a folder holding sui-framework/ and ` +
			'move-stdlib/ (crates/sui-framework/packages of a Sui checkout), or install the sui CLI ' +
			'(https://docs.sui.io/guides/developer/getting-started/sui-install).',
	};
}

/** The framework packages (by folder name) that `dir` lacks. */
export function missingPackages(dir: string): FrameworkPackage[] {
	return FRAMEWORK_PACKAGES.filter((name) => !isFile(path.join(dir, name, 'Move.toml')));
}

function moveHomeDir(env: MoveToolchainEnv): string | undefined {
	const explicit = env['MOVE_HOME']?.trim();
	if (explicit) return path.resolve(explicit);
	const home = env['HOME']?.trim() || env['USERPROFILE']?.trim();
	return home ? path.join(home, '.move') : undefined;
}

/** The most recently modified complete framework checkout in the cache, if any. */
function newestCachedFramework(moveHome: string): string | undefined {
	let entries: string[];
	try {
		entries = readdirSync(moveHome);
	} catch {
		return undefined;
	}
	let best: { dir: string; mtimeMs: number } | undefined;
	for (const entry of entries) {
		if (!entry.startsWith(CACHE_ENTRY_PREFIX)) continue;
		const dir = path.join(moveHome, entry, CACHE_PACKAGES_SUBDIR);
		if (missingPackages(dir).length > 0) continue;
		const mtimeMs = statSync(path.join(moveHome, entry)).mtimeMs;
		if (best === undefined || mtimeMs > best.mtimeMs) best = { dir, mtimeMs };
	}
	return best?.dir;
}

function isFile(file: string): boolean {
	try {
		return statSync(file).isFile();
	} catch {
		return false;
	}
}
