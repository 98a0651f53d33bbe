/**
 * Command-line parsing the subcommands share. Every mistake is a `UsageError` (an
 * `InvalidInputError`) naming the option, so the CLI exits 2 with one line.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { InvalidInputError, UsageError } from '../ts/errors.js';

/**
 * Runs a command's argument parser; any `InvalidInputError` it throws becomes a `UsageError`
 * (exit 2): a value that fails validation there is a wrong command line, not bad data. `flag`
 * names the option when the check names an internal field (`backend`, `rpcUrl`) instead.
 */
export function usageErrors<T>(parse: () => T, flag?: string): T {
	try {
		return parse();
	} catch (error) {
		if (
			error instanceof InvalidInputError &&
			(!(error instanceof UsageError) || flag !== undefined)
		) {
			const prefix = `${error.field}: `;
			const message = error.message.startsWith(prefix)
				? error.message.slice(prefix.length)
				: error.message;
			throw new UsageError(flag ?? error.field, message, { cause: error.cause });
		}
		throw error;
	}
}

/** `parseArgs` with user errors turned into `UsageError` (exit 2 with one line). */
export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig['options']>>(
	args: string[],
	options: O,
	usage: string,
) {
	try {
		return parseArgs({
			args: joinNegativeValues(args, options),
			options,
			allowPositionals: true,
			strict: true,
		});
	} catch (error) {
		const unknown = /^Unknown option '(--?[^']+)'/.exec((error as Error).message)?.[1];
		const message =
			unknown === undefined
				? (error as Error).message
				: `unknown option '${unknown}'${suggestion(unknown, Object.keys(options))}`;
		throw new UsageError('arguments', `${message}\n${usage}`, { cause: error });
	}
}

/** ` (did you mean --x?)` for an unknown option close to a known one (a renamed flag). */
function suggestion(unknown: string, known: readonly string[]): string {
	const name = unknown.replace(/^-+/, '');
	const close = known.filter((option) => {
		let common = 0;
		while (common < Math.min(option.length, name.length) && option[common] === name[common]) {
			common++;
		}
		return option.includes(name) || name.includes(option) || common >= 5;
	});
	return close.length === 0 ? '' : ` (did you mean ${close.map((o) => `--${o}`).join(' or ')}?)`;
}

/**
 * `--events -1` → `--events=-1`: `parseArgs` takes a value that starts with `-` for an option
 * ("argument is ambiguous"), so a negative number would never reach the flag's own check and
 * its message. Only numbers are joined; `--out -x` stays an error.
 */
function joinNegativeValues(
	args: string[],
	options: NonNullable<ParseArgsConfig['options']>,
): string[] {
	const joined: string[] = [];
	for (let i = 0; i < args.length; i++) {
		const arg = args[i] ?? '';
		if (arg === '--') {
			joined.push(...args.slice(i));
			break;
		}
		const next = args[i + 1];
		const name = arg.startsWith('--') ? arg.slice(2) : undefined;
		if (
			name !== undefined &&
			options[name]?.type === 'string' &&
			next !== undefined &&
			/^-[0-9]/.test(next)
		) {
			joined.push(`${arg}=${next}`);
			i++;
		} else {
			joined.push(arg);
		}
	}
	return joined;
}

/** For commands that take options only. */
export function rejectPositionals(positionals: readonly string[], usage: string): void {
	if (positionals.length > 0) {
		throw new UsageError('arguments', `unexpected '${positionals.join(' ')}'\n${usage}`);
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

/**
 * An input file the command will read: it must exist, be a regular file and be readable. Checked
 * before config, chain or key servers, so the one-line error names the file and its flag.
 */
export function checkInputFile(path: string, flag: string): void {
	const stat = statSync(path, { throwIfNoEntry: false });
	if (stat === undefined) throw new InvalidInputError(flag, `${path} does not exist`);
	if (stat.isDirectory()) throw new InvalidInputError(flag, `${path} is a directory, not a file`);
	try {
		accessSync(path, constants.R_OK);
	} catch {
		throw new InvalidInputError(flag, `${path} is not readable (check its permissions)`);
	}
}

/** A Move package directory: it exists, is a directory and holds a Move.toml. */
export function checkMovePackageDir(dir: string, flag: string): void {
	const stat = statSync(dir, { throwIfNoEntry: false });
	if (stat === undefined) throw new InvalidInputError(flag, `${dir} does not exist`);
	if (!stat.isDirectory()) throw new InvalidInputError(flag, `${dir} is not a directory`);
	if (!statSync(join(dir, 'Move.toml'), { throwIfNoEntry: false })?.isFile()) {
		throw new InvalidInputError(flag, `${dir} has no Move.toml (not a Move package directory)`);
	}
}

/** An output file: not a directory, and its directory exists and is writable. */
export function checkOutputFile(path: string, flag: string): void {
	const stat = statSync(path, { throwIfNoEntry: false });
	if (stat?.isDirectory()) throw new InvalidInputError(flag, `${path} is a directory, not a file`);
	checkOutputDir(dirname(resolve(path)), flag, path);
}

/** A directory outputs are written into: it exists, is a directory and is writable. */
export function checkOutputDir(dir: string, flag: string, forFile?: string): void {
	const what = forFile === undefined ? dir : `${forFile}: directory ${dir}`;
	const stat = statSync(dir, { throwIfNoEntry: false });
	if (stat === undefined) throw new InvalidInputError(flag, `${what} does not exist`);
	if (!stat.isDirectory()) throw new InvalidInputError(flag, `${what} is not a directory`);
	try {
		accessSync(dir, constants.W_OK);
	} catch {
		throw new InvalidInputError(flag, `${what} is not writable (check its permissions)`);
	}
}
