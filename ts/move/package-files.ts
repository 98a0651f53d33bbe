import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { InvalidInputError } from '../errors.js';

/** Folders the Move compiler reads `.move` files from (relative to the manifest). */
const SOURCE_FOLDERS = new Set(['sources', 'tests', 'scripts', 'examples']);

/** Manifest-level files the package system reads (Move.toml, Move.lock, Published.toml, ...). */
function isManifestFile(name: string): boolean {
	return (
		name === 'Move.toml' ||
		name === 'Move.lock' ||
		name === 'Published.toml' ||
		/^Move\.[^./\\]+\.toml$/.test(name)
	);
}

export interface ReadMovePackageOptions {
	/** Include `Move.lock` (default true; dependencies are resolved from manifests without it). */
	includeLock?: boolean;
	/** Include `tests/` (default true; only the root package's tests are ever compiled). */
	includeTests?: boolean;
}

/**
 * Reads a Move package into the in-memory snapshot the WASM builder takes: the manifest files
 * at its root and every `.move` file under its layout folders, keyed by `/`-separated relative
 * path. Build output and hidden folders are left out (they would duplicate modules).
 */
export async function readMovePackageFiles(
	packageDir: string,
	{ includeLock = true, includeTests = true }: ReadMovePackageOptions = {},
): Promise<Record<string, string>> {
	const files: Record<string, string> = {};
	const entries = await readdir(packageDir, { withFileTypes: true });
	for (const entry of entries) {
		if (entry.isFile() && isManifestFile(entry.name)) {
			if (!includeLock && entry.name === 'Move.lock') continue;
			files[entry.name] = await readFile(path.join(packageDir, entry.name), 'utf8');
		} else if (entry.isDirectory() && SOURCE_FOLDERS.has(entry.name)) {
			if (!includeTests && entry.name === 'tests') continue;
			await addMoveFiles(path.join(packageDir, entry.name), entry.name, files);
		}
	}
	if (files['Move.toml'] === undefined) {
		throw new InvalidInputError(
			'packagePath',
			`${packageDir} has no Move.toml; pass the folder of a Move package (e.g. move).`,
		);
	}
	return files;
}

async function addMoveFiles(
	dir: string,
	relative: string,
	files: Record<string, string>,
): Promise<void> {
	for (const entry of await readdir(dir, { withFileTypes: true })) {
		if (entry.name.startsWith('.')) continue;
		const full = path.join(dir, entry.name);
		const key = `${relative}/${entry.name}`;
		if (entry.isDirectory()) await addMoveFiles(full, key, files);
		else if (entry.isFile() && entry.name.endsWith('.move')) {
			files[key] = await readFile(full, 'utf8');
		}
	}
}
