import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bcs } from '@mysten/sui/bcs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { PrerequisiteMissingError } from '../../../ts/errors.js';
import { LocalnetError } from '../../../ts/localnet/errors.js';
import { generateMasterKey, publicKeyFromMasterKey } from '../../../ts/keyserver/keys.js';
import { renderClientYaml } from '../../../ts/localnet/client-config.js';
import { renderLocalnetEnv } from '../../../ts/localnet/env-file.js';
import { mystenKeyServerYaml } from '../../../ts/localnet/keyserver-config.js';
import {
	harnessKeyServerCommand,
	keyServerChildEnv,
	metricsPort,
	mystenKeyServerCommand,
} from '../../../ts/localnet/keyservers.js';
import { localnetDown } from '../../../ts/localnet/down.js';
import { buildRegisterKeyServerTx } from '../../../ts/localnet/register.js';
import { SEAL_RELEASE_TAG } from '../../../ts/localnet/seal-package.js';
import {
	readLocalnetState,
	writeLocalnetState,
	type LocalnetState,
} from '../../../ts/localnet/state.js';
import { localnetStatus, formatStatus } from '../../../ts/localnet/status.js';
import { SUI_MISSING_MESSAGE, requireSui } from '../../../ts/localnet/sui.js';
import { checkStackSize, localnetUp } from '../../../ts/localnet/up.js';
import { silentLogger } from '../../../ts/logger.js';
import { portInUse } from '../../../ts/localnet/ports.js';
import { shortChainId } from '../../../ts/localnet/wait.js';
import { createServer } from 'node:net';

const SEAL_PKG = `0x${'5e'.repeat(32)}`;
const KS_ID = `0x${'4b'.repeat(32)}`;

function sampleState(): LocalnetState {
	return {
		version: 1,
		startedAt: '2026-01-01T00:00:00.000Z',
		rpcUrl: 'http://127.0.0.1:9000',
		faucetUrl: 'http://127.0.0.1:9123/gas',
		chainId: 'abcd1234',
		node: { pid: undefined, logFile: '/tmp/x/sui.log' },
		sealPackageId: SEAL_PKG,
		sealReleaseTag: SEAL_RELEASE_TAG,
		policyPackageId: `0x${'9a'.repeat(32)}`,
		threshold: 2,
		admin: `0x${'ad'.repeat(32)}`,
		keyServers: [1, 2, 3].map((i) => ({
			name: `localnet-key-server-${i}`,
			objectId: `0x${String(i).repeat(64)}`,
			url: `http://127.0.0.1:${2023 + i}`,
			port: 2023 + i,
			pid: undefined,
			implementation: 'harness' as const,
			logFile: `/tmp/x/ks${i}.log`,
		})),
	};
}

describe('missing sui', () => {
	it('fails at once with one line naming suiup, Homebrew and cargo', async () => {
		expect(() => requireSui({ PATH: '' })).toThrow(PrerequisiteMissingError);
		expect(SUI_MISSING_MESSAGE).not.toContain('\n');
		for (const way of ['suiup', 'brew install sui', 'cargo install'])
			expect(SUI_MISSING_MESSAGE).toContain(way);
		const root = await mkdtemp(join(tmpdir(), 'localnet-'));
		try {
			await expect(localnetUp({ root, env: { PATH: '' }, logger: silentLogger })).rejects.toThrow(
				SUI_MISSING_MESSAGE,
			);
			// Nothing was created: the check runs before any file is written.
			await expect(stat(join(root, '.localnet'))).rejects.toThrow();
		} finally {
			await rm(root, { recursive: true, force: true });
		}
	});

	it('checks the stack size before looking for sui', () => {
		expect(() => checkStackSize(3, 2)).not.toThrow();
		expect(() => checkStackSize(3, 4)).toThrow(LocalnetError);
		expect(() => checkStackSize(0, 1)).toThrow(LocalnetError);
		expect(() => checkStackSize(2.5, 1)).toThrow(LocalnetError);
	});
});

