import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bcs } from '@mysten/sui/bcs';
import type { SuiClientTypes } from '@mysten/sui/client';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Inputs, Transaction, type TransactionPlugin } from '@mysten/sui/transactions';
import { fromBase64, toBase64 } from '@mysten/sui/utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { readDeployment, writeDeployment, type DeploymentRecord } from '../../../ts/chain/deployments.js';
import { InvalidInputError, PrerequisiteMissingError } from '../../../ts/errors.js';
import { DeploymentRecordError } from '../../../ts/chain/errors.js';
import { PackageUnchangedError, PublishError } from '../../../ts/move/errors.js';
import { buildEnvironment } from '../../../ts/move/build-env.js';
import { readPublication } from '../../../ts/move/publication-file.js';
import {
	checkAgreement,
	publishAndRecord,
	publishedPackageId,
	publishTx,
	upgradeTx,
	type PackageBytes,
} from '../../../ts/move/publish.js';
import type { SuiClient } from '../../../ts/chain/sui-client.js';
import { effectsFixture } from '../../support/effects.js';

const CHAIN_A = 'aaaa0001';
const CHAIN_B = 'bbbb0002';
/** Testnet's chain id as gRPC reports it (base58 genesis digest); Move writes 4c78adac. */
const TESTNET_GRPC = '69WiPg3DAQiwdxfncX6wYQ2siKwAe6L9BZthQea3JNMD';

const effects = (changed: Parameters<typeof effectsFixture>[0]) => effectsFixture(changed, 'TX');

const id = (byte: string) => `0x${byte.repeat(32)}`;
const MODULES = [
	toBase64(Uint8Array.from([0xa1, 0x1c, 0xeb, 0x0b, 1])),
	toBase64(Uint8Array.from([7, 8])),
];
const DEPS = [id('00').slice(0, -1) + '1', id('00').slice(0, -1) + '2'];
const built = (digestByte = 0x11): PackageBytes & { toolchainVersion: string } => ({
	modules: MODULES,
	dependencies: DEPS,
	digest: Array.from({ length: 32 }, () => digestByte),
	toolchainVersion: '1.71.1',
});
const DIGEST = 'FKxvBPD1USPz5ri4zCx7Gcz7JrVSLhxnimwuhgMpRHKV';

async function decodeKind(tx: Transaction) {
	const kind = bcs.TransactionKind.parse(await tx.build({ onlyTransactionKind: true }));
	if (!kind.ProgrammableTransaction) throw new Error('expected a programmable transaction');
	return kind.ProgrammableTransaction;
}

const pure = (input: unknown) => fromBase64((input as { Pure: { bytes: string } }).Pure.bytes);

describe('publishTx', () => {
	it('publishes the modules with their dependencies and sends the UpgradeCap to the recipient', async () => {
		const recipient = id('aa');
		const ptb = await decodeKind(publishTx({ built: built(), recipient }));
		expect(ptb.commands).toHaveLength(2);
		const publish = ptb.commands[0]?.Publish;
		expect(publish?.modules).toEqual(MODULES);
		expect(publish?.dependencies).toEqual(DEPS);
		expect(ptb.commands[1]?.TransferObjects?.objects).toEqual([{ $kind: 'Result', Result: 0 }]);
		const to = ptb.commands[1]?.TransferObjects?.address.Input ?? -1;
		expect(bcs.Address.parse(pure(ptb.inputs[to]))).toBe(recipient);
	});
});

describe('upgradeTx', () => {
	it('authorizes with the cap and digest, upgrades the package, and commits with the receipt', async () => {
		const cap = Inputs.ObjectRef({ objectId: id('cc'), version: '4', digest: DIGEST });
		const ptb = await decodeKind(
			upgradeTx({ built: built(0x22), packageId: id('bb'), upgradeCap: cap }),
		);
		const [authorize, upgrade, commit] = ptb.commands;
		expect(ptb.commands).toHaveLength(3);
		expect(authorize?.MoveCall).toMatchObject({
			package: id('00').slice(0, -1) + '2',
			module: 'package',
			function: 'authorize_upgrade',
		});
		const [capArg, policyArg, digestArg] = authorize?.MoveCall?.arguments ?? [];
		expect(ptb.inputs[capArg?.Input ?? -1]?.Object?.ImmOrOwnedObject?.objectId).toBe(id('cc'));
		expect(bcs.u8().parse(pure(ptb.inputs[policyArg?.Input ?? -1]))).toBe(0); // compatible
		expect(bcs.vector(bcs.u8()).parse(pure(ptb.inputs[digestArg?.Input ?? -1]))).toEqual(
			Array.from({ length: 32 }, () => 0x22),
		);
		expect(upgrade?.Upgrade).toMatchObject({
			modules: MODULES,
			dependencies: DEPS,
			package: id('bb'),
			ticket: { $kind: 'Result', Result: 0 },
		});
		expect(commit?.MoveCall).toMatchObject({ module: 'package', function: 'commit_upgrade' });
		expect(commit?.MoveCall?.arguments).toEqual([capArg, { $kind: 'Result', Result: 1 }]);
	});
});

