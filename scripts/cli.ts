#!/usr/bin/env node
/**
 * `seal-policies <command> [subcommand] [options]` — one CLI for the harness.
 * Progress goes to stderr; with --json the result is printed as JSON on stdout.
 * On failure: a one-line reason on stderr; exit 2 for a wrong command line, 1 otherwise.
 *
 * Startup stays light (`--help` must answer in well under half a second): a command's module,
 * and with it the Sui and Seal SDKs, is imported only when that command runs.
 */
import { COMMANDS, usage, version } from './cli-commands.js';
import type { CliIo } from './cli-io.js';
import { nodeVersionProblem } from './node-version.js';

/** The running command's io (its recorded endpoints explain a network failure). */
let commandIo: CliIo | undefined;

async function main(argv: string[]): Promise<number> {
	const nodeProblem = nodeVersionProblem();
	if (nodeProblem !== undefined) {
		process.stderr.write(`error: ${nodeProblem}\n`);
		return 1;
	}
	const json = argv.includes('--json');
	const verbose = argv.includes('--verbose');
	const rest = argv.filter((arg) => arg !== '--json' && arg !== '--verbose');
	const [name, ...args] = rest;
	if (name === '--version' || name === '-V' || name === 'version') {
		process.stdout.write(`seal-policies ${version()}\n`);
		return 0;
	}
	if (name === '--help' || name === '-h' || (name === 'help' && args.length === 0)) {
		process.stdout.write(usage());
		return 0;
	}
	// `help encrypt`, `help keyserver start`: the same text as `encrypt --help`.
	if (name === 'help') return main([...args, '--help']);
	if (name === undefined) {
		process.stderr.write(usage());
		return 2;
	}
	const entry = COMMANDS[name];
	if (!entry) {
		process.stderr.write(`error: unknown command '${name}'. Run 'seal-policies --help'.\n`);
		return 2;
	}
	const [{ command }, { createCliIo }] = await Promise.all([entry.load(), import('./cli-io.js')]);
	if (args.includes('--help') || args.includes('-h')) {
		const subcommand = args[0]?.startsWith('-') ? undefined : args[0];
		const text = (subcommand && command.usageFor?.(subcommand)) || command.usage;
		process.stdout.write(`${text}\n`);
		return 0;
	}
	commandIo = createCliIo({ json, verbose });
	return command.run(args, commandIo);
}

/** Exit code for a failure: 2 when the command line was wrong, 1 for everything else. */
async function failureCode(error: unknown): Promise<number> {
	const { UsageError } = await import('../ts/errors.js');
	return error instanceof UsageError ? 2 : 1;
}

/** A network failure named by endpoint, cause and next step; other errors as they are. */
async function explained(error: unknown): Promise<unknown> {
	if (commandIo?.endpoints === undefined) return error;
	const { explainNetworkError } = await import('./network-errors.js');
	return (await explainNetworkError(error, commandIo.endpoints)) ?? error;
}

// A reader that stops early (`| head -1`, `| true`) closes the pipe: that ends the command
// quietly instead of with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
	stream.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
		throw error;
	});
}

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	async (thrown: unknown) => {
		const error = await explained(thrown);
		const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
		process.stderr.write(`error: ${reason.split('\n')[0]}\n`);
		if (process.argv.includes('--verbose') && error instanceof Error && error.stack) {
			process.stderr.write(`${error.stack}\n`);
		}
		process.exitCode = await failureCode(error);
	},
);
