import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { CliIo } from '../../../scripts/cli-io.js';
import { command, parseAllowlistArgs } from '../../../scripts/commands/allowlist.js';
import { writeDeployment } from '../../../ts/chain/deployments.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { silentLogger } from '../../../ts/logger.js';

const ALLOWLIST = `0x${'cd'.repeat(32)}`;
const MEMBER = `0x${'22'.repeat(32)}`;
const CAP = `0x${'ef'.repeat(32)}`;

function io(env: NodeJS.ProcessEnv = {}): CliIo {
	return { logger: silentLogger, json: true, env, result: vi.fn() };
}

async function fieldOf(promise: Promise<unknown>): Promise<string | undefined> {
	const error = await promise.catch((e: unknown) => e);
	expect(error).toBeInstanceOf(InvalidInputError);
	return (error as InvalidInputError).field;
}

describe('allowlist argument validation (no config, key or chain involved)', () => {
	it.each([
		[[], 'subcommand', /missing/],
		[['frobnicate'], 'subcommand', /expected create, add, remove, migrate or show/],
		[['add', ALLOWLIST], 'arguments', /takes ALLOWLIST ADDRESS, got 1/],
		[['show'], 'arguments', /takes ALLOWLIST/],
		[['add', 'team', MEMBER], 'ALLOWLIST', /expected 0x followed by exactly 64 hex digits/],
		[['remove', ALLOWLIST, '0x22'], 'ADDRESS', /expected 0x followed by exactly 64 hex digits/],
		[['migrate', ALLOWLIST.slice(0, -1)], 'ALLOWLIST', /64 hex digits/],
		[['create', ''], 'NAME', /1 to 256 bytes/],
		[['add', ALLOWLIST, MEMBER, '--cap', 'my-cap'], '--cap', /64 hex digits/],
		[['add', ALLOWLIST, MEMBER, '--package', '0x2'], '--package', /64 hex digits/],
		[['create', 'team', '--cap', CAP], '--cap', /does not apply/],
		[['add', ALLOWLIST, MEMBER, '--events', '3'], '--events', /only applies to `allowlist show`/],
		[['show', ALLOWLIST, '--events', 'lots'], '--events', /integer/],
		[['show', ALLOWLIST, '--bogus'], 'arguments', /unknown option '--bogus'/],
	])('%j → InvalidInputError(%s)', async (args, field, message) => {
		const error = (() => {
			try {
				parseAllowlistArgs(args);
			} catch (e) {
				return e;
			}
			return undefined;
		})();
		expect(error).toBeInstanceOf(InvalidInputError);
		expect((error as InvalidInputError).field).toBe(field);
		expect((error as Error).message).toMatch(message);
		// run() reports the same error before loading config or keys.
		expect(await fieldOf(command.run(args, io()))).toBe(field);
	});

	it('normalises ids to lowercase and keeps the options', () => {
		const { request } = parseAllowlistArgs([
			'add',
			ALLOWLIST.toUpperCase().replace('0X', '0x'),
			MEMBER,
			'--cap',
			CAP,
		]);
		expect(request).toEqual({
			subcommand: 'add',
			allowlistId: ALLOWLIST,
			member: MEMBER,
			capId: CAP,
			packageId: undefined,
		});
		expect(parseAllowlistArgs(['show', ALLOWLIST]).request).toEqual({
			subcommand: 'show',
			allowlistId: ALLOWLIST,
			eventLimit: 20,
		});
		expect(parseAllowlistArgs(['create', 'team ops']).request).toMatchObject({ name: 'team ops' });
	});
});

// These runs load the configuration from the working directory; a developer's own config.yaml or
// .env (e.g. SEAL_POLICY_PACKAGE) would change which question is asked first.
const localConfig = ['config.yaml', '.env'].filter((file) => existsSync(file));
if (localConfig.length > 0) {
	console.warn(
		`[unit] skipped allowlist run checks: ${localConfig.join(', ')} in the working directory`,
	);
}

describe.skipIf(localConfig.length > 0)('allowlist: what is needed before a key is loaded', () => {
	let dir: string;
	beforeAll(async () => {
		dir = await mkdtemp(join(tmpdir(), 'cli-allowlist-'));
	});
	afterAll(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	it('asks for a package when nothing is published or configured', async () => {
		const run = command.run(
			['add', ALLOWLIST, MEMBER, '--deployments-dir', dir],
			io({ SUI_NETWORK: 'localnet' }),
		);
		await expect(run).rejects.toThrow(/no seal_policies package known for localnet/);
	});

	it('asks for --cap when the allowlist is not in the deployment record', async () => {
		await writeDeployment(dir, {
			formatVersion: 1,
			network: 'localnet',
			chainId: 'c',
			originalPackageId: `0x${'01'.repeat(32)}`,
			latestPackageId: `0x${'01'.repeat(32)}`,
			upgradeCapId: `0x${'03'.repeat(32)}`,
			packageDigest: 'aa',
			publishDigest: 'D',
			publishedAt: '2026-01-01T00:00:00.000Z',
			upgrades: [],
			allowlists: [],
			extra: {},
		});
		const run = command.run(
			['remove', ALLOWLIST, MEMBER, '--deployments-dir', dir],
			io({ SUI_NETWORK: 'localnet' }),
		);
		expect(await fieldOf(run)).toBe('--cap');
		await expect(
			command.run(
				['migrate', ALLOWLIST, '--deployments-dir', dir],
				io({ SUI_NETWORK: 'localnet' }),
			),
		).rejects.toThrow(/no cap recorded for allowlist 0xcdcd.* pass --cap/);
	});
});
