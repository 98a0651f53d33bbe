/** The step-by-step report of an e2e run and its closing pass/fail table. */

export interface StepResult {
	name: string;
	status: 'pass' | 'fail' | 'skip';
	ms: number;
	detail: string;
}

/** The final table: one row per step, then the totals. */
export function formatReport(results: readonly StepResult[]): string {
	const width = Math.max(4, ...results.map((r) => r.name.length));
	const lines = [
		`${'step'.padEnd(width)}  result  time     detail`,
		`${'-'.repeat(width)}  ------  -------  ------`,
	];
	for (const r of results) {
		const mark = r.status === 'pass' ? 'PASS' : r.status === 'fail' ? 'FAIL' : 'SKIP';
		lines.push(
			`${r.name.padEnd(width)}  ${mark.padEnd(6)}  ${formatMs(r.ms).padStart(7)}  ${r.detail}`,
		);
	}
	const count = (s: StepResult['status']) => results.filter((r) => r.status === s).length;
	lines.push('', `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`);
	return lines.join('\n');
}

function formatMs(ms: number): string {
	return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Runs steps in order; a step whose prerequisites failed is skipped with the reason. */
export class StepRunner {
	readonly results: StepResult[] = [];
	readonly #log: (line: string) => void;
	readonly #now: () => number;

	constructor(log: (line: string) => void, now: () => number = Date.now) {
		this.#log = log;
		this.#now = now;
	}

	/** Runs `fn` as step `name`; its resolved string is the detail. Never throws. */
	async step(
		name: string,
		fn: () => Promise<string>,
		needs: readonly string[] = [],
	): Promise<boolean> {
		const missing = needs.filter((n) => this.results.find((r) => r.name === n)?.status !== 'pass');
		const index = this.results.length + 1;
		if (missing.length > 0) {
			const detail = `needs: ${missing.join(', ')}`;
			this.results.push({ name, status: 'skip', ms: 0, detail });
			this.#log(`[${index}] ${name}: SKIP (${detail})`);
			return false;
		}
		this.#log(`[${index}] ${name} ...`);
		const start = this.#now();
		try {
			const detail = await fn();
			this.results.push({ name, status: 'pass', ms: this.#now() - start, detail });
			this.#log(`    ok: ${detail}`);
			return true;
		} catch (error) {
			const detail =
				error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
			this.results.push({ name, status: 'fail', ms: this.#now() - start, detail });
			this.#log(`    FAILED: ${detail}`);
			return false;
		}
	}

	get passed(): boolean {
		return this.results.length > 0 && this.results.every((r) => r.status === 'pass');
	}
}
