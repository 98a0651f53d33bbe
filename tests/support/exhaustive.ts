/**
 * Exhaustive test runs on demand. By default a large vector set is sampled: a seeded random
 * subset is checked and the seed is printed (in the suite name), so any failure can be replayed
 * with `TEST_SAMPLE_SEED=<seed>`. `TEST_EXHAUSTIVE=1` (which `.ci/run` sets for a second pass)
 * checks every vector.
 */
export const EXHAUSTIVE = process.env['TEST_EXHAUSTIVE'] === '1';

/** The seed for this run: `TEST_SAMPLE_SEED` when given (a replay), else a fresh one. */
export const SAMPLE_SEED = ((): number => {
	const given = process.env['TEST_SAMPLE_SEED'];
	if (given === undefined || given === '') return Math.floor(Math.random() * 2 ** 31);
	const seed = Number(given);
	if (!Number.isSafeInteger(seed) || seed < 0) {
		throw new Error(`TEST_SAMPLE_SEED must be a non-negative integer, got '${given}'`);
	}
	return seed;
})();

/** mulberry32: a small seeded PRNG, enough to pick test vectors reproducibly. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
	};
}

export interface VectorSample {
	/** True when vector `index` (0-based, of `total`) is checked in this run. */
	has(index: number): boolean;
	/** How many vectors this run checks. */
	readonly size: number;
	/** For suite names: `all 1000` or `120 of 1000 (seed 42)`. */
	readonly label: string;
}

/**
 * Which of `total` vectors to check: all of them under `TEST_EXHAUSTIVE=1`, else `sampled`
 * distinct indices drawn with `SAMPLE_SEED` (salted with `name`, so suites draw differently).
 */
export function sampleVectors(name: string, total: number, sampled: number): VectorSample {
	if (EXHAUSTIVE || sampled >= total) {
		return { has: () => true, size: total, label: `all ${total}` };
	}
	let salt = SAMPLE_SEED;
	for (const char of name) salt = (Math.imul(salt, 31) + char.charCodeAt(0)) >>> 0;
	const random = seededRandom(salt);
	const chosen = new Set<number>();
	while (chosen.size < sampled) chosen.add(Math.floor(random() * total));
	return {
		has: (index) => chosen.has(index),
		size: sampled,
		label: `${sampled} of ${total} (TEST_SAMPLE_SEED=${SAMPLE_SEED})`,
	};
}
