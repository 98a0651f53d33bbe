/**
 * Protocol tier: batching (one request per server for many ids), t-of-n availability with
 * servers down, upgraded-package PTBs, and that the master key never leaves the server.
 */
import { InvalidPackageError, SealAPIError, SealClient } from '@mysten/seal';
import { Transaction } from '@mysten/sui/transactions';
import { fromHex, toHex } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../ts/logger.js';
import { generateMasterKey } from '../../ts/keyserver/keys.js';
import {
	handRequest,
	postFetchKey,
	readResponse,
	SDK_HEADERS,
} from '../support/fetch-key-request.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

const logLines: string[] = [];
const capture: Logger = {
	info: (m) => logLines.push(m),
	warn: (m) => logLines.push(m),
	debug: (m) => logLines.push(m),
};
const masterKeys = [generateMasterKey(), generateMasterKey(), generateMasterKey()];
const wire: string[] = [];
let bed: SealTestbed;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3, logger: capture, masterKeys });
});
afterAll(async () => {
	await bed?.close();
});

/** A fetch that records every response body the SDK receives (for the leak check). */
const recordingFetch: typeof fetch = async (input, init) => {
	const response = await fetch(input, init);
	wire.push(await response.clone().text());
	return response;
};

async function encryptFor(threshold: number, ids: string[]) {
	const client = new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
	return Promise.all(
		ids.map(async (id) => {
			const { encryptedObject } = await client.encrypt({
				threshold,
				packageId: bed.packageId,
				id,
				data: new TextEncoder().encode(`secret ${id}`),
			});
			return encryptedObject;
		}),
	);
}

async function sessionFor(allowIds: string[]) {
	const user = bed.newUser();
	for (const id of allowIds) bed.policy.allow(id, user.toSuiAddress());
	return bed.newSessionKey(user);
}

describe('batching', () => {
	it('10 ids in one PTB → exactly one fetch_key request per server, then all decrypt from cache', async () => {
		const ids = Array.from({ length: 10 }, () => toHex(randomBytes(12)));
		const objects = await encryptFor(3, ids);
		const sessionKey = await sessionFor(ids);
		const txBytes = await bed.approveTxBytes(ids.map((id) => fromHex(id)));
		const before = bed.servers.map((s) => s.stats.fetchKeyRequests);
		const client = new SealClient({
			suiClient: bed.suiClient,
			serverConfigs: bed.serverConfigs(),
			fetch: recordingFetch,
		});
		await client.fetchKeys({ ids, txBytes, sessionKey, threshold: 3 });
		expect(bed.servers.map((s, i) => s.stats.fetchKeyRequests - before[i]!)).toEqual([1, 1, 1]);
		expect(bed.servers.map((s) => s.stats.fetchKeyIds).every((n) => n >= 10)).toBe(true);
		for (const [i, data] of objects.entries()) {
			const plain = await client.decrypt({ data, sessionKey, txBytes });
			expect(new TextDecoder().decode(plain)).toBe(`secret ${ids[i]}`);
		}
		expect(bed.servers.map((s, i) => s.stats.fetchKeyRequests - before[i]!)).toEqual([1, 1, 1]);
	});
});

