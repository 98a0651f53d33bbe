/**
 * The committee / permissioned parts of a localnet stack without a chain: launch commands (secrets
 * only in the child's env), the derived permissioned key (upstream's regression vector), the
 * client config with `aggregatorUrl`, and status/down over fake process records.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../ts/config.js';
import { TESTNET_COMMITTEE_SERVER } from '../../../ts/e2e/environment.js';
import { createSealClient } from '../../../ts/seal/client.js';
import { createSuiClient } from '../../../ts/chain/sui-client.js';
import {
	aggregatorCommand,
	harnessMemberCommand,
	memberName,
} from '../../../ts/localnet/committee.js';
import { localnetDown, stopKeyServer } from '../../../ts/localnet/down.js';
import { renderLocalnetEnv } from '../../../ts/localnet/env-file.js';
import { keyServerChildEnv } from '../../../ts/localnet/keyservers.js';
import { permissionedCommand } from '../../../ts/localnet/permissioned.js';
import { deriveMasterKey } from '../../../ts/keyserver/derive-key.js';
import { derivedClientPublicKey, generateSeed } from '../../../ts/localnet/permissioned-key.js';
import { SEAL_RELEASE_TAG } from '../../../ts/localnet/seal-package.js';
import { localnetServerEntries, renderLocalnetConfigYaml } from '../../../ts/localnet/servers.js';
import {
	writeLocalnetState,
	readLocalnetState,
	type LocalnetState,
} from '../../../ts/localnet/state.js';
import { formatStatus, localnetStatus } from '../../../ts/localnet/status.js';
import { silentLogger } from '../../../ts/logger.js';
import { writeFile } from 'node:fs/promises';
import { localnetUp } from '../../../ts/localnet/up.js';
import { LocalnetTopologyError } from '../../../ts/localnet/errors.js';
import { stat } from 'node:fs/promises';

const SEAL_PKG = `0x${'5e'.repeat(32)}`;
const COMMITTEE_ID = `0x${'c0'.repeat(32)}`;
const PERM_ID = `0x${'9e'.repeat(32)}`;
/** Pids that cannot exist (above the kernel's pid_max). */
const DEAD = 2 ** 30;

function topologyState(): LocalnetState {
	const dead = 'http://127.0.0.1:1';
	return {
		version: 1,
		startedAt: '2026-01-01T00:00:00.000Z',
		rpcUrl: dead,
		faucetUrl: `${dead}/gas`,
		chainId: 'abcd1234',
		node: { pid: DEAD, logFile: '/tmp/x/sui.log' },
		sealPackageId: SEAL_PKG,
		sealReleaseTag: SEAL_RELEASE_TAG,
		policyPackageId: `0x${'9a'.repeat(32)}`,
		threshold: 2,
		admin: `0x${'ad'.repeat(32)}`,
		keyServers: [
			{
				name: 'localnet-key-server-1',
				objectId: `0x${'1'.repeat(64)}`,
				url: dead,
				port: 2024,
				pid: DEAD + 1,
				implementation: 'harness',
				logFile: '/tmp/x/ks1.log',
			},
		],
		committee: {
			name: 'localnet-committee',
			objectId: COMMITTEE_ID,
			threshold: 2,
			size: 3,
			version: 0,
			members: [0, 1, 2].map((partyId) => ({
				name: memberName(partyId),
				url: dead,
				port: 2025 + partyId,
				pid: DEAD + 2 + partyId,
				implementation: 'harness' as const,
				logFile: `/tmp/x/m${partyId}.log`,
				partyId,
				memberAddress: `0x${String(partyId + 3).repeat(64)}`,
				partialPublicKey: 'aa'.repeat(96),
			})),
			aggregator: {
				name: 'localnet-aggregator',
				url: 'http://127.0.0.1:2028',
				port: 2028,
				pid: DEAD + 5,
				implementation: 'harness',
				logFile: '/tmp/x/agg.log',
			},
		},
		permissioned: {
			name: 'localnet-permissioned',
			url: dead,
			port: 2029,
			pid: DEAD + 6,
			implementation: 'harness',
			logFile: '/tmp/x/perm.log',
			objectId: PERM_ID,
			clientName: 'localnet-policy-client',
			derivationIndex: 0,
			packageIds: [`0x${'9a'.repeat(32)}`],
		},
	};
}

describe('permissioned client key (derive_master_key)', () => {
	it("registers key·G2 of the key server's own derivation for index 0", () => {
		// The derivation itself is pinned to upstream's test_derive_key_regression vector in
		// tests/unit/keyserver/derive-key.test.ts; here: localnet registers what the server serves.
		const seed = generateSeed();
		const key = deriveMasterKey(seed, 0);
		expect(derivedClientPublicKey(seed, 0)).toEqual(
			bls12_381.G2.Point.BASE.multiply(BigInt(`0x${Buffer.from(key).toString('hex')}`)).toBytes(),
		);
		expect(derivedClientPublicKey(seed, 1)).not.toEqual(derivedClientPublicKey(seed, 0));
		expect(() => derivedClientPublicKey(seed.slice(1), 0)).toThrow(/must be 32 bytes/);
	});
});

