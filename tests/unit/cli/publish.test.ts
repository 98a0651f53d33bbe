import { describe, expect, it, vi } from 'vitest';

import type { CliIo } from '../../../scripts/cli-io.js';
import { command } from '../../../scripts/commands/publish.js';
import { InvalidInputError, UsageError } from '../../../ts/errors.js';
import { silentLogger } from '../../../ts/logger.js';

function io(env: NodeJS.ProcessEnv = {}): CliIo {
	return { logger: silentLogger, json: true, env, result: vi.fn() };
}

describe('publish argument validation (no config, key or chain involved)', () => {
	it.each([
		[['--bogus'], /unknown option '--bogus'/],
		[['move'], /unexpected 'move'/],
		[['--network'], /argument missing/],
		[['--transport', 'graphql'], /expected 'grpc' or 'jsonrpc'/],
	])('%j → InvalidInputError', async (args, message) => {
		const error = await command.run(args, io()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(InvalidInputError);
		expect((error as Error).message).toMatch(message);
	});

	it('rejects an unknown --network as a usage error naming it', async () => {
		const error = await command.run(['--network', 'moonnet'], io()).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(UsageError);
		expect((error as Error).message).toMatch(/^--network: /);
		expect((error as Error).message).toContain('moonnet');
	});

	it('documents its options', () => {
		for (const option of [
			'--network',
			'--upgrade',
			'--force',
			'--package-path',
			'--deployments-dir',
		]) {
			expect(command.usage).toContain(option);
		}
	});
});
