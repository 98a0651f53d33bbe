/** Which benchmarks `npm run bench [-- NAME… | all]` runs (scripts/bench.ts). */

/** What a plain `npm run bench` runs: about a minute together. The others need `all` or a name. */
export const QUICK: readonly string[] = ['envelope', 'envelope-pieces'];

/** The benchmarks to run, or the first argument that names none (unknown option or name). */
export function selectBenchmarks(
	argv: readonly string[],
	names: readonly string[],
): { run: Set<string> } | { unknown: string } {
	const unknown = argv.find((arg) => !names.includes(arg) && arg !== 'all');
	if (unknown !== undefined) return { unknown };
	if (argv.includes('all')) return { run: new Set(names) };
	return { run: new Set(argv.length > 0 ? argv : QUICK.filter((name) => names.includes(name))) };
}