describe('availability', () => {
	it('one of three servers stopped → 2-of-3 still decrypts; two stopped → the SDK fails clearly', async () => {
		const id = toHex(randomBytes(12));
		const [data] = await encryptFor(2, [id]);
		const sessionKey = await sessionFor([id]);
		const txBytes = await bed.approveTxBytes([fromHex(id)]);
		const [a, b] = bed.servers;
		try {
			await a!.stop();
			const client = new SealClient({
				suiClient: bed.suiClient,
				serverConfigs: bed.serverConfigs(),
			});
			const plain = await client.decrypt({ data: data!, sessionKey, txBytes });
			expect(new TextDecoder().decode(plain)).toBe(`secret ${id}`);

			await b!.stop();
			const fresh = new SealClient({
				suiClient: bed.suiClient,
				serverConfigs: bed.serverConfigs(),
			});
			const failure = await fresh.decrypt({ data: data!, sessionKey, txBytes }).then(
				() => undefined,
				(error: unknown) => error as Error & { cause?: { code?: string } },
			);
			expect(failure).toBeInstanceOf(Error);
			// The SDK reports the majority error of the failed servers: the connection failure.
			expect(failure?.message).toMatch(/fetch failed/);
			expect(failure).not.toBeInstanceOf(SealAPIError);
			expect(['ECONNREFUSED', 'UND_ERR_SOCKET', 'ECONNRESET']).toContain(failure?.cause?.code);
		} finally {
			await a!.start();
			await b!.start();
		}
		// Back up on the same URLs: a fresh client decrypts again.
		const again = new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
		expect(
			new TextDecoder().decode(await again.decrypt({ data: data!, sessionKey, txBytes })),
		).toBe(`secret ${id}`);
	});
});

describe('upgraded packages', () => {
	it('a PTB calling an upgraded package id yields keys for the original id', async () => {
		const upgraded = randomObjectId();
		bed.registry.registerPackage(upgraded, 2);
		const id = toHex(randomBytes(12));
		const [data] = await encryptFor(2, [id]);
		const sessionKey = await sessionFor([id]);
		const tx = new Transaction();
		tx.moveCall({
			target: `${upgraded}::policy::seal_approve`,
			arguments: [tx.pure.vector('u8', Array.from(fromHex(id)))],
		});
		const txBytes = await tx.build({ client: bed.registry, onlyTransactionKind: true });
		// Unknown to the servers' resolver → InvalidPackage; once mapped to the original → keys.
		const client0 = new SealClient({
			suiClient: bed.suiClient,
			serverConfigs: bed.serverConfigs(),
		});
		await expect(client0.decrypt({ data: data!, sessionKey, txBytes })).rejects.toBeInstanceOf(
			InvalidPackageError,
		);
		bed.packages.set(upgraded, bed.packageId);
		const client = new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
		expect(
			new TextDecoder().decode(await client.decrypt({ data: data!, sessionKey, txBytes })),
		).toBe(`secret ${id}`);
	});
});

describe('secrecy of the master key', () => {
	it('never appears in any log line or response body', async () => {
		// Provoke every kind of answer: success, denial, rule errors, header errors, service, health.
		const url = bed.servers[0]!.url;
		const user = bed.newUser();
		const id = toHex(randomBytes(8));
		bed.policy.allow(id);
		const ok = await handRequest({
			user,
			packageId: bed.packageId,
			txBytes: await bed.approveTxBytes([fromHex(id)]),
		});
		const denied = await handRequest({
			user,
			packageId: bed.packageId,
			txBytes: await bed.approveTxBytes([randomBytes(8)]),
		});
		for (const body of [ok.body, denied.body, { ...ok.body, ptb: '!!' }, '{']) {
			wire.push((await postFetchKey(url, body)).text);
		}
		wire.push((await postFetchKey(url, ok.body, { 'Content-Type': 'application/json' })).text);
		for (const server of bed.servers) {
			const service = await fetch(`${server.url}/v1/service?service_id=${server.objectId}`, {
				headers: SDK_HEADERS,
			});
			wire.push((await readResponse(service)).text);
		}
		wire.push((await readResponse(await fetch(`${url}/health`))).text);
		expect(wire.length).toBeGreaterThan(8);
		expect(logLines.length).toBeGreaterThan(0);
		const haystack = [...wire, ...logLines].join('\n').toLowerCase();
		for (const key of masterKeys) {
			const hex = Buffer.from(key).toString('hex');
			expect(haystack).not.toContain(hex);
			expect(haystack).not.toContain(Buffer.from(key).toString('base64').toLowerCase());
			expect(haystack).not.toContain(hex.slice(0, 16));
		}
	});
});
