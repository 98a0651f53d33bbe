import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { StepRunner, formatReport } from '../../../ts/e2e/report.js';
import { testnetUnavailable } from '../../../ts/e2e/environment.js';
import { outputName, parseDecryptArgs } from '../../../scripts/commands/decrypt.js';
import { parseE2eArgs } from '../../../scripts/commands/e2e.js';
import { parseEncryptArgs } from '../../../scripts/commands/encrypt.js';
import { parseLocalnetArgs } from '../../../scripts/commands/localnet.js';
import { parseRewrapArgs } from '../../../scripts/commands/rewrap.js';
import { newServerSet } from '../../../ts/seal/rewrap-plan.js';

const ID = `0x${'1f'.repeat(32)}`;
const ID2 = `0x${'2f'.repeat(32)}`;

describe('encrypt arguments', () => {
	it('accepts an allowlist or an owner target, with a nonce and threshold', () => {
		const { request } = parseEncryptArgs([
			'--allowlist',
			ID,
			'--in',
			'a',
			'--out',
			'b',
			'--nonce',
			'0a0b',
			'--threshold',
			'2',
		]);
		expect(request.target).toEqual({
			policy: 'allowlist',
			allowlistId: ID,
			nonce: new Uint8Array([10, 11]),
		});
		expect(request.threshold).toBe(2);
		expect(request.verify).toBe(true);
		const owner = parseEncryptArgs([
			'--owner',
			ID.toUpperCase().replace('0X', '0x'),
			'--in',
			'a',
			'--out',
			'b',
			'--no-verify',
		]);
		expect(owner.request.target).toEqual({ policy: 'owner', owner: ID });
		expect(owner.request.verify).toBe(false);
	});

	it('rejects both or neither target, bad ids, bad numbers and in = out', () => {
		const bad = [
			['--in', 'a', '--out', 'b'],
			['--allowlist', ID, '--owner', ID, '--in', 'a', '--out', 'b'],
			['--allowlist', '0x2', '--in', 'a', '--out', 'b'],
			['--allowlist', ID, '--in', 'a', '--out', 'b', '--threshold', '0'],
			['--allowlist', ID, '--in', 'a', '--out', 'b', '--nonce', 'xyz'],
			['--allowlist', ID, '--in', 'a', '--out', 'a'],
			['--allowlist', ID, '--out', 'b'],
			['--allowlist', ID, '--in', 'a', '--out', 'b', '--bogus'],
		];
		for (const args of bad)
			expect(() => parseEncryptArgs(args), args.join(' ')).toThrow(InvalidInputError);
	});
});

describe('decrypt arguments', () => {
	it('maps many inputs into an output directory', () => {
		const { request } = parseDecryptArgs([
			'x/a.seal',
			'y/b.bin',
			'--out-dir',
			'plain',
			'--policy',
			'owner',
			'--ttl',
			'20',
		]);
		expect(request.outputs).toEqual(['plain/a', 'plain/b.bin.plain']);
		expect(request.policy).toBe('owner');
		expect(request.ttlMin).toBe(20);
		expect(parseDecryptArgs(['a.seal', '--out', 'a.txt']).request).toMatchObject({
			outputs: ['a.txt'],
			policy: 'auto',
			ttlMin: 10,
		});
	});

	it('rejects missing inputs, --out with many inputs, clashing names, bad policy and TTL', () => {
		const bad = [
			['--out', 'x'],
			['a', 'b', '--out', 'x'],
			['a', '--out', 'x', '--out-dir', 'd'],
			['d1/a.seal', 'd2/a.seal', '--out-dir', 'd'],
			['a', '--out', 'x', '--policy', 'anyone'],
			['a', '--out', 'x', '--ttl', '31'],
			['a', '--out', 'a'],
		];
		for (const args of bad)
			expect(() => parseDecryptArgs(args), args.join(' ')).toThrow(InvalidInputError);
		expect(outputName('.seal')).toBe('.seal.plain');
	});
});

describe('rewrap arguments', () => {
	it('parses a new server list and keeps configured details for known ids', () => {
		const { request } = parseRewrapArgs([
			'--in',
			'a',
			'--out',
			'b',
			'--servers',
			`${ID}, ${ID2}`,
			'--threshold',
			'1',
		]);
		expect(request.servers).toEqual([ID, ID2]);
		const configured = [{ objectId: ID, weight: 2, apiKeyName: 'X-API-Key', apiKey: 'k' }];
		expect(newServerSet(request.servers, configured)).toEqual([
			configured[0],
			{ objectId: ID2, weight: 1 },
		]);
		expect(newServerSet(undefined, configured)).toEqual(configured);
	});

	it('rejects duplicate servers and bad ids', () => {
		expect(() => parseRewrapArgs(['--in', 'a', '--out', 'b', '--servers', `${ID},${ID}`])).toThrow(
			/twice/,
		);
		expect(() => parseRewrapArgs(['--in', 'a', '--out', 'b', '--servers', '0x1'])).toThrow(
			InvalidInputError,
		);
	});
});

