/**
 * `startPermissioned` without a chain or processes: the client's KeyServer is registered with
 * the public key derived at index 0 from the very seed the server gets as MASTER_KEY (upstream:
 * docs/content/KeyServerOps.mdx "Register a client", `create_and_transfer_v2_independent_server`
 * with an unassigned derived public key; crates/crypto/src/ibe.rs `derive_master_key`,
 * MystenLabs/seal seal-v0.6.10), and its config serves exactly the policy package.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bcs } from '@mysten/sui/bcs';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import type { Transaction } from '@mysten/sui/transactions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../ts/logger.js';
import { localnetPaths } from '../../../ts/localnet/paths.js';
import { startPermissioned } from '../../../ts/localnet/permissioned.js';
import { derivedClientPublicKey } from '../../../ts/localnet/permissioned-key.js';
import type { SpawnOptions } from '../../../ts/localnet/processes.js';
import type { SuiClient } from '../../../ts/chain/sui-client.js';
import type { ExecutedTransaction } from '../../../ts/chain/transactions.js';

const SEAL_PKG = `0x${'5e'.repeat(32)}`;
const CLIENT_KS = `0x${'9e'.repeat(32)}`;
const POLICY = `0x${'9a'.repeat(32)}`;

describe('startPermissioned', () => {
	let root: string;
	beforeEach(async () => {
		root = await mkdtemp(join(tmpdir(), 'permissioned-start-'));
	});
	afterEach(async () => {
		await rm(root, { recursive: true, force: true });
	});

	it('registers the derived key of the seed it hands the server, for the policy package', async () => {
		const transactions: Transaction[] = [];
		const spawned: SpawnOptions[] = [];
		const paths = localnetPaths(root);
		const record = await startPermissioned({
			client: {} as SuiClient,
			admin: Ed25519Keypair.generate(),
			sealPackageId: SEAL_PKG,
			rpcUrl: 'http://127.0.0.1:9000',
			policyPackageId: POLICY,
			port: 3010,
			metricsIndex: 4,
			paths,
			env: { PATH: '/bin', MASTER_KEY: 'inherited' },
			mystenBinary: undefined,
			nodeExecPath: '/node',
			cliPath: '/repo/scripts/cli.ts',
			logger: silentLogger,
			onStarted: async () => undefined,
			execute: async (transaction) => {
				transactions.push(transaction);
				return {
					digest: 'digest',
					effects: {
						changedObjects: [{ objectId: CLIENT_KS, idOperation: 'Created', outputOwner: null }],
					},
					objectTypes: { [CLIENT_KS]: `${SEAL_PKG}::key_server::KeyServer` },
					events: [],
				} as unknown as ExecutedTransaction;
			},
			spawn: async (options) => {
				spawned.push({ ...options, env: { ...options.env } });
				return { pid: 4242, exited: new Promise(() => undefined) };
			},
		});
		expect(record).toMatchObject({
			objectId: CLIENT_KS,
			url: 'http://127.0.0.1:3010',
			pid: 4242,
			derivationIndex: 0,
			packageIds: [POLICY],
		});

		const seedHex = spawned[0]?.env['MASTER_KEY'] as string;
		expect(seedHex).toMatch(/^[0-9a-f]{64}$/);
		expect(spawned[0]?.env['SEAL_KEYSERVER_MASTER_KEY']).toBe(seedHex);
		expect(spawned[0]?.args.join(' ')).not.toContain(seedHex);

		const ptb = bcs.TransactionKind.parse(
			await transactions[0]!.build({ onlyTransactionKind: true }),
		).ProgrammableTransaction!;
		const call = ptb.commands[0]!.MoveCall!;
		expect(call.function).toBe('create_and_transfer_v2_independent_server');
		const pkArg = call.arguments[3] as { Input: number };
		const registered = Uint8Array.from(
			bcs.vector(bcs.u8()).parse(Buffer.from(ptb.inputs[pkArg.Input]!.Pure!.bytes, 'base64')),
		);
		expect(registered).toEqual(derivedClientPublicKey(Buffer.from(seedHex, 'hex'), 0));

		const yaml = await readFile(
			join(paths.keyServerConfigDir, 'localnet-permissioned.yaml'),
			'utf8',
		);
		expect(yaml).toContain(`key_server_object_id: '${CLIENT_KS}'`);
		expect(yaml).toContain(`package_ids:\n        - '${POLICY}'\n`);
		expect(yaml).toContain('metrics_host_port: 9204\n');
		expect(yaml).not.toContain(seedHex);
	});
});
