/**
 * The CLI's command table, top-level help and version: what `seal-policies --help` needs, without
 * importing any command module (and with it the Sui and Seal SDKs).
 */
import type { Command } from './cli-io.js';

export { packageVersion as version } from './package-root.js';

export interface CommandEntry {
	/** One line for `--help`; kept here so the top-level help imports no command module. */
	readonly summary: string;
	readonly load: () => Promise<{ command: Command }>;
}

export const COMMANDS: Record<string, CommandEntry> = {
	localnet: {
		summary: 'up | down | status | fund: local Sui network with t-of-n Seal key servers',
		load: () => import('./commands/localnet.js'),
	},
	publish: {
		summary: 'publish (or --upgrade) the seal_policies Move package and record its ids',
		load: () => import('./commands/publish.js'),
	},
	package: {
		summary: 'show or reduce who can upgrade the package (info, restrict, freeze)',
		load: () => import('./commands/package.js'),
	},
	allowlist: {
		summary: 'create, change, migrate and show namespace allowlists',
		load: () => import('./commands/allowlist.js'),
	},
	encrypt: {
		summary: 'encrypt a file for an allowlist or an owner (Seal, or envelope for large files)',
		load: () => import('./commands/encrypt.js'),
	},
	decrypt: {
		summary: 'decrypt files (batch: one key request per 100 identities)',
		load: () => import('./commands/decrypt.js'),
	},
	rewrap: {
		summary: 'move an envelope to new key servers / threshold without re-encrypting its data',
		load: () => import('./commands/rewrap.js'),
	},
	e2e: {
		summary: 'the full flow on localnet (up → flow → down) or testnet, with a pass/fail table',
		load: () => import('./commands/e2e.js'),
	},
	audit: {
		summary: 'verify a hash-chained key-access log (audit verify FILE)',
		load: () => import('./commands/audit.js'),
	},
	keyserver: {
		summary: 'genkey | gen-seed | derive-key | start: our TypeScript Seal key server',
		load: () => import('./commands/keyserver.js'),
	},
	vault: {
		summary: 'records vault: many records under one policy, one sealed key per epoch',
		load: () => import('./commands/vault.js'),
	},
	sui: {
		summary: 'install | which: the pinned Sui CLI in a per-user cache, verified',
		load: () => import('./commands/sui.js'),
	},
	move: {
		summary: 'build | test: compile the Move package or run its unit tests (as `sui move`)',
		load: () => import('./commands/move.js'),
	},
};

export function usage(): string {
	const lines = [
		'usage: seal-policies <command> [options] [--json] [--verbose]',
		'       seal-policies <command> --help | --version',
		'',
		'commands:',
	];
	for (const [name, { summary }] of Object.entries(COMMANDS)) {
		lines.push(`  ${name.padEnd(10)} ${summary}`);
	}
	return `${lines.join('\n')}\n`;
}
