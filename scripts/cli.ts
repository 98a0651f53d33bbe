#!/usr/bin/env -S npx tsx
/**
 * `seal-policies <command> [subcommand] [options]` — one CLI for the harness.
 * Progress goes to stderr; with --json the result is printed as JSON on stdout.
 * On failure: non-zero exit and a one-line reason.
 */
import { createCliIo, type Command } from './cli-io.js';
import { HarnessError } from '../ts/errors.js';

const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
	localnet: () => import('./commands/localnet.js'),
	publish: () => import('./commands/publish.js'),
	allowlist: () => import('./commands/allowlist.js'),
	encrypt: () => import('./commands/encrypt.js'),
	decrypt: () => import('./commands/decrypt.js'),
	rewrap: () => import('./commands/rewrap.js'),
	e2e: () => import('./commands/e2e.js'),
	audit: () => import('./commands/audit.js'),
	keyserver: () => import('./commands/keyserver.js'),
	vault: () => import('./commands/vault.js'),
};

async function main(argv: string[]): Promise<number> {
	const json = argv.includes('--json');
	const verbose = argv.includes('--verbose');
	const rest = argv.filter((arg) => arg !== '--json' && arg !== '--verbose');
	const [name, ...args] = rest;
	if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
		process.stdout.write(await usage());
		return name === undefined ? 1 : 0;
	}
	const load = COMMANDS[name];
	if (!load) {
		process.stderr.write(`error: unknown command '${name}'. Run 'seal-policies --help'.\n`);
		return 2;
	}
	const { command } = await load();
	if (args.includes('--help') || args.includes('-h')) {
		process.stdout.write(`${command.usage}\n`);
		return 0;
	}
	return command.run(args, createCliIo({ json, verbose }));
}

async function usage(): Promise<string> {
	const lines = ['usage: seal-policies <command> [options] [--json] [--verbose]', '', 'commands:'];
	for (const [name, load] of Object.entries(COMMANDS)) {
		const { command } = await load();
		lines.push(`  ${name.padEnd(10)} ${command.summary}`);
	}
	return `${lines.join('\n')}\n`;
}

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		const reason =
			error instanceof HarnessError
				? `${error.name}: ${error.message}`
				: error instanceof Error
					? `${error.name}: ${error.message}`
					: String(error);
		process.stderr.write(`error: ${reason.split('\n')[0]}\n`);
		if (process.argv.includes('--verbose') && error instanceof Error && error.stack) {
			process.stderr.write(`${error.stack}\n`);
		}
		process.exitCode = 1;
	},
);
