/**
 * The scenarios both e2e tiers run, registered as vitest tests against an environment getter.
 * Each test creates its own allowlist so tests never interfere.
 */
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
import { SealAccessDeniedError } from '../../../ts/errors.js';

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
