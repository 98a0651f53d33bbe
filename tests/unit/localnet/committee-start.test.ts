/**
 * `startCommittee` end to end without a chain or processes: the PTB it would execute and the
 * children it would start are captured. The shares each member gets (MASTER_SHARE_V0, env only)
 * must be the ones behind the partial public keys and the committee key in that PTB — checked by
 * Lagrange interpolation with upstream's x = party id + 1 (crates/crypto/src/elgamal.rs,
 * MystenLabs/seal seal-v0.6.10) — and the configs must name the object the PTB created.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bcs } from '@mysten/sui/bcs';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import type { Transaction } from '@mysten/sui/transactions';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../ts/logger.js';
import { startCommittee } from '../../../ts/localnet/committee.js';
import { lagrangeAtZero } from '../../../ts/localnet/dealer.js';
import { localnetPaths } from '../../../ts/localnet/paths.js';
import type { SpawnOptions } from '../../../ts/localnet/processes.js';
import type { CommitteeRecord } from '../../../ts/localnet/state.js';
import type { SuiClient } from '../../../ts/chain/sui-client.js';
import type { ExecutedTransaction } from '../../../ts/chain/transactions.js';

const SEAL_PKG = `0x${'5e'.repeat(32)}`;
const KS_ID = `0x${'c0'.repeat(32)}`;
const Fr = bls12_381.fields.Fr;

describe('startCommittee', () => {
	let root: string;
	beforeEach(async () => {
		root = await mkdtemp(join(tmpdir(), 'committee-start-'));
	});
	afterEach(async () => {
		await rm(root, { recursive: true, force: true });
	});

	it('gives each member the share behind its on-chain partial key, in its env only', async () => {
		const transactions: Transaction[] = [];
		const spawned: SpawnOptions[] = [];
		const progress: string[] = [];
		const paths = localnetPaths(root);
		const admin = Ed25519Keypair.generate();
		let pid = 1000;
		const committee = await startCommittee({
			client: {} as SuiClient,
			admin,
			sealPackageId: SEAL_PKG,
			rpcUrl: 'http://127.0.0.1:9000',
			shape: { threshold: 2, size: 3 },
			memberPorts: [3001, 3002, 3003],
			aggregatorPort: 3004,
			metricsIndex: 1,
			paths,
			env: { PATH: '/bin', SUI_PRIVATE_KEY: 'suiprivkey1secret', MASTER_SHARE_V0: 'inherited' },
			aggregatorBinary: undefined,
			nodeExecPath: '/node',
			cliPath: '/repo/scripts/cli.ts',
			logger: silentLogger,
			onProgress: async (record: CommitteeRecord, started) => {
				progress.push(started ? started.record.name : `created ${record.objectId}`);
			},
			execute: async (transaction) => {
				transactions.push(transaction);
				return {
					digest: 'digest',
					effects: {
						changedObjects: [{ objectId: KS_ID, idOperation: 'Created', outputOwner: null }],
					},
					objectTypes: { [KS_ID]: `${SEAL_PKG}::key_server::KeyServer` },
					events: [],
				} as unknown as ExecutedTransaction;
			},
			spawn: async (options) => {
				spawned.push({ ...options, env: { ...options.env } });
				return { pid: pid++, exited: new Promise(() => undefined) };
			},
		});

		expect(committee).toMatchObject({ objectId: KS_ID, threshold: 2, size: 3, version: 0 });
		expect(progress).toEqual([
			`created ${KS_ID}`,
			'localnet-committee-member-0',
			'localnet-committee-member-1',
			'localnet-committee-member-2',
			'localnet-aggregator',
		]);

		// The PTB's partial keys and committee key.
		expect(transactions).toHaveLength(1);
		const ptb = bcs.TransactionKind.parse(
			await transactions[0]!.build({ onlyTransactionKind: true }),
		).ProgrammableTransaction!;
		const pureBytes = (arg: { Input?: number } | undefined) =>
			Uint8Array.from(
				bcs
					.vector(bcs.u8())
					.parse(Buffer.from(ptb.inputs[arg?.Input ?? -1]!.Pure!.bytes, 'base64')),
			);
		const partialPks = [0, 1, 2].map((i) => pureBytes(ptb.commands[i]!.MoveCall!.arguments[2]));
		const masterPk = pureBytes(ptb.commands[4]!.MoveCall!.arguments[2]);
		expect(committee.members.map((m) => m.partialPublicKey)).toEqual(
			partialPks.map((pk) => Buffer.from(pk).toString('hex')),
		);

		// Members: share only in the env, never in args; nothing of ours inherited.
		const members = spawned.slice(0, 3);
		const shares = members.map((child, party) => {
			expect(Object.keys(child.env).sort()).toEqual(['MASTER_SHARE_V0', 'PATH']);
			const hex = child.env['MASTER_SHARE_V0'] as string;
			expect(hex).toMatch(/^0x[0-9a-f]{64}$/);
			expect(child.args.join(' ')).not.toContain(hex.slice(2));
			const share = bytesToNumberBE(Buffer.from(hex.slice(2), 'hex'));
			expect(bls12_381.G2.Point.BASE.multiply(share).toBytes()).toEqual(partialPks[party]);
			return share;
		});
		for (const pair of [
			[0, 1],
			[0, 2],
			[1, 2],
		]) {
			const secret = pair.reduce(
				(sum, p) => Fr.add(sum, Fr.mul(shares[p]!, lagrangeAtZero(p, pair))),
				0n,
			);
			expect(bls12_381.G2.Point.BASE.multiply(secret).toBytes()).toEqual(masterPk);
		}

		// Configs name the created object; the aggregator's (API keys) is 0600 and holds no share.
		for (const member of committee.members) {
			const yaml = await readFile(join(paths.keyServerConfigDir, `${member.name}.yaml`), 'utf8');
			expect(yaml).toContain(`key_server_obj_id: '${KS_ID}'`);
			expect(yaml).toContain(`member_address: '${member.memberAddress}'`);
			for (const share of shares) expect(yaml).not.toContain(share.toString(16));
		}
		const aggregatorConfig = join(paths.keyServerConfigDir, 'localnet-aggregator.yaml');
		expect((await stat(aggregatorConfig)).mode & 0o777).toBe(0o600);
		const aggregatorYaml = await readFile(aggregatorConfig, 'utf8');
		expect(aggregatorYaml).toContain(`key_server_object_id: '${KS_ID}'`);
		for (const party of [0, 1, 2])
			expect(aggregatorYaml).toContain(`'localnet-committee-member-${party}':`);
		const aggregator = spawned[3]!;
		expect(aggregator.env).toEqual({ PATH: '/bin', CONFIG_PATH: aggregatorConfig, PORT: '3004' });
		expect(committee.aggregator).toMatchObject({ url: 'http://127.0.0.1:3004', pid: 1003 });
	});
});
