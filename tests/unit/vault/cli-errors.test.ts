/**
 * `seal-policies vault` bad input through the real entry point (scripts/cli.ts in a child
 * process): every mistake on the command line exits 2 with one line naming the flag, found before
 * config, database or network (issue 21 defects 2–4, issue 17 items 5–7); a database that cannot
 * be used exits 1 naming the database, never a key server. No chain or key server is needed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { compileCli, type CompiledCli } from '../../support/compiled-cli.js';
import { GENESIS_PREV_HASH } from '../../../ts/vault/epoch-chain.js';
import { VAULT_SCHEMA_VERSION } from '../../../ts/vault/storage.js';
import { openSqliteStorage } from '../../../ts/vault/sqlite-storage.js';
import { MAX_RECORD_BYTES } from '../../../ts/vault/record-size.js';

// Each case starts Node on the CLI compiled once for this file (tests/support/compiled-cli.ts).
vi.setConfig({ testTimeout: 120_000 });

let dir: string;
let compiled: CompiledCli;
let CLI: string;
beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'vault-cli-errors-'));
	compiled = await compileCli();
	CLI = compiled.script('cli');
}, 120_000);
afterAll(() => {
	rmSync(dir, { recursive: true, force: true });
	compiled?.remove();
});

/** Runs the CLI in `dir` with a clean environment; args may hold raw bytes (via the shell). */
function cli(args: string[]) {
	const result = spawnSync(process.execPath, [CLI, ...args], {
		cwd: dir,
		env: { PATH: process.env['PATH'], HOME: dir },
		encoding: 'utf8',
		timeout: 60_000,
	});
	return { code: result.status, stderr: result.stderr, stdout: result.stdout };
}

/** The CLI with argv built by the shell: `printf` bytes reach Node as they are (not UTF-8). */
function cliShell(script: string) {
	const result = spawnSync('sh', ['-c', `"$NODE" "$CLI" ${script}`], {
		cwd: dir,
		env: { PATH: process.env['PATH'], HOME: dir, NODE: process.execPath, CLI },
		encoding: 'utf8',
		timeout: 60_000,
	});
	return { code: result.status, stderr: result.stderr, stdout: result.stdout };
}

/** stderr is exactly one line (no stack trace, no usage dump after the first line). */
function oneLine(stderr: string): string {
	const lines = stderr
		.split('\n')
		.filter((l) => l.trim() !== '' && !/ExperimentalWarning|--trace-warnings/.test(l));
	expect(lines, stderr).toHaveLength(1);
	return lines[0]!;
}

const HEX32 = 'ab'.repeat(16);

async function closedPort(): Promise<number> {
	return new Promise((done) => {
		const server = createServer().listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => done(port));
		});
	});
}

describe('usage errors exit 2 with one line naming the flag', () => {
	const cases: [string, string[], RegExp][] = [
		[
			'no subcommand',
			['vault'],
			/^error: UsageError: subcommand: missing: expected one of init\|put/,
		],
		['unknown subcommand', ['vault', 'nope', '--db', 'v.db'], /subcommand: unknown 'nope'/],
		['no storage', ['vault', 'stats'], /--db\/--postgres: give exactly one storage/],
		[
			'no id',
			['vault', 'put', '--db', 'v.db', '--value', 'x'],
			/vault put takes 1 positional argument/,
		],
		['get without --out', ['vault', 'get', 'a', '--db', 'v.db'], /--out: is required/],
		[
			'malformed --allowlist before the missing package',
			['vault', 'init', '--db', 'v.db', '--allowlist', '0x12'],
			/--allowlist: expected 0x followed by exactly 64 hex digits/,
		],
		[
			'malformed --owner',
			['vault', 'init', '--db', 'v.db', '--owner', 'bob'],
			/--owner: expected 0x/,
		],
		[
			'bad --threshold',
			['vault', 'init', '--db', 'v.db', '--owner', `0x${'ab'.repeat(32)}`, '--threshold', '0'],
			/--threshold: expected a positive integer/,
		],
		[
			'malformed --postgres',
			['vault', 'stats', '--postgres', 'notaurl', '--vault-id', HEX32],
			/--postgres: expected a URL like postgres:\/\/user@host:5432\/database/,
		],
		[
			'--postgres of another scheme',
			['vault', 'stats', '--postgres', 'mysql://h/db', '--vault-id', HEX32],
			/--postgres: expected a URL/,
		],
		[
			'malformed --vault-id',
			['vault', 'stats', '--postgres', 'postgres://h/db', '--vault-id', 'xyz'],
			/--vault-id: expected the 32 hex digits/,
		],
		[
			'--db a directory',
			['vault', 'stats', '--db', '.'],
			/--db: \. is a directory, not a vault file/,
		],
		[
			'--in missing',
			['vault', 'put', 'a', '--db', 'v.db', '--in', 'nope.bin'],
			/--in: nope\.bin does not exist/,
		],
		[
			'import file missing',
			['vault', 'import', 'nope.jsonl', '--db', 'v.db'],
			/FILE: nope\.jsonl does not exist/,
		],
		[
			'--out in a missing directory',
			['vault', 'export', '--db', 'v.db', '--out', 'no/such/out.jsonl'],
			/--out: .*does not exist/,
		],
		[
			'an id with a tab',
			['vault', 'put', 'a\tb', '--db', 'v.db', '--value', 'x'],
			/ID: a record id must be printable UTF-8 text; this one has U\+0009/,
		],
		[
			'--ttl too long',
			['vault', 'stats', '--db', 'v.db', '--ttl', '31'],
			/--ttl: at most 30 minutes/,
		],
		// The pin flags came with the epoch chain (merged after these cases were written): their
		// mistakes are usage errors too.
		[
			'neither --pin nor --trust-first-use',
			['vault', 'put', 'a', '--db', 'v.db', '--value', 'x'],
			/--pin\/--trust-first-use: vault put needs the vault's pin/,
		],
		[
			'both --pin and --trust-first-use',
			[
				'vault',
				'get',
				'a',
				'--db',
				'v.db',
				'--out',
				'a.out',
				'--pin',
				`0:${'a'.repeat(64)}`,
				'--trust-first-use',
			],
			/--pin\/--trust-first-use: give one of them, not both/,
		],
		[
			'a malformed --pin',
			['vault', 'rotate', '--db', 'v.db', '--pin', '0:ab'],
			/--pin: a vault pin is EPOCH:HASH/,
		],
	];
	for (const [what, args, message] of cases) {
		it(what, () => {
			const run = cli(args);
			expect(run.code, run.stderr).toBe(2);
			expect(oneLine(run.stderr)).toMatch(message);
		});
	}

	it('an id with invalid UTF-8 in argv is refused, not turned into U+FFFD', () => {
		for (const byte of ['\\377', '\\376']) {
			const run = cliShell(`vault put "$(printf 'id-${byte}')" --db v.db --value x`);
			expect(run.code, run.stderr).toBe(2);
			expect(oneLine(run.stderr)).toMatch(
				/ID: a record id must be printable UTF-8 text; this one has U\+FFFD/,
			);
		}
	});

	it(`a --in file over ${MAX_RECORD_BYTES} bytes is refused before anything is opened`, () => {
		const big = join(dir, 'big.bin');
		writeFileSync(big, '');
		truncateSync(big, MAX_RECORD_BYTES + 1);
		const run = cli(['vault', 'put', 'a', '--db', 'missing.db', '--in', 'big.bin']);
		expect(run.code, run.stderr).toBe(2);
		expect(oneLine(run.stderr)).toMatch(
			/--in: is 1048577 bytes; a vault record holds at most 1048576 bytes \(1 MiB\)/,
		);
	});
});