describe('launch commands', () => {
	const base = { nodeExecPath: '/node', cliPath: '/repo/scripts/cli.ts', configPath: '/c.yaml' };

	it('a member gets its share as MASTER_SHARE_V0 in its env, never in its arguments', () => {
		const share = `0x${'ab'.repeat(32)}`;
		const spec = harnessMemberCommand({ ...base, port: 2030, shareHex: share });
		expect(spec.env).toEqual({ MASTER_SHARE_V0: share });
		expect(spec.args.join(' ')).not.toContain('ab'.repeat(32));
		expect(spec.args).toEqual(
			expect.arrayContaining(['keyserver', 'start', '--config', '/c.yaml', '--port', '2030']),
		);
		// The child env is built up: nothing of ours (another member's share, our key) leaks in.
		const env = keyServerChildEnv(
			{ PATH: '/bin', MASTER_SHARE_V0: 'other', SUI_PRIVATE_KEY: 'suiprivkey1x' },
			spec.env,
		);
		expect(env).toEqual({ PATH: '/bin', MASTER_SHARE_V0: share });
	});

	it('the aggregator reads CONFIG_PATH and PORT like upstream, ours or Mysten’s', () => {
		const ours = aggregatorCommand({ ...base, mystenBinary: undefined, port: 2040 });
		expect(ours.args).toEqual([
			'--import',
			'tsx',
			'/repo/scripts/cli.ts',
			'keyserver',
			'aggregator',
			'--config',
			'/c.yaml',
		]);
		expect(ours.env).toEqual({ CONFIG_PATH: '/c.yaml', PORT: '2040' });
		const mysten = aggregatorCommand({
			...base,
			mystenBinary: '/bin/aggregator-server',
			port: 2040,
		});
		expect(mysten).toMatchObject({
			command: '/bin/aggregator-server',
			args: [],
			implementation: 'mysten',
		});
	});

	it('the permissioned server gets its seed as MASTER_KEY only', () => {
		const seedHex = 'cd'.repeat(32);
		const ours = permissionedCommand({ ...base, mystenBinary: undefined, port: 2050, seedHex });
		expect(ours.env).toEqual({ SEAL_KEYSERVER_MASTER_KEY: seedHex, MASTER_KEY: seedHex });
		expect(ours.args.join(' ')).not.toContain(seedHex);
		const mysten = permissionedCommand({
			...base,
			mystenBinary: '/bin/key-server',
			port: 2050,
			seedHex,
		});
		expect(mysten.env).toEqual({ CONFIG_PATH: '/c.yaml', MASTER_KEY: seedHex, PORT: '2050' });
	});
});

describe('client configuration of a mixed stack', () => {
	let root: string;
	beforeEach(async () => {
		root = await mkdtemp(join(tmpdir(), 'localnet-topo-'));
	});
	afterEach(async () => {
		await rm(root, { recursive: true, force: true });
	});

	it('the committee entry carries aggregatorUrl; loadConfig reads it back via SEAL_CONFIG', async () => {
		const state = topologyState();
		expect(localnetServerEntries(state)).toEqual([
			{ objectId: `0x${'1'.repeat(64)}`, weight: 1 },
			{ objectId: COMMITTEE_ID, weight: 1, aggregatorUrl: 'http://127.0.0.1:2028' },
			{ objectId: PERM_ID, weight: 1 },
		]);
		const configFile = join(root, '.localnet', 'config.yaml');
		await import('node:fs/promises').then((fs) => fs.mkdir(join(root, '.localnet')));
		await writeFile(configFile, renderLocalnetConfigYaml(state));
		const envText = renderLocalnetEnv(state, configFile);
		expect(envText).toContain(`SEAL_CONFIG=${configFile}\n`);
		expect(envText).toContain(`SEAL_SERVER_IDS=0x${'1'.repeat(64)},${COMMITTEE_ID},${PERM_ID}\n`);
		expect(envText).not.toMatch(/KEY=|PRIVATE|SHARE|SEED/);
		// What a user gets after `set -a; . ./.env.localnet; set +a`.
		const env = Object.fromEntries(
			envText
				.split('\n')
				.filter((line) => /^[A-Z_]+=/.test(line))
				.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
		);
		const config = loadConfig({ env, cwd: root, requireSeal: true });
		expect(config.seal.servers).toEqual(localnetServerEntries(state));
		expect(config.seal.threshold).toBe(2);
	});
});

