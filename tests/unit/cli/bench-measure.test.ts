/** scripts/bench/measure.ts: the rules that keep benchmark tables honest. */
import { describe, expect, it } from 'vitest';

import { memoryVerdict } from '../../../scripts/bench/envelope-pieces.js';
import { rowsOf, type Compared } from '../../../scripts/bench/envelope.js';
import { ratioVerdict } from '../../../scripts/bench/keyserver.js';
import {
	alternatingPairs,
	formatTable,
	mbPerSecond,
	median,
	pairRatios,
	rounded,
	timed,
	verdict,
	withoutSqliteNotice,
	wholeNumberFromEnv,
	type Target,
} from '../../../scripts/bench/measure.js';
import { UsageError } from '../../../ts/errors.js';

describe('bench measuring rules', () => {
	it('pairs alternate order: A B, B A, A B …', async () => {
		const order: string[] = [];
		const pairs = await alternatingPairs(
			4,
			() => order.push('base'),
			() => order.push('cand'),
		);
		expect(order).toEqual(['base', 'cand', 'cand', 'base', 'base', 'cand', 'cand', 'base']);
		expect(pairs.baseline).toHaveLength(4);
		expect(pairs.candidate).toHaveLength(4);
	});

	it('records CPU time beside wall time', async () => {
		// Spin until this process has used 20 ms of CPU (however long a busy machine takes).
		const busy = await timed(() => {
			const start = process.cpuUsage();
			for (;;) {
				const used = process.cpuUsage(start);
				if (used.user + used.system >= 20_000) break;
			}
		});
		expect(busy.cpuMs).toBeGreaterThanOrEqual(20);
		expect(busy.wallMs).toBeGreaterThanOrEqual(busy.cpuMs * 0.5);
		const idle = await timed(() => new Promise((r) => setTimeout(r, 30)));
		expect(idle.wallMs).toBeGreaterThanOrEqual(25);
		expect(idle.cpuMs).toBeLessThan(idle.wallMs);
	});

	it('throughput is rounded as printed', () => {
		const a = mbPerSecond(256 * 1024 * 1024, 301.7);
		expect(a).toBe(rounded(a, 1));
		expect(median([3, 1, 2])).toBe(2);
		expect(median([4, 1, 2, 3])).toBe(2.5);
	});

	it('tables pad columns and underline the header', () => {
		expect(
			formatTable([
				['a', 'bb'],
				['ccc', 'd'],
			]),
		).toBe('a    bb\n---  --\nccc  d\n');
	});

	it('sizes from the environment: unset means the default, anything but a whole number ≥ 1 is refused', () => {
		expect(wholeNumberFromEnv('ENVELOPE_BENCH_MIB', 1024, {})).toBe(1024);
		expect(wholeNumberFromEnv('ENVELOPE_BENCH_MIB', 1024, { ENVELOPE_BENCH_MIB: '' })).toBe(1024);
		expect(wholeNumberFromEnv('ENVELOPE_BENCH_MIB', 1024, { ENVELOPE_BENCH_MIB: '64' })).toBe(64);
		for (const bad of ['0', '-4', '1.5', '1e3', 'lots', '08']) {
			expect(() =>
				wholeNumberFromEnv('ENVELOPE_BENCH_MIB', 1024, { ENVELOPE_BENCH_MIB: bad }),
			).toThrow(new UsageError('ENVELOPE_BENCH_MIB', `expected a whole number ≥ 1, got '${bad}'`));
		}
	});
});

