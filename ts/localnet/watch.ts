/**
 * Watches the children `localnet up` starts: the first one to exit before `up` is done aborts
 * the start-up at once with one line (part, exit code) and the last lines of its log, instead
 * of letting the next wait run into its timeout.
 */
import { LocalnetError } from './errors.js';
import { deadChildReport, describeExit, type DetachedChild } from './processes.js';

/** Lines of a dead child's log quoted in the report. */
export const LOG_TAIL_LINES = 20;

export class StackWatch {
	readonly #controller = new AbortController();
	#closed = false;

	/** Aborted (reason: the LocalnetError) when a watched child exits. */
	get signal(): AbortSignal {
		return this.#controller.signal;
	}

	/** The report of the first child that exited, if any. */
	get failure(): LocalnetError | undefined {
		const reason: unknown = this.#controller.signal.reason;
		return reason instanceof LocalnetError ? reason : undefined;
	}

	/** Reports `child` (named `command`, logging to `logFile`) if it exits before `close()`. */
	watch(part: string, command: string, child: DetachedChild, logFile: string): void {
		void child.exited.then(async (exit) => {
			if (this.#closed || this.signal.aborted) return;
			const report = await deadChildReport(
				`${command} (pid ${child.pid}) ${describeExit(exit)} while the localnet was starting`,
				logFile,
				LOG_TAIL_LINES,
			);
			if (this.#closed || this.signal.aborted) return;
			this.#controller.abort(new LocalnetError(part, report));
		});
	}

	/** Stop reporting: from here on children exit on purpose (down) or outlive `up`. */
	close(): void {
		this.#closed = true;
	}

	/** `work`, or the failure report as soon as a watched child exits (whichever comes first). */
	async guard<T>(work: Promise<T>): Promise<T> {
		// The losing promise may still reject later; that must not be an unhandled rejection.
		work.catch(() => undefined);
		const signal = this.signal;
		if (signal.aborted) throw signal.reason;
		let onAbort: (() => void) | undefined;
		const failed = new Promise<never>((_, reject) => {
			onAbort = () => reject(signal.reason);
			signal.addEventListener('abort', onAbort, { once: true });
		});
		try {
			return await Promise.race([work, failed]);
		} finally {
			if (onAbort) signal.removeEventListener('abort', onAbort);
		}
	}
}
