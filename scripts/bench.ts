/**
 * `npm run bench [-- name…]`: runs every benchmark in scripts/bench/ (or the named ones) in turn.
 * Each benchmark measures its own baseline in the same run and prints ratios against it (the
 * shared measuring rules, and the one verdict rule, are in scripts/bench/measure.ts). Progress
 * goes to stderr, tables to stdout. Unknown names and unknown options print the usage and exit 2.
 */
import { readdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { QUICK, selectBenchmarks } from './bench-select.js';

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
	return `usage: npm run bench [-- NAME... | all]

Runs the benchmarks and prints each against its baseline measured in the same run, with one
verdict per target by one rule (printed at the start). Progress goes to stderr. Without a name:
the quick ones (${QUICK.join(', ')}: about a minute); \`all\` adds the slow ones.
benchmarks: ${names.join(', ')}

  aggregator       committee aggregator vs a committee member: CPU per key at 1, 10 and 100
                   ids per request, 2-of-3, members in a child process (about 1 min)
  envelope         envelope data path vs native AES-256-GCM at 1 MiB, 1.5 MiB and
                   ENVELOPE_BENCH_MIB; chunk-size sweep; sealing the data key (about 30 s)
  envelope-pieces  live memory while streaming in 1 B, 64 KiB and 4 MiB pieces (about 30 s)
  keyserver        fetch_key keys per CPU-second, mcl vs noble; 1 vs 2 workers (about 1 min)
  vault            records vault vs one Seal call per record; streamed export (about 1 min)

Times are for a shared 2-core machine; \`all\` takes 3 to 4 minutes.

environment (the large sizes are opt-in):
  ENVELOPE_BENCH_MIB=N          size of the large envelope case and of the envelope-pieces
                                streams (default 64). 1024 gives the 1 GiB figure: about 2 GiB
                                of memory and several minutes.
  VAULT_BENCH_EXPORT_RECORDS=N  records in the export part of the vault bench (default 10000,
                                the vault already built). 1000000 builds a vault of that many
                                first (about 1.1 GiB of SQLite in the temp dir, 10+ minutes) to
                                show memory stays flat.
`;
}

async function main(argv: string[]): Promise<number> {
	const benchmarks = await listBenchmarks();
	const names = benchmarks.map((b) => b.name);
	if (argv.includes('--help') || argv.includes('-h')) {
		process.stdout.write(usage(names));
		return 0;
	}
	const selected = selectBenchmarks(argv, names);
	if ('unknown' in selected) {
		const what = selected.unknown.startsWith('-') ? 'option' : 'benchmark';
		process.stderr.write(`error: unknown ${what} '${selected.unknown}'\n${usage(names)}`);
		return 2;
	}
	const wanted = selected.run;
	const { VERDICT_RULE, quietSqliteWarning } = await import('./bench/measure.js');
	quietSqliteWarning();
	process.stdout.write(`${VERDICT_RULE}\n`);
	for (const { name, file } of benchmarks) {
		if (!wanted.has(name)) continue;
		process.stdout.write(`\n=== bench: ${name} ===\n`);
		process.stderr.write(`… ${name}: starting\n`);
		const started = performance.now();
		const module = (await import(pathToFileURL(file).href)) as { run: () => Promise<void> };
		await module.run();
		process.stderr.write(
			`… ${name}: done in ${Math.round((performance.now() - started) / 1000)} s\n`,
		);
	}
	const skipped = names.filter((name) => !wanted.has(name));
	if (argv.length === 0 && skipped.length > 0) {
		process.stdout.write(
			`\nnot run (slower): ${skipped.join(', ')}; \`npm run bench -- ${skipped.join(' ')}\` or \`-- all\`\n`,
		);
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