describe('a database that cannot be used exits 1 naming the database', () => {
	it('--postgres with nothing listening: the database, not a key server', async () => {
		const port = await closedPort();
		const url = `postgres://u:hunter2@127.0.0.1:${port}/db`;
		const run = cli(['vault', 'stats', '--postgres', url, '--vault-id', HEX32]);
		expect(run.code, run.stderr).toBe(1);
		const line = oneLine(run.stderr);
		expect(line).toMatch(
			new RegExp(
				`^error: VaultDatabaseError: --postgres postgres://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/db: cannot reach PostgreSQL`,
			),
		);
		expect(line).not.toMatch(/key server|hunter2/);
	});

	it('stats of a vault whose epochs were deleted: an error, not "current epoch -Infinity"', async () => {
		const path = join(dir, 'no-epochs.db');
		const storage = await openSqliteStorage({ path, mode: 'create' });
		await storage.create(
			{
				vaultId: new Uint8Array(16),
				policy: 'owner',
				target: `0x${'ab'.repeat(32)}`,
				packageId: `0x${'cd'.repeat(32)}`,
				threshold: 1,
				servers: [],
				createdAtMs: 1,
			},
			{
				epoch: 0,
				sealedKey: new Uint8Array(8),
				members: undefined,
				createdAtMs: 1,
				prevHash: GENESIS_PREV_HASH,
				commitment: new Uint8Array(),
				retired: [],
				resealing: [],
			},
		);
		await storage.close();
		const { DatabaseSync } = await import('node:sqlite');
		const db = new DatabaseSync(path);
		db.exec('DELETE FROM vault_epochs');
		db.close();
		expect(VAULT_SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
		const run = cli(['vault', 'stats', '--db', 'no-epochs.db']);
		expect(run.code, run.stderr).toBe(1);
		expect(oneLine(run.stderr)).toMatch(/^error: VaultDatabaseError: the vault 0{32} has no epoch/);
		expect(run.stdout + run.stderr).not.toMatch(/Infinity/);
	});

	it('an existing --db (a directory too) for init is a usage error', () => {
		mkdirSync(join(dir, 'adir'), { recursive: true });
		writeFileSync(join(dir, 'afile.db'), '');
		const owner = `0x${'ab'.repeat(32)}`;
		const onDir = cli(['vault', 'init', '--db', 'adir', '--owner', owner]);
		expect(onDir.code, onDir.stderr).toBe(2);
		expect(oneLine(onDir.stderr)).toMatch(/--db: adir is a directory, not a vault file/);
		const onFile = cli(['vault', 'init', '--db', 'afile.db', '--owner', owner]);
		expect(onFile.code, onFile.stderr).toBe(2);
		expect(oneLine(onFile.stderr)).toMatch(
			/--db: afile\.db already exists; vault init creates a new file/,
		);
	});
});
