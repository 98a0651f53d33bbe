/**
 * The repository root (where package.json and move/ live), found from this file whether it runs
 * as TypeScript (scripts/) or compiled (dist/scripts/).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Manifest {
	name?: string;
	version?: string;
}

/** The nearest directory above this file whose package.json is seal-policies'. */
export function packageRoot(): string {
	return findManifest().root;
}

/** seal-policies' version from package.json. */
export function packageVersion(): string {
	return findManifest().manifest.version ?? 'unknown';
}

function findManifest(): { root: string; manifest: Manifest } {
	let dir = dirname(fileURLToPath(import.meta.url));
	for (;;) {
		const manifest = readManifest(join(dir, 'package.json'));
		if (manifest?.name === 'seal-policies') return { root: dir, manifest };
		const parent = dirname(dir);
		if (parent === dir) throw new Error('package.json of seal-policies not found above scripts/');
		dir = parent;
	}
}

function readManifest(path: string): Manifest | undefined {
	try {
		return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
	} catch {
		return undefined;
	}
}