describe('status and down over committee, aggregator and permissioned records', () => {
	let root: string;
	beforeEach(async () => {
		root = await mkdtemp(join(tmpdir(), 'localnet-topo-'));
	});
	afterEach(async () => {
		await rm(root, { recursive: true, force: true });
	});

	it('status lists members, aggregator and permissioned server; down stops them all', async () => {
		const file = join(root, '.localnet', 'state.json');
		await writeLocalnetState(file, topologyState());
		expect(await readLocalnetState(file)).toEqual(topologyState());

		const status = await localnetStatus({
			root,
			fetch: async () => Promise.reject(new Error('down')),
		});
		expect(status.parts.map((p) => p.part)).toEqual([
			'node',
			'faucet',
			'localnet-key-server-1',
			'localnet-committee-member-0',
			'localnet-committee-member-1',
			'localnet-committee-member-2',
			'localnet-aggregator',
			'localnet-permissioned',
		]);
		expect(status.parts.every((p) => !p.running && !p.answering)).toBe(true);
		expect(status.health).toBe('failed');
		const text = formatStatus(status);
		expect(text).toMatch(/localnet-committee-member-1 .*party 1 of 2-of-3/);
		expect(text).toContain(
			`committee:      ${COMMITTEE_ID} 2-of-3, aggregator http://127.0.0.1:2028`,
		);
		expect(text).toContain(`permissioned:   ${PERM_ID} client localnet-policy-client`);

		expect(await stopKeyServer({ root, name: 'localnet-aggregator' })).toBe(false);
		const down = await localnetDown({ root, logger: silentLogger });
		expect(down.notRunning).toEqual([
			'localnet-key-server-1',
			'localnet-committee-member-0',
			'localnet-committee-member-1',
			'localnet-committee-member-2',
			'localnet-aggregator',
			'localnet-permissioned',
			'node',
		]);
		const after = await readLocalnetState(file);
		expect(after?.committee?.members.every((m) => m.pid === undefined)).toBe(true);
		expect(after?.committee?.aggregator?.pid).toBeUndefined();
		expect(after?.permissioned?.pid).toBeUndefined();
		expect(
			(await localnetStatus({ root, fetch: async () => Promise.reject(new Error('x')) })).health,
		).toBe('stopped');
	});

	it('status answers for a live aggregator (any HTTP answer) and live key servers (/health)', async () => {
		const state = topologyState();
		state.node.pid = process.pid;
		const file = join(root, '.localnet', 'state.json');
		await writeLocalnetState(file, state);
		const seen: string[] = [];
		const fakeFetch = (async (input: string | URL) => {
			const url = String(input);
			seen.push(url);
			if (url.startsWith('http://127.0.0.1:2028'))
				return new Response('not found', { status: 404 });
			return new Response('{}', { status: 503 });
		}) as typeof fetch;
		const status = await localnetStatus({ root, fetch: fakeFetch });
		expect(status.parts.find((p) => p.part === 'localnet-aggregator')?.answering).toBe(true);
		expect(status.parts.find((p) => p.part === 'localnet-committee-member-0')?.answering).toBe(
			false,
		);
		expect(seen).toContain('http://127.0.0.1:2028');
	});
});

describe('testnet committee entry (e2e-testnet tier)', () => {
	it("is Mysten's testnet committee behind its aggregator and a valid client config", () => {
		// docs/content/Pricing.mdx and UsingSeal.mdx, MystenLabs/seal seal-v0.6.10.
		expect(TESTNET_COMMITTEE_SERVER).toEqual({
			objectId: '0xb012378c9f3799fb5b1a7083da74a4069e3c3f1c93de0b27212a5799ce1e1e98',
			weight: 1,
			aggregatorUrl: 'https://seal-aggregator-testnet.mystenlabs.com',
		});
		const client = createSealClient({
			suiClient: createSuiClient({ network: 'testnet', rpcUrl: 'http://127.0.0.1:1' }),
			servers: [TESTNET_COMMITTEE_SERVER],
		});
		expect(client).toBeDefined();
	});
});

describe('up refuses before anything starts', () => {
	it("Mysten's key-server binary cannot join the localnet committee", async () => {
		const root = await mkdtemp(join(tmpdir(), 'localnet-topo-'));
		try {
			const up = localnetUp({
				root,
				env: { PATH: '', SEAL_KEY_SERVER_BIN: '/bin/key-server' },
				logger: silentLogger,
				committee: { threshold: 2, size: 3 },
			});
			await expect(up).rejects.toThrow(LocalnetTopologyError);
			await expect(up).rejects.toThrow(/SEAL_KEY_SERVER_BIN/);
			await expect(stat(join(root, '.localnet'))).rejects.toThrow();
		} finally {
			await rm(root, { recursive: true, force: true });
		}
	});
});
