import { stripAnsi } from './diagnostics.js';

/** The result of one Move unit test. */
export interface MoveTestResult {
	/** Fully qualified: `package::module::test`. */
	readonly name: string;
	readonly passed: boolean;
	/** Why it failed (the runner's failure report), when it failed. */
	readonly message?: string;
}

const RESULT_LINE = /^\[ (PASS|FAIL|TIMEOUT)\s*\] (\S+)\s*$/;
const FAILURES_IN = /^Failures in (\S+):\s*$/;
const BLOCK_START = /^┌── (\S+) ─+\s*$/;
const BLOCK_END = /^└─+\s*$/;
const SUMMARY = /^Test result: (OK|FAILED)\. Total tests: (\d+); passed: (\d+); failed: (\d+)/m;

export interface ParsedTestOutput {
	readonly tests: MoveTestResult[];
	/** The runner's own totals, when it printed its summary line. */
	readonly summary?: { readonly total: number; readonly passed: number; readonly failed: number };
}

/**
 * Parses the output of the Move unit-test runner (the same for `sui move test` and the WASM
 * runner): one `[ PASS ] name` / `[ FAIL ] name` line per test, then a failure report per
 * failed test, then `Test result: ...`.
 */
export function parseMoveTestOutput(output: string): ParsedTestOutput {
	const lines = stripAnsi(output).split('\n');
	const outcomes = new Map<string, string>();
	const messages = new Map<string, string>();
	let module: string | undefined;
	let block: { name: string; lines: string[] } | undefined;
	for (const line of lines) {
		if (block) {
			if (BLOCK_END.test(line)) {
				messages.set(block.name, block.lines.join('\n').trim());
				block = undefined;
			} else {
				block.lines.push(line.replace(/^│ ?/, ''));
			}
			continue;
		}
		const result = RESULT_LINE.exec(line);
		if (result) {
			const [, status, name = ''] = result;
			outcomes.set(name, status ?? 'FAIL');
			continue;
		}
		const failuresIn = FAILURES_IN.exec(line);
		if (failuresIn) {
			module = failuresIn[1];
			continue;
		}
		const start = BLOCK_START.exec(line);
		if (start && module !== undefined) block = { name: `${module}::${start[1] ?? ''}`, lines: [] };
	}
	const tests = [...outcomes].map(([name, status]): MoveTestResult => {
		if (status === 'PASS') return { name, passed: true };
		const fallback = status === 'TIMEOUT' ? 'timed out' : 'failed (no failure report printed)';
		return { name, passed: false, message: messages.get(name) ?? fallback };
	});
	const summary = SUMMARY.exec(stripAnsi(output));
	if (!summary) return { tests };
	return {
		tests,
		summary: {
			total: Number(summary[2]),
			passed: Number(summary[3]),
			failed: Number(summary[4]),
		},
	};
}
