/**
 * `seal-policies keyserver aggregator` and `keyserver start` with `server_mode: !Committee`:
 * usage, config errors and the start path up to the chain read (no chain here: a node URL that
 * refuses connections stands in for an unreachable one).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { command, startSettings } from '../../../scripts/commands/keyserver.js';
import type { CliIo } from '../../../scripts/cli-io.js';
import { InvalidInputError, UsageError } from '../../../ts/errors.js';
import { CommitteeChainError } from '../../../ts/keyserver/errors.js';
import { silentLogger } from '../../../ts/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'committee-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const io = (env: NodeJS.ProcessEnv = {}): CliIo => ({
	logger: silentLogger,
	json: false,
	env,
	result: () => {},
});
const MEMBER_YAML = `network: !Devnet
  seal_package: '0x5'
node_url: http://127.0.0.1:1
server_mode: !Committee
  member_address: '0x${'a'.repeat(64)}'
  key_server_obj_id: '0x${'b'.repeat(64)}'
  committee_state: Active
`;

describe('keyserver aggregator (CLI)', () => {
	it('is listed in the usage with its flags', () => {
		const usage = command.usageFor?.('aggregator') ?? '';
		for (const word of ['aggregator', '--config', '--port', '--metrics-port', '--workers']) {
			expect(usage).toContain(word);
		}
	});

	it('needs --config (or CONFIG_PATH): a usage error', async () => {
		await expect(command.run(['aggregator'], io())).rejects.toBeInstanceOf(UsageError);
		await expect(command.run(['aggregator'], io())).rejects.toThrow(/aggregator-config.yaml/);
	});

	it('a missing or malformed file is an input error naming the problem', async () => {
		await expect(
			command.run(['aggregator', '--config', join(dir, 'missing.yaml')], io()),
		).rejects.toThrow(/cannot read/);
		const bad = join(dir, 'bad.yaml');
		writeFileSync(bad, 'network: Testnet\n');
		await expect(command.run(['aggregator'], io({ CONFIG_PATH: bad }))).rejects.toThrow(
			InvalidInputError,
		);
		await expect(command.run(['aggregator'], io({ CONFIG_PATH: bad }))).rejects.toThrow(
			/key_server_object_id is required/,
		);
	});
});

describe('keyserver start with server_mode !Committee', () => {
	it('settings carry the committee mode; the object is key_server_obj_id', async () => {
		const file = join(dir, 'member.yaml');
		writeFileSync(file, MEMBER_YAML);
		const settings = await startSettings({ config: file }, {}, silentLogger);
		expect(settings.committee).toEqual({
			memberAddress: `0x${'a'.repeat(64)}`,
			keyServerObjectId: `0x${'b'.repeat(64)}`,
			state: { kind: 'Active' },
		});
		expect(settings.objectId).toBe(`0x${'b'.repeat(64)}`);
	});

	it('needs no MASTER_KEY; reads the committee from chain first (unreachable → CommitteeChainError)', async () => {
		const file = join(dir, 'member2.yaml');
		writeFileSync(file, MEMBER_YAML);
		const env: NodeJS.ProcessEnv = { MASTER_SHARE_V0: `0x${'00'.repeat(31)}01` };
		await expect(
			command.run(
				['start', '--config', file, '--check-node', 'off', '--metrics-port', 'off', '--port', '0'],
				io(env),
			),
		).rejects.toBeInstanceOf(CommitteeChainError);
	});
});
