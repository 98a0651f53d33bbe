import { stderrLogger, type Logger } from '../ts/logger.js';
import type { Endpoints } from './network-errors.js';

/**
 * What every subcommand gets: a logger for human-readable progress (stderr) and a way to emit
 * its result (JSON on stdout with --json, a readable summary otherwise).
 */
export interface CliIo {
	readonly logger: Logger;
	readonly json: boolean;
	readonly env: NodeJS.ProcessEnv;
	/** Standard input, for `--in -` (tests pass their own; default process.stdin). */
	readonly stdin?: AsyncIterable<Uint8Array> & { isTTY?: boolean };
	/** What the command talks to (set by `suiContext`), so a network failure can name it. */
	readonly endpoints?: Endpoints;
	/** Emit the command's result: `value` as JSON when --json, else `human` (if given). */
	result(value: unknown, human?: string): void;
}

export interface Command {
	readonly summary: string;
	readonly usage: string;
	/** The part of `usage` about one subcommand (`keyserver start --help`), if it has parts. */
	usageFor?(subcommand: string): string | undefined;
	/** Resolves with the process exit code (0 = success). Throws for failures with a reason. */
	run(args: string[], io: CliIo): Promise<number>;
}

/**
 * The blocks of `usage` about `subcommand`: each block starts at a line naming
 * `seal-policies <command> <subcommand>` and runs to the next such line for another subcommand.
 * Undefined when `usage` has no block for it (the whole usage is shown instead).
 */
export function subcommandUsage(
	usage: string,
	command: string,
	subcommand: string,
): string | undefined {
	const header = new RegExp(`^(?:usage:)?\\s*seal-policies ${command} ([a-z][a-z-]*)\\b`);
	const picked: string[] = [];
	let current: string | undefined;
	for (const line of usage.split('\n')) {
		const named = header.exec(line)?.[1];
		if (named !== undefined) current = named;
		if (current === subcommand) picked.push(line);
	}
	while (picked.at(-1)?.trim() === '') picked.pop();
	if (picked.length === 0) return undefined;
	const first = picked[0] ?? '';
	return first.startsWith('usage:') ? picked.join('\n') : `usage:\n${picked.join('\n')}`;
}

export function createCliIo({
	json,
	verbose,
	env = process.env,
}: {
	json: boolean;
	verbose: boolean;
	env?: NodeJS.ProcessEnv;
}): CliIo {
	return {
		logger: stderrLogger({ verbose }),
		json,
		env,
		endpoints: {},
		result(value, human) {
			if (json) {
				process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
			} else if (human !== undefined) {
				process.stdout.write(`${human}\n`);
			}
		},
	};
}

/** JSON has no bigint or bytes: print them as decimal strings and hex. */
function jsonReplacer(_key: string, value: unknown): unknown {
	if (typeof value === 'bigint') return value.toString();
	if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
	return value;
}
