import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it, vi } from 'vitest';

import type { CliIo } from '../../../scripts/cli-io.js';
import { command as packageCommand, parsePackageArgs } from '../../../scripts/commands/package.js';
import { command as publishCommand } from '../../../scripts/commands/publish.js';
import { UsageError } from '../../../ts/errors.js';
import { PublishError } from '../../../ts/move/errors.js';
import { silentLogger } from '../../../ts/logger.js';

const PKG = `0x${'ab'.repeat(32)}`;
const CAP = `0x${'ca'.repeat(32)}`;

function io(): CliIo {
	return { logger: silentLogger, json: true, env: {}, result: vi.fn() };
}

describe('package command arguments (no config, key or chain involved)', () => {
	it('parses info, restrict and freeze', () => {
		expect(parsePackageArgs(['info']).request).toEqual({
			subcommand: 'info',
			packageId: undefined,
		});
		expect(parsePackageArgs(['info', PKG.toUpperCase().replace('0X', '0x')]).request).toEqual({
			subcommand: 'info',
			packageId: PKG,
		});
		expect(parsePackageArgs(['restrict', '--upgrade-policy', 'dependency-only']).request).toEqual({
			subcommand: 'restrict',
			policy: 'dependency-only',
			capId: undefined,
		});
		expect(parsePackageArgs(['freeze', '--cap', CAP]).request).toEqual({
			subcommand: 'freeze',
			capId: CAP,
		});
	});

	it.each([
		[[], /missing; expected info, restrict or freeze/],
		[['thaw'], /unknown 'thaw'/],
		[['info', '0x2'], /PACKAGE: expected 0x followed by exactly 64 hex digits/],
		[['info', PKG, PKG], /unexpected/],
		[['info', '--cap', CAP], /do not apply/],
		[['restrict'], /--upgrade-policy: is required/],
		[['restrict', '--upgrade-policy', 'compatible'], /never gets looser/],
		[['restrict', '--upgrade-policy', 'immutable'], /package freeze/],
		[['restrict', '--upgrade-policy', 'frozen'], /expected one of compatible, additive/],
		[['freeze', '--upgrade-policy', 'additive'], /does not apply/],
		[['freeze', '--cap', '0x1'], /--cap/],
		// The upgrade policy has one name in every command (decrypt's --policy is another thing).
		[
			['restrict', '--policy', 'additive'],
			/^arguments: unknown option '--policy' \(did you mean --upgrade-policy\?\)/,
		],
	])('%j → UsageError (exit 2)', async (args, message) => {
		const error = await packageCommand.run(args, io()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(UsageError);
		expect((error as Error).message).toMatch(message);
	});
});

describe('publish --upgrade-policy', () => {
	it('refuses an unknown policy before touching config, keys or the chain', async () => {
		const error = await publishCommand
			.run(['--upgrade-policy', 'frozen'], io())
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(UsageError);
		expect((error as Error).message).toMatch(
			/--upgrade-policy: expected one of compatible, additive, dependency-only, immutable/,
		);
	});

	it.each([
		['immutable', /made immutable.*never be upgraded/],
		['dependency-only', /restricted to dependency-only upgrades.*ETooPermissive/],
	])(
		'--upgrade of a package recorded as %s is refused before any key or chain',
		async (policy, message) => {
			const dir = await mkdtemp(join(tmpdir(), 'seal-policies-deployments-'));
			try {
				await writeFile(
					join(dir, 'testnet.json'),
					JSON.stringify({
						formatVersion: 1,
						network: 'testnet',
						chainId: '4c78adac',
						originalPackageId: PKG,
						latestPackageId: PKG,
						upgradeCapId: CAP,
						upgradePolicy: policy,
						packageDigest: 'ab'.repeat(32),
						publishDigest: 'FKxvBPD1USPz5ri4zCx7Gcz7JrVSLhxnimwuhgMpRHKV',
						publishedAt: '2026-12-01T00:00:00.000Z',
						upgrades: [],
						allowlists: [],
					}),
				);
				const error = await publishCommand
					.run(['--upgrade', '--network', 'testnet', '--deployments-dir', dir], io())
					.catch((e: unknown) => e);
				expect(error).toBeInstanceOf(PublishError);
				expect((error as Error).message).toMatch(message);
			} finally {
				await rm(dir, { recursive: true, force: true });
			}
		},
	);

	it('documents the option and the production recommendation', () => {
		expect(publishCommand.usage).toContain('--upgrade-policy');
		expect(publishCommand.usage).toMatch(/immutable or dependency-only/);
	});
});
