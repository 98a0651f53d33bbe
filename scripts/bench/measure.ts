/**
 * The measuring rules every benchmark shares, so their tables can be trusted:
 * - baseline and candidate run in pairs whose order alternates (A B, B A, …), so neither side
 *   always gets the warmer cache or the quieter moment on a shared machine;
 * - each run records wall time and CPU time (user + system of this process), printed side by
 *   side: wall time drifts with other load, CPU time much less;
 * - a printed ratio is computed from the rounded figures printed beside it (`ratioOf`), never
 *   from separately aggregated numbers, so a reader can recompute every ratio;
 * - a verdict counts how many pairs met the target (`k/n pairs`), so a reader sees how stable it is.
 * Not a benchmark itself (scripts/bench.ts skips this file).
 */

import { UsageError } from '../../ts/errors.js';

/** One timed run. */
export interface Sample {
	wallMs: number;
	cpuMs: number;
}

/** Times `run`: wall clock and this process's CPU time (user + system). */
export async function timed(run: () => unknown): Promise<Sample> {
	const cpu = process.cpuUsage();
	const start = process.hrtime.bigint();
	await run();
	const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
	const used = process.cpuUsage(cpu);
	return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

export interface Pairs {
	baseline: Sample[];
	candidate: Sample[];
}

/**
 * Runs `baseline` and `candidate` `count` times each, as back-to-back pairs whose order
 * alternates. `count` should be odd-sized enough that medians settle (≥ 7 for long runs).
 */
export async function alternatingPairs(
	count: number,
	baseline: () => unknown,
	candidate: () => unknown,
): Promise<Pairs> {
	const result: Pairs = { baseline: [], candidate: [] };
	for (let i = 0; i < count; i++) {
		if (i % 2 === 0) {
			result.baseline.push(await timed(baseline));
			result.candidate.push(await timed(candidate));
		} else {
			result.candidate.push(await timed(candidate));
			result.baseline.push(await timed(baseline));
		}
	}
	return result;
}

export function median(values: readonly number[]): number {
	if (values.length === 0) throw new Error('median of no values');
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1
		? (sorted[middle] as number)
		: ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Median wall and CPU time of `samples`. */
export function medians(samples: readonly Sample[]): Sample {
	return {
		wallMs: median(samples.map((s) => s.wallMs)),
		cpuMs: median(samples.map((s) => s.cpuMs)),
	};
}

/** `value` rounded to `digits` decimals: the number that is printed, and the one ratios use. */
export function rounded(value: number, digits: number): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

/** `value` to 3 significant digits: printed as `String(result)`, and what ratios use. */
export function significant(value: number, digits = 3): number {
	return Number(value.toPrecision(digits));
}

/**
 * `numerator / denominator` of two printed figures, formatted with 2 decimals and an `×`. Pass
 * the rounded values exactly as printed, so the ratio can be recomputed from the table.
 */
export function ratioOf(numerator: number, denominator: number): string {
	return `${(numerator / denominator).toFixed(2)}×`;
}

/**
 * How many pairs reached `target` (candidate speed / baseline speed, i.e. baseline time /
 * candidate time, per pair): e.g. `19/21 pairs ≥ 0.8×`.
 */
export function pairsMeeting(
	pairs: Pairs,
	target: number,
	by: 'wallMs' | 'cpuMs' = 'wallMs',
): string {
	let met = 0;
	for (const [i, base] of pairs.baseline.entries()) {
		const cand = pairs.candidate[i];
		if (cand !== undefined && base[by] / cand[by] >= target) met++;
	}
	return `${met}/${pairs.baseline.length} pairs ≥ ${target}×`;
}

/** Throughput in MB/s (10^6 bytes) for `bytes` in `ms`, rounded to 1 decimal as printed. */
export function mbPerSecond(bytes: number, ms: number): number {
	return rounded(bytes / 1e6 / (ms / 1000), 1);
}

/** Peak RSS growth from the moment it is created; call `sample()` from inside the work. */
export interface RssSampler {
	sample(): void;
	/** Bytes above the starting RSS at the highest sample (or now, if higher). */
	peakGrowth(): number;
}

/**
 * Samples RSS every `every`-th `sample()` call. Async iteration does not let timers run, so the
 * work calls `sample()` itself (e.g. once per output chunk).
 */
export function rssSampler(every = 16): RssSampler {
	const start = process.memoryUsage.rss();
	let peak = start;
	let calls = 0;
	return {
		sample() {
			if (++calls % every === 0) peak = Math.max(peak, process.memoryUsage.rss());
		},
		peakGrowth: () => Math.max(peak, process.memoryUsage.rss()) - start,
	};
}

/** A plain-text table: header, dashes, rows; columns padded to their widest cell. */
export function formatTable(rows: readonly (readonly string[])[]): string {
	const header = rows[0];
	if (header === undefined) return '';
	const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
	const lines: string[] = [];
	for (const [i, row] of rows.entries()) {
		lines.push(
			row
				.map((cell, c) => cell.padEnd(widths[c] ?? 0))
				.join('  ')
				.trimEnd(),
		);
		if (i === 0) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
	}
	return `${lines.join('\n')}\n`;
}

/** A size or count from the environment (`fallback` when unset); anything else is a UsageError. */
export function wholeNumberFromEnv(
	name: string,
	fallback: number,
	env: NodeJS.ProcessEnv = process.env,
): number {
	const raw = env[name];
	if (raw === undefined || raw === '') return fallback;
	if (!/^[1-9][0-9]*$/.test(raw.trim())) {
		throw new UsageError(name, `expected a whole number ≥ 1, got '${raw}'`);
	}
	return Number(raw.trim());
}
