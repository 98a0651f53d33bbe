/**
 * Protocol tier: malformed and unauthorised `fetch_key` requests get exactly the error name and
 * HTTP status Mysten's key server gives (SEAL_NOTES §1.6, §2.4, §3.1), plus the SDK's mapping.
 */
import {
	ExpiredSessionKeyError,
	InvalidPackageError,
	InvalidPTBError,
	SealClient,
	SessionKey,
} from '@mysten/seal';
import { Inputs, Transaction } from '@mysten/sui/transactions';
import { fromHex, toHex } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyServerStartError } from '../../ts/keyserver/errors.js';
import { generateMasterKey } from '../../ts/keyserver/keys.js';
import { startKeyServer } from '../../ts/keyserver/server.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import {
	handRequest,
	postFetchKey,
	readResponse,
	SDK_HEADERS,
} from '../support/fetch-key-request.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

let bed: SealTestbed;
let url: string;
const user = (() => {
	let kp: ReturnType<SealTestbed['newUser']> | undefined;
	return () => (kp ??= bed.newUser());
})();
const innerId = toHex(randomBytes(8));

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 1 });
	url = bed.servers[0]!.url;
	bed.policy.allow(innerId);
});
afterAll(async () => {
	await bed?.close();
});

async function kindBytes(build: (tx: Transaction) => void): Promise<Uint8Array> {
	const tx = new Transaction();
	build(tx);
	return tx.build({ client: bed.registry, onlyTransactionKind: true });
}

function approve(tx: Transaction, pkg = bed.packageId, fn = 'seal_approve', id = innerId) {
	tx.moveCall({
		target: `${pkg}::policy::${fn}`,
		arguments: [tx.pure.vector('u8', Array.from(fromHex(id)))],
	});
}

async function expectError(
	body: unknown,
	error: string,
	status: number,
	headers?: Record<string, string>,
) {
	const res = await postFetchKey(url, body, headers);
	expect({ status: res.status, json: res.json }).toMatchObject({ status, json: { error } });
	expect(res.headers.get('x-keyserver-version')).toMatch(/^\d+\.\d+\.\d+$/);
	return res;
}

describe('a well-formed request', () => {
	it('returns one key per command with the full id as a number array', async () => {
		const txBytes = await kindBytes((tx) => {
			approve(tx);
			approve(tx);
		});
		const { body } = await handRequest({ user: user(), packageId: bed.packageId, txBytes });
		const res = await postFetchKey(url, body);
		expect(res.status).toBe(200);
		const keys = (res.json as { decryption_keys: { id: number[]; encrypted_key: string[] }[] })
			.decryption_keys;
		expect(keys).toHaveLength(2);
		expect(toHex(Uint8Array.from(keys[0]!.id))).toBe(bed.packageId.slice(2) + innerId);
		expect(keys[0]!.encrypted_key.map((k) => Buffer.from(k, 'base64').length)).toEqual([48, 48]);
	});
});

