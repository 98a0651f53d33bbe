/**
 * `npm run bench [-- name…]`: runs every benchmark in scripts/bench/ (or the named ones) in turn.
 * Each benchmark measures its own baseline in the same run and prints ratios against it.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const wanted = new Set(process.argv.slice(2));
const files = (await readdir(benchDir)).filter((file) => file.endsWith('.ts')).sort();
for (const file of files) {
	const name = basename(file, '.ts');
	if (wanted.size > 0 && !wanted.has(name)) continue;
	process.stdout.write(`\n=== bench: ${name} ===\n`);
	const module = (await import(pathToFileURL(join(benchDir, file)).href)) as {
		run: () => Promise<void>;
	};
	await module.run();
}
