/**
 * Protocol tier: the unmodified `@mysten/seal` SDK against a 2-of-3 committee of our key servers
 * in `!Committee` mode behind our aggregator; the committee `KeyServer` is served by the offline
 * registry in its on-chain BCS shape (MystenLabs/seal move/seal/sources/key_server.move,
 * ddc7e5d6). The SDK sends committee requests to `aggregatorUrl` and checks the combined key
 * against the committee's aggregate public key (MystenLabs/ts-sdks packages/seal/src/key-server.ts
 * `retrieveKeyServers` and client.ts at 03fe26bf; the installed @mysten/seal 1.4.12 does the
 * same), so a round trip proves the member shares, the aggregator's verification and its Lagrange
 * combination (x = party_id + 1) are all right.
 */
import { InternalError, NoAccessError, SealClient } from '@mysten/seal';
import { fromHex, toHex } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addCommittee, type TestCommittee } from '../support/committee-testbed.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import { generateMasterKey } from '../../ts/keyserver/keys.js';
import { startKeyServer } from '../../ts/keyserver/server.js';

let bed: SealTestbed;
let committee: TestCommittee;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 0 });
	committee = await addCommittee(bed, { threshold: 2, count: 3, timeoutMs: 1500 });
});
afterAll(async () => {
	await committee?.close();
	await bed?.close();
});

const freshId = () => toHex(randomBytes(16));

async function sealTo(
	configs: { objectId: string; weight: number; aggregatorUrl?: string }[],
	threshold: number,
) {
	const id = freshId();
	const data = new Uint8Array(randomBytes(64));
	const writer = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
	const { encryptedObject } = await writer.encrypt({
		threshold,
		packageId: bed.packageId,
		id,
		data,
	});
	const user = bed.newUser();
	bed.policy.allow(id, user.toSuiAddress());
	const sessionKey = await bed.newSessionKey(user);
	const txBytes = await bed.approveTxBytes([fromHex(id)]);
	return { id, data, encryptedObject, sessionKey, txBytes };
}

/** The SDK's fetch_key request, sent by hand to the aggregator (to read its status and body). */
async function rawFetchKey(sealed: Awaited<ReturnType<typeof sealTo>>) {
	const { toBase64 } = await import('@mysten/sui/utils');
	const params = await sealed.sessionKey.createRequestParams(sealed.txBytes);
	const body = {
		ptb: toBase64(sealed.txBytes.slice(1)),
		enc_key: toBase64(params.encKeyPk),
		enc_verification_key: toBase64(params.encVerificationKey),
		request_signature: params.requestSignature,
		certificate: await sealed.sessionKey.getCertificate(),
	};
	return fetch(`${committee.aggregator.url}/v1/fetch_key`, {
		method: 'POST',
		headers: {
			'Content-Type': 'application/json',
			'Client-Sdk-Type': 'typescript',
			'Client-Sdk-Version': '1.4.12',
		},
		body: JSON.stringify(body),
	});
}

describe('committee 2-of-3 through our aggregator', () => {
	it('round trip: the SDK decrypts with the aggregated key', async () => {
		const configs = [committee.serverConfig()];
		const sealed = await sealTo(configs, 1);
		const reader = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
		const before = committee.members.map((m) => m.running!.stats.fetchKeyRequests);
		const warn = vi.spyOn(console, 'warn');
		try {
			const plain = await reader.decrypt({
				data: sealed.encryptedObject,
				sessionKey: sealed.sessionKey,
				txBytes: sealed.txBytes,
				checkShareConsistency: true,
			});
			expect(Buffer.from(plain).equals(Buffer.from(sealed.data))).toBe(true);
			// The SDK drops (with a warning) a key that fails its pairing check.
			expect(warn).not.toHaveBeenCalled();
		} finally {
			warn.mockRestore();
		}
		// The aggregator asked the members (at least threshold of them answered).
		const asked = committee.members.filter(
			(m, i) => m.running!.stats.fetchKeyRequests > before[i]!,
		).length;
		expect(asked).toBeGreaterThanOrEqual(2);
	});
});

/** Serves `handler` on the port a member listened on (the member must be stopped). */
async function impostor(
	port: number,
	handler: (res: import('node:http').ServerResponse) => void,
): Promise<() => Promise<void>> {
	const { createServer } = await import('node:http');
	const server = createServer((req, res) => {
		req.resume();
		req.on('end', () => handler(res));
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	return () =>
		new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		});
}

async function decryptWith(
	configs: { objectId: string; weight: number; aggregatorUrl?: string }[],
	threshold = 1,
) {
	const sealed = await sealTo(configs, threshold);
	const reader = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
	const plain = await reader.decrypt({
		data: sealed.encryptedObject,
		sessionKey: sealed.sessionKey,
		txBytes: sealed.txBytes,
	});
	return { plain, sealed };
}

const upstreamErrors = async (name: string) => {
	const metric = await committee.aggregatorMetrics.upstreamErrors.get();
	return metric.values
		.filter((v) => v.labels.key_server_name === name)
		.reduce((sum, v) => sum + v.value, 0);
};

