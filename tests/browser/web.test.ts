/**
 * Browser tier: serves examples/web (bundled from source with esbuild for the browser platform)
 * and drives Debian's headless Chromium through playwright-core (no browser download). Checks
 * that the browser entry, running in a real browser, produces the same bytes as Node and talks
 * to the offline in-process key servers across origins (CORS).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SealClient } from '@mysten/seal';
import { Inputs } from '@mysten/sui/transactions';
import { toBase64 } from '@mysten/sui/utils';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
	collectBytes,
	decryptEnvelope,
	encryptEnvelope,
	readEnvelopeHeader,
} from '../../ts/crypto/node/envelope.js';
import { allowlistInnerId, ownerInnerId, randomNonce, toHex } from '../../ts/identity.js';
import { addMemberTx, createAllowlistTx } from '../../ts/policies/allowlist.js';
import { buildApproveTxBytes } from '../../ts/seal/approve.js';
import { createSessionKey } from '../../ts/seal/session.js';
import { envelopeV1 } from '../support/envelope-v1.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import type { WireObject } from './page-registry.js';

const CHROMIUM = process.env['CHROMIUM_BIN'] ?? '/usr/bin/chromium';
const skipReason = existsSync(CHROMIUM)
	? undefined
	: `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN); .ci/run installs it`;
if (skipReason) console.warn(`[browser] skipped: ${skipReason}`);

const EXAMPLE = new URL('../../examples/web/', import.meta.url);
const FLAGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--no-first-run',
	'--disable-sync',
];

/** The page's globals the tests call (see examples/web/main.ts and page-registry.ts). */
type PageGlobals = {
	sealExample: {
		sealPolicies: typeof import('../../ts/browser.js');
		SealClient: typeof SealClient;
		Ed25519Keypair: typeof import('@mysten/sui/keypairs/ed25519').Ed25519Keypair;
	};
	remoteRegistry: () => import('@mysten/sui/client').CoreClient;
};

async function bundle(entry: URL): Promise<string> {
	const result = await build({
		entryPoints: [entry.pathname],
		bundle: true,
		platform: 'browser',
		format: 'esm',
		target: 'es2022',
		write: false,
		logLevel: 'silent',
	});
	return result.outputFiles[0]?.text ?? '';
}

const bytes = (array: number[]) => Uint8Array.from(array);