describe('certificate and signatures', () => {
	it('user signature by another key → 403 InvalidSignature', async () => {
		const txBytes = await kindBytes((tx) => approve(tx));
		const { body } = await handRequest({
			user: user(),
			packageId: bed.packageId,
			txBytes,
			certificateSigner: bed.newUser(),
		});
		await expectError(body, 'InvalidSignature', 403);
	});

	it('message signed for an upgraded (non-original) package id → 403 InvalidSignature', async () => {
		const txBytes = await kindBytes((tx) => approve(tx));
		const { body } = await handRequest({ user: user(), packageId: randomObjectId(), txBytes });
		await expectError(body, 'InvalidSignature', 403);
	});

	it('expired certificate → 403 InvalidCertificate', async () => {
		const txBytes = await kindBytes((tx) => approve(tx));
		const { body } = await handRequest({
			user: user(),
			packageId: bed.packageId,
			txBytes,
			ttlMin: 1,
			creationTimeMs: Date.now() - 61_000,
		});
		await expectError(body, 'InvalidCertificate', 403);
	});

	it('creation time in the future → 403 InvalidCertificate', async () => {
		const txBytes = await kindBytes((tx) => approve(tx));
		const { body } = await handRequest({
			user: user(),
			packageId: bed.packageId,
			txBytes,
			creationTimeMs: Date.now() + 60_000,
		});
		await expectError(body, 'InvalidCertificate', 403);
	});

	it('TTL 31 minutes → 403 InvalidCertificate', async () => {
		const txBytes = await kindBytes((tx) => approve(tx));
		const { body } = await handRequest({
			user: user(),
			packageId: bed.packageId,
			txBytes,
			ttlMin: 31,
		});
		await expectError(body, 'InvalidCertificate', 403);
	});

	it('session signature over other bytes → 403 InvalidSessionSignature', async () => {
		const txBytes = await kindBytes((tx) => approve(tx));
		const { body } = await handRequest({
			user: user(),
			packageId: bed.packageId,
			txBytes,
			sessionSignsInstead: new Uint8Array([1, 2, 3]),
		});
		await expectError(body, 'InvalidSessionSignature', 403);
	});

	it('the SDK maps InvalidCertificate to ExpiredSessionKeyError', async () => {
		// A 30-minute session against a server whose maximum is 10 minutes.
		const strict = await startSealTestbed({ serverCount: 1, ttlMaxMinutes: 10 });
		try {
			strict.policy.allow(innerId);
			const u = strict.newUser();
			const sessionKey = await SessionKey.create({
				address: u.toSuiAddress(),
				packageId: strict.packageId,
				ttlMin: 30,
				signer: u,
				suiClient: strict.suiClient,
			});
			const client = new SealClient({
				suiClient: strict.suiClient,
				serverConfigs: strict.serverConfigs(),
			});
			await expect(
				client.fetchKeys({
					ids: [innerId],
					txBytes: await strict.approveTxBytes([fromHex(innerId)]),
					sessionKey,
					threshold: 1,
				}),
			).rejects.toBeInstanceOf(ExpiredSessionKeyError);
		} finally {
			await strict.close();
		}
	});
});

describe('PTB rules', () => {
	it('a call to a non-seal_approve function → 403 InvalidPTB', async () => {
		const txBytes = await kindBytes((tx) => approve(tx, bed.packageId, 'approve'));
		const res = await expectError(
			(await handRequest({ user: user(), packageId: bed.packageId, txBytes })).body,
			'InvalidPTB',
			403,
		);
		expect((res.json as { message: string }).message).toBe(
			'Invalid PTB: Invalid function or package id',
		);
	});

	it('calls into two packages → 403 InvalidPTB', async () => {
		const other = bed.registry.registerPackage(randomObjectId(), 1);
		const txBytes = await kindBytes((tx) => {
			approve(tx);
			approve(tx, other);
		});
		const res = await expectError(
			(await handRequest({ user: user(), packageId: bed.packageId, txBytes })).body,
			'InvalidPTB',
			403,
		);
		expect((res.json as { message: string }).message).toContain('Invalid function or package id');
	});

	it('101 commands → 403 InvalidPTB', async () => {
		const txBytes = await kindBytes((tx) => {
			for (let i = 0; i < 101; i++) approve(tx);
		});
		const res = await expectError(
			(await handRequest({ user: user(), packageId: bed.packageId, txBytes })).body,
			'InvalidPTB',
			403,
		);
		expect((res.json as { message: string }).message).toContain('Too many commands');
	});

	it('a non-pure first argument → 403 InvalidPTB', async () => {
		const txBytes = await kindBytes((tx) => {
			const clock = tx.object(
				Inputs.SharedObjectRef({ objectId: '0x6', initialSharedVersion: 1, mutable: false }),
			);
			tx.moveCall({ target: `${bed.packageId}::policy::seal_approve`, arguments: [clock] });
		});
		const res = await expectError(
			(await handRequest({ user: user(), packageId: bed.packageId, txBytes })).body,
			'InvalidPTB',
			403,
		);
		expect((res.json as { message: string }).message).toContain(
			'Invalid first parameter for seal_approve',
		);
	});

	it('a package the server cannot map to a first version → 403 InvalidPackage', async () => {
		const unknown = randomObjectId();
		const txBytes = await kindBytes((tx) => approve(tx, unknown));
		await expectError(
			(await handRequest({ user: user(), packageId: unknown, txBytes })).body,
			'InvalidPackage',
			403,
		);
	});

	it('SessionKey for a package that is not at version 1 → the SDK refuses (InvalidPackageError)', async () => {
		const upgraded = bed.registry.registerPackage(randomObjectId(), 2);
		const u = user();
		await expect(
			SessionKey.create({
				address: u.toSuiAddress(),
				packageId: upgraded,
				ttlMin: 5,
				signer: u,
				suiClient: bed.suiClient,
			}),
		).rejects.toBeInstanceOf(InvalidPackageError);
	});

	it('the SDK surfaces InvalidPTB as InvalidPTBError', async () => {
		const u = user();
		const sessionKey = await SessionKey.create({
			address: u.toSuiAddress(),
			packageId: bed.packageId,
			ttlMin: 5,
			signer: u,
			suiClient: bed.suiClient,
		});
		const client = new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
		const txBytes = await kindBytes((tx) => approve(tx, bed.packageId, 'not_approve'));
		await expect(
			client.fetchKeys({ ids: [innerId], txBytes, sessionKey, threshold: 1 }),
		).rejects.toBeInstanceOf(InvalidPTBError);
	});
});

