/**
 * The library is silent by default; callers that want progress pass a `Logger`.
 * Scripts pass `stderrLogger` so stdout stays free for `--json` results.
 */
export interface Logger {
	info(message: string): void;
	warn(message: string): void;
	debug(message: string): void;
}

export const silentLogger: Logger = {
	info: () => {},
	warn: () => {},
	debug: () => {},
};

export function stderrLogger({ verbose = false }: { verbose?: boolean } = {}): Logger {
	return {
		info: (message) => process.stderr.write(`${message}\n`),
		warn: (message) => process.stderr.write(`warning: ${message}\n`),
		debug: (message) => {
			if (verbose) process.stderr.write(`${message}\n`);
		},
	};
}