describe.skipIf(skipReason !== undefined)('browser entry in headless Chromium', () => {
	let bed: SealTestbed;
	let server: Server;
	let browser: Browser;
	let page: Page;

	beforeAll(async () => {
		bed = await startSealTestbed({ serverCount: 3 });
		const files: Record<string, { type: string; body: string }> = {
			'/': { type: 'text/html', body: await readFile(new URL('index.html', EXAMPLE), 'utf8') },
			'/main.js': { type: 'text/javascript', body: await bundle(new URL('main.ts', EXAMPLE)) },
			'/page-registry.js': {
				type: 'text/javascript',
				body: await bundle(new URL('./page-registry.ts', import.meta.url)),
			},
		};
		server = createServer((req, res) => {
			const file = files[req.url ?? ''];
			res.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain' });
			res.end(file?.body ?? 'not found');
		});
		await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
		const { port } = server.address() as AddressInfo;

		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
		page = await browser.newPage();
		const pageErrors: string[] = [];
		page.on('pageerror', (error) => pageErrors.push(error.message));
		await page.exposeFunction('__registryObjects', registryObjectsForPage);
		await page.goto(`http://127.0.0.1:${port}/`);
		await page.addScriptTag({ url: '/page-registry.js', type: 'module' });
		await page.waitForFunction(() => 'remoteRegistry' in globalThis && 'sealExample' in globalThis);
		expect(pageErrors).toEqual([]);
	}, 180_000);

	afterAll(async () => {
		await browser?.close();
		await new Promise((done) => server?.close(done));
		await bed?.close();
	});

	/** The offline registry's objects as JSON for the page (content base64). */
	async function registryObjectsForPage(ids: string[]): Promise<WireObject[]> {
		const { objects } = await bed.registry.getObjects({
			objectIds: ids,
			include: { content: true },
		});
		return objects.map((object, i) =>
			object instanceof Error
				? { notFound: ids[i] ?? '' }
				: {
						objectId: object.objectId,
						version: object.version,
						type: object.type,
						owner: object.owner,
						content: toBase64(object.content),
					},
		);
	}

	it('builds approval-PTB bytes equal to Node’s', async () => {
		const allowlistId = randomObjectId();
		const owner = randomObjectId();
		const listId = allowlistInnerId(allowlistId, randomNonce());
		const ownerId = ownerInnerId(owner, randomNonce());
		const args = {
			packageId: bed.packageId,
			allowlistId,
			listId: Array.from(listId),
			ownerId: Array.from(ownerId),
		};
		const inPage = await page.evaluate(async (a) => {
			const { sealPolicies } = (globalThis as unknown as PageGlobals).sealExample;
			const built = await sealPolicies.buildApproveTxBytes({
				packageId: a.packageId,
				targets: [
					{
						policy: 'allowlist',
						innerId: Uint8Array.from(a.listId),
						allowlistId: a.allowlistId,
						initialSharedVersion: 7,
					},
					{ policy: 'owner', innerId: Uint8Array.from(a.ownerId) },
				],
			});
			return Array.from(built);
		}, args);
		const inNode = await buildApproveTxBytes({
			packageId: bed.packageId,
			targets: [
				{ policy: 'allowlist', innerId: listId, allowlistId, initialSharedVersion: 7 },
				{ policy: 'owner', innerId: ownerId },
			],
		});
		expect(bytes(inPage)).toEqual(inNode);
		expect(inNode.length).toBeGreaterThan(100);
	});

	it('builds allowlist-transaction bytes equal to Node’s (create with members, add)', async () => {
		const shared = Inputs.SharedObjectRef({
			objectId: randomObjectId(),
			mutable: true,
			initialSharedVersion: 5,
		});
		const owned = Inputs.ObjectRef({
			objectId: randomObjectId(),
			version: '7',
			digest: 'FKxvBPD1USPz5ri4zCx7Gcz7JrVSLhxnimwuhgMpRHKV',
		});
		const args = {
			packageId: bed.packageId,
			owner: randomObjectId(),
			member: randomObjectId(),
			shared,
			owned,
		};
		const inPage = await page.evaluate(async (a) => {
			const { sealPolicies } = (globalThis as unknown as PageGlobals).sealExample;
			const create = sealPolicies.createAllowlistTx({
				packageId: a.packageId,
				name: 'team α',
				owner: a.owner,
				members: [a.member],
			});
			const add = sealPolicies.addMemberTx({
				packageId: a.packageId,
				allowlist: a.shared,
				cap: a.owned,
				member: a.member,
			});
			return [
				Array.from(await create.build({ onlyTransactionKind: true })),
				Array.from(await add.build({ onlyTransactionKind: true })),
			];
		}, args);
		const create = await createAllowlistTx({
			packageId: bed.packageId,
			name: 'team α',
			owner: args.owner,
			members: [args.member],
		}).build({ onlyTransactionKind: true });
		const add = await addMemberTx({
			packageId: bed.packageId,
			allowlist: shared,
			cap: owned,
			member: args.member,
		}).build({ onlyTransactionKind: true });
		expect(inPage.map(bytes)).toEqual([create, add]);
	});

	it('an envelope made in the page decrypts in Node, and one made in Node decrypts in the page', async () => {
		const user = bed.newUser();
		const innerId = ownerInnerId(user.toSuiAddress(), randomNonce());
		bed.policy.allow(toHex(innerId), user.toSuiAddress());
		const data = Array.from({ length: 3000 }, (_, i) => (i * 13) % 256);
		const serverConfigs = bed.serverConfigs();

		const fromPage = await page.evaluate(
			async (a) => {
				const g = globalThis as unknown as PageGlobals;
				const { sealPolicies, SealClient: Client } = g.sealExample;
				const sealClient = new Client({
					suiClient: g.remoteRegistry(),
					serverConfigs: a.serverConfigs,
				});
				const envelope = await sealPolicies.encryptEnvelopeBytes(Uint8Array.from(a.data), {
					sealClient,
					packageId: a.packageId,
					innerId: Uint8Array.from(a.innerId),
					threshold: 2,
					chunkSize: 1024,
				});
				return Array.from(envelope);
			},
			{ data, serverConfigs, packageId: bed.packageId, innerId: Array.from(innerId) },
		);
		// The page writes format v2 (Node checks its header MAC and chunk AAD below).
		expect(fromPage[2]).toBe(2);
		const sessionKey = await createSessionKey({
			suiClient: bed.suiClient,
			signer: user,
			packageId: bed.packageId,
		});
		const txBytes = await bed.approveTxBytes([innerId]);
		const client = new SealClient({ suiClient: bed.suiClient, serverConfigs });
		const plainInNode = await collectBytes(
			decryptEnvelope(bytes(fromPage), { sealClient: client, sessionKey, txBytes }),
		);
		expect(plainInNode).toEqual(bytes(data));

		// Node → page: a user whose key lives in the page decrypts what Node encrypted for it.
		const pageAddress = await page.evaluate(() => {
			const g = globalThis as unknown as PageGlobals & { pageUser?: unknown };
			const user = g.sealExample.Ed25519Keypair.generate();
			g.pageUser = user;
			return user.toSuiAddress();
		});
		const pageInnerId = ownerInnerId(pageAddress, randomNonce());
		bed.policy.allow(toHex(pageInnerId), pageAddress);
		const fromNode = await collectBytes(
			encryptEnvelope(bytes(data), {
				sealClient: client,
				packageId: bed.packageId,
				innerId: pageInnerId,
				threshold: 2,
				chunkSize: 700,
			}),
		);
		const plainInPage = await page.evaluate(decryptInPage, {
			envelope: Array.from(fromNode),
			serverConfigs,
			packageId: bed.packageId,
		});
		expect(bytes(plainInPage)).toEqual(bytes(data));
	});

	it('runs a full Seal round trip from the page (session key, CORS key requests) and is denied off-policy', async () => {
		const pageAddress = await page.evaluate(() => {
			const g = globalThis as unknown as PageGlobals & { pageUser?: unknown };
			const user = g.sealExample.Ed25519Keypair.generate();
			g.pageUser = user;
			return user.toSuiAddress();
		});
		const allowlistId = randomObjectId();
		const innerId = allowlistInnerId(allowlistId, randomNonce());
		bed.policy.allow(toHex(innerId), pageAddress);
		const serverConfigs = bed.serverConfigs();
		const message = Array.from(new TextEncoder().encode('made and read in Chromium'));
		const roundTrip = await page.evaluate(
			async (a) => {
				const g = globalThis as unknown as PageGlobals;
				const { sealPolicies, SealClient: Client } = g.sealExample;
				const sealClient = new Client({
					suiClient: g.remoteRegistry(),
					serverConfigs: a.serverConfigs,
				});
				const envelope = await sealPolicies.encryptEnvelopeBytes(Uint8Array.from(a.message), {
					sealClient,
					packageId: a.packageId,
					innerId: Uint8Array.from(a.innerId),
					threshold: 2,
				});
				return Array.from(envelope);
			},
			{ message, serverConfigs, packageId: bed.packageId, innerId: Array.from(innerId) },
		);
		const before = bed.servers.map((server) => server.stats.fetchKeyRequests);
		const plain = await page.evaluate(decryptInPage, {
			envelope: roundTrip,
			serverConfigs,
			packageId: bed.packageId,
		});
		expect(bytes(plain)).toEqual(bytes(message));
		const after = bed.servers.map((server) => server.stats.fetchKeyRequests);
		// The page itself fetched keys from at least a threshold of servers.
		expect(after.filter((count, i) => count > (before[i] ?? 0)).length).toBeGreaterThanOrEqual(2);

		// Another page user (not allowed) is refused by the key servers.
		await page.evaluate(() => {
			const g = globalThis as unknown as PageGlobals & { pageUser?: unknown };
			g.pageUser = g.sealExample.Ed25519Keypair.generate();
		});
		const denied = await page
			.evaluate(decryptInPage, { envelope: roundTrip, serverConfigs, packageId: bed.packageId })
			.then(
				() => 'decrypted',
				(error: Error) => error.message,
			);
		// A typed library error (the SDK's NoAccessError is its cause), not the SDK's own class.
		expect(denied).toMatch(/SealAccessDeniedError|key servers refused access/);
	});

	it('reads a version-1 envelope from Node, and refuses a flipped bit in each header field', async () => {
		const pageAddress = await page.evaluate(() => {
			const g = globalThis as unknown as PageGlobals & { pageUser?: unknown };
			const user = g.sealExample.Ed25519Keypair.generate();
			g.pageUser = user;
			return user.toSuiAddress();
		});
		const innerId = ownerInnerId(pageAddress, randomNonce());
		bed.policy.allow(toHex(innerId), pageAddress);
		const serverConfigs = bed.serverConfigs();
		const client = new SealClient({ suiClient: bed.suiClient, serverConfigs });
		const data = bytes(Array.from({ length: 1500 }, (_, i) => (i * 31) % 256));
		const dataKey = new Uint8Array(randomBytes(32));
		const { encryptedObject } = await client.encrypt({
			threshold: 2,
			packageId: bed.packageId,
			id: toHex(innerId),
			data: dataKey,
		});
		const v1 = envelopeV1(encryptedObject, dataKey, 512, data);
		const v2 = await collectBytes(
			encryptEnvelope(data, {
				sealClient: client,
				packageId: bed.packageId,
				innerId,
				threshold: 2,
				chunkSize: 512,
			}),
		);
		const headerLength = (await readEnvelopeHeader(v2)).headerBytes.length;
		const chunkAt = 5 + 3 * 33 + 32 + 2 + innerId.length;
		// Version, threshold, server count, a server id, the package id, the inner id, the chunk
		// size, the sealed-key length, bytes inside the sealed key, the MAC (Node's unit tier and
		// the browser-envelope test cover every byte; Chromium runs the same code).
		const positions = [
			2,
			3,
			4,
			5,
			5 + 3 * 33,
			5 + 3 * 33 + 32 + 2,
			chunkAt + 3,
			chunkAt + 7,
			chunkAt + 8 + 40,
			chunkAt + 8 + 200,
			headerLength - 32,
			headerLength - 1,
		];
		const tampered = positions.map((at) => {
			const bad = Uint8Array.from(v2);
			bad[at] = (bad[at] as number) ^ 0x04;
			return Array.from(bad);
		});
		const results = await page.evaluate(decryptManyInPage, {
			envelopes: [Array.from(v1), Array.from(v2), ...tampered],
			serverConfigs,
			packageId: bed.packageId,
		});
		expect(results[0]).toEqual({ plain: Array.from(data), released: 3 });
		expect(results[1]?.plain).toEqual(Array.from(data));
		const failures = results.slice(2);
		for (const [i, result] of failures.entries()) {
			expect(result.released, `byte ${positions[i]}`).toBe(0);
			expect(result.error, `byte ${positions[i]}`).toMatch(
				/^(MalformedCiphertextError|DecryptionFailedError|TruncatedInputError|SealKeyServerError):/,
			);
		}
		// The chunk size and the MAC are caught by the header MAC in the page.
		for (const at of [chunkAt + 3, headerLength - 32, headerLength - 1]) {
			expect(failures[positions.indexOf(at)]?.error).toMatch(/header failed authentication/);
		}
	});
});

