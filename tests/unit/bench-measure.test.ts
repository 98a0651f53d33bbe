/** scripts/bench/measure.ts: the rules that keep benchmark tables honest. */
import { describe, expect, it } from 'vitest';

import {
	alternatingPairs,
	formatTable,
	mbPerSecond,
	median,
	pairsMeeting,
	ratioOf,
	rounded,
	timed,
	wholeNumberFromEnv,
} from '../../scripts/bench/measure.js';
import { UsageError } from '../../ts/errors.js';

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

	it('a ratio is recomputable from the printed figures', () => {
		const a = mbPerSecond(256 * 1024 * 1024, 301.7);
		const b = mbPerSecond(256 * 1024 * 1024, 377.3);
		expect(a).toBe(rounded(a, 1));
		expect(ratioOf(b, a)).toBe(`${(Number(b.toFixed(1)) / Number(a.toFixed(1))).toFixed(2)}×`);
	});

	it('verdicts count the pairs that met the target', () => {
		const s = (wallMs: number) => ({ wallMs, cpuMs: wallMs });
		const pairs = { baseline: [s(8), s(8), s(8)], candidate: [s(10), s(9), s(20)] };
		expect(pairsMeeting(pairs, 0.8)).toBe('2/3 pairs ≥ 0.8×');
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