describe('HTTP layer', () => {
	it('malformed JSON → 400 (plain text, not an {error} body)', async () => {
		const res = await postFetchKey(url, '{"ptb": ');
		expect(res.status).toBe(400);
		expect(res.json).toBeUndefined();
	});

	it('a body that is JSON but misses fields → 422', async () => {
		const res = await postFetchKey(url, { ptb: 'AA==' });
		expect(res.status).toBe(422);
	});

	it('missing Client-Sdk-Version → 400 MissingRequiredHeader', async () => {
		const res = await expectError({}, 'MissingRequiredHeader', 400, {
			'Content-Type': 'application/json',
		});
		expect((res.json as { message: string }).message).toBe(
			'Missing required header: Client-Sdk-Version',
		);
	});

	it('a version that is not semver → 400 InvalidSDKVersion; an old TS SDK → 426 DeprecatedSDKVersion', async () => {
		await expectError({}, 'InvalidSDKVersion', 400, {
			...SDK_HEADERS,
			'Client-Sdk-Version': 'one',
		});
		await expectError({}, 'DeprecatedSDKVersion', 426, {
			...SDK_HEADERS,
			'Client-Sdk-Version': '0.4.4',
		});
	});

	it('a 200 KiB body → 413', async () => {
		const res = await postFetchKey(url, JSON.stringify({ ptb: 'A'.repeat(200 * 1024) }));
		expect(res.status).toBe(413);
	});

	it('GET /v1/service returns a proof of possession the SDK verifies', async () => {
		const client = new SealClient({
			suiClient: bed.suiClient,
			serverConfigs: bed.serverConfigs(),
			verifyKeyServers: true,
		});
		const servers = await client.getKeyServers();
		expect(servers.size).toBe(1);
		const wrong = await readResponse(
			await fetch(`${url}/v1/service?service_id=${randomObjectId()}`, { headers: SDK_HEADERS }),
		);
		expect({ status: wrong.status, json: wrong.json }).toMatchObject({
			status: 400,
			json: { error: 'InvalidServiceId' },
		});
	});

	it('CORS preflight allows any origin, POST and the SDK headers; responses expose the version', async () => {
		const res = await fetch(`${url}/v1/fetch_key`, {
			method: 'OPTIONS',
			headers: {
				Origin: 'https://app.example',
				'Access-Control-Request-Method': 'POST',
				'Access-Control-Request-Headers':
					'content-type,request-id,client-sdk-type,client-sdk-version',
			},
		});
		expect(res.status).toBeLessThan(300);
		expect(res.headers.get('access-control-allow-origin')).toBe('*');
		expect(res.headers.get('access-control-allow-methods')).toMatch(/\*|POST/);
		const allowed = res.headers.get('access-control-allow-headers') ?? '';
		for (const header of ['content-type', 'request-id', 'client-sdk-type', 'client-sdk-version']) {
			expect(allowed === '*' || allowed.toLowerCase().includes(header)).toBe(true);
		}
		const get = await fetch(`${url}/v1/service?service_id=${bed.servers[0]!.objectId}`, {
			headers: SDK_HEADERS,
		});
		expect(get.headers.get('access-control-expose-headers')).toMatch(/\*|x-keyserver-version/i);
	});

	it('a streamed (chunked) body over 180 KiB → 413 as well', async () => {
		const chunk = new Uint8Array(64 * 1024).fill(0x20);
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (sent >= 4) return controller.close();
				sent++;
				controller.enqueue(chunk);
			},
		});
		const res = await fetch(`${url}/v1/fetch_key`, {
			method: 'POST',
			headers: SDK_HEADERS,
			body,
			duplex: 'half',
		} as RequestInit);
		expect(res.status).toBe(413);
	});

	it('POST without Content-Type: application/json → 415; wrong method → 405; unknown path → 404', async () => {
		const { 'Content-Type': _, ...noType } = SDK_HEADERS;
		expect((await postFetchKey(url, '{}', noType)).status).toBe(415);
		expect((await fetch(`${url}/v1/fetch_key`, { headers: SDK_HEADERS })).status).toBe(405);
		const missing = await fetch(`${url}/v1/nothing`, { headers: SDK_HEADERS });
		expect(missing.status).toBe(404);
		expect(missing.headers.get('x-keyserver-version')).not.toBeNull();
	});

	it('a second server on a taken port fails with KeyServerStartError', async () => {
		await expect(
			startKeyServer({
				masterKey: generateMasterKey(),
				objectId: randomObjectId(),
				evaluator: bed.policy,
				packages: bed.packages,
				port: Number(new URL(url).port),
			}),
		).rejects.toBeInstanceOf(KeyServerStartError);
	});

	it('GET /health answers without SDK headers', async () => {
		const res = await readResponse(await fetch(`${url}/health`));
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ status: 'up' });
	});
});