/**
 * Runs in the page: `pageUser` signs a session key through the wallet interface, the approval
 * PTB is built in the page, and the envelope is decrypted with WebCrypto. Returns the plaintext.
 */
async function decryptInPage(a: {
	envelope: number[];
	serverConfigs: { objectId: string; weight: number }[];
	packageId: string;
}): Promise<number[]> {
	const g = globalThis as unknown as PageGlobals & {
		pageUser: InstanceType<PageGlobals['sealExample']['Ed25519Keypair']>;
	};
	const { sealPolicies, SealClient: Client } = g.sealExample;
	const suiClient = g.remoteRegistry();
	const envelope = Uint8Array.from(a.envelope);
	const { header } = await sealPolicies.readEnvelopeHeader(envelope);
	const user = g.pageUser;
	const sessionKey = await sealPolicies.createWalletSessionKey({
		wallet: {
			address: user.toSuiAddress(),
			signPersonalMessage: ({ message }) => user.signPersonalMessage(message),
		},
		packageId: a.packageId,
		suiClient,
	});
	const isOwner = sealPolicies.toHex(header.innerId).startsWith(user.toSuiAddress().slice(2));
	const txBytes = await sealPolicies.buildApproveTxBytes({
		packageId: a.packageId,
		targets: [
			isOwner
				? { policy: 'owner', innerId: header.innerId }
				: {
						policy: 'allowlist',
						innerId: header.innerId,
						allowlistId: sealPolicies.allowlistIdOfInnerId(header.innerId),
						initialSharedVersion: 1,
					},
		],
	});
	const sealClient = new Client({ suiClient, serverConfigs: a.serverConfigs });
	const plain = await sealPolicies.decryptEnvelopeBytes(envelope, {
		sealClient,
		sessionKey,
		txBytes,
	});
	return Array.from(plain);
}

