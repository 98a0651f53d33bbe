/**
 * Protocol tier, Permissioned mode: the unmodified `@mysten/seal` SDK against our in-process
 * key server started from a Mysten-format `!Permissioned` config, with the offline registry
 * standing in for chain reads. Behaviour follows MystenLabs/seal at
 * ddc7e5d6f2e0152d96671a51a4e41a869ddc8e35:
 * - crates/key-server/src/server.rs `check_request` (`has_key_for_package` right after the
 *   first-package lookup, before any signature check), `create_response` (the package's
 *   client key), `build_key_server_pop_map` / `handle_get_service` (one PoP per served client
 *   object id, `InvalidServiceId` otherwise);
 * - crates/key-server/src/master_keys.rs (`Exported` clients are skipped: neither their packages
 *   nor their object id are served), key_server_options.rs `get_supported_key_server_object_ids`;
 * - crates/key-server/src/errors.rs: `UnsupportedPackageId` → 400 "Unsupported package ID";
 * - crates/key-server/src/tests/e2e.rs `test_e2e_permissioned` (an unlisted package is refused
 *   with `UnsupportedPackageId`) and `test_e2e_imported_key` (a derived key imported elsewhere
 *   keeps opening old data; marked exported, its first server refuses the package).
 */
import {
	InvalidKeyServerObjectIdError,
	SealClient,
	SessionKey,
	UnsupportedPackageIdError,
} from '@mysten/seal';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { fromHex, toHex } from '@mysten/sui/utils';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { concatBytes } from '@noble/curves/utils.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseKeyServerConfig } from '../../ts/keyserver/config-file.js';
import { deriveMasterKey } from '../../ts/keyserver/derive-key.js';
import { FixedEvaluator } from '../../ts/keyserver/evaluator.js';
import { generateMasterKey, publicKeyFromMasterKey } from '../../ts/keyserver/keys.js';
import { KeyServerMetrics } from '../../ts/keyserver/metrics.js';
import { StaticPackageResolver } from '../../ts/keyserver/packages.js';
import { loadPermissionedKeys } from '../../ts/keyserver/permissioned.js';
import { startKeyServer, type RunningKeyServer } from '../../ts/keyserver/server.js';
import { handRequest, postFetchKey, SDK_HEADERS } from '../support/fetch-key-request.js';
import { OfflineSuiRegistry, randomObjectId } from '../support/offline-sui-registry.js';

const registry = new OfflineSuiRegistry();
const policy = new FixedEvaluator();
const packages = new StaticPackageResolver();
const pkg = (version = 1) => {
	const id = registry.registerPackage(randomObjectId(), version);
	if (version === 1) packages.set(id);
	return id;
};
const alicePkg = pkg();
const alicePkg2 = pkg();
const bobPkg = pkg();
const carolPkg = pkg();
const erinPkg = pkg();
const unlistedPkg = pkg();
// Version 2 of alice's first package: served under its original id.
const aliceUpgrade = pkg(2);
packages.set(aliceUpgrade, alicePkg);
const aliceObj = randomObjectId();
const bobObj = randomObjectId();
const carolObj = randomObjectId();
const erinObj = randomObjectId();

const seed = new Uint8Array(randomBytes(32));
const bobKey = generateMasterKey();
const CONFIG = `
network: !Devnet
  seal_package: '${registry.sealPackageId}'
server_mode: !Permissioned
  client_configs:
    - name: alice
      client_master_key: !Derived
        derivation_index: 0
      key_server_object_id: '${aliceObj}'
      package_ids: ['${alicePkg}', '${alicePkg2}']
    - name: bob
      client_master_key: !Imported
        env_var: BOB_BLS_KEY
      key_server_object_id: '${bobObj}'
      package_ids: ['${bobPkg}']
    - name: carol
      client_master_key: !Exported
        deprecated_derivation_index: 1
      key_server_object_id: '${carolObj}'
      package_ids: ['${carolPkg}']
    - name: erin
      client_master_key: !Derived
        derivation_index: 2
      key_server_object_id: '${erinObj}'
      package_ids: ['${erinPkg}']
`;

const servers: RunningKeyServer[] = [];
afterAll(async () => {
	await Promise.all(servers.map((s) => s.close()));
});

