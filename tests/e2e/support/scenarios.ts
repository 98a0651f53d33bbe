/**
 * The scenarios both e2e tiers run, registered as vitest tests against an environment getter.
 * Each test creates its own allowlist so tests never interfere.
 */
import { EncryptedObject } from '@mysten/seal';
import { normalizeSuiAddress } from '@mysten/sui/utils';
import { expect, it } from 'vitest';
import type { E2eEnvironment } from '../../../ts/e2e/environment.js';
import {
	addNamespaceMember,
	batchRoundTrip,
	createNamespace,
	decryptAs,
	encryptFor,
	envelopeRewrap,
	expectDenied,
	expectDeniedEventually,
	newAccount,
	removeNamespaceMember,
} from '../../../ts/e2e/steps.js';
import { publishUpgradeableCopy, withPackages } from '../../../ts/e2e/upgrade.js';
import { SealAccessDeniedError } from '../../../ts/crypto/seal-errors.js';
import { readBlob } from '../../../ts/crypto/node/format.js';

const text = (s: string) => new TextEncoder().encode(s);

export function registerScenarios(getEnv: () => E2eEnvironment): void {
	async function namespaceWithMember(label: string) {
		const env = getEnv();
		const ns = await createNamespace(env, `${label}-${Date.now()}`);
		const member = await newAccount(env);
		await addNamespaceMember(env, ns, member.toSuiAddress());
		return { env, ns, member };
	}

	it('a member decrypts what was encrypted for the namespace (t-of-n)', async () => {
		const { env, ns, member } = await namespaceWithMember('member');
		const blob = await encryptFor(
			env,
			{ policy: 'allowlist', allowlistId: ns.allowlistId },
			text('hello members'),
		);
		expect(new TextDecoder().decode(await decryptAs(env, member, blob, 'allowlist'))).toBe(
			'hello members',
		);
	});

	it('rejects decrypt when the caller is not on the allowlist (NoAccess)', async () => {
		const { env, ns } = await namespaceWithMember('stranger');
		const blob = await encryptFor(
			env,
			{ policy: 'allowlist', allowlistId: ns.allowlistId },
			text('not for you'),
		);
		const stranger = await newAccount(env);
		await expect(decryptAs(env, stranger, blob, 'allowlist')).rejects.toThrow(
			SealAccessDeniedError,
		);
	});

	it('a removed member loses access', async () => {
		const { env, ns, member } = await namespaceWithMember('removed');
		const blob = await encryptFor(
			env,
			{ policy: 'allowlist', allowlistId: ns.allowlistId },
			text('until removed'),
		);
		expect(new TextDecoder().decode(await decryptAs(env, member, blob, 'allowlist'))).toBe(
			'until removed',
		);
		await removeNamespaceMember(env, ns, member.toSuiAddress());
		await expectDeniedEventually(() => decryptAs(env, member, blob, 'allowlist'));
	});

	it('the owner policy lets only the owner decrypt', async () => {
		const env = getEnv();
		const owner = await newAccount(env);
		const other = await newAccount(env);
		const blob = await encryptFor(
			env,
			{ policy: 'owner', owner: owner.toSuiAddress() },
			text('mine'),
		);
		expect(new TextDecoder().decode(await decryptAs(env, owner, blob, 'owner'))).toBe('mine');
		await expectDenied(() => decryptAs(env, other, blob, 'owner'));
	});

	it('batch-decrypts 50 blobs with ⌈50/100⌉ key request per server', async () => {
		const { env, ns, member } = await namespaceWithMember('batch');
		const outcome = await batchRoundTrip(env, ns, member, 50);
		expect(outcome.allMatch).toBe(true);
		expect(outcome.fetchKeyRequests).toBeGreaterThanOrEqual(1);
		expect(outcome.fetchKeyRequests).toBeLessThanOrEqual(outcome.maxRequests);
	});

	it('rewraps an envelope to another server set without touching its data', async () => {
		const { env, ns, member } = await namespaceWithMember('rewrap');
		const newServers = env.servers.length > 1 ? env.servers.slice(1) : env.servers;
		const data = new Uint8Array(50_000).map((_, i) => (i * 7) % 256);
		const outcome = await envelopeRewrap(
			env,
			ns,
			member,
			data,
			newServers,
			Math.min(env.threshold, newServers.length),
		);
		expect(outcome.dataUnchanged).toBe(true);
		expect(outcome.decrypted).toBe(true);
	});
}

/**
 * Upgrades, end to end: publish v1 → allowlist → encrypt → compatible upgrade → members still
 * decrypt (identities and session keys under the original id, approvals calling the latest
 * package) → a non-member is still refused. Publishes its own copy (v1 = move/, v2 = move/ +
 * move/fixtures/upgrade) so the shared deployment of the other tests is never upgraded.
 */
export function registerUpgradeScenario(
	getEnv: () => E2eEnvironment,
	options: { root: string; buildEnv: NodeJS.ProcessEnv },
): void {
	it('after a compatible upgrade members still decrypt and non-members are still refused', async () => {
		const base = getEnv();
		const run = await publishUpgradeableCopy(base, options);
		try {
			const v1 = withPackages(base, run.v1);
			const ns = await createNamespace(v1, `upgrade-${Date.now()}`);
			const member = await newAccount(v1);
			await addNamespaceMember(v1, ns, member.toSuiAddress());
			const target = { policy: 'allowlist' as const, allowlistId: ns.allowlistId };
			const blob = await encryptFor(v1, target, text('survives upgrades'));

			const ids = await run.upgrade();
			expect(ids.originalId).toBe(run.v1.originalId);
			expect(ids.latestId).not.toBe(run.v1.originalId);
			const v2 = withPackages(base, ids);
			// The identity was sealed under the original id, and stays there.
			const sealed = readBlob(blob);
			if (sealed.format !== 'seal-object') throw new Error(`expected a Seal object`);
			expect(normalizeSuiAddress(EncryptedObject.parse(sealed.encryptedObject).packageId)).toBe(
				normalizeSuiAddress(ids.originalId),
			);
			// decryptAs: session key on v2.packages.originalId, approval PTB on v2.packages.latestId.
			expect(new TextDecoder().decode(await decryptAs(v2, member, blob, 'allowlist'))).toBe(
				'survives upgrades',
			);
			// Membership changes go through the upgraded package too.
			const late = await newAccount(v2);
			await addNamespaceMember(v2, ns, late.toSuiAddress());
			expect(new TextDecoder().decode(await decryptAs(v2, late, blob, 'allowlist'))).toBe(
				'survives upgrades',
			);
			const stranger = await newAccount(v2);
			await expect(decryptAs(v2, stranger, blob, 'allowlist')).rejects.toThrow(
				SealAccessDeniedError,
			);
		} finally {
			await run.cleanUp();
		}
	});
}
