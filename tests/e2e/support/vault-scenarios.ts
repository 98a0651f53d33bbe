/**
 * Records-vault scenarios both e2e tiers run: a member reads 1,000 records with one key request
 * per server for the epochs touched, a removed member is refused (and auto-rotation notices the
 * removal from the allowlist itself), and after `rotate` new records use the new epoch.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Keypair } from '@mysten/sui/cryptography';
import { afterEach, beforeEach, expect, it } from 'vitest';

import type { E2eEnvironment } from '../../../ts/e2e/environment.js';
import {
	addNamespaceMember,
	countingFetch,
	createNamespace,
	expectDeniedEventually,
	newAccount,
	removeNamespaceMember,
} from '../../../ts/e2e/steps.js';
import { readAllowlist } from '../../../ts/policies/allowlist.js';
import { createSealClient } from '../../../ts/seal/client.js';
import { approveTxBuilder } from '../../../ts/seal/decrypt.js';
import { createSessionKey } from '../../../ts/seal/session.js';
import { openSqliteStorage } from '../../../ts/vault/sqlite-storage.js';
import { Vault, type MembershipSource, type VaultSealOptions } from '../../../ts/vault/vault.js';

const RECORDS = 1000;

export function registerVaultScenarios(getEnv: () => E2eEnvironment): void {
	let dir: string;
	beforeEach(async () => {
		dir = await mkdtemp(join(tmpdir(), 'vault-e2e-'));
	});
	afterEach(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	async function sealFor(env: E2eEnvironment, user: Keypair, fetch?: typeof globalThis.fetch) {
		return {
			sealClient: createSealClient({
				suiClient: env.client,
				servers: env.servers,
				...(fetch ? { fetch } : {}),
			}),
			session: await createSessionKey({
				suiClient: env.client,
				signer: user,
				packageId: env.packages.originalId,
			}),
			buildTxBytes: approveTxBuilder({ packageId: env.packages.latestId, client: env.client }),
			...(env.audit ? { audit: env.audit } : {}),
		} satisfies VaultSealOptions;
	}

	function membershipOf(env: E2eEnvironment, allowlistId: string): MembershipSource {
		return {
			members: async () =>
				(await readAllowlist({ client: env.client, allowlistId, eventLimit: 0 })).members,
		};
	}

	/** A namespace with a member and a vault of 1,000 records over two epochs (written by admin). */
	async function seededVault(label: string) {
		const env = getEnv();
		const ns = await createNamespace(env, `vault-${label}-${Date.now()}`);
		const member = await newAccount(env);
		await addNamespaceMember(env, ns, member.toSuiAddress());
		const path = join(dir, 'vault.db');
		const vault = await Vault.create({
			storage: await openSqliteStorage({ path, mode: 'create' }),
			target: { policy: 'allowlist', allowlistId: ns.allowlistId },
			packageId: env.packages.originalId,
			threshold: env.threshold,
			membership: membershipOf(env, ns.allowlistId),
			...(await sealFor(env, env.admin)),
		});
		const record = (i: number) => ({
			id: `r-${String(i).padStart(4, '0')}`,
			data: new TextEncoder().encode(`record ${i}`),
		});
		await vault.putMany(Array.from({ length: RECORDS / 2 }, (_, i) => record(i)));
		await vault.rotate();
		await vault.putMany(Array.from({ length: RECORDS / 2 }, (_, i) => record(i + RECORDS / 2)));
		await vault.close();
		return { env, ns, member, path };
	}

	it('vault: a member reads 1,000 records over 2 epochs with one key request per server', async () => {
		const { env, member, path } = await seededVault('read');
		const counter = countingFetch();
		const reader = await Vault.open({
			storage: await openSqliteStorage({ path, mode: 'open' }),
			trustFirstUse: true,
			...(await sealFor(env, member, counter.fetch)),
		});
		let count = 0;
		for await (const record of reader.iterate({ pageSize: RECORDS })) {
			expect(new TextDecoder().decode(record.data)).toBe(`record ${count}`);
			count += 1;
		}
		expect(count).toBe(RECORDS);
		// Both epochs' keys came in one batched request to each server.
		expect(counter.fetchKeyRequests()).toBeGreaterThan(0);
		expect(counter.fetchKeyRequests()).toBeLessThanOrEqual(env.servers.length);
		await reader.close();
	});

	it('vault: a removed member is refused; auto-rotation sees the removal on chain', async () => {
		const { env, ns, member, path } = await seededVault('removed');
		await removeNamespaceMember(env, ns, member.toSuiAddress());
		await expectDeniedEventually(async () => {
			const reader = await Vault.open({
				storage: await openSqliteStorage({ path, mode: 'open' }),
				trustFirstUse: true,
				...(await sealFor(env, member)),
			});
			try {
				return await reader.get('r-0000');
			} finally {
				await reader.close();
			}
		});
		// The admin's next session starts a new epoch: the removed member was in the current one.
		const writer = await Vault.open({
			storage: await openSqliteStorage({ path, mode: 'open' }),
			trustFirstUse: true,
			membership: membershipOf(env, ns.allowlistId),
			autoRotate: true,
			...(await sealFor(env, env.admin)),
		});
		expect((await writer.stats()).currentEpoch).toBe(2);
		await writer.close();
	});

	it('vault: after rotate, new records use the new epoch and members read them', async () => {
		const { env, member, path } = await seededVault('rotate');
		const writer = await Vault.open({
			storage: await openSqliteStorage({ path, mode: 'open' }),
			trustFirstUse: true,
			...(await sealFor(env, env.admin)),
		});
		expect(await writer.rotate()).toBe(2);
		expect(
			await writer.putMany([{ id: 'fresh', data: new TextEncoder().encode('new') }]),
		).toMatchObject({ epoch: 2 });
		const stats = await writer.stats();
		expect(stats.epochs.map((e) => [e.epoch, e.records])).toEqual([
			[0, RECORDS / 2],
			[1, RECORDS / 2],
			[2, 1],
		]);
		await writer.close();
		const reader = await Vault.open({
			storage: await openSqliteStorage({ path, mode: 'open' }),
			trustFirstUse: true,
			...(await sealFor(env, member)),
		});
		expect(new TextDecoder().decode(await reader.get('fresh'))).toBe('new');
		await reader.close();
	});
}