describe('publishedPackageId', () => {
	it('returns the one package the transaction wrote', () => {
		const executed = {
			digest: 'TX',
			effects: effects([
				{ objectId: id('0b'), outputState: 'PackageWrite' },
				{ objectId: id('0c') },
			]),
			objectTypes: {},
			events: [],
		};
		expect(publishedPackageId(executed)).toBe(id('0b'));
		expect(() =>
			publishedPackageId({ ...executed, effects: effects([{ objectId: id('0c') }]) }),
		).toThrow(PublishError);
	});
});

describe('publishAndRecord', () => {
	const signer = Ed25519Keypair.generate();
	let dir: string;
	let pkg: string;
	beforeEach(async () => {
		dir = await mkdtemp(join(tmpdir(), 'publish-'));
		pkg = join(dir, 'move');
		await mkdir(pkg);
		await writeFile(join(pkg, 'Move.toml'), '[package]\nname = "p"\nedition = "2024"\n');
	});
	afterEach(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	/**
	 * The SDK core interface with canned answers: resolution sets gas and object versions, and
	 * execution reports `created` as the effects. Submitted transactions are kept for inspection.
	 */
	function stubClient(
		chainIdentifier: string,
		created: Partial<SuiClientTypes.ChangedObject>[],
		types: Record<string, string>,
	) {
		const submitted: Uint8Array[] = [];
		const resolve: TransactionPlugin = async (data, _options, next) => {
			data.inputs = data.inputs.map((input) =>
				input.UnresolvedObject
					? Inputs.ObjectRef({
							objectId: input.UnresolvedObject.objectId,
							version: '4',
							digest: DIGEST,
						})
					: input,
			);
			data.gasData.price = '1000';
			data.gasData.budget = '50000000';
			data.gasData.payment = [{ objectId: id('09'), version: '3', digest: DIGEST }];
			await next();
		};
		const core = {
			getChainIdentifier: vi.fn(async () => ({ chainIdentifier })),
			resolveTransactionPlugin: () => resolve,
			executeTransaction: vi.fn(async ({ transaction }: { transaction: Uint8Array }) => {
				submitted.push(transaction);
				return {
					$kind: 'Transaction',
					Transaction: {
						digest: `TX${submitted.length}`,
						status: { success: true, error: null },
						effects: effects(created),
						objectTypes: types,
						events: [],
					},
				};
			}),
			waitForTransaction: vi.fn(async () => ({})),
		};
		return { client: { core } as unknown as SuiClient, core, submitted };
	}

	const commands = (bytes: Uint8Array) =>
		bcs.TransactionData.parse(bytes).V1?.kind.ProgrammableTransaction?.commands ?? [];

	const options = (
		client: SuiClient,
		extra: Partial<Parameters<typeof publishAndRecord>[0]> = {},
	) => ({
		client,
		signer,
		network: 'localnet',
		packagePath: pkg,
		deploymentsDir: dir,
		build: async () => built(),
		now: () => new Date('2026-02-03T04:05:06.000Z'),
		...extra,
	});

	async function existingRecord(
		overrides: Partial<DeploymentRecord> = {},
	): Promise<DeploymentRecord> {
		const record: DeploymentRecord = {
			formatVersion: 1,
			network: 'localnet',
			chainId: CHAIN_A,
			originalPackageId: id('01'),
			latestPackageId: id('01'),
			upgradeCapId: id('03'),
			packageDigest: '11'.repeat(32),
			publishDigest: 'OLD',
			publishedAt: '2026-01-01T00:00:00.000Z',
			upgrades: [],
			allowlists: [],
			extra: { seal: { keyServers: 3 } },
			...overrides,
		};
		await writeDeployment(dir, record);
		return record;
	}

	it('publishes, then records original/latest id, upgrade cap, digests, chain and time', async () => {
		const { client, submitted } = stubClient(
			CHAIN_A,
			[{ objectId: id('0b'), outputState: 'PackageWrite' }, { objectId: id('0c') }],
			{ [id('0c')]: '0x2::package::UpgradeCap' },
		);
		const result = await publishAndRecord(options(client));
		expect(result.action).toBe('published');
		expect(submitted).toHaveLength(1);
		expect(commands(submitted[0]!).map((c) => c.$kind)).toEqual(['Publish', 'TransferObjects']);
		const record = await readDeployment(dir, 'localnet');
		expect(record).toEqual({
			formatVersion: 1,
			network: 'localnet',
			chainId: CHAIN_A,
			originalPackageId: id('0b'),
			latestPackageId: id('0b'),
			upgradeCapId: id('0c'),
			packageDigest: '11'.repeat(32),
			publishDigest: 'TX1',
			publishedAt: '2026-02-03T04:05:06.000Z',
			upgrades: [],
			allowlists: [],
			extra: {},
		});
	});

	it('refuses to publish an unchanged package unless forced, leaving the record alone', async () => {
		const before = await existingRecord();
		const beforeText = await readFile(join(dir, 'localnet.json'), 'utf8');
		const { client, core } = stubClient(CHAIN_A, [], {});
		await expect(publishAndRecord(options(client))).rejects.toThrow(PackageUnchangedError);
		await expect(publishAndRecord(options(client))).rejects.toThrow(/--force/);
		expect(core.executeTransaction).not.toHaveBeenCalled();
		expect(await readFile(join(dir, 'localnet.json'), 'utf8')).toBe(beforeText);
		expect(before.packageDigest).toBe('11'.repeat(32));
	});

	it('publishes an unchanged package again with force', async () => {
		await existingRecord();
		const { client } = stubClient(
			CHAIN_A,
			[{ objectId: id('0d'), outputState: 'PackageWrite' }, { objectId: id('0e') }],
			{ [id('0e')]: `0x${'0'.repeat(63)}2::package::UpgradeCap` },
		);
		const result = await publishAndRecord(options(client, { force: true }));
		expect(result.record.originalPackageId).toBe(id('0d'));
		expect(result.record.extra).toEqual({ seal: { keyServers: 3 } });
	});

	it('treats a record from another chain (regenesis) as absent', async () => {
		await existingRecord({ chainId: CHAIN_A, allowlists: [] });
		const { client } = stubClient(
			CHAIN_B,
			[{ objectId: id('0d'), outputState: 'PackageWrite' }, { objectId: id('0e') }],
			{ [id('0e')]: '0x2::package::UpgradeCap' },
		);
		const result = await publishAndRecord(options(client));
		expect(result.record).toMatchObject({
			chainId: CHAIN_B,
			originalPackageId: id('0d'),
			extra: {},
		});
	});

	it('upgrades the recorded package with its cap and keeps the original id', async () => {
		await existingRecord({ latestPackageId: id('02') });
		const { client, submitted } = stubClient(
			CHAIN_A,
			[
				{ objectId: id('05'), outputState: 'PackageWrite' },
				{ objectId: id('03'), idOperation: 'None' },
			],
			{},
		);
		const result = await publishAndRecord(
			options(client, { upgrade: true, build: async () => built(0x33) }),
		);
		expect(result.action).toBe('upgraded');
		const sent = bcs.TransactionData.parse(submitted[0]!).V1?.kind.ProgrammableTransaction;
		expect(sent?.commands.map((c) => c.$kind)).toEqual(['MoveCall', 'Upgrade', 'MoveCall']);
		expect(sent?.commands[1]?.Upgrade?.package).toBe(id('02'));
		const capInput = sent?.inputs[sent.commands[0]?.MoveCall?.arguments[0]?.Input ?? -1];
		expect(capInput?.Object?.ImmOrOwnedObject?.objectId).toBe(id('03'));
		const record = await readDeployment(dir, 'localnet');
		expect(record).toMatchObject({
			originalPackageId: id('01'),
			latestPackageId: id('05'),
			upgradeCapId: id('03'),
			packageDigest: '33'.repeat(32),
			publishDigest: 'OLD',
			upgrades: [
				{
					packageId: id('05'),
					digest: 'TX1',
					packageDigest: '33'.repeat(32),
					upgradedAt: '2026-02-03T04:05:06.000Z',
				},
			],
			extra: { seal: { keyServers: 3 } },
		});
	});

	it('says in one line that the node is down, and writes nothing', async () => {
		const client = {
			core: {
				getChainIdentifier: async () => {
					throw new Error('fetch failed');
				},
			},
		} as unknown as SuiClient;
		const error = await publishAndRecord(options(client)).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PrerequisiteMissingError);
		expect((error as Error).message).toMatch(
			/localnet full node did not answer \(fetch failed\).*localnet up/,
		);
		expect(await readDeployment(dir, 'localnet')).toBeUndefined();
	});

	it('refuses an upgrade with no record, with a record on another chain, or with no change', async () => {
		const { client, core } = stubClient(CHAIN_A, [], {});
		await expect(publishAndRecord(options(client, { upgrade: true }))).rejects.toThrow(
			/nothing to upgrade on localnet/,
		);
		await existingRecord({ chainId: CHAIN_B });
		await expect(publishAndRecord(options(client, { upgrade: true }))).rejects.toThrow(
			/cannot upgrade: the recorded package lives on chain bbbb0002/,
		);
		await existingRecord();
		await expect(publishAndRecord(options(client, { upgrade: true }))).rejects.toThrow(
			PackageUnchangedError,
		);
		expect(core.executeTransaction).not.toHaveBeenCalled();
	});

	it("hands the builder the node's chain as the build environment", async () => {
		const { client } = stubClient(
			CHAIN_A,
			[{ objectId: id('0b'), outputState: 'PackageWrite' }, { objectId: id('0c') }],
			{ [id('0c')]: '0x2::package::UpgradeCap' },
		);
		const build = vi.fn(async () => built());
		await publishAndRecord(options(client, { build }));
		expect(build).toHaveBeenCalledWith(
			expect.objectContaining({
				packagePath: pkg,
				environment: buildEnvironment('localnet', CHAIN_A),
				pubfile: join(pkg, 'Pub.localnet.toml'),
			}),
		);
	});

	it('records a localnet publication in the git-ignored Pub.localnet.toml, never Published.toml', async () => {
		const { client } = stubClient(
			CHAIN_A,
			[{ objectId: id('0b'), outputState: 'PackageWrite' }, { objectId: id('0c') }],
			{ [id('0c')]: '0x2::package::UpgradeCap' },
		);
		const result = await publishAndRecord(options(client));
		expect(result.publicationFile).toBe(join(pkg, 'Pub.localnet.toml'));
		expect(await readFile(join(pkg, 'Pub.localnet.toml'), 'utf8')).toBe(
			[
				'# generated by Move',
				'# this file contains metadata from ephemeral publications',
				'# this file should not be committed to source control',
				'',
				'build-env = "testnet"',
				`chain-id = "${CHAIN_A}"`,
				'',
				'[[published]]',
				`source = { local = ${JSON.stringify(pkg)} }`,
				`published-at = "${id('0b')}"`,
				`original-id = "${id('0b')}"`,
				'version = 1',
				'toolchain-version = "1.71.1"',
				'build-config = { flavor = "sui", edition = "2024" }',
				`upgrade-capability = "${id('0c')}"`,
				'',
			].join('\n'),
		);
		await expect(readFile(join(pkg, 'Published.toml'), 'utf8')).rejects.toThrow(/ENOENT/);
	});

	it('makes an existing Pub.localnet.toml loadable before the build, as sui requires', async () => {
		const pubfile = join(pkg, 'Pub.localnet.toml');
		const entry = (chain: string, buildEnv: string) =>
			[
				'# generated by Move',
				'# this file contains metadata from ephemeral publications',
				'# this file should not be committed to source control',
				'',
				`build-env = "${buildEnv}"`,
				`chain-id = "${chain}"`,
				'',
				'[[published]]',
				'source = { local = "/elsewhere/dep" }',
				`published-at = "${id('0d')}"`,
				`original-id = "${id('0d')}"`,
				'version = 1',
				'',
			].join('\n');
		const seen: (string | undefined)[] = [];
		const build = vi.fn(async () => {
			seen.push(await readFile(pubfile, 'utf8').catch(() => undefined));
			return built();
		});
		const client = () =>
			stubClient(
				CHAIN_A,
				[{ objectId: id('0b'), outputState: 'PackageWrite' }, { objectId: id('0c') }],
				{ [id('0c')]: '0x2::package::UpgradeCap' },
			).client;

		// Written by an older release on this chain: same entries, under build-env testnet.
		await writeFile(pubfile, entry(CHAIN_A, 'localnet'));
		await publishAndRecord(options(client(), { build, force: true }));
		expect(seen[0]).toBe(entry(CHAIN_A, 'testnet'));
		expect(await readFile(pubfile, 'utf8')).toContain('source = { local = "/elsewhere/dep" }');

		// From a chain that is gone (regenesis): removed, the build starts without it.
		await writeFile(pubfile, entry(CHAIN_B, 'testnet'));
		await publishAndRecord(options(client(), { build, force: true }));
		expect(seen[1]).toBeUndefined();
		expect(await readFile(pubfile, 'utf8')).not.toContain('/elsewhere/dep');
	});

	it('round-trips publish → upgrade → read back through deployments/testnet.json and Published.toml', async () => {
		const first = stubClient(
			TESTNET_GRPC,
			[{ objectId: id('0b'), outputState: 'PackageWrite' }, { objectId: id('0c') }],
			{ [id('0c')]: '0x2::package::UpgradeCap' },
		);
		const published = await publishAndRecord(options(first.client, { network: 'testnet' }));
		expect(published.publicationFile).toBe(join(pkg, 'Published.toml'));

		const second = stubClient(
			TESTNET_GRPC,
			[
				{ objectId: id('0d'), outputState: 'PackageWrite', outputVersion: '2' },
				{ objectId: id('0c'), idOperation: 'None', outputVersion: '9' },
			],
			{},
		);
		const upgraded = await publishAndRecord(
			options(second.client, { network: 'testnet', upgrade: true, build: async () => built(0x22) }),
		);
		expect(upgraded.action).toBe('upgraded');

		const record = await readDeployment(dir, 'testnet');
		const publication = await readPublication(pkg, buildEnvironment('testnet'));
		expect(publication).toEqual({
			chainId: '4c78adac',
			publishedAt: id('0d'),
			originalId: id('0b'),
			version: 2,
			toolchainVersion: '1.71.1',
			buildConfig: { flavor: 'sui', edition: '2024' },
			upgradeCapability: id('0c'),
		});
		expect(record).toMatchObject({
			originalPackageId: publication?.originalId,
			latestPackageId: publication?.publishedAt,
			upgradeCapId: publication?.upgradeCapability,
		});
		if (!record) throw new Error('no record');
		await expect(checkAgreement(record, pkg, buildEnvironment('testnet'))).resolves.toEqual(
			publication,
		);
		expect(await readFile(join(pkg, 'Published.toml'), 'utf8')).toBe(
			[
				'# Generated by Move',
				'# This file contains metadata about published versions of this package in different environments',
				'# This file SHOULD be committed to source control',
				'',
				'[published.testnet]',
				'chain-id = "4c78adac"',
				`published-at = "${id('0d')}"`,
				`original-id = "${id('0b')}"`,
				'version = 2',
				'toolchain-version = "1.71.1"',
				'build-config = { flavor = "sui", edition = "2024" }',
				`upgrade-capability = "${id('0c')}"`,
				'',
			].join('\n'),
		);
	});

	it('refuses an upgrade when Published.toml and the deployment record disagree', async () => {
		const first = stubClient(
			TESTNET_GRPC,
			[{ objectId: id('0b'), outputState: 'PackageWrite' }, { objectId: id('0c') }],
			{ [id('0c')]: '0x2::package::UpgradeCap' },
		);
		await publishAndRecord(options(first.client, { network: 'testnet' }));
		const file = join(pkg, 'Published.toml');
		const text = await readFile(file, 'utf8');
		await writeFile(
			file,
			text.replace(`published-at = "${id('0b')}"`, `published-at = "${id('0e')}"`),
		);
		const second = stubClient(TESTNET_GRPC, [], {});
		const error = await publishAndRecord(
			options(second.client, { network: 'testnet', upgrade: true, build: async () => built(0x22) }),
		).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DeploymentRecordError);
		expect((error as Error).message).toMatch(
			/published-at.*says 0x0e0e.*latestPackageId says 0x0b0b/,
		);
		expect(second.core.executeTransaction).not.toHaveBeenCalled();
	});

	it('refuses to publish for testnet when the node serves another chain, before building', async () => {
		const { client, core } = stubClient(CHAIN_A, [], {});
		const build = vi.fn(async () => built());
		await expect(publishAndRecord(options(client, { network: 'testnet', build }))).rejects.toThrow(
			InvalidInputError,
		);
		expect(build).not.toHaveBeenCalled();
		expect(core.executeTransaction).not.toHaveBeenCalled();
		expect(await readDeployment(dir, 'testnet')).toBeUndefined();
	});

	it('warns before replacing a Published.toml entry that no deployment record knows', async () => {
		const first = stubClient(
			TESTNET_GRPC,
			[{ objectId: id('0b'), outputState: 'PackageWrite' }, { objectId: id('0c') }],
			{ [id('0c')]: '0x2::package::UpgradeCap' },
		);
		await publishAndRecord(options(first.client, { network: 'testnet' }));
		await rm(join(dir, 'testnet.json'));
		const warn = vi.fn();
		const logger = { debug: vi.fn(), info: vi.fn(), warn };
		await publishAndRecord(options(first.client, { network: 'testnet', logger }));
		expect(warn).toHaveBeenCalledWith(
			expect.stringMatching(/already names 0x0b0b.*replaces that entry/),
		);
	});
});
