/**
 * The measuring rules every benchmark shares, so their tables can be trusted:
 * - baseline and candidate run in pairs whose order alternates (A B, B A, …), so neither side
 *   always gets the warmer cache or the quieter moment on a shared machine;
 * - each run records wall time and CPU time (user + system of this process), printed side by
 *   side: wall time drifts with other load, CPU time much less;
 * - a ratio is judged per pair (both sides of one pair ran back to back), never as a ratio of
 *   separately aggregated medians, which can disagree with how many pairs met the target;
 * - every target gets its verdict from `verdict` below, by one rule (VERDICT_RULE), printed once
 *   by the runner: never "ok" beside a miss, and the count of measurements that met the target
 *   is always consistent with the verdict and with the figure printed beside it.
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

/** Throughput in MB/s (10^6 bytes) for `bytes` in `ms`, rounded to 1 decimal as printed. */
export function mbPerSecond(bytes: number, ms: number): number {
	return rounded(bytes / 1e6 / (ms / 1000), 1);
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

/** The one verdict rule, printed once at the top of every bench run. */
export const VERDICT_RULE =
	'verdict rule: a target is judged on its repeated measurements (pairs or rounds; 1 where one ' +
	'is taken). It is met ("ok") when more than half of them meet it, missed ("MISS") otherwise; ' +
	'the figure beside the verdict is their median, so "ok" never stands next to a figure that misses.';

/** A target for `verdict`: at least `value` (speed-ups) or at most `value` (memory). */
export interface Target {
	readonly bound: 'at least' | 'at most';
	readonly value: number;
	/** Printed after numbers: `×`, ` MiB`. */
	readonly unit: string;
	/** Decimals printed (and compared: a verdict is made on the printed figure). */
	readonly digits: number;
}

export interface Verdict {
	readonly ok: boolean;
	readonly met: number;
	readonly total: number;
	/** The median measurement as printed. */
	readonly figure: string;
	/** e.g. `MISS 0.59× (5/9 ≥ 0.8×)`. */
	readonly text: string;
}

/**
 * Applies VERDICT_RULE to `measurements`. Each measurement is first rounded as it would be
 * printed. With an even count the median taken is the middle value on the losing side, which
 * keeps "the median meets the target" exactly equivalent to "more than half meet it".
 */
export function verdict(measurements: readonly number[], target: Target): Verdict {
	if (measurements.length === 0) throw new Error('verdict of no measurements');
	const shown = measurements.map((m) => rounded(m, target.digits));
	const meets = (m: number) =>
		target.bound === 'at least' ? m >= target.value : m <= target.value;
	const met = shown.filter(meets).length;
	const total = shown.length;
	const ok = met * 2 > total;
	const sorted = [...shown].sort((a, b) => a - b);
	const lower = sorted[Math.floor((total - 1) / 2)] as number;
	const upper = sorted[Math.floor(total / 2)] as number;
	const median = target.bound === 'at least' ? lower : upper;
	const sign = target.bound === 'at least' ? '≥' : '≤';
	const figure = `${median.toFixed(target.digits)}${target.unit}`;
	const goal = `${target.value}${target.unit}`;
	return {
		ok,
		met,
		total,
		figure,
		text: `${ok ? 'ok' : 'MISS'} ${figure} (${met}/${total} ${sign} ${goal})`,
	};
}

/** Per-pair speed ratios, candidate over baseline (baseline time / candidate time). */
export function pairRatios(pairs: Pairs, by: 'wallMs' | 'cpuMs'): number[] {
	return pairs.baseline.map((base, i) => base[by] / (pairs.candidate[i]?.[by] ?? NaN));
}

/** A progress line on stderr (stdout keeps the tables), so a long run is never silent. */
export function step(text: string): void {
	process.stderr.write(`… ${text}\n`);
}

/**
 * A `warning` listener that drops Node's notice that `node:sqlite` is experimental (the vault
 * bench loads it; the notice is not a result) and hands every other warning to `printers`.
 */
export function withoutSqliteNotice(
	printers: readonly ((warning: Error) => void)[],
): (warning: Error) => void {
	return (warning) => {
		if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
		for (const print of printers) print(warning);
	};
}

/** Installs `withoutSqliteNotice` in place of Node's own warning printer(s). */
export function quietSqliteWarning(): void {
	const printers = process.listeners('warning');
	process.removeAllListeners('warning');
	process.on('warning', withoutSqliteNotice(printers));
}