/**
 * Runs in the page: one wallet session key and one SealClient (its key cache answers repeats)
 * decrypt each envelope as a stream; reports the plaintext or the error's `name: message`, and
 * how many plaintext pieces were released before it. Every envelope is for `pageUser` (owner).
 */
async function decryptManyInPage(a: {
	envelopes: number[][];
	serverConfigs: { objectId: string; weight: number }[];
	packageId: string;
}): Promise<{ plain?: number[]; error?: string; released: number }[]> {
	const g = globalThis as unknown as PageGlobals & {
		pageUser: InstanceType<PageGlobals['sealExample']['Ed25519Keypair']>;
	};
	const { sealPolicies, SealClient: Client } = g.sealExample;
	const suiClient = g.remoteRegistry();
	const user = g.pageUser;
	const sessionKey = await sealPolicies.createWalletSessionKey({
		wallet: {
			address: user.toSuiAddress(),
			signPersonalMessage: ({ message }) => user.signPersonalMessage(message),
		},
		packageId: a.packageId,
		suiClient,
	});
	const sealClient = new Client({ suiClient, serverConfigs: a.serverConfigs });
	// The first envelope is untampered: its inner id builds the approval for all of them.
	const { header } = await sealPolicies.readEnvelopeHeader(Uint8Array.from(a.envelopes[0] ?? []));
	const txBytes = await sealPolicies.buildApproveTxBytes({
		packageId: a.packageId,
		targets: [{ policy: 'owner', innerId: header.innerId }],
	});
	const results: { plain?: number[]; error?: string; released: number }[] = [];
	for (const envelope of a.envelopes) {
		const reader = sealPolicies
			.decryptEnvelopeStream(Uint8Array.from(envelope), { sealClient, sessionKey, txBytes })
			.getReader();
		const plain: number[] = [];
		let released = 0;
		try {
			for (let next = await reader.read(); !next.done; next = await reader.read()) {
				released++;
				plain.push(...next.value);
			}
			results.push({ plain, released });
		} catch (error) {
			const e = error as Error;
			results.push({ error: `${e.name}: ${e.message}`, released });
		}
	}
	return results;
}
