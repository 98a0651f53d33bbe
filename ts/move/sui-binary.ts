import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

import { PrerequisiteMissingError } from '../errors.js';
import { installedSui } from '../sui-install/cache.js';
import type { MoveToolchainEnv } from './env.js';

/**
 * Finds the `sui` CLI, in order: `SUI_BIN` when set (a path, or a name looked up on `PATH`); the
 * release `seal-policies sui install` put in the per-user cache (the version this project pins,
 * installed on request, so it wins over an older `sui` that happens to be on `PATH`); `sui` on
 * `PATH`. Returns `undefined` when there is none. A `SUI_BIN` that names no executable throws, so
 * a typo never silently falls back to another toolchain.
 */
export function findSuiBinary(env: MoveToolchainEnv): string | undefined {
	const override = env['SUI_BIN']?.trim();
	if (override) {
		const found =
			override.includes('/') || override.includes('\\')
				? isExecutableFile(override)
					? path.resolve(override)
					: undefined
				: searchPath(override, env);
		if (found === undefined) {
			throw new PrerequisiteMissingError(
				'sui',
				`SUI_BIN=${override} is not an executable file. Point SUI_BIN at the sui binary, or unset it to search PATH.`,
			);
		}
		return found;
	}
	return installedSui(env) ?? searchPath('sui', env);
}

/** Looks `name` up in the `PATH` of `env` (with `PATHEXT` on Windows). */
function searchPath(name: string, env: MoveToolchainEnv): string | undefined {
	const dirs = (env['PATH'] ?? env['Path'] ?? '').split(path.delimiter).filter((dir) => dir !== '');
	const extensions =
		process.platform === 'win32' ? ['', ...(env['PATHEXT'] ?? '.EXE;.CMD').split(';')] : [''];
	for (const dir of dirs) {
		for (const extension of extensions) {
			const candidate = path.join(dir, name + extension);
			if (isExecutableFile(candidate)) return path.resolve(candidate);
		}
	}
	return undefined;
}

function isExecutableFile(file: string): boolean {
	try {
		if (!statSync(file).isFile()) return false;
		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}