async function startPermissioned(
	workers: number,
	config = CONFIG,
	env: NodeJS.ProcessEnv = { MASTER_KEY: toHex(seed), BOB_BLS_KEY: `0x${toHex(bobKey)}` },
) {
	const file = parseKeyServerConfig(config);
	const lines: string[] = [];
	const logger = {
		info: (m: string) => void lines.push(m),
		warn: (m: string) => void lines.push(m),
		debug: (m: string) => void lines.push(m),
	};
	const clients = loadPermissionedKeys(file.clientConfigs!, env, logger);
	const metrics = new KeyServerMetrics();
	const server = await startKeyServer({
		clients,
		evaluator: policy,
		packages,
		workers,
		metrics,
		logger,
	});
	for (const client of clients) client.masterKey.fill(0);
	servers.push(server);
	return { server, metrics, lines };
}

function register(objectId: string, server: RunningKeyServer, publicKey: Uint8Array) {
	registry.registerKeyServer({
		objectId,
		name: `permissioned-${objectId.slice(2, 8)}`,
		url: server.url,
		publicKey,
	});
}

async function approveTxBytes(packageId: string, id: string): Promise<Uint8Array> {
	const tx = new Transaction();
	tx.moveCall({
		target: `${packageId}::policy::seal_approve`,
		arguments: [tx.pure.vector('u8', Array.from(fromHex(id)))],
	});
	return tx.build({ client: registry, onlyTransactionKind: true });
}

/** Seals 64 random bytes under `packageId` (threshold 1) to the key server object `objectId`. */
async function seal(objectId: string, packageId: string) {
	const id = toHex(randomBytes(16));
	const data = new Uint8Array(randomBytes(64));
	const writer = new SealClient({ suiClient: registry, serverConfigs: [{ objectId, weight: 1 }] });
	const { encryptedObject } = await writer.encrypt({ threshold: 1, packageId, id, data });
	const user = Ed25519Keypair.generate();
	policy.allow(id, user.toSuiAddress());
	return { id, data, encryptedObject, user, packageId, objectId };
}

/** Decrypts `sealed` through whatever server `objectId` points at now, PTB on `callPackage`. */
async function open(sealed: Awaited<ReturnType<typeof seal>>, callPackage = sealed.packageId) {
	const configs = [{ objectId: sealed.objectId, weight: 1 }];
	const sessionKey = await SessionKey.create({
		address: sealed.user.toSuiAddress(),
		packageId: sealed.packageId,
		ttlMin: 10,
		signer: sealed.user,
		suiClient: registry,
	});
	// verifyKeyServers: the SDK checks this object's proof of possession on /v1/service first.
	const reader = new SealClient({
		suiClient: registry,
		serverConfigs: configs,
		verifyKeyServers: true,
	});
	return reader.decrypt({
		data: sealed.encryptedObject,
		sessionKey,
		txBytes: await approveTxBytes(callPackage, sealed.id),
		checkShareConsistency: true,
	});
}

/** Seals under `packageId` to `objectId`, then decrypts with a PTB on `callPackage`. */
async function roundTrip(objectId: string, packageId: string, callPackage = packageId) {
	const sealed = await seal(objectId, packageId);
	return { plain: await open(sealed, callPackage), data: sealed.data };
}

const expectedPk = {
	alice: () => publicKeyFromMasterKey(deriveMasterKey(seed, 0n)),
	bob: () => publicKeyFromMasterKey(bobKey),
	erin: () => publicKeyFromMasterKey(deriveMasterKey(seed, 2n)),
};

