/**
 * `npm run bench [-- name…]`: runs every benchmark in scripts/bench/ (or the named ones) in turn.
 * Each benchmark measures its own baseline in the same run and prints ratios against it (the
 * shared measuring rules are in scripts/bench/measure.ts). Unknown names and unknown options
 * print the usage and exit 2.
 */
import { readdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), 'bench');

interface Benchmark {
	name: string;
	file: string;
}

/** Benchmarks are the modules of scripts/bench/ that export `run` (measure.ts is a helper). */
export async function listBenchmarks(dir = benchDir): Promise<Benchmark[]> {
	const files = (await readdir(dir))
		.filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
		.sort();
	const found: Benchmark[] = [];
	for (const file of files) {
		const name = file.slice(0, -extname(file).length);
		if (name === 'measure') continue;
		found.push({ name, file: join(dir, file) });
	}
	return found;
}

function usage(names: string[]): string {
	return `usage: npm run bench [-- NAME...]

Runs the benchmarks (default: all) and prints each against its baseline measured in the same run.
benchmarks: ${names.join(', ')}
`;
}

async function main(argv: string[]): Promise<number> {
	const benchmarks = await listBenchmarks();
	const names = benchmarks.map((b) => b.name);
	if (argv.includes('--help') || argv.includes('-h')) {
		process.stdout.write(usage(names));
		return 0;
	}
	const unknown = argv.filter((arg) => !names.includes(arg));
	if (unknown.length > 0) {
		const what = unknown[0]?.startsWith('-') ? 'option' : 'benchmark';
		process.stderr.write(`error: unknown ${what} '${unknown[0]}'\n${usage(names)}`);
		return 2;
	}
	const wanted = new Set(argv);
	for (const { name, file } of benchmarks) {
		if (wanted.size > 0 && !wanted.has(name)) continue;
		process.stdout.write(`\n=== bench: ${name} ===\n`);
		const module = (await import(pathToFileURL(file).href)) as { run: () => Promise<void> };
		await module.run();
	}
	return 0;
}

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
		process.exitCode = 1;
	},
);
