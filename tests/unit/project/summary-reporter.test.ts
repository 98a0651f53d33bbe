import { describe, expect, it } from 'vitest';
import { timeLine } from '../../support/summary-reporter.js';

describe('the time line before the closing count line', () => {
	it('under npm test: the whole run, the typecheck and the tests', () => {
		const env = { SEAL_TEST_STARTED_MS: '1000', SEAL_TEST_TYPECHECK_MS: '16400' };
		expect(timeLine(17_400, env, 17_400 + 50_000)).toBe(
			'time: 1 min 6 s (typecheck 16 s, tests 50 s)',
		);
	});

	it('outside npm test (plain vitest): the tests alone', () => {
		expect(timeLine(5_000, {}, 5_000 + 42_400)).toBe('time: 42 s');
		// A start stamp later than the tests' own start is stale (another run's): ignored.
		const stale = { SEAL_TEST_STARTED_MS: '9000', SEAL_TEST_TYPECHECK_MS: '100' };
		expect(timeLine(5_000, stale, 5_000 + 61_000)).toBe('time: 1 min 1 s');
	});
});