describe('Mysten key-server YAML', () => {
	const yaml = mystenKeyServerYaml({
		sealPackageId: SEAL_PKG,
		nodeUrl: 'http://127.0.0.1:9000/',
		keyServerObjectId: KS_ID,
		metricsPort: metricsPort(1),
	});

	it('uses the tagged forms Mysten documents for localnet', () => {
		const doc = parseDocument(yaml, {
			customTags: [
				{ tag: '!Devnet', collection: 'map', identify: () => false },
				{ tag: '!Open', collection: 'map', identify: () => false },
			],
		});
		expect(doc.errors).toEqual([]);
		expect(doc.toJS()).toEqual({
			network: { seal_package: SEAL_PKG },
			node_url: 'http://127.0.0.1:9000',
			server_mode: { key_server_object_id: KS_ID },
			metrics_host_port: 9201,
			enable_event_monitoring: false,
		});
		expect(yaml).toMatch(/^network: !Devnet\n {2}seal_package: '0x5e/m);
		expect(yaml).toMatch(/^server_mode: !Open\n {2}key_server_object_id: '0x4b/m);
	});

	it('never contains a master key and refuses bad ids', () => {
		expect(yaml).not.toMatch(/^\s*master/im);
		expect(() =>
			mystenKeyServerYaml({
				sealPackageId: '0x2',
				nodeUrl: 'http://x',
				keyServerObjectId: KS_ID,
				metricsPort: 1,
			}),
		).toThrow();
	});

	it('gives each server its own metrics port', () => {
		expect(new Set([0, 1, 2].map(metricsPort)).size).toBe(3);
		expect([0, 1, 2].map(metricsPort)).not.toContain(9184);
	});
});

describe('key-server launch commands', () => {
	const launch = {
		name: 'ks1',
		objectId: KS_ID,
		url: 'http://127.0.0.1:2024',
		port: 2024,
		masterKeyHex: 'ab'.repeat(32),
	};

	it('passes the master key only through the environment', () => {
		const ours = harnessKeyServerCommand({
			launch,
			nodeExecPath: '/node',
			cliPath: '/repo/scripts/cli.ts',
			configPath: '/c.yaml',
		});
		expect(ours.args.join(' ')).not.toContain(launch.masterKeyHex);
		expect(ours.env).toEqual({
			SEAL_KEYSERVER_MASTER_KEY: launch.masterKeyHex,
			MASTER_KEY: launch.masterKeyHex,
		});
		// Same config file as Mysten's binary (object id, node, Seal package live there).
		expect(ours.args).toEqual(
			expect.arrayContaining(['keyserver', 'start', '--config', '/c.yaml', '--port', '2024']),
		);
		const mysten = mystenKeyServerCommand({
			launch,
			binary: '/bin/key-server',
			configPath: '/c.yaml',
		});
		expect(mysten.args).toEqual([]);
		expect(mysten.env).toEqual({
			CONFIG_PATH: '/c.yaml',
			MASTER_KEY: launch.masterKeyHex,
			PORT: '2024',
		});
	});

	it("children inherit neither the signer's key nor another server's master key", () => {
		const parent = {
			PATH: '/usr/bin',
			SUI_PRIVATE_KEY: 'suiprivkey1secret',
			MASTER_KEY: 'cd'.repeat(32),
			SEAL_KEYSERVER_MASTER_KEY: 'ef'.repeat(32),
		};
		const env = keyServerChildEnv(parent, { MASTER_KEY: launch.masterKeyHex });
		expect(env).toEqual({ PATH: '/usr/bin', MASTER_KEY: launch.masterKeyHex });
		expect(parent.SUI_PRIVATE_KEY).toBe('suiprivkey1secret');
	});
});

describe('key-server registration transaction', () => {
	it('calls create_and_transfer_v2_independent_server(name, url, 0, pk)', async () => {
		const pk = publicKeyFromMasterKey(generateMasterKey());
		const tx = buildRegisterKeyServerTx({
			sealPackageId: SEAL_PKG,
			name: 'ks-1',
			url: 'http://127.0.0.1:2024',
			publicKey: pk,
		});
		const bytes = await tx.build({ onlyTransactionKind: true });
		const kind = bcs.TransactionKind.parse(bytes);
		const ptb = kind.ProgrammableTransaction;
		const call = ptb?.commands[0]?.MoveCall;
		expect(call?.package).toBe(SEAL_PKG);
		expect(`${call?.module}::${call?.function}`).toBe(
			'key_server::create_and_transfer_v2_independent_server',
		);
		const pure = (i: number) => {
			const arg = call?.arguments[i];
			const input = arg?.$kind === 'Input' ? ptb?.inputs[arg.Input] : undefined;
			return Buffer.from(input?.Pure?.bytes ?? '', 'base64');
		};
		expect(bcs.string().parse(pure(0))).toBe('ks-1');
		expect(bcs.string().parse(pure(1))).toBe('http://127.0.0.1:2024');
		expect(bcs.u8().parse(pure(2))).toBe(0);
		expect(Uint8Array.from(bcs.vector(bcs.u8()).parse(pure(3)))).toEqual(pk);
	});

	it('rejects a URL with a trailing slash and a wrong-size key', () => {
		const pk = publicKeyFromMasterKey(generateMasterKey());
		expect(() =>
			buildRegisterKeyServerTx({
				sealPackageId: SEAL_PKG,
				name: 'a',
				url: 'http://x/',
				publicKey: pk,
			}),
		).toThrow(/must not end/);
		expect(() =>
			buildRegisterKeyServerTx({
				sealPackageId: SEAL_PKG,
				name: 'a',
				url: 'http://x',
				publicKey: pk.slice(1),
			}),
		).toThrow(/96 bytes/);
	});
});

describe('chain identifiers', () => {
	it('turns the base58 genesis digest (gRPC) into the short id Move.toml uses', () => {
		// Published.toml of Mysten's Seal: testnet 4c78adac, mainnet 35834a8a.
		expect(shortChainId('69WiPg3DAQiwdxfncX6wYQ2siKwAe6L9BZthQea3JNMD')).toBe('4c78adac');
		expect(shortChainId('4btiuiMPvEENsttpZC7CZ53DruC3MAgfznDbASZ7DR6S')).toBe('35834a8a');
		expect(shortChainId('4c78adac')).toBe('4c78adac');
		expect(() => shortChainId('0OIl')).toThrow(LocalnetError);
		expect(() => shortChainId('2g')).toThrow(LocalnetError);
	});
});

describe('localnet records', () => {
	let root: string;
	beforeEach(async () => {
		root = await mkdtemp(join(tmpdir(), 'localnet-'));
	});
	afterEach(async () => {
		await rm(root, { recursive: true, force: true });
	});

	it('.env.localnet carries ids and URLs for the CLI and nothing secret', () => {
		const text = renderLocalnetEnv(sampleState());
		expect(text).toContain('SUI_NETWORK=localnet\n');
		expect(text).toContain(`SEAL_POLICY_PACKAGE=0x${'9a'.repeat(32)}\n`);
		expect(text).toContain(
			`SEAL_SERVER_IDS=0x${'1'.repeat(64)},0x${'2'.repeat(64)},0x${'3'.repeat(64)}\n`,
		);
		expect(text).toContain('SEAL_THRESHOLD=2\n');
		expect(text).not.toMatch(/KEY=|PRIVATE/);
	});

	it('the private client.yaml points the Move tooling at localnet', () => {
		const doc = parseDocument(
			renderClientYaml('/p/.localnet/sui-config', 'http://127.0.0.1:9000'),
		).toJS();
		expect(doc).toMatchObject({
			active_env: 'localnet',
			envs: [{ alias: 'localnet', rpc: 'http://127.0.0.1:9000' }],
			keystore: { File: '/p/.localnet/sui-config/sui.keystore' },
		});
	});

	it('state round-trips; down and status report a stack whose processes are gone', async () => {
		const file = join(root, '.localnet', 'state.json');
		const state = sampleState();
		// Pids that cannot exist (above the kernel's pid_max).
		state.node.pid = 2 ** 30;
		state.keyServers.forEach((s, i) => (s.pid = 2 ** 30 + i + 1));
		state.rpcUrl = 'http://127.0.0.1:1';
		state.faucetUrl = 'http://127.0.0.1:1/gas';
		state.keyServers.forEach((s) => (s.url = 'http://127.0.0.1:1'));
		await writeLocalnetState(file, state);
		expect(await readLocalnetState(file)).toEqual(state);

		const status = await localnetStatus({ root });
		expect(status.parts.map((p) => [p.part, p.running, p.answering])).toEqual([
			['node', false, false],
			['faucet', false, false],
			['localnet-key-server-1', false, false],
			['localnet-key-server-2', false, false],
			['localnet-key-server-3', false, false],
		]);
		expect(formatStatus(status)).toContain('localnet-key-server-3');

		const down = await localnetDown({ root, logger: silentLogger });
		expect(down.stopped).toEqual([]);
		expect(down.notRunning).toHaveLength(4);
		const after = await readLocalnetState(file);
		expect(after?.node.pid).toBeUndefined();
		expect(after?.keyServers.every((s) => s.pid === undefined)).toBe(true);
	});

	it('down with nothing started is a no-op; a corrupt state file is a clear error', async () => {
		expect(await localnetDown({ root, logger: silentLogger })).toEqual({
			stopped: [],
			notRunning: [],
		});
		expect((await localnetStatus({ root })).started).toBe(false);
		const { writeFile, mkdir } = await import('node:fs/promises');
		await mkdir(join(root, '.localnet'));
		await writeFile(join(root, '.localnet', 'state.json'), '{oops');
		await expect(readLocalnetState(join(root, '.localnet', 'state.json'))).rejects.toThrow(
			LocalnetError,
		);
		expect(await readFile(join(root, '.localnet', 'state.json'), 'utf8')).toBe('{oops');
	});
});

describe('port check', () => {
	it('sees a listening port and a free one', async () => {
		const server = createServer().listen(0, '127.0.0.1');
		await new Promise((r) => server.once('listening', r));
		const address = server.address();
		const port = typeof address === 'object' && address ? address.port : 0;
		try {
			expect(await portInUse(port)).toBe(true);
		} finally {
			await new Promise((r) => server.close(r));
		}
		expect(await portInUse(port)).toBe(false);
	});
});