describe('localnet and e2e arguments', () => {
	it('parses up with its options and refuses them elsewhere', () => {
		expect(parseLocalnetArgs(['up'])).toEqual({
			action: 'up',
			serverCount: 3,
			threshold: 2,
			basePort: 2024,
			installSui: false,
		});
		expect(
			parseLocalnetArgs(['up', '--server-count', '5', '--threshold', '3', '--port', '3000']),
		).toEqual({
			action: 'up',
			serverCount: 5,
			threshold: 3,
			basePort: 3000,
			installSui: false,
		});
		expect(parseLocalnetArgs(['up', '--install-sui'])).toMatchObject({ installSui: true });
		expect(parseLocalnetArgs(['status'])).toEqual({ action: 'status' });
		expect(parseLocalnetArgs(['fund', ID.toUpperCase().replace('0X', '0x')])).toEqual({
			action: 'fund',
			address: ID,
		});
		expect(() => parseLocalnetArgs(['fund'])).toThrow(InvalidInputError);
		expect(() => parseLocalnetArgs(['fund', '0x12'])).toThrow(InvalidInputError);
		expect(() => parseLocalnetArgs(['down', '--server-count', '2'])).toThrow(InvalidInputError);
		// `--servers` is a list of key-server ids (rewrap); the count has its own name.
		expect(() => parseLocalnetArgs(['up', '--servers', '3'])).toThrow(
			/unknown option '--servers' \(did you mean --server-count\?\)/,
		);
		expect(() => parseLocalnetArgs(['restart'])).toThrow(InvalidInputError);
		expect(() => parseLocalnetArgs(['up', '--port', '80'])).toThrow(InvalidInputError);
	});

	it('parses e2e networks', () => {
		expect(parseE2eArgs([])).toEqual({ network: 'localnet', reuse: false, installSui: false });
		expect(parseE2eArgs(['--network', 'testnet'])).toEqual({
			network: 'testnet',
			reuse: false,
			installSui: false,
		});
		expect(parseE2eArgs(['--install-sui'])).toMatchObject({ installSui: true });
		expect(() => parseE2eArgs(['--network', 'testnet', '--install-sui'])).toThrow(
			InvalidInputError,
		);
		expect(() => parseE2eArgs(['--network', 'mainnet'])).toThrow(InvalidInputError);
		expect(() => parseE2eArgs(['--network', 'testnet', '--reuse'])).toThrow(InvalidInputError);
	});

	it('says why the testnet tier cannot run', () => {
		expect(testnetUnavailable({})).toMatch(/SEAL_E2E_TESTNET/);
		expect(testnetUnavailable({ SEAL_E2E_TESTNET: '1' })).toMatch(/SUI_PRIVATE_KEY/);
		expect(
			testnetUnavailable({ SEAL_E2E_TESTNET: '1', SUI_PRIVATE_KEY: 'suiprivkey1x' }),
		).toBeUndefined();
	});
});

describe('e2e report', () => {
	it('runs steps, skips those whose prerequisites failed, and tabulates', async () => {
		const lines: string[] = [];
		let clock = 0;
		const run = new StepRunner(
			(l) => lines.push(l),
			() => (clock += 5),
		);
		await run.step('a', async () => 'fine');
		await run.step('b', async () => {
			throw new InvalidInputError('x', 'broke');
		});
		await run.step('c', async () => 'never', ['b']);
		await run.step('d', async () => 'also fine', ['a']);
		expect(run.results.map((r) => r.status)).toEqual(['pass', 'fail', 'skip', 'pass']);
		expect(run.passed).toBe(false);
		const table = formatReport(run.results);
		expect(table).toMatch(/^b +FAIL .*InvalidInputError: x: broke$/m);
		expect(table).toMatch(/^c +SKIP .*needs: b$/m);
		expect(table).toContain('2 passed, 1 failed, 1 skipped');
		expect(lines.some((l) => l.includes('FAILED'))).toBe(true);
	});
});

describe('npm run e2e without sui', () => {
	it('exits non-zero with one line saying what is missing and how to install it', () => {
		const root = resolve(import.meta.dirname, '..', '..', '..');
		const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', 'e2e'], {
			cwd: root,
			env: { ...process.env, PATH: '', SUI_BIN: '' },
			encoding: 'utf8',
			timeout: 60_000,
		});
		expect(result.status).toBe(1);
		const lines = result.stderr.trim().split('\n');
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatch(
			/^error: PrerequisiteMissingError: no `sui` binary found.*suiup.*brew install sui.*cargo install/,
		);
	});

	it('testnet: exits non-zero in one line when SUI_PRIVATE_KEY is missing', () => {
		const root = resolve(import.meta.dirname, '..', '..', '..');
		const env = { ...process.env };
		delete env['SUI_PRIVATE_KEY'];
		const result = spawnSync(
			process.execPath,
			['--import', 'tsx', 'scripts/cli.ts', 'e2e', '--network', 'testnet'],
			{
				cwd: root,
				env,
				encoding: 'utf8',
				timeout: 60_000,
			},
		);
		expect(result.status).toBe(1);
		expect(result.stderr.trim().split('\n')).toEqual([
			expect.stringMatching(/^error: PrerequisiteMissingError: SUI_PRIVATE_KEY is not set/),
		]);
	});
});
