/**
 * Progress for long work, on stderr so stdout stays free for results: a redrawn bar on a
 * terminal, plain lines (at most one per 10 %) otherwise, nothing when `total` is small enough
 * that the work is quick. Reusable by any command: `const p = progress(...); p.advance(n); p.done()`.
 */
export interface Progress {
	/** `amount` more units done (bytes, files…). */
	advance(amount: number): void;
	/** The work finished: completes the bar (or prints the last line). */
	done(): void;
}

export interface ProgressOptions {
	/** What is being done, e.g. `decrypting big.seal`. */
	label: string;
	/** Units in all (bytes, files…); 0 or less: unknown, no percentage. */
	total: number;
	/** How to print a unit count: bytes as MiB, files as a count. */
	unit: 'bytes' | 'items';
	/** Below this total no progress is shown (default: 0, always). */
	minTotal?: number;
	/** Where to write (default process.stderr); a bar only when it is a TTY. */
	stream?: { write(text: string): unknown; isTTY?: boolean };
	/** Clock for throttling the bar (tests pass their own). */
	now?: () => number;
}

/** Byte-progress is shown from this size up (smaller files finish at once). */
export const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

const BAR_WIDTH = 24;
/** Redraw a TTY bar at most this often. */
const REDRAW_MS = 100;

export function progress(options: ProgressOptions): Progress {
	const stream = options.stream ?? process.stderr;
	const now = options.now ?? (() => performance.now());
	const { label, total, unit } = options;
	if (total < (options.minTotal ?? 0)) return { advance: () => {}, done: () => {} };
	const tty = stream.isTTY === true;
	let doneUnits = 0;
	let lastDraw = -Infinity;
	let lastDecile = -1;
	let finished = false;

	const amount = (n: number) => (unit === 'bytes' ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${n}`);
	const fraction = () => (total > 0 ? Math.min(1, doneUnits / total) : 0);
	const describe = () =>
		total > 0
			? `${label}: ${Math.floor(fraction() * 100)}% (${amount(doneUnits)} of ${amount(total)})`
			: `${label}: ${amount(doneUnits)}`;

	const draw = (force: boolean) => {
		if (tty) {
			const t = now();
			if (!force && t - lastDraw < REDRAW_MS) return;
			lastDraw = t;
			const filled = Math.round(fraction() * BAR_WIDTH);
			const bar = `[${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}]`;
			stream.write(`\r${bar} ${describe()}\u001b[K`);
			return;
		}
		const decile = Math.floor(fraction() * 10);
		if (!force && decile === lastDecile) return;
		lastDecile = decile;
		stream.write(`${describe()}\n`);
	};

	return {
		advance(n) {
			if (finished) return;
			doneUnits += n;
			draw(false);
		},
		done() {
			if (finished) return;
			finished = true;
			if (total > 0) doneUnits = Math.max(doneUnits, total);
			if (tty) {
				draw(true);
				stream.write('\n');
			} else if (lastDecile !== 10) {
				draw(true);
			}
		},
	};
}

/**
 * Passes `source` through unchanged, reporting each chunk's size to `report` (e.g. bytes read
 * from a file being encrypted).
 */
export async function* counted<T extends Uint8Array>(
	source: AsyncIterable<T>,
	report: (bytes: number) => void,
): AsyncGenerator<T> {
	for await (const chunk of source) {
		report(chunk.length);
		yield chunk;
	}
}
