/**
 * `seal-policies vault …` after argument parsing, with the offline testbed as chain and key
 * servers: init, put, get, import, export, rotate, stats; --json results; outputs written whole.
 */
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { CliIo } from '../../scripts/cli-io.js';
import { parseVaultArgs, runVault } from '../../scripts/commands/vault.js';
import { loadConfig } from '../../ts/config.js';
import { InvalidInputError, UsageError } from '../../ts/errors.js';
import { SealAccessDeniedError } from '../../ts/crypto/seal-errors.js';
import { silentLogger, type Logger } from '../../ts/logger.js';
import { formatRecordLine } from '../../ts/vault/records-file.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import { allowEpochs } from '../support/vault-helpers.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import { epochInnerId } from '../../ts/vault/vault.js';
import { toHex } from '../../ts/identity.js';
import { startTestPostgres } from '../support/vault-postgres.js';

let bed: SealTestbed;
let dir: string;
let user: Ed25519Keypair;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3 });
	user = bed.newUser();
});
afterAll(async () => {
	await bed?.close();
});
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'vault-cli-'));
	return () => rm(dir, { recursive: true, force: true });
});

/** `signer` null: commands that must not need a key (init, stats) fail if they ask. */
async function vaultCli(args: string[], signer: Ed25519Keypair | null = user) {
	const parsed = parseVaultArgs([...args, '--no-verify']);
	const config = loadConfig({
		cwd: dir,
		env: {
			SEAL_POLICY_PACKAGE: bed.packageId,
			SEAL_SERVER_IDS: bed.servers.map((s) => s.objectId).join(','),
			SEAL_THRESHOLD: '2',
		},
	});
	const results: unknown[] = [];
	const logs: string[] = [];
	const logger: Logger = { ...silentLogger, info: (m) => void logs.push(m) };
	const io: CliIo = { logger, json: true, env: {}, result: (value) => void results.push(value) };
	const ctx = {
		config,
		client: bed.registry,
		deploymentsDir: join(dir, 'deployments'),
		signer: async () => {
			if (signer === null) throw new Error('this command must not need the signer');
			return signer;
		},
	};
	const code = await runVault(parsed, ctx, io);
	return { code, result: results[0] as Record<string, unknown>, logs };
}

/** Lets `user` fetch the keys of every epoch the vault file has so far. */
async function allowAll(db: string, address = user.toSuiAddress()) {
	const storage = await openSqliteStorage({ path: db, mode: 'open' });
	const meta = await storage.readMeta();
	const epochs = (await storage.listEpochs()).map((e) => e.epoch);
	await storage.close();
	allowEpochs(bed, meta, epochs, address);
}

