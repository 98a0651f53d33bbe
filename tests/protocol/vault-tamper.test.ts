/**
 * A database writer without membership, on SQLite and PostgreSQL: epoch insertion, epoch deletion,
 * epoch-0 replacement, metadata edits, record replay and deletion, planting under retired epochs.
 * Each refused attack is a failure before authenticated epochs (the vault then used whatever the
 * database said); each "limit" test pins a limit docs/vault.md states, so the page stays true.
 */
import { randomBytes } from 'node:crypto';

import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VaultRecordTamperedError, VaultUnknownEpochError } from '../../ts/vault/errors.js';
import { toHex } from '../../ts/identity.js';
import { epochCommitment, epochHash } from '../../ts/vault/epoch-chain.js';
import { VaultIntegrityError } from '../../ts/vault/errors.js';
import { encryptRecord } from '../../ts/vault/record-cipher.js';
import type { EpochRow, VaultMeta } from '../../ts/vault/storage.js';
import { epochInnerId, Vault, type OpenVaultOptions } from '../../ts/vault/vault.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import {
	postgresBackend,
	sqliteBackend,
	withHooks,
	type VaultBackend,
} from '../support/vault-backends.js';
import { allowEpochs, vaultSealFor } from '../support/vault-helpers.js';

let bed: SealTestbed;
let owner: Ed25519Keypair;
const backends: Partial<Record<'sqlite' | 'postgres', VaultBackend>> = {};

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3 });
	owner = bed.newUser();
	backends.sqlite = await sqliteBackend();
	const pgb = await postgresBackend();
	if ('skip' in pgb) console.log(`skipping the PostgreSQL tamper tests: ${pgb.skip}`);
	else backends.postgres = pgb;
}, 120_000);
afterAll(async () => {
	await backends.sqlite?.close();
	await backends.postgres?.close();
	await bed?.close();
}, 60_000);

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (data: Uint8Array | undefined) =>
	data === undefined ? undefined : Buffer.from(data).toString('utf8');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
	return promise.then(
		() => undefined,
		(e: unknown) => e,
	);
}