for (const workers of [0, 2]) {
	describe(`one Permissioned server, two served clients (${workers || 'no'} worker threads)`, () => {
		let server: RunningKeyServer;
		let metrics: KeyServerMetrics;
		let lines: string[];
		const alice = aliceObj;
		const bob = bobObj;

		beforeAll(async () => {
			({ server, metrics, lines } = await startPermissioned(workers));
			// The clients' objects point at this run's server: the SDK reads a key server's URL and
			// public key from its object.
			register(alice, server, expectedPk.alice());
			register(bob, server, expectedPk.bob());
			register(erinObj, server, expectedPk.erin());
		});

		it('serves alice (Derived) and bob (Imported) with their own keys; carol (Exported) is not served', () => {
			expect(server.clients?.map((c) => [c.name, c.objectId, toHex(c.publicKey)])).toEqual([
				['alice', aliceObj, toHex(expectedPk.alice())],
				['bob', bobObj, toHex(expectedPk.bob())],
				['erin', erinObj, toHex(expectedPk.erin())],
			]);
			expect(toHex(expectedPk.alice())).not.toBe(toHex(expectedPk.bob()));
			expect(lines.join('\n')).not.toContain(toHex(seed));
			expect(lines.join('\n')).not.toContain(toHex(bobKey));
		});

		it("a listed package decrypts with its client's key (both of alice's, and an upgraded version)", async () => {
			for (const [objectId, packageId, call] of [
				[alice, alicePkg, alicePkg],
				[alice, alicePkg2, alicePkg2],
				[alice, alicePkg, aliceUpgrade],
				[bob, bobPkg, bobPkg],
				[erinObj, erinPkg, erinPkg],
			] as const) {
				const { plain, data } = await roundTrip(objectId, packageId, call);
				expect(Buffer.from(plain).equals(Buffer.from(data))).toBe(true);
			}
		});

		it('an unlisted package gets UnsupportedPackageId (400, upstream message), and so does the Exported client', async () => {
			for (const packageId of [unlistedPkg, carolPkg]) {
				await expect(roundTrip(alice, packageId)).rejects.toBeInstanceOf(UnsupportedPackageIdError);
			}
			const raw = await postFetchKey(
				server.url,
				(
					await handRequest({
						user: Ed25519Keypair.generate(),
						packageId: unlistedPkg,
						txBytes: await approveTxBytes(unlistedPkg, '01'),
					})
				).body,
			);
			expect(raw.status).toBe(400);
			expect(raw.json).toEqual({
				error: 'UnsupportedPackageId',
				message: 'Unsupported package ID',
			});
			const counted = await metrics.registry.getSingleMetricAsString('internal_errors');
			expect(counted).toMatch(
				/internal_errors\{internal_error_type="UnsupportedPackageId"\} [3-9]/,
			);
		});

		it('the package check comes before the signatures (a forged request still gets UnsupportedPackageId)', async () => {
			const user = Ed25519Keypair.generate();
			const forged = await handRequest({
				user,
				certificateSigner: Ed25519Keypair.generate(),
				packageId: unlistedPkg,
				txBytes: await approveTxBytes(unlistedPkg, '02'),
			});
			expect((await postFetchKey(server.url, forged.body)).json).toMatchObject({
				error: 'UnsupportedPackageId',
			});
			// The same forgery on a listed package reaches the signature check.
			const listed = await handRequest({
				user,
				certificateSigner: Ed25519Keypair.generate(),
				packageId: alicePkg,
				txBytes: await approveTxBytes(alicePkg, '02'),
			});
			expect((await postFetchKey(server.url, listed.body)).json).toMatchObject({
				error: 'InvalidSignature',
			});
		});

		it("a package is served with its own client's key only: another client's object cannot open it", async () => {
			// The request names no object: the server answers with the package's client key, which
			// the SDK rejects against the other object's public key, as with Mysten's server. Two
			// derived keys (alice 0, erin 2) differ as much as a derived and an imported one.
			for (const [objectId, packageId] of [
				[bob, alicePkg],
				[erinObj, alicePkg],
				[alice, erinPkg],
			] as const) {
				const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
				try {
					await expect(roundTrip(objectId, packageId)).rejects.toThrow();
					expect(warn).toHaveBeenCalledWith(`Received invalid key from key server ${objectId}`);
				} finally {
					warn.mockRestore();
				}
			}
		});

		it('/v1/service answers each served object id with its own proof of possession', async () => {
			for (const [objectId, publicKey] of [
				[aliceObj, expectedPk.alice()],
				[bobObj, expectedPk.bob()],
				[erinObj, expectedPk.erin()],
			] as const) {
				const response = await fetch(`${server.url}/v1/service?service_id=${objectId}`, {
					headers: SDK_HEADERS,
				});
				expect(response.status).toBe(200);
				const body = (await response.json()) as { service_id: string; pop: string };
				expect(body.service_id).toBe(objectId);
				const message = concatBytes(
					new TextEncoder().encode('SUI-SEAL-IBE-BLS12381-POP-00'),
					publicKey,
					fromHex(objectId),
				);
				const pop = Buffer.from(body.pop, 'base64');
				expect(
					bls12_381.shortSignatures.verify(pop, bls12_381.shortSignatures.hash(message), publicKey),
				).toBe(true);
			}
			// Carol's key was exported: her object is no longer served (nor is an unknown one).
			for (const objectId of [carolObj, randomObjectId()]) {
				const response = await fetch(`${server.url}/v1/service?service_id=${objectId}`, {
					headers: SDK_HEADERS,
				});
				expect(response.status).toBe(400);
				expect(await response.json()).toEqual({
					error: 'InvalidServiceId',
					message: 'Invalid service ID',
				});
			}
		});
	});
}