describe('vault CLI', () => {
	it('init, put, get, import, export, rotate, stats', async () => {
		const db = join(dir, 'v.db');
		const init = await vaultCli(['init', '--db', db, '--owner', user.toSuiAddress()], null);
		expect(init.code).toBe(0);
		expect(init.result).toMatchObject({ policy: 'owner', epoch: 0, threshold: 2 });
		expect(init.result.vaultId).toMatch(/^[0-9a-f]{32}$/);
		expect(init.result.pin).toMatch(/^0:[0-9a-f]{64}$/);
		let pin = ['--pin', init.result.pin as string];
		await allowAll(db);

		expect(
			(await vaultCli(['put', 'greeting', '--db', db, '--value', 'hello', ...pin])).result,
		).toEqual({
			id: 'greeting',
			epoch: 0,
			bytes: 5,
		});
		const blob = join(dir, 'blob.bin');
		await writeFile(blob, Buffer.alloc(2048, 9));
		await vaultCli(['put', 'blob', '--db', db, '--in', blob, ...pin]);

		const out = join(dir, 'out.txt');
		const got = await vaultCli(['get', 'greeting', '--db', db, '--out', out, ...pin]);
		expect(got.result).toMatchObject({ bytes: 5 });
		expect(await readFile(out, 'utf8')).toBe('hello');
		expect((await stat(out)).mode & 0o777).toBe(0o600);

		const input = join(dir, 'in.jsonl');
		const lines = Array.from({ length: 300 }, (_, i) =>
			formatRecordLine({ id: `m${i}`, data: new Uint8Array(Buffer.from(`message ${i}`)) }),
		);
		await writeFile(input, lines.join(''));
		const imported = await vaultCli(['import', input, '--db', db, ...pin]);
		expect(imported.result).toEqual({ total: 300, imported: 300, skipped: 0 });
		expect(imported.logs.at(-1)).toBe('imported: 300');
		expect((await vaultCli(['import', input, '--db', db, '--trust-first-use'])).result).toEqual({
			total: 300,
			imported: 0,
			skipped: 300,
		});

		// Rotating needs the current epoch's key (a member's signature), and prints the new pin.
		const rotated = await vaultCli(['rotate', '--db', db, ...pin]);
		expect(rotated.result).toMatchObject({ rotated: true, epoch: 1 });
		expect(rotated.result.pin).toMatch(/^1:[0-9a-f]{64}$/);
		pin = ['--pin', rotated.result.pin as string];
		await allowAll(db);
		expect(
			(await vaultCli(['put', 'later', '--db', db, '--value', 'x', ...pin])).result,
		).toMatchObject({
			epoch: 1,
		});

		const exported = join(dir, 'export.jsonl');
		const exp = await vaultCli(['export', '--db', db, '--out', exported, ...pin]);
		expect(exp.result).toMatchObject({ records: 303 });
		const exportedLines = (await readFile(exported, 'utf8')).trim().split('\n');
		expect(exportedLines).toHaveLength(303);
		expect(exportedLines).toContain(lines[42]!.trim());

		const stats = (await vaultCli(['stats', '--db', db], null)).result;
		expect(stats).toMatchObject({ records: 303, currentEpoch: 1, threshold: 2 });
		expect(JSON.stringify(stats)).not.toMatch(/hello|message/);
	});

	it('reseal: a full rekey moves every record under a new epoch, retires the old ones, prints the pin', async () => {
		const db = join(dir, 'v.db');
		const init = await vaultCli(['init', '--db', db, '--owner', user.toSuiAddress()], null);
		let pin = ['--pin', init.result.pin as string];
		await allowAll(db);
		await vaultCli(['put', 'a', '--db', db, '--value', 'A', ...pin]);
		pin = ['--pin', (await vaultCli(['rotate', '--db', db, ...pin])).result.pin as string];
		await allowAll(db);
		await vaultCli(['put', 'b', '--db', db, '--value', 'B', ...pin]);
		const resealed = await vaultCli(['reseal', '--db', db, ...pin]);
		expect(resealed.result).toMatchObject({ epoch: 2, moved: 2, retired: [0, 1], current: 3 });
		expect(resealed.result.pin).toMatch(/^3:[0-9a-f]{64}$/);
		expect(resealed.logs.at(-1)).toBe('resealed: 2');
		await allowAll(db);
		// The old pin still checks (later epochs by their MACs); the new one is what to keep.
		// Epoch 0 is retired already: nothing to do, no new epoch.
		const stale = await vaultCli(['reseal', '--db', db, '--epochs', '0', ...pin]);
		expect(stale.result).toMatchObject({ moved: 0, current: 3 });
		const out = join(dir, 'a.txt');
		await vaultCli(['get', 'a', '--db', db, '--out', out, '--pin', resealed.result.pin as string]);
		expect(await readFile(out, 'utf8')).toBe('A');
		const stats = (await vaultCli(['stats', '--db', db], null)).result;
		expect(stats).toMatchObject({ records: 2, currentEpoch: 3 });
	});

	it('a user the policy refuses gets SealAccessDeniedError and no output file', async () => {
		const db = join(dir, 'v.db');
		const { result } = await vaultCli(['init', '--db', db, '--owner', user.toSuiAddress()]);
		const pin = ['--pin', result.pin as string];
		await allowAll(db);
		await vaultCli(['put', 'secret', '--db', db, '--value', 's3cret', ...pin]);
		const out = join(dir, 'stolen.txt');
		const error = await vaultCli(
			['get', 'secret', '--db', db, '--out', out, ...pin],
			bed.newUser(),
		).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(SealAccessDeniedError);
		expect(await readdir(dir)).not.toContain('stolen.txt');
	});

	it('a failed init leaves no vault file behind', async () => {
		const db = join(dir, 'v.db');
		const error = await vaultCli(['init', '--db', db, '--owner', '0xnot-an-address']).catch(
			(e: unknown) => e,
		);
		expect((error as Error).message).toMatch(/owner/);
		expect(await readdir(dir)).toEqual([]);
	});

	it('a PostgreSQL vault: init prints the id; put, get, stats with --postgres --vault-id', async (ctx) => {
		const server = await startTestPostgres();
		if ('skip' in server) {
			console.log(`skipping the PostgreSQL CLI test: ${server.skip}`);
			return ctx.skip();
		}
		try {
			const pgArgs = ['--postgres', server.url];
			const init = await vaultCli(['init', ...pgArgs, '--owner', user.toSuiAddress()]);
			const vaultId = init.result.vaultId as string;
			const withId = [...pgArgs, '--vault-id', vaultId];
			const pin = ['--pin', init.result.pin as string];
			const stats0 = (await vaultCli(['stats', ...withId])).result;
			expect(stats0).toMatchObject({ vaultId, records: 0, currentEpoch: 0 });
			const epoch0 = epochInnerId(
				{
					vaultId: new Uint8Array(Buffer.from(vaultId, 'hex')),
					policy: 'owner',
					target: stats0.target as string,
				},
				0,
			);
			bed.policy.allow(toHex(epoch0), user.toSuiAddress());
			await vaultCli(['put', 'row-1', ...withId, '--value', 'from postgres', ...pin]);
			const out = join(dir, 'row-1.txt');
			await vaultCli(['get', 'row-1', ...withId, '--out', out, ...pin]);
			expect(await readFile(out, 'utf8')).toBe('from postgres');
			expect((await vaultCli(['stats', ...withId])).result).toMatchObject({ records: 1 });
		} finally {
			await server.stop();
		}
	});

	it('import of a file with one bad line: exit 1 naming the line, nothing written', async () => {
		const db = join(dir, 'v.db');
		const init = await vaultCli(['init', '--db', db, '--owner', user.toSuiAddress()], null);
		const pin = ['--pin', init.result.pin as string];
		await allowAll(db);
		const input = join(dir, 'in.jsonl');
		const good = formatRecordLine({ id: 'r0', data: new Uint8Array([1]) });
		for (const [bad, message] of [
			[
				Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xfe, 0x22, 0x7d, 0x0a]),
				/^line 2: is not valid UTF-8$/,
			],
			[
				Buffer.from('{"id":"a\\u0000","data":""}\n'),
				/^line 2 id: a record id must be printable UTF-8 text; this one has U\+0000/,
			],
		] as const) {
			await writeFile(input, Buffer.concat([Buffer.from(good), bad]));
			const error = await vaultCli(['import', input, '--db', db, ...pin]).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(InvalidInputError);
			// Data, not the command line: the CLI exits 1.
			expect(error).not.toBeInstanceOf(UsageError);
			expect((error as Error).message).toMatch(message);
			expect((await vaultCli(['stats', '--db', db], null)).result).toMatchObject({ records: 0 });
		}
	});

	it('bad arguments are typed errors that name the option', () => {
		const bad: [string[], RegExp][] = [
			[['nope', '--db', 'x'], /subcommand/],
			[['stats'], /--db\/--postgres/],
			[['stats', '--db', 'x', '--postgres', 'postgres://h/db'], /--db\/--postgres/],
			[['stats', '--postgres', 'postgres://h/db'], /--vault-id/],
			[['init', '--db', 'x'], /--allowlist\/--owner/],
			[['put', 'id', '--db', 'x'], /--in\/--value/],
			[['get', 'id', '--db', 'x'], /--out/],
			[['get', 'id', '--db', 'x', '--out', 'x'], /overwrite/],
			[['get', '--db', 'x', '--out', 'y'], /positional/],
			[['stats', '--db', 'x', '--ttl', '31'], /--ttl/],
			[['put', 'id', '--db', 'x', '--value', 'v'], /--pin.*--trust-first-use/],
			[['get', 'id', '--db', 'x', '--out', 'y', '--pin', '0:ab'], /EPOCH:HASH/],
			[['rotate', '--db', 'x', '--pin', `0:${'a'.repeat(64)}`, '--trust-first-use'], /not both/],
			[['stats', '--db', 'x', '--pin', `0:${'a'.repeat(64)}`], /does not check a pin/],
			[['rotate', '--db', 'x', '--trust-first-use', '--epochs', '0'], /only vault reseal/],
			[['reseal', '--db', 'x', '--trust-first-use', '--epochs', '0,x'], /not an epoch/],
		];
		for (const [args, message] of bad) {
			let error: unknown;
			try {
				parseVaultArgs(args);
			} catch (e) {
				error = e;
			}
			expect(error, args.join(' ')).toBeInstanceOf(InvalidInputError);
			expect((error as Error).message, args.join(' ')).toMatch(message);
		}
	});
});
