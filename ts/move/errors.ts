/** Errors of the Move toolchain: build, unit tests, publish. */
import { HarnessError, type HarnessErrorOptions } from '../errors.js';

/** Publishing or upgrading the Move package failed or was refused. */
export class PublishError extends HarnessError {
	override name = 'PublishError';
}

/** The built package is identical to the recorded one; re-run with --force to publish anyway. */
export class PackageUnchangedError extends PublishError {
	override name = 'PackageUnchangedError';
}

/** One Move compiler diagnostic, located in a source file (path as printed, line, column). */
export interface MoveDiagnostic {
	readonly severity: 'error' | 'warning';
	/** Compiler code, e.g. `E04007`. */
	readonly code: string;
	readonly message: string;
	readonly file: string;
	readonly line: number;
	readonly column: number;
}

/** The Move compiler rejected the package. `diagnostics` give file and line of each error. */
export class MoveBuildError extends HarnessError {
	override name = 'MoveBuildError';
	readonly toolchain: 'sui-cli' | 'wasm';
	readonly diagnostics: readonly MoveDiagnostic[];
	/** The compiler's full report (source excerpts), for printing. */
	readonly output: string;
	constructor(
		toolchain: 'sui-cli' | 'wasm',
		diagnostics: readonly MoveDiagnostic[],
		output: string,
		options: HarnessErrorOptions = {},
	) {
		const errors = diagnostics.filter((d) => d.severity === 'error');
		const located = errors
			.map((d) => `${d.file}:${d.line}:${d.column}: error[${d.code}]: ${d.message}`)
			.join('\n');
		super(
			`Move build failed (${toolchain}, ${errors.length} error${errors.length === 1 ? '' : 's'}):\n` +
				`${located || output.trim()}\nFix the Move sources above and build again.`,
			options,
		);
		this.toolchain = toolchain;
		this.diagnostics = diagnostics;
		this.output = output;
	}
}

/** The Move toolchain itself failed (crashed, could not load, could not resolve dependencies). */
export class MoveToolchainError extends HarnessError {
	override name = 'MoveToolchainError';
	readonly toolchain: 'sui-cli' | 'wasm';
	constructor(toolchain: 'sui-cli' | 'wasm', message: string, options: HarnessErrorOptions = {}) {
		super(`${toolchain}: ${message}`, options);
		this.toolchain = toolchain;
	}
}