describe('one verdict rule for every bench', () => {
	const RATIO: Target = { bound: 'at least', value: 0.8, unit: '×', digits: 2 };
	const s = (cpuMs: number) => ({ wallMs: cpuMs, cpuMs });

	it('ok only when more than half the measurements meet the target; the figure is their median', () => {
		expect(verdict([0.9, 0.85, 0.7], RATIO).text).toBe('ok 0.85× (2/3 ≥ 0.8×)');
		expect(verdict([0.9, 0.7, 0.6], RATIO).text).toBe('MISS 0.70× (1/3 ≥ 0.8×)');
		// Even counts: half is not more than half, and the figure is the losing middle value.
		expect(verdict([0.9, 0.85, 0.7, 0.6], RATIO).text).toBe('MISS 0.70× (2/4 ≥ 0.8×)');
		// Judged on the printed figure: 0.7996 prints as 0.80, which meets 0.8.
		expect(verdict([0.7996], RATIO).text).toBe('ok 0.80× (1/1 ≥ 0.8×)');
		const limit: Target = { bound: 'at most', value: 32, unit: ' MiB', digits: 2 };
		expect(verdict([10, 40], limit).text).toBe('MISS 40.00 MiB (1/2 ≤ 32 MiB)');
		expect(verdict([10, 20, 40], limit).text).toBe('ok 20.00 MiB (2/3 ≤ 32 MiB)');
	});

	it('never "ok" beside a figure that misses, nor "MISS" beside one that meets (random runs)', () => {
		let seed = 7;
		const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1.6;
		for (let run = 0; run < 500; run++) {
			const values = Array.from({ length: 1 + (run % 12) }, random);
			const { ok, figure, met, total } = verdict(values, RATIO);
			expect(Number.parseFloat(figure) >= 0.8, `${values}`).toBe(ok);
			expect(met * 2 > total).toBe(ok);
		}
	});

	it('the envelope case the old table called "0.91× ok (5/15 pairs)" is a miss', () => {
		// Medians of each side give 20 vs 22 ms (0.91×), but only 5 of 15 pairs reach 0.8×.
		const baseline = [10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 30, 30, 30, 30, 30].map(s);
		const candidate = [13, 13, 13, 13, 13, 22, 22, 22, 22, 22, 40, 40, 40, 40, 40].map(s);
		const pairs = { baseline, candidate };
		expect(pairRatios(pairs, 'cpuMs').filter((r) => r >= 0.8)).toHaveLength(5);
		const compared: Compared = {
			case: '1 MiB',
			bytes: 1024 * 1024,
			encrypt: pairs,
			decrypt: pairs,
		};
		const [row] = rowsOf(compared);
		expect(row?.at(-1)).toBe('MISS 0.77× (5/15 ≥ 0.8×)');
		expect(row?.some((cell) => cell.startsWith('ok'))).toBe(false);
	});

	it('envelope rows fit in 100 columns', () => {
		const pairs = { baseline: [s(1000)], candidate: [s(1100)] };
		const table = formatTable([
			['case', 'pairs', 'native MB/s', 'envelope MB/s', 'wall', 'verdict (CPU)'],
			...rowsOf({
				case: 'chunk 1 MiB (default)',
				bytes: 16 * 1024 ** 2,
				encrypt: pairs,
				decrypt: pairs,
			}),
		]);
		for (const line of table.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
	});

	it('the key-server bench prints a verdict for each target: 1.78× misses ≥ 2×, 3.70× misses ≥ 5×', () => {
		expect(ratioVerdict([1.7, 1.78, 1.9, 2.1, 1.6], 2)).toBe('MISS 1.78× (1/5 ≥ 2×)');
		expect(ratioVerdict([3.7, 3.5, 3.9, 3.6, 3.8], 5)).toBe('MISS 3.70× (0/5 ≥ 5×)');
		expect(ratioVerdict([5.5, 5.6, 5.2, 4.9, 5.8], 5)).toBe('ok 5.50× (4/5 ≥ 5×)');
		expect(ratioVerdict([4.2], undefined)).toBe('4.20× (no target)');
	});

	it('a memory reading without a sample is no reading, never "0.0 ok"', () => {
		expect(memoryVerdict({ peak: 0, samples: 0 })).toBe('no reading (no sample taken)');
		expect(memoryVerdict({ peak: 0, samples: 8 })).toBe('ok 0.00 MiB (1/1 ≤ 32 MiB)');
		expect(memoryVerdict({ peak: 10 * 1024 ** 2, samples: 8 })).toBe('ok 10.00 MiB (1/1 ≤ 32 MiB)');
		expect(memoryVerdict({ peak: 40 * 1024 ** 2, samples: 8 })).toBe(
			'MISS 40.00 MiB (0/1 ≤ 32 MiB)',
		);
	});

	it("Node's SQLite ExperimentalWarning is dropped; other warnings are printed", () => {
		const printed: string[] = [];
		const listener = withoutSqliteNotice([(w) => void printed.push(w.message)]);
		const sqlite = Object.assign(new Error('SQLite is an experimental feature'), {
			name: 'ExperimentalWarning',
		});
		const other = Object.assign(new Error('something else'), { name: 'DeprecationWarning' });
		listener(sqlite);
		listener(other);
		expect(printed).toEqual(['something else']);
	});
});