describe('committee availability and bad members', () => {
	it('one member down: still decrypts from the other two', async () => {
		await committee.members[2]!.stop();
		try {
			const { plain, sealed } = await decryptWith([committee.serverConfig()]);
			expect(Buffer.from(plain).equals(Buffer.from(sealed.data))).toBe(true);
		} finally {
			await committee.members[2]!.start();
		}
	});

	it('a member dropped once threshold is reached is not counted as an upstream error', async () => {
		const slow = committee.members[2]!;
		const slowUrl = `http://127.0.0.1:${slow.port}`;
		committee.setFetch(async (input, init) => {
			if (String(input).startsWith(slowUrl)) await new Promise((r) => setTimeout(r, 500));
			return fetch(input, init);
		});
		const before = await upstreamErrors(slow.name);
		try {
			const { plain, sealed } = await decryptWith([committee.serverConfig()]);
			expect(Buffer.from(plain).equals(Buffer.from(sealed.data))).toBe(true);
			await new Promise((r) => setTimeout(r, 600));
			expect(await upstreamErrors(slow.name)).toBe(before);
		} finally {
			committee.setFetch(fetch);
		}
	});

	it('two members down: the SDK gets a typed InternalError (the aggregator answers Failure)', async () => {
		await committee.members[1]!.stop();
		await committee.members[2]!.stop();
		try {
			await expect(decryptWith([committee.serverConfig()])).rejects.toBeInstanceOf(InternalError);
			// Asked directly, the aggregator answers upstream's `Failure` with status 503.
			const sealed = await sealTo([committee.serverConfig()], 1);
			const res = await rawFetchKey(sealed);
			expect(res.status).toBe(503);
			expect(await res.json()).toEqual({
				error: 'Failure',
				message: 'Internal server error, please try again later',
			});
		} finally {
			await committee.members[1]!.start();
			await committee.members[2]!.start();
		}
	});

	it('a member answering with a wrong share is ignored, never combined: decryption succeeds from the others', async () => {
		const bad = committee.members[2]!;
		await bad.stop();
		// An honest-looking key server at member 2's URL with a key that is not its share.
		const liar = await startKeyServer({
			masterKey: generateMasterKey(),
			objectId: committee.objectId,
			evaluator: bed.policy,
			packages: bed.packages,
			port: bad.port,
			workers: 0,
		});
		// Member 0 answers last, so the liar's share arrives before threshold is reached: if it were
		// counted, the combined key would be wrong and the SDK would refuse it.
		const slowUrl = `http://127.0.0.1:${committee.members[0]!.port}`;
		committee.setFetch(async (input, init) => {
			if (String(input).startsWith(slowUrl)) await new Promise((r) => setTimeout(r, 400));
			return fetch(input, init);
		});
		const before = await upstreamErrors(bad.name);
		const warn = vi.spyOn(console, 'warn');
		try {
			const { plain, sealed } = await decryptWith([committee.serverConfig()]);
			expect(Buffer.from(plain).equals(Buffer.from(sealed.data))).toBe(true);
			expect(warn).not.toHaveBeenCalled();
			expect(liar.stats.fetchKeyRequests).toBeGreaterThan(0);
			expect(await upstreamErrors(bad.name)).toBe(before + 1);
		} finally {
			warn.mockRestore();
			committee.setFetch(fetch);
			await liar.close();
			await bad.start();
		}
	});

	for (const [what, handler] of [
		[
			'garbage (200, not JSON)',
			(res: import('node:http').ServerResponse) =>
				res.writeHead(200, { 'X-KeyServer-Version': '0.6.10' }).end('garbage'),
		],
		[
			'a version below key_server_version_requirement',
			(res: import('node:http').ServerResponse) =>
				res
					.writeHead(200, { 'X-KeyServer-Version': '0.5.0', 'Content-Type': 'application/json' })
					.end('{"decryption_keys":[]}'),
		],
		[
			'a 500 with a non-JSON body',
			(res: import('node:http').ServerResponse) => res.writeHead(500).end('boom'),
		],
	] as const) {
		it(`a member answering ${what} is counted as a failure; the others decrypt`, async () => {
			const bad = committee.members[1]!;
			await bad.stop();
			const close = await impostor(bad.port, handler);
			const before = await upstreamErrors(bad.name);
			const slowUrl = `http://127.0.0.1:${committee.members[0]!.port}`;
			committee.setFetch(async (input, init) => {
				if (String(input).startsWith(slowUrl)) await new Promise((r) => setTimeout(r, 300));
				return fetch(input, init);
			});
			try {
				const { plain, sealed } = await decryptWith([committee.serverConfig()]);
				expect(Buffer.from(plain).equals(Buffer.from(sealed.data))).toBe(true);
				expect(await upstreamErrors(bad.name)).toBe(before + 1);
			} finally {
				committee.setFetch(fetch);
				await close();
				await bad.start();
			}
		});
	}

	it('a member URL that does not answer times out (key_server_timeout_secs) and counts as a failure', async () => {
		const hung = committee.members[1]!;
		const down = committee.members[2]!;
		await hung.stop();
		await down.stop();
		const close = await impostor(hung.port, () => {
			/* never answers */
		});
		try {
			const started = performance.now();
			const sealed = await sealTo([committee.serverConfig()], 1);
			const res = await rawFetchKey(sealed);
			expect(res.status).toBe(503);
			// The testbed's timeout is 1.5 s: the aggregator gave up on the hung member, not hung itself.
			expect(performance.now() - started).toBeGreaterThan(1400);
			expect(performance.now() - started).toBeLessThan(8000);
		} finally {
			await close();
			await hung.start();
			await down.start();
		}
	});

	it('a member error is relayed when it is the majority (NoAccess for a denied id)', async () => {
		const configs = [committee.serverConfig()];
		const id = freshId();
		const writer = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
		const { encryptedObject } = await writer.encrypt({
			threshold: 1,
			packageId: bed.packageId,
			id,
			data: new Uint8Array([1]),
		});
		const sessionKey = await bed.newSessionKey(bed.newUser());
		const txBytes = await bed.approveTxBytes([fromHex(id)]);
		const reader = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
		await expect(
			reader.decrypt({ data: encryptedObject, sessionKey, txBytes }),
		).rejects.toBeInstanceOf(NoAccessError);
	});
});
