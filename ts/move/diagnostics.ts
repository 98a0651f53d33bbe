import path from 'node:path';

import { MoveBuildError, MoveToolchainError, type MoveDiagnostic } from './errors.js';
import type { MoveToolchainKind } from './toolchain.js';

export type { MoveDiagnostic };

// Strips ANSI colour codes the Sui CLI may emit.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const HEADER = /^(error|warning)\[(\w+)\]: (.*)$/;
const LOCATION = /^\s*┌─ (.+):(\d+):(\d+)\s*$/;

export function stripAnsi(text: string): string {
	return text.replace(ANSI, '');
}

/**
 * Extracts `severity[code]: message` diagnostics and their first `┌─ file:line:col` location
 * from Move compiler output. Relative paths are taken as relative to `packagePath` and shown
 * from the working directory, so they can be opened as printed.
 */
export function parseMoveDiagnostics(output: string, packagePath: string): MoveDiagnostic[] {
	const diagnostics: MoveDiagnostic[] = [];
	let pending: { severity: 'error' | 'warning'; code: string; message: string } | undefined;
	for (const rawLine of stripAnsi(output).split('\n')) {
		const line = rawLine.replace(/^│ ?/, '');
		const header = HEADER.exec(line);
		if (header) {
			const [, severity, code, message] = header;
			pending = {
				severity: severity === 'warning' ? 'warning' : 'error',
				code: code ?? '',
				message: message ?? '',
			};
			continue;
		}
		const location = LOCATION.exec(line);
		if (location && pending) {
			const [, file = '', lineNo = '0', column = '0'] = location;
			diagnostics.push({
				...pending,
				file: displayPath(file, packagePath),
				line: Number(lineNo),
				column: Number(column),
			});
			pending = undefined;
		}
	}
	return diagnostics;
}

/** `file:line:column: error[code]: message`, one per line. */
export function formatDiagnostics(diagnostics: readonly MoveDiagnostic[]): string {
	return diagnostics
		.map((d) => `${d.file}:${d.line}:${d.column}: ${d.severity}[${d.code}]: ${d.message}`)
		.join('\n');
}

function displayPath(file: string, packagePath: string): string {
	const absolute = path.isAbsolute(file) ? file : path.resolve(packagePath, file);
	const relative = path.relative(process.cwd(), absolute);
	return relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
}

/**
 * The error for a failed build or test run: `MoveBuildError` when `output` holds compiler
 * errors (the sources are wrong), else `MoveToolchainError` saying `reason` (the tool broke).
 */
export function compilerFailure(
	toolchain: MoveToolchainKind,
	output: string,
	packagePath: string,
	reason: string,
): MoveBuildError | MoveToolchainError {
	const diagnostics = parseMoveDiagnostics(output, packagePath);
	if (diagnostics.some((d) => d.severity === 'error')) {
		return new MoveBuildError(toolchain, diagnostics, output);
	}
	return new MoveToolchainError(toolchain, reason);
}
