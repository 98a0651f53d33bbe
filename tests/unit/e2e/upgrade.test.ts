/**
 * The upgrade scenario's offline parts: the v1/v2 package copies the e2e suites publish, and the
 * e2e steps under an upgraded package (run against in-process key servers with the real Seal
 * SDK): identities and session keys stay on the ORIGINAL id, approval PTBs call the LATEST id.
 */
import { EncryptedObject } from '@mysten/seal';
import { bcs } from '@mysten/sui/bcs';
import { fromBase64 } from '@mysten/sui/utils';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { E2eEnvironment } from '../../../ts/e2e/environment.js';
import { decryptAs, encryptFor } from '../../../ts/e2e/steps.js';
import { assemblePackageCopy, UPGRADE_FIXTURE_DIR, withPackages } from '../../../ts/e2e/upgrade.js';
import { SealAccessDeniedError } from '../../../ts/crypto/seal-errors.js';
import { readBlob } from '../../../ts/crypto/node/format.js';
import { silentLogger } from '../../../ts/logger.js';
import type { SuiClient } from '../../../ts/chain/sui-client.js';
import { randomObjectId } from '../../support/offline-sui-registry.js';
import { startSealTestbed, type SealTestbed } from '../../support/seal-testbed.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

describe('upgrade package copies (what the e2e suites publish)', () => {
	let work: string;
	beforeAll(async () => {
		work = await mkdtemp(join(tmpdir(), 'upgrade-copy-'));
	});
	afterAll(async () => {
		await rm(work, { recursive: true, force: true });
	});

	it('v1 is move/ (manifest + sources); v2 is v1 plus the fixture modules, nothing else', async () => {
		const v1 = await assemblePackageCopy({ root: ROOT, workDir: work, name: 'v1' });
		const v2 = await assemblePackageCopy({
			root: ROOT,
			workDir: work,
			name: 'v2',
			extraSourcesDir: join(ROOT, UPGRADE_FIXTURE_DIR),
		});
		const moveSources = (await readdir(join(ROOT, 'move', 'sources')))
			.filter((f) => f.endsWith('.move'))
			.sort();
		const fixture = (await readdir(join(ROOT, UPGRADE_FIXTURE_DIR))).filter((f) =>
			f.endsWith('.move'),
		);
		expect(fixture.length).toBeGreaterThan(0);
		// The fixture adds modules; it never replaces one (that could be an incompatible change).
		for (const file of fixture) expect(moveSources).not.toContain(file);
		expect((await readdir(join(v1, 'sources'))).sort()).toEqual(moveSources);
		expect((await readdir(join(v2, 'sources'))).sort()).toEqual(
			[...moveSources, ...fixture].sort(),
		);
		for (const file of moveSources) {
			const original = await readFile(join(ROOT, 'move', 'sources', file), 'utf8');
			expect(await readFile(join(v2, 'sources', file), 'utf8')).toBe(original);
		}
		// Only the manifest travels: a publication record of move/ belongs to the real deployment.
		expect((await readdir(v1)).sort()).toEqual(['Move.toml', 'sources']);
		expect(await readFile(join(v1, 'Move.toml'), 'utf8')).toBe(
			await readFile(join(ROOT, 'move', 'Move.toml'), 'utf8'),
		);
	});

	it('the fixture lives outside every Move layout folder of the root and move/ manifests', () => {
		const parts = UPGRADE_FIXTURE_DIR.split(/[\\/]/);
		expect(parts.slice(0, 2)).toEqual(['move', 'fixtures']);
		for (const layout of ['sources', 'tests', 'scripts', 'examples'])
			expect(parts[1]).not.toBe(layout);
	});
});

