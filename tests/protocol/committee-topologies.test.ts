/**
 * Protocol tier: committee topologies with the unmodified `@mysten/seal` SDK — a committee in
 * rotation (MystenLabs/seal crates/key-server/src/master_keys.rs `CommitteeKeyState::Rotation`,
 * server.rs `spawn_committee_version_updater`, ddc7e5d6), mixed thresholds (independent servers
 * plus a committee, which counts as ONE server in the client threshold: ts-sdks packages/seal
 * client.ts `#getWeightedKeyServers`), and moving envelopes from independent servers to the
 * committee with our rewrap (the "Invalid threshold 2 for 1 servers" migration).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { SealClient } from '@mysten/seal';
import { fromHex, toHex } from '@mysten/sui/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	collectBytes,
	decryptEnvelope,
	encryptEnvelope,
	readEnvelopeHeader,
	rewrapEnvelope,
} from '../../ts/crypto/node/envelope.js';
import { SealKeyServerError } from '../../ts/crypto/seal-errors.js';
import { CommitteeShareMismatchError } from '../../ts/keyserver/errors.js';
import { loadCommitteeMemberKeys } from '../../ts/keyserver/committee/member-keys.js';
import { allowlistInnerId, randomNonce } from '../../ts/identity.js';
import {
	addCommittee,
	dealShares,
	g2Of,
	randomShare,
	shareHex,
	type TestCommittee,
} from '../support/committee-testbed.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

type Config = { objectId: string; weight: number; aggregatorUrl?: string };
let bed: SealTestbed;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 2 });
});
afterAll(async () => {
	await bed?.close();
});

async function roundTrip(configs: Config[], threshold: number, readConfigs = configs) {
	const id = toHex(randomBytes(16));
	const data = new Uint8Array(randomBytes(48));
	const writer = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
	const { encryptedObject } = await writer.encrypt({
		threshold,
		packageId: bed.packageId,
		id,
		data,
	});
	const user = bed.newUser();
	bed.policy.allow(id, user.toSuiAddress());
	const reader = new SealClient({ suiClient: bed.suiClient, serverConfigs: readConfigs });
	const plain = await reader.decrypt({
		data: encryptedObject,
		sessionKey: await bed.newSessionKey(user),
		txBytes: await bed.approveTxBytes([fromHex(id)]),
	});
	return Buffer.from(plain).equals(Buffer.from(data));
}

async function partialPkOf(url: string): Promise<Response> {
	return fetch(`${url}/v1/debug/committee_partial_pk`, {
		headers: { 'Client-Sdk-Type': 'aggregator', 'Client-Sdk-Version': '0.6.10' },
	});
}

async function until(condition: () => Promise<boolean>, ms = 5000) {
	const end = Date.now() + ms;
	while (!(await condition())) {
		if (Date.now() > end) throw new Error('condition not reached in time');
		await new Promise((r) => setTimeout(r, 25));
	}
}

describe('a committee in rotation (version 0 → 1, same committee key re-shared)', () => {
	let rot: TestCommittee;
	beforeAll(async () => {
		rot = await addCommittee(bed, { threshold: 2, count: 3, pollIntervalMs: 50 });
	});
	afterAll(async () => {
		await rot?.close();
	});

	it('members in !Rotation serve the old share until the chain reaches the target, then the checked new one', async () => {
		const next = dealShares(2, 3, rot.secret).shares;
		for (const member of rot.members) {
			await member.stop();
			await member.start(
				{
					MASTER_SHARE_V0: shareHex(rot.shares[member.index]!),
					MASTER_SHARE_V1: shareHex(next[member.index]!),
				},
				{ kind: 'Rotation', targetVersion: 1 },
			);
		}
		const url = (i: number) => `http://127.0.0.1:${rot.members[i]!.port}`;
		const pkOf = async (i: number) =>
			Buffer.from(
				((await (await partialPkOf(url(i))).json()) as { partial_pk: string }).partial_pk,
				'base64',
			);
		// Still version 0: the old shares answer.
		expect(await pkOf(0)).toEqual(Buffer.from(g2Of(rot.shares[0]!)));
		expect(await roundTrip([rot.serverConfig()], 1)).toBe(true);

		// `update_partial_key_servers`: version 1 with the new partial public keys.
		rot.publish(1, rot.partials(next));
		await until(async () => {
			const pks = await Promise.all([0, 1, 2].map(pkOf));
			return pks.every((pk, i) => pk.equals(Buffer.from(g2Of(next[i]!))));
		});
		await rot.aggregator.refresh();
		// Only the new shares verify against the new on-chain partial keys: decrypting proves they serve.
		expect(await roundTrip([rot.serverConfig()], 1)).toBe(true);
	});

	it('a member rotating in without the old share answers Failure until the rotation is done', async () => {
		const address = randomObjectId();
		const fresh = dealShares(2, 3);
		const ksId = bed.registry.registerCommittee({
			name: 'c2',
			publicKey: g2Of(fresh.secret),
			threshold: 2,
			members: [address, randomObjectId(), randomObjectId()],
			partialKeyServers: [0, 1, 2].map((i) => ({
				name: `m${i}`,
				url: 'http://127.0.0.1:1',
				partialPk: g2Of(fresh.shares[i]!),
				partyId: i,
			})),
			version: 4,
		});
		const next = dealShares(2, 3, fresh.secret).shares;
		const keys = await loadCommitteeMemberKeys({
			client: bed.registry,
			config: {
				memberAddress: address,
				keyServerObjectId: ksId,
				state: { kind: 'Rotation', targetVersion: 5 },
			},
			env: { MASTER_SHARE_V5: shareHex(next[0]!) },
			backend: 'noble',
			workers: 0,
			pollIntervalMs: 30,
		});
		try {
			expect(() => keys.partialPublicKey()).toThrow(/Internal server error/);
			bed.registry.setCommittee(ksId, {
				name: 'c2',
				publicKey: g2Of(fresh.secret),
				version: 5,
				threshold: 2,
				partialKeyServers: [0, 1, 2].map((i) => ({
					name: `m${i}`,
					url: 'http://127.0.0.1:1',
					partialPk: g2Of(next[i]!),
					partyId: i,
				})),
			});
			await until(async () => keys.version() === 5);
			expect(Buffer.from(keys.partialPublicKey())).toEqual(Buffer.from(g2Of(next[0]!)));
		} finally {
			await keys.close();
		}
	});

	it('a target share that does not match the new on-chain partial_pk stops the member (upstream panics)', async () => {
		const address = randomObjectId();
		const fresh = dealShares(2, 2);
		const partials = (shares: bigint[]) =>
			shares.map((s, i) => ({
				name: `m${i}`,
				url: 'http://127.0.0.1:1',
				partialPk: g2Of(s),
				partyId: i,
			}));
		const ksId = bed.registry.registerCommittee({
			name: 'c3',
			publicKey: g2Of(fresh.secret),
			threshold: 2,
			members: [address, randomObjectId()],
			partialKeyServers: partials(fresh.shares),
		});
		const fatal: Error[] = [];
		const keys = await loadCommitteeMemberKeys({
			client: bed.registry,
			config: {
				memberAddress: address,
				keyServerObjectId: ksId,
				state: { kind: 'Rotation', targetVersion: 1 },
			},
			env: {
				MASTER_SHARE_V0: shareHex(fresh.shares[0]!),
				MASTER_SHARE_V1: shareHex(randomShare()),
			},
			backend: 'noble',
			workers: 0,
			pollIntervalMs: 30,
			onFatal: (error) => fatal.push(error),
		});
		try {
			expect(Buffer.from(keys.partialPublicKey())).toEqual(Buffer.from(g2Of(fresh.shares[0]!)));
			const next = dealShares(2, 2, fresh.secret).shares;
			bed.registry.setCommittee(ksId, {
				name: 'c3',
				publicKey: g2Of(fresh.secret),
				version: 1,
				threshold: 2,
				partialKeyServers: partials(next),
			});
			await until(async () => fatal.length > 0);
			expect(fatal[0]).toBeInstanceOf(CommitteeShareMismatchError);
			expect(() => keys.partialPublicKey()).toThrow(/Internal server error/);
		} finally {
			await keys.close();
		}
	});
});

describe('mixed threshold: two independent servers plus a committee in one SealClient config', () => {
	let committee: TestCommittee;
	beforeAll(async () => {
		committee = await addCommittee(bed, { threshold: 2, count: 3 });
	});
	afterAll(async () => {
		await committee?.close();
	});

	it('2-of-{A, B, committee}: decrypts with A down (B + committee), and the committee counts once', async () => {
		const configs: Config[] = [...bed.serverConfigs(), committee.serverConfig()];
		expect(await roundTrip(configs, 2)).toBe(true);
		await bed.servers[0]!.stop();
		try {
			expect(await roundTrip(configs, 2)).toBe(true);
			// With B down too, only the committee is left: one server, below threshold 2.
			await bed.servers[1]!.stop();
			// (The SDK rethrows the connection errors of the independent servers.)
			await expect(roundTrip(configs, 2)).rejects.toThrow(/fetch failed/);
		} finally {
			await bed.servers[0]!.start();
			await bed.servers[1]!.start();
		}
	});

	it('3-of-{A, B, committee} needs all three, the committee with 2 of its 3 members', async () => {
		const configs: Config[] = [...bed.serverConfigs(), committee.serverConfig()];
		await committee.members[0]!.stop();
		try {
			expect(await roundTrip(configs, 3)).toBe(true);
		} finally {
			await committee.members[0]!.start();
		}
	});
});

describe('migration: an envelope sealed to two independent servers, rewrapped to the committee', () => {
	let committee: TestCommittee;
	beforeAll(async () => {
		committee = await addCommittee(bed, { threshold: 2, count: 3 });
	});
	afterAll(async () => {
		await committee?.close();
	});

	it('data section byte-identical; decrypts from the committee alone with the independent servers stopped', async () => {
		const plaintext = new Uint8Array(randomBytes(5000));
		const innerId = allowlistInnerId(randomObjectId(), randomNonce());
		const user = bed.newUser();
		bed.policy.allow(toHex(innerId), user.toSuiAddress());
		const oldConfigs = bed.serverConfigs();
		const newConfigs = [committee.serverConfig()];
		const client = (configs: Config[]) =>
			new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
		const original = await collectBytes(
			encryptEnvelope(Readable.from([plaintext]), {
				sealClient: client(oldConfigs),
				packageId: bed.packageId,
				innerId,
				threshold: 2,
				chunkSize: 1024,
			}),
		);
		const access = async (configs: Config[]) => ({
			sealClient: client(configs),
			sessionKey: await bed.newSessionKey(user),
			txBytes: await bed.approveTxBytes([innerId]),
		});
		// The committee is one server: the new threshold must be 1 (2 would be "Invalid threshold
		// 2 for 1 servers", the error users meet when they only switch their client config).
		const rewrapped = await collectBytes(
			rewrapEnvelope(original, {
				access: await access(oldConfigs),
				sealClient: client(newConfigs),
				threshold: 1,
			}),
		);
		const before = await readEnvelopeHeader(original);
		const after = await readEnvelopeHeader(rewrapped);
		expect(after.header.servers.map((s) => s.objectId)).toEqual([committee.objectId]);
		expect(after.header.threshold).toBe(1);
		expect(
			Buffer.from(rewrapped.subarray(after.headerBytes.length)).equals(
				Buffer.from(original.subarray(before.headerBytes.length)),
			),
		).toBe(true);

		await bed.servers[0]!.stop();
		await bed.servers[1]!.stop();
		try {
			const plain = await collectBytes(decryptEnvelope(rewrapped, await access(newConfigs)));
			expect(Buffer.from(plain).equals(Buffer.from(plaintext))).toBe(true);
			// The original envelope cannot be opened any more: its servers are gone.
			await expect(
				collectBytes(decryptEnvelope(original, await access(oldConfigs))),
			).rejects.toBeInstanceOf(SealKeyServerError);
		} finally {
			await bed.servers[0]!.start();
			await bed.servers[1]!.start();
		}
	});
});