for (const name of ['sqlite', 'postgres'] as const) {
	describe(`a database writer without membership (${name})`, () => {
		const backend = () => backends[name]!;

		/** A vault with one record ('r1' = 'one') in epoch 0; the owner may fetch epochs 0..7. */
		async function seeded(): Promise<Vault> {
			const vault = await Vault.create({
				storage: await backend().fresh(),
				target: { policy: 'owner', owner: owner.toSuiAddress() },
				packageId: bed.packageId,
				threshold: 2,
				...(await vaultSealFor(bed, owner)),
			});
			allowEpochs(bed, vault.meta, [0, 1, 2, 3, 4, 5, 6, 7], owner.toSuiAddress());
			await vault.put('r1', bytes('one'));
			return vault;
		}

		/** The vault opened by a member in a new process. */
		async function reopen(meta: VaultMeta, how: Partial<OpenVaultOptions>): Promise<Vault> {
			return Vault.open({
				storage: await backend().reopen(meta.vaultId),
				...(await vaultSealFor(bed, owner)),
				...how,
			});
		}

		/** What anyone can make: a key of their choosing sealed under the epoch's identity. */
		async function forgeSealedKey(meta: VaultMeta, epoch: number, key: Uint8Array) {
			const { sealClient } = await vaultSealFor(bed, owner);
			const { encryptedObject } = await sealClient.encrypt({
				threshold: meta.threshold,
				packageId: meta.packageId,
				id: toHex(epochInnerId(meta, epoch)),
				data: key,
			});
			return encryptedObject;
		}

		/** An epoch key as a member (or a removed member who kept it) holds it. */
		async function memberKey(meta: VaultMeta, row: EpochRow): Promise<Uint8Array> {
			const { sealClient, session } = await vaultSealFor(bed, owner);
			return sealClient.decrypt({
				data: row.sealedKey,
				sessionKey: session as never,
				txBytes: await bed.approveTxBytes([epochInnerId(meta, row.epoch)]),
			});
		}

		/** Epoch `previous.epoch + 1` over a key of the writer's choosing. */
		async function forgedEpoch(meta: VaultMeta, previous: EpochRow, key: Uint8Array) {
			const row: EpochRow = {
				epoch: previous.epoch + 1,
				sealedKey: await forgeSealedKey(meta, previous.epoch + 1, key),
				members: undefined,
				createdAtMs: Date.now(),
				prevHash: epochHash(meta, previous),
				commitment: new Uint8Array(randomBytes(32)),
				retired: previous.retired,
				resealing: [],
			};
			return row;
		}

		async function latest(meta: VaultMeta): Promise<EpochRow> {
			const storage = await backend().reopen(meta.vaultId);
			const row = await storage.latestEpoch();
			await storage.close();
			return row;
		}

		async function addEpochAsWriter(meta: VaultMeta, row: EpochRow): Promise<void> {
			const storage = await backend().reopen(meta.vaultId);
			expect(await storage.addEpoch(row)).toBe(true);
			await storage.close();
		}

		it('epoch insertion: an epoch over a key the writer chose is refused; nothing is written or read under it', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const { meta, pin } = vault;
			const attackerKey = new Uint8Array(randomBytes(32));
			await addEpochAsWriter(meta, await forgedEpoch(meta, await latest(meta), attackerKey));
			// A record planted under the forged epoch, for readers.
			await backend()
				.raw(meta.vaultId)
				.writeRecord(encryptRecord(attackerKey, meta.vaultId, 1, 'evil', bytes('attacker'), 1));

			// The vault that was open all along, a member with the pin, one trusting on first use.
			const members = [
				vault,
				await reopen(meta, { pin }),
				await reopen(meta, { trustFirstUse: true }),
			];
			for (const member of members) {
				const error = await rejection(member.put('r2', bytes('secret')));
				expect(error).toBeInstanceOf(VaultIntegrityError);
				expect(error).toMatchObject({ problem: 'epoch-forged' });
			}
			expect(await backend().raw(meta.vaultId).readRecord('r2')).toBeUndefined();
			const reader = await reopen(meta, { pin });
			expect(await rejection(reader.get('evil'))).toMatchObject({ problem: 'epoch-forged' });
			// Fail closed: once a forged epoch is in the database no key is used, old ones included.
			expect(await rejection(reader.get('r1'))).toMatchObject({ problem: 'epoch-forged' });
			for (const member of [...members, reader]) await member.close();
		});

		it('epoch deletion: the pinned epoch gone, an epoch this process saw gone, records naming a deleted epoch', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const pin0 = vault.pin;
			await vault.rotate();
			const pin1 = vault.pin;
			expect(pin1).toMatch(/^1:/);
			await vault.put('r2', bytes('two'));
			await backend().raw(vault.meta.vaultId).deleteEpoch(1);

			// Writes must not fall back to epoch 0, whose key a removed member may hold.
			expect(await rejection(vault.put('r3', bytes('x')))).toMatchObject({
				problem: 'epoch-deleted',
			});
			expect(await rejection(reopen(vault.meta, { pin: pin1 }))).toMatchObject({
				name: 'VaultIntegrityError',
				problem: 'epoch-deleted',
			});
			const older = await reopen(vault.meta, { pin: pin0 });
			expect(await rejection(older.put('r3', bytes('x')))).toMatchObject({
				problem: 'epoch-deleted',
			});
			expect(await backend().raw(vault.meta.vaultId).readRecord('r3')).toBeUndefined();
			await older.close();
			// Reading a record of the deleted epoch: no sealed key for it.
			const reader = await reopen(vault.meta, { pin: pin0 });
			expect(await rejection(reader.get('r2'))).toBeInstanceOf(VaultUnknownEpochError);
			await reader.close();
			await vault.close();
		});

		it('limit: with an older pin, deleting a newest epoch no record uses yet is not detected', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const pin0 = vault.pin;
			await vault.rotate();
			await vault.close();
			await backend().raw(vault.meta.vaultId).deleteEpoch(1);
			const stale = await reopen(vault.meta, { pin: pin0 });
			expect((await stale.putMany([{ id: 'r2', data: bytes('x') }])).epoch).toBe(0);
			await stale.close();
		});

		it("epoch-0 replacement: the writer's sealed key and a record under it are refused with the pin", async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const { meta, pin } = vault;
			await vault.close();
			const attackerKey = new Uint8Array(randomBytes(32));
			const raw = backend().raw(meta.vaultId);
			await raw.setSealedKey(0, await forgeSealedKey(meta, 0, attackerKey));
			await raw.writeRecord(
				encryptRecord(attackerKey, meta.vaultId, 0, 'evil', bytes('attacker'), 1),
			);
			expect(await rejection(reopen(meta, { pin }))).toMatchObject({
				name: 'VaultIntegrityError',
				problem: 'pin-mismatch',
			});
			// Limit: trusting on first use, a one-epoch vault is whatever the database says.
			const trusting = await reopen(meta, { trustFirstUse: true });
			expect(text(await trusting.get('evil'))).toBe('attacker');
			await trusting.close();
		});

		it('epoch-0 replacement in a vault with later epochs is refused even trusting on first use', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			await vault.rotate();
			await vault.close();
			const meta = vault.meta;
			await backend()
				.raw(meta.vaultId)
				.setSealedKey(0, await forgeSealedKey(meta, 0, new Uint8Array(randomBytes(32))));
			expect(await rejection(reopen(meta, { trustFirstUse: true }))).toMatchObject({
				problem: 'epoch-forged',
			});
		});

		it('metadata edits: threshold 1 is refused with the pin, and by later epochs trusting on first use', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const { meta, pin } = vault;
			await vault.close();
			await backend().raw(meta.vaultId).setThreshold(1);
			expect(await rejection(reopen(meta, { pin }))).toMatchObject({ problem: 'pin-mismatch' });
			// Limit: trusting on first use, a one-epoch vault's metadata is taken as stored.
			const trusting = await reopen(meta, { trustFirstUse: true });
			expect(trusting.meta.threshold).toBe(1);
			await trusting.close();

			const rotated = await seeded();
			await rotated.rotate();
			await rotated.close();
			await backend().raw(rotated.meta.vaultId).setThreshold(1);
			expect(await rejection(reopen(rotated.meta, { trustFirstUse: true }))).toMatchObject({
				problem: 'epoch-forged',
			});
		});

		it('record replay: refused by a vault that saw the newer version; a relabelled version is tampering', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const raw = backend().raw(vault.meta.vaultId);
			const old = (await raw.readRecord('r1'))!;
			expect(old.version).toBe(1);
			await vault.put('r1', bytes('two'));
			const current = (await raw.readRecord('r1'))!;
			expect(current.version).toBe(2);
			await raw.writeRecord(old);
			const error = await rejection(vault.get('r1'));
			expect(error).toBeInstanceOf(VaultIntegrityError);
			expect(error).toMatchObject({ problem: 'rollback' });
			// Limit: a new session has no memory of version 2 and reads the replayed copy.
			const fresh = await reopen(vault.meta, { pin: vault.pin });
			expect(text(await fresh.get('r1'))).toBe('one');
			// The version column alone cannot be moved forward: the AAD binds it.
			await raw.writeRecord({ ...old, version: 3 });
			expect(await rejection(fresh.get('r1'))).toBeInstanceOf(VaultRecordTamperedError);
			await fresh.close();
			await vault.close();
		});

		it('limit: the whole database rolled back to a copy that has the pinned epoch is not detected', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const pin = vault.pin;
			await vault.close();
			const restore = await backend().raw(vault.meta.vaultId).snapshot();
			const writer = await reopen(vault.meta, { pin });
			await writer.put('r1', bytes('two'));
			await writer.put('r2', bytes('new'));
			await writer.close();
			await restore();
			const fresh = await reopen(vault.meta, { pin });
			expect((await fresh.getMany(['r1', 'r2'])).map(text)).toEqual(['one', undefined]);
			await fresh.close();
		});

		it('limit: a record planted under an epoch being resealed, while the reseal runs, is moved as genuine', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const meta = vault.meta;
			const kept = await memberKey(meta, await latest(meta));
			const pin = vault.pin;
			await vault.close();
			const raw = backend().raw(meta.vaultId);
			const resealer = await Vault.open({
				storage: withHooks(await backend().reopen(meta.vaultId), {
					beforeAddEpoch: async (call) => {
						if (call === 1) {
							await raw.writeRecord(encryptRecord(kept, meta.vaultId, 0, 'planted', bytes('y'), 1));
						}
					},
				}),
				...(await vaultSealFor(bed, owner)),
				pin,
			});
			expect(await resealer.reseal()).toMatchObject({ moved: 2, retired: [0] });
			expect(text(await resealer.get('planted'))).toBe('y');
			await resealer.close();
		});

		it('limit: a deleted record is not detected', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			await backend().raw(vault.meta.vaultId).deleteRecord('r1');
			expect(await vault.get('r1')).toBeUndefined();
			const fresh = await reopen(vault.meta, { pin: vault.pin });
			expect(await fresh.get('r1')).toBeUndefined();
			await fresh.close();
			await vault.close();
		});

		it('retired epochs: after a reseal, a record planted with a kept old key is refused', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const meta = vault.meta;
			const kept = await memberKey(meta, await latest(meta));
			const raw = backend().raw(meta.vaultId);
			// Before the reseal the old key is simply current: its records are the vault's.
			await raw.writeRecord(encryptRecord(kept, meta.vaultId, 0, 'early', bytes('x'), 1));
			expect(text(await vault.get('early'))).toBe('x');
			expect(await vault.reseal()).toMatchObject({ epoch: 1, moved: 2, retired: [0] });
			await raw.writeRecord(encryptRecord(kept, meta.vaultId, 0, 'planted', bytes('y'), 1));
			await raw.writeRecord(encryptRecord(kept, meta.vaultId, 0, 'r1', bytes('y'), 9));
			for (const reader of [vault, await reopen(meta, { pin: vault.pin })]) {
				for (const id of ['planted', 'r1']) {
					const error = await rejection(reader.get(id));
					expect(error).toBeInstanceOf(VaultRecordTamperedError);
					expect((error as Error).message).toMatch(/retired/);
				}
				await reader.close();
			}
		});

		it("limit: someone holding the newest epoch's key and write access can add the next epoch", async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await seeded();
			const meta = vault.meta;
			const pin0 = vault.pin;
			const row0 = await latest(meta);
			const kept = await memberKey(meta, row0);
			const commit = async (row: EpochRow) => {
				row.commitment = epochCommitment(kept, meta, epochHash(meta, row));
				return row;
			};
			const attackerKey = new Uint8Array(randomBytes(32));
			await addEpochAsWriter(meta, await commit(await forgedEpoch(meta, row0, attackerKey)));
			const fooled = await reopen(meta, { pin: pin0 });
			expect((await fooled.putMany([{ id: 'r2', data: bytes('x') }])).epoch).toBe(1);
			await fooled.close();
			await vault.close();

			// Once a member has rotated and the users keep the new pin, that key is not enough.
			const next = await seeded();
			const key0 = await memberKey(next.meta, await latest(next.meta));
			await next.rotate();
			const pin1 = next.pin;
			await next.close();
			await backend().raw(next.meta.vaultId).deleteEpoch(1);
			const replaced = await forgedEpoch(next.meta, await latest(next.meta), attackerKey);
			replaced.commitment = epochCommitment(key0, next.meta, epochHash(next.meta, replaced));
			await addEpochAsWriter(next.meta, replaced);
			expect(await rejection(reopen(next.meta, { pin: pin1 }))).toMatchObject({
				problem: 'pin-mismatch',
			});
		});
	});
}