describe('Exported: the client runs the derived key elsewhere', () => {
	it('test_e2e_imported_key: a derived key moved to another server as !Imported still opens old data; marked !Exported, the first server refuses', async () => {
		// Upstream e2e.rs `test_e2e_imported_key`, with the SDK: data sealed to dave's object while
		// server 1 derives his key; the key moves to server 2 (its own seed, even all zero as
		// upstream uses), dave's object is re-pointed there; server 1's config marks it exported.
		const dave = randomObjectId();
		const davePkg = pkg();
		const entry = (key: string) => `
network: Testnet
server_mode: !Permissioned
  client_configs:
    - name: dave
      client_master_key: ${key}
      key_server_object_id: '${dave}'
      package_ids: ['${davePkg}']
`;
		const { server: one } = await startPermissioned(
			0,
			entry('!Derived\n        derivation_index: 0'),
		);
		const daveKey = deriveMasterKey(seed, 0n);
		register(dave, one, publicKeyFromMasterKey(daveKey));
		const sealed = await seal(dave, davePkg);
		expect(Buffer.from(await open(sealed)).equals(Buffer.from(sealed.data))).toBe(true);

		const { server: two } = await startPermissioned(
			0,
			entry('!Imported\n        env_var: IMPORTED_MASTER_KEY'),
			{ MASTER_KEY: '00'.repeat(32), IMPORTED_MASTER_KEY: toHex(daveKey) },
		);
		register(dave, two, publicKeyFromMasterKey(daveKey));
		expect(Buffer.from(await open(sealed)).equals(Buffer.from(sealed.data))).toBe(true);

		// Server 1 again, the key marked exported: with no other client it would not even start
		// ("No clients found"), so it keeps alice; dave's package is no longer served there.
		const exported = `${entry('!Exported\n        deprecated_derivation_index: 0')}    - name: alice
      client_master_key: !Derived
        derivation_index: 1
      key_server_object_id: '${aliceObj}'
      package_ids: ['${alicePkg}']
`;
		const { server: three } = await startPermissioned(0, exported);
		register(dave, three, publicKeyFromMasterKey(daveKey));
		const direct = await handRequest({
			user: sealed.user,
			packageId: davePkg,
			txBytes: await approveTxBytes(davePkg, sealed.id),
		});
		expect((await postFetchKey(three.url, direct.body)).json).toEqual({
			error: 'UnsupportedPackageId',
			message: 'Unsupported package ID',
		});
		// The SDK stops earlier: dave's object is not served by server 3 any more.
		await expect(open(sealed)).rejects.toBeInstanceOf(InvalidKeyServerObjectIdError);
		await expect(
			startPermissioned(0, entry('!Exported\n        deprecated_derivation_index: 0')),
		).rejects.toThrow(/No clients found in the configuration/);
	});

	it("carol's exported key (index 1 of the seed) decrypts her package on her own Open server", async () => {
		const own = await startKeyServer({
			masterKey: deriveMasterKey(seed, 1n),
			objectId: carolObj,
			evaluator: policy,
			packages,
			workers: 0,
		});
		servers.push(own);
		register(carolObj, own, own.publicKey);
		const { plain, data } = await roundTrip(carolObj, carolPkg);
		expect(Buffer.from(plain).equals(Buffer.from(data))).toBe(true);
	});

	it('an object id the server does not serve fails the SDK check of /v1/service', async () => {
		const { server } = await startPermissioned(0);
		const stray = randomObjectId();
		register(stray, server, expectedPk.alice());
		await expect(roundTrip(stray, alicePkg)).rejects.toBeInstanceOf(InvalidKeyServerObjectIdError);
	});
});
