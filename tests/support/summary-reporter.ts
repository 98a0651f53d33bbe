import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints how long the run took, then one plain closing line, `tests: N passed, N failed, N
 * skipped`, after vitest's own summary, so tools that read the last line of a run (CI) can count
 * tests in any runner's terms. Under `npm test` (scripts/test.mjs) the time includes the
 * typecheck.
 */
export default class SummaryReporter implements Reporter {
	readonly #started = Date.now();

	onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
		let passed = 0;
		let failed = 0;
		let skipped = 0;
		for (const module of testModules) {
			for (const test of module.children.allTests()) {
				const state = test.result().state;
				if (state === 'passed') passed += 1;
				else if (state === 'failed') failed += 1;
				else skipped += 1;
			}
		}
		process.stdout.write(`\n${timeLine(this.#started, process.env)}\n`);
		process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
	}
}

/** `time: 1 min 38 s (typecheck 16 s, tests 82 s)`, or just the tests' time outside `npm test`. */
export function timeLine(testsStarted: number, env: NodeJS.ProcessEnv, now = Date.now()): string {
	const seconds = (ms: number) => Math.round(ms / 1000);
	const format = (ms: number) => {
		const s = seconds(ms);
		return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
	};
	const runStarted = Number(env['SEAL_TEST_STARTED_MS']);
	const typecheck = Number(env['SEAL_TEST_TYPECHECK_MS']);
	if (!Number.isFinite(runStarted) || !Number.isFinite(typecheck) || runStarted > testsStarted) {
		return `time: ${format(now - testsStarted)}`;
	}
	return `time: ${format(now - runStarted)} (typecheck ${format(typecheck)}, tests ${format(now - testsStarted)})`;
}
