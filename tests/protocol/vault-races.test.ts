/**
 * Lost updates, driven deterministically (a storage hook holds one writer between its read and
 * its write while another commits), on SQLite and PostgreSQL: reseal against a concurrent put, a
 * put racing a rotation, two imports of one file at once; and a reseal that fails midway resumes
 * in the epoch it started instead of starting another.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VaultDatabaseError } from '../../ts/vault/errors.js';
import { formatRecordLine, importRecordsFile } from '../../ts/vault/records-file.js';
import type { VaultStorage } from '../../ts/vault/storage.js';
import { Vault } from '../../ts/vault/vault.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import {
	gate,
	postgresBackend,
	sqliteBackend,
	withHooks,
	type StorageHooks,
	type VaultBackend,
} from '../support/vault-backends.js';
import { allowEpochs, vaultSealFor } from '../support/vault-helpers.js';

let bed: SealTestbed;
let owner: Ed25519Keypair;
let dir: string;
const backends: Partial<Record<'sqlite' | 'postgres', VaultBackend>> = {};

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3 });
	owner = bed.newUser();
	dir = await mkdtemp(join(tmpdir(), 'vault-races-'));
	backends.sqlite = await sqliteBackend();
	const pgb = await postgresBackend();
	if ('skip' in pgb) console.log(`skipping the PostgreSQL race tests: ${pgb.skip}`);
	else backends.postgres = pgb;
}, 120_000);
afterAll(async () => {
	await backends.sqlite?.close();
	await backends.postgres?.close();
	await bed?.close();
	await rm(dir, { recursive: true, force: true });
}, 60_000);

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (data: Uint8Array | undefined) =>
	data === undefined ? undefined : Buffer.from(data).toString('utf8');

for (const name of ['sqlite', 'postgres'] as const) {
	describe(`concurrent writers lose nothing (${name})`, () => {
		const backend = () => backends[name]!;

		async function created(records: number) {
			const vault = await Vault.create({
				storage: await backend().fresh(),
				target: { policy: 'owner', owner: owner.toSuiAddress() },
				packageId: bed.packageId,
				threshold: 2,
				...(await vaultSealFor(bed, owner)),
			});
			allowEpochs(bed, vault.meta, [0, 1, 2, 3, 4], owner.toSuiAddress());
			if (records > 0) {
				await vault.putMany(
					Array.from({ length: records }, (_, i) => ({ id: `r${i}`, data: bytes(`old ${i}`) })),
				);
			}
			return vault;
		}

		/** Another process's handle on the vault (pinned), its storage optionally hooked. */
		async function handle(vault: Vault, hooks: StorageHooks = {}): Promise<Vault> {
			const storage: VaultStorage = withHooks(await backend().reopen(vault.meta.vaultId), hooks);
			return Vault.open({ storage, ...(await vaultSealFor(bed, owner)), pin: vault.pin });
		}

		it('reseal vs a put landing between its read and its write: the put stands', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await created(3);
			const held = gate();
			const resealer = await handle(vault, {
				beforePutRecords: (call) => (call === 1 ? held.wait() : undefined),
			});
			const resealing = resealer.reseal();
			await held.reached;
			// The resealer has read r0..r2 (old) and is about to write them back under epoch 1.
			const writer = await handle(vault);
			await writer.put('r1', bytes('new'));
			held.open();
			expect(await resealing).toMatchObject({ epoch: 1, moved: 2, retired: [0] });
			const reader = await handle(vault);
			expect((await reader.getMany(['r0', 'r1', 'r2'])).map(text)).toEqual([
				'old 0',
				'new',
				'old 2',
			]);
			for (const v of [vault, resealer, writer, reader]) await v.close();
		});

		it('a put racing a rotation commits under the new epoch, not the retired-to-be old one', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await created(0);
			const held = gate();
			const putter = await handle(vault, {
				beforePutRecords: (call) => (call === 1 ? held.wait() : undefined),
			});
			const putting = putter.putMany([{ id: 'x', data: bytes('x') }]);
			await held.reached;
			// The putter encrypted under epoch 0; a rotation commits before its write.
			const rotator = await handle(vault);
			expect(await rotator.rotate()).toBe(1);
			held.open();
			expect(await putting).toMatchObject({ epoch: 1, written: ['x'] });
			const stats = await rotator.stats();
			expect(stats.epochs.map((e) => [e.epoch, e.records, e.encryptions])).toEqual([
				[0, 0, 0],
				[1, 1, 1],
			]);
			for (const v of [vault, putter, rotator]) await v.close();
		});

		it('two imports of one file at once write every record once', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await created(0);
			const file = join(dir, `${name}-import.jsonl`);
			const total = 150;
			await writeFile(
				file,
				Array.from({ length: total }, (_, i) =>
					formatRecordLine({ id: `m${i}`, data: bytes(`message ${i}`) }),
				).join(''),
			);
			const held = gate();
			const first = await handle(vault, {
				beforePutRecords: (call) => (call === 1 ? held.wait() : undefined),
			});
			const second = await handle(vault);
			const firstRun = importRecordsFile(first, file, { batchSize: 100 });
			await held.reached;
			// The first import checked its batch (none stored yet); the second runs to the end.
			expect(await importRecordsFile(second, file, { batchSize: 100 })).toEqual({
				total,
				imported: total,
				skipped: 0,
			});
			held.open();
			expect(await firstRun).toEqual({ total, imported: 0, skipped: total });
			const stats = await vault.stats();
			expect(stats.records).toBe(total);
			expect(stats.epochs[0]).toMatchObject({ encryptions: total });
			expect(text(await first.get('m7'))).toBe('message 7');
			for (const v of [vault, first, second]) await v.close();
		});

		it('a reseal that fails midway resumes in the epoch it started, and retires once', async (ctx) => {
			if (!backends[name]) return ctx.skip();
			const vault = await created(0);
			const count = 700;
			await vault.putMany(
				Array.from({ length: count }, (_, i) => ({
					id: `r${String(i).padStart(4, '0')}`,
					data: bytes(`value ${i}`),
				})),
			);
			const failing = await handle(vault, {
				beforePutRecords: (call) => {
					if (call === 2) throw new VaultDatabaseError('unavailable', 'connection lost (test)');
				},
			});
			const progress: number[] = [];
			await expect(
				failing.reseal({ onProgress: (moved) => void progress.push(moved) }),
			).rejects.toThrow(/connection lost/);
			expect(progress).toEqual([500]);
			await failing.close();

			const resumed = await handle(vault);
			expect(await resumed.reseal()).toEqual({
				epoch: 1,
				moved: count - 500,
				retired: [0],
				current: 2,
			});
			// Once finished, a re-run has nothing left to do and starts no epoch.
			expect(await resumed.reseal({ epochs: [0] })).toMatchObject({ moved: 0, current: 2 });
			const stats = await resumed.stats();
			expect(stats.epochs.map((e) => [e.epoch, e.records])).toEqual([
				[0, 0],
				[1, count],
				[2, 0],
			]);
			const all = await resumed.getMany(['r0000', 'r0699']);
			expect(all.map(text)).toEqual(['value 0', 'value 699']);
			await resumed.close();
			await vault.close();
		});
	});
}