describe('tampering with a signed request (review regressions)', () => {
	async function signed(id = innerId) {
		const txBytes = await kindBytes((tx) => approve(tx, bed.packageId, 'seal_approve', id));
		return handRequest({ user: user(), packageId: bed.packageId, txBytes });
	}

	it("someone else's enc_key swapped into a signed request → 403 InvalidSessionSignature", async () => {
		const victim = await signed();
		const attacker = await signed();
		const body = { ...victim.body, enc_key: attacker.body['enc_key'] };
		await expectError(body, 'InvalidSessionSignature', 403);
	});

	it('a PTB for another id swapped into a signed request → 403 InvalidSessionSignature', async () => {
		const other = toHex(randomBytes(8));
		bed.policy.allow(other);
		const victim = await signed();
		const forged = await signed(other);
		await expectError({ ...victim.body, ptb: forged.body['ptb'] }, 'InvalidSessionSignature', 403);
	});

	it('a PTB whose bytes do not re-encode identically (invalid UTF-8 in a name) → 403 InvalidPTB', async () => {
		const txBytes = await kindBytes((tx) => approve(tx));
		// The module name "policy" with its last byte replaced by 0xff is not UTF-8; Rust's bcs
		// rejects the whole PTB, so must we (a lossy decode would turn it into "polic\uFFFD").
		const name = Buffer.from([6, ...Buffer.from('policy')]);
		const at = Buffer.from(txBytes).indexOf(name);
		expect(at).toBeGreaterThan(0);
		const lax = Uint8Array.from(txBytes);
		lax[at + name.length - 1] = 0xff;
		const { body } = await handRequest({ user: user(), packageId: bed.packageId, txBytes: lax });
		const res = await expectError(body, 'InvalidPTB', 403);
		expect((res.json as { message: string }).message).toBe('Invalid PTB: Invalid BCS');
	});

	it('an id the policy does not allow → 403 NoAccess, and no key in the body', async () => {
		const denied = toHex(randomBytes(8));
		const res = await expectError((await signed(denied)).body, 'NoAccess', 403);
		expect(res.text).not.toContain('encrypted_key');
	});
});
