/**
 * Command-line parsing the subcommands share. Every mistake is an `InvalidInputError` naming the
 * option, so the CLI exits 1 with one line (and the usage where it helps).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { InvalidInputError } from '../ts/errors.js';

/** `parseArgs` with user errors turned into `InvalidInputError` (exit 1 with one line). */
export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig['options']>>(
	args: string[],
	options: O,
	usage: string,
) {
	try {
		return parseArgs({ args, options, allowPositionals: true, strict: true });
	} catch (error) {
		throw new InvalidInputError('arguments', `${(error as Error).message}\n${usage}`, {
			cause: error,
		});
	}
}

/** For commands that take options only. */
export function rejectPositionals(positionals: readonly string[], usage: string): void {
	if (positionals.length > 0) {
		throw new InvalidInputError('arguments', `unexpected '${positionals.join(' ')}'\n${usage}`);
	}
}

export function requiredPath(value: string | undefined, field: string): string {
	if (value === undefined || value.trim() === '') throw new InvalidInputError(field, 'is required');
	return value;
}

/** `--in FILE --out FILE`: both required, and never the same file. */
export function inputOutputPaths(values: { in?: string | undefined; out?: string | undefined }): {
	input: string;
	output: string;
} {
	const input = requiredPath(values.in, '--in');
	const output = requiredPath(values.out, '--out');
	if (samePath(input, output)) throw new InvalidInputError('--out', 'must differ from --in');
	return { input, output };
}

/**
 * Whether two paths name the same file: equal once resolved (`a` vs `./a`), or, when both exist,
 * the same inode (hard and symbolic links). Writing an output over its input would destroy it.
 */
export function samePath(a: string, b: string): boolean {
	if (resolve(a) === resolve(b)) return true;
	const statA = statSync(a, { throwIfNoEntry: false });
	const statB = statSync(b, { throwIfNoEntry: false });
	return (
		statA !== undefined && statB !== undefined && statA.dev === statB.dev && statA.ino === statB.ino
	);
}

export function parsePositiveInt(value: string, field: string): number {
	if (!/^[1-9][0-9]{0,5}$/.test(value))
		throw new InvalidInputError(field, `expected a positive integer, got '${value}'`);
	return Number(value);
}

/** `parsePositiveInt` of an option that may be absent. */
export function optionalPositiveInt(value: string | undefined, field: string): number | undefined {
	return value === undefined ? undefined : parsePositiveInt(value, field);
}