describe('e2e steps after an upgrade (offline key servers, real Seal SDK)', () => {
	let bed: SealTestbed;
	let env: E2eEnvironment;
	const upgradedId = randomObjectId();
	beforeAll(async () => {
		bed = await startSealTestbed({ serverCount: 2 });
		// v2 of the policy package: the chain knows it at version 2, the servers map it back.
		bed.registry.registerPackage(upgradedId, 2);
		bed.packages.set(upgradedId, bed.packageId);
		env = {
			network: 'localnet',
			rpcUrl: 'http://offline',
			client: bed.registry as unknown as SuiClient,
			servers: bed.serverConfigs(),
			threshold: 2,
			packages: { originalId: bed.packageId, latestId: bed.packageId, source: 'deployment' },
			admin: bed.newUser(),
			fund: undefined,
			sealPackageId: undefined,
			publishNote: 'testbed',
			logger: silentLogger,
		};
	});
	afterAll(async () => {
		await bed.close();
	});

	it('encrypts under the original id, then decrypts through approvals on the upgraded id', async () => {
		const owner = bed.newUser();
		const v1 = withPackages(env, env.packages);
		const blob = await encryptFor(
			v1,
			{ policy: 'owner', owner: owner.toSuiAddress() },
			new Uint8Array([7, 8, 9]),
		);
		const sealed = readBlob(blob);
		if (sealed.format !== 'seal-object') throw new Error('expected a Seal object');
		const object = EncryptedObject.parse(sealed.encryptedObject);
		expect(object.packageId).toBe(bed.packageId);
		bed.policy.allow(object.id, owner.toSuiAddress());

		const v2 = withPackages(env, {
			originalId: bed.packageId,
			latestId: upgradedId,
			source: 'deployment',
		});
		const sent: { ptb: string }[] = [];
		const spy = (async (input: string | URL | Request, init?: RequestInit) => {
			const url = String(input instanceof Request ? input.url : input);
			if (url.includes('/v1/fetch_key') && init?.body) sent.push(JSON.parse(String(init.body)));
			return fetch(input, init);
		}) as typeof fetch;
		const plain = await decryptAs(v2, owner, blob, 'owner', { fetch: spy });
		expect(Array.from(plain)).toEqual([7, 8, 9]);

		expect(sent.length).toBeGreaterThan(0);
		for (const request of sent) {
			const ptb = bcs.ProgrammableTransaction.parse(fromBase64(request.ptb));
			const calls = ptb.commands.map((c) => c.MoveCall);
			// The approval calls the newest code; the inner id (first argument) is unchanged.
			expect(calls.map((c) => c?.package)).toEqual([upgradedId]);
			expect(calls[0]?.function).toBe('seal_approve');
			const idArg = calls[0]!.arguments[0]!.Input!;
			const idBytes = bcs.vector(bcs.u8()).parse(fromBase64(ptb.inputs[idArg]!.Pure!.bytes));
			expect(Buffer.from(idBytes).toString('hex')).toBe(object.id);
		}

		// A user the policy does not allow is still refused after the upgrade.
		const stranger = bed.newUser();
		await expect(decryptAs(v2, stranger, blob, 'owner')).rejects.toThrow(SealAccessDeniedError);
	});

	it('after the upgrade the old version stays callable: a PTB naming v1 is served too (docs/trust-model.md)', async () => {
		const owner = bed.newUser();
		const blob = await encryptFor(
			env,
			{ policy: 'owner', owner: owner.toSuiAddress() },
			new Uint8Array([1, 2]),
		);
		const sealed = readBlob(blob);
		if (sealed.format !== 'seal-object') throw new Error('expected a Seal object');
		bed.policy.allow(EncryptedObject.parse(sealed.encryptedObject).id, owner.toSuiAddress());
		// v2 exists on chain (registered in beforeAll); the caller still names v1.
		const named: string[] = [];
		const spy = (async (input: string | URL | Request, init?: RequestInit) => {
			const url = String(input instanceof Request ? input.url : input);
			if (url.includes('/v1/fetch_key') && init?.body) {
				const ptb = bcs.ProgrammableTransaction.parse(
					fromBase64((JSON.parse(String(init.body)) as { ptb: string }).ptb),
				);
				named.push(...ptb.commands.map((c) => c.MoveCall?.package ?? ''));
			}
			return fetch(input, init);
		}) as typeof fetch;
		const v1 = withPackages(env, {
			originalId: bed.packageId,
			latestId: bed.packageId,
			source: 'deployment',
		});
		expect(Array.from(await decryptAs(v1, owner, blob, 'owner', { fetch: spy }))).toEqual([1, 2]);
		expect(new Set(named)).toEqual(new Set([bed.packageId]));
	});
});
