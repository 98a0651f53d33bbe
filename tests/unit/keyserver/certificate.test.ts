import { SessionKey } from '@mysten/seal';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { computeZkLoginAddressFromSeed, getZkLoginSignature } from '@mysten/sui/zklogin';
import { describe, expect, it } from 'vitest';
import { KeyServerRequestError } from '../../../ts/keyserver/errors.js';
import {
	checkCertificateTime,
	checkSessionSignature,
	checkUserSignature,
	sessionMessage,
	signedRequestBytes,
} from '../../../ts/keyserver/certificate.js';
import { checkSdkHeaders } from '../../../ts/keyserver/headers.js';
import {
	BodyDataError,
	parseFetchKeyRequest,
	type Certificate,
} from '../../../ts/keyserver/request.js';
import { nobleBackend } from '../../../ts/keyserver/curve/noble.js';
import { personalMessage } from '../../support/fetch-key-request.js';
import { OfflineSuiRegistry, randomObjectId } from '../../support/offline-sui-registry.js';

async function sdkSession() {
	const registry = new OfflineSuiRegistry();
	const packageId = registry.registerPackage(randomObjectId(), 1);
	const user = Ed25519Keypair.generate();
	const sessionKey = await SessionKey.create({
		address: user.toSuiAddress(),
		packageId,
		ttlMin: 7,
		signer: user,
		suiClient: registry,
	});
	const raw = await sessionKey.getCertificate();
	const cert: Certificate = {
		user: raw.user,
		sessionVk: Uint8Array.from(Buffer.from(raw.session_vk, 'base64')),
		creationTimeMs: raw.creation_time,
		ttlMin: raw.ttl_min,
		signature: raw.signature,
		mvrName: undefined,
	};
	return { sessionKey, cert, packageId };
}

function errorName(fn: () => void): string | undefined {
	try {
		fn();
	} catch (error) {
		return error instanceof KeyServerRequestError ? error.errorName : 'other';
	}
	return undefined;
}

describe('session message and signatures', () => {
	it("our message is byte-for-byte the SDK's personal message (and the test oracle's)", async () => {
		const { sessionKey, cert, packageId } = await sdkSession();
		const sdk = new TextDecoder().decode(sessionKey.getPersonalMessage());
		expect(sessionMessage(packageId, cert)).toBe(sdk);
		expect(personalMessage(packageId, cert.ttlMin, cert.creationTimeMs, cert.sessionVk)).toBe(sdk);
	});

	it("accepts the SDK user's signature and rejects it for another package name", async () => {
		const { cert, packageId } = await sdkSession();
		await expect(checkUserSignature(cert, packageId)).resolves.toBeUndefined();
		await expect(checkUserSignature(cert, randomObjectId())).rejects.toMatchObject({
			errorName: 'InvalidSignature',
		});
		await expect(
			checkUserSignature({ ...cert, user: randomObjectId() }, packageId),
		).rejects.toMatchObject({
			errorName: 'InvalidSignature',
		});
	});

	it("accepts the SDK's request signature over BCS {ptb, enc_key, enc_verification_key} only", async () => {
		const { sessionKey, cert } = await sdkSession();
		const txBytes = new Uint8Array([0, 1, 2, 3]);
		const params = await sessionKey.createRequestParams(txBytes);
		const sig = Uint8Array.from(Buffer.from(params.requestSignature, 'base64'));
		const signed = signedRequestBytes(txBytes.slice(1), params.encKeyPk, params.encVerificationKey);
		await expect(checkSessionSignature(cert, sig, signed)).resolves.toBeUndefined();
		const other = signedRequestBytes(
			new Uint8Array([9]),
			params.encKeyPk,
			params.encVerificationKey,
		);
		await expect(checkSessionSignature(cert, sig, other)).rejects.toMatchObject({
			errorName: 'InvalidSessionSignature',
		});
		// Verification that throws (a key or signature the verifier cannot even read) is a
		// failure too, never a pass; the verifier's error is kept as the cause.
		for (const [vk, signature] of [
			[cert.sessionVk.subarray(0, 31), sig],
			[cert.sessionVk, sig.subarray(0, 63)],
		] as const) {
			await expect(
				checkSessionSignature({ ...cert, sessionVk: vk }, signature, signed),
			).rejects.toMatchObject({ errorName: 'InvalidSessionSignature', cause: expect.any(Error) });
		}
	});

	it("keeps the verifier's reason as the cause of InvalidSignature", async () => {
		const { cert, packageId } = await sdkSession();
		await expect(checkUserSignature(cert, randomObjectId())).rejects.toMatchObject({
			errorName: 'InvalidSignature',
			cause: expect.objectContaining({ message: expect.stringMatching(/not valid/) }),
		});
		await expect(
			checkUserSignature({ ...cert, signature: 'AA==' }, packageId),
		).rejects.toMatchObject({ errorName: 'InvalidSignature', cause: expect.any(Error) });
	});

	it('verifies a zkLogin user signature through the client it is given, over the session message', async () => {
		const { cert: sessionCert, packageId } = await sdkSession();
		// A structurally valid zkLogin signature (proof content is the verifier's business: the
		// client answers for it, as a full node does).
		const iss = 'https://accounts.google.com';
		const addressSeed = 12345n;
		const claim = Buffer.from(`"iss":"${iss}",`).toString('base64url');
		const signature = getZkLoginSignature({
			inputs: {
				proofPoints: {
					a: ['1', '2', '1'],
					b: [
						['1', '0'],
						['1', '0'],
						['1', '0'],
					],
					c: ['1', '2', '1'],
				},
				issBase64Details: { value: claim, indexMod4: 0 },
				headerBase64: 'e30',
				addressSeed: addressSeed.toString(),
			},
			maxEpoch: '10',
			userSignature: new Uint8Array(97),
		});
		const cert: Certificate = {
			...sessionCert,
			user: computeZkLoginAddressFromSeed(addressSeed, iss, false),
			signature,
		};
		const asked: { bytes: string; intentScope: string; address: string }[] = [];
		const client = (success: boolean) =>
			({
				core: {
					verifyZkLoginSignature: async (args: (typeof asked)[number]) => {
						asked.push(args);
						return { success, errors: [] };
					},
				},
			}) as unknown as ClientWithCoreApi;
		await expect(checkUserSignature(cert, packageId, client(true))).resolves.toBeUndefined();
		expect(asked).toEqual([
			expect.objectContaining({
				bytes: Buffer.from(sessionMessage(packageId, cert)).toString('base64'),
				intentScope: 'PersonalMessage',
				address: cert.user,
			}),
		]);
		await expect(checkUserSignature(cert, packageId, client(false))).rejects.toMatchObject({
			errorName: 'InvalidSignature',
		});
		// Without a client a zkLogin signature cannot be verified, so it is refused.
		await expect(checkUserSignature(cert, packageId)).rejects.toMatchObject({
			errorName: 'InvalidSignature',
		});
	});
});

describe('certificate time window', () => {
	const base: Certificate = {
		user: randomObjectId(),
		sessionVk: new Uint8Array(32),
		creationTimeMs: 1_000_000,
		ttlMin: 10,
		signature: '',
		mvrName: undefined,
	};
	it('accepts from creation to creation + TTL inclusive', () => {
		expect(errorName(() => checkCertificateTime(base, base.creationTimeMs, 30))).toBeUndefined();
		expect(
			errorName(() => checkCertificateTime(base, base.creationTimeMs + 600_000, 30)),
		).toBeUndefined();
	});
	it('rejects expiry, future creation (no skew) and TTL above the maximum', () => {
		expect(errorName(() => checkCertificateTime(base, base.creationTimeMs + 600_001, 30))).toBe(
			'InvalidCertificate',
		);
		expect(errorName(() => checkCertificateTime(base, base.creationTimeMs - 1, 30))).toBe(
			'InvalidCertificate',
		);
		expect(
			errorName(() => checkCertificateTime({ ...base, ttlMin: 31 }, base.creationTimeMs, 30)),
		).toBe('InvalidCertificate');
		// The maximum itself is allowed.
		expect(
			errorName(() => checkCertificateTime({ ...base, ttlMin: 30 }, base.creationTimeMs, 30)),
		).toBeUndefined();
	});
});

describe('SDK headers', () => {
	const ok = { 'client-sdk-type': 'typescript', 'client-sdk-version': '1.4.12' };
	it('accepts the SDK headers and any valid version for unknown or missing types', () => {
		expect(errorName(() => checkSdkHeaders(ok))).toBeUndefined();
		// The metrics labels: the SDK type as Mysten names it, unknown types as "other".
		expect(checkSdkHeaders(ok)).toEqual({ sdkType: 'typescript', version: '1.4.12' });
		expect(checkSdkHeaders({ 'client-sdk-type': 'go', 'client-sdk-version': '0.0.1' })).toEqual({
			sdkType: 'other',
			version: '0.0.1',
		});
		// Numbers up to u64::MAX are versions; one more is not.
		expect(
			errorName(() => checkSdkHeaders({ 'client-sdk-version': '18446744073709551615.0.0' })),
		).toBeUndefined();
		expect(
			errorName(() => checkSdkHeaders({ 'client-sdk-version': '18446744073709551616.0.0' })),
		).toBe('InvalidSDKVersion');
		expect(errorName(() => checkSdkHeaders({ 'client-sdk-version': '1.0.0 é' }))).toBe(
			'InvalidSDKVersion',
		);
		expect(errorName(() => checkSdkHeaders({ 'client-sdk-version': '0.0.1' }))).toBeUndefined();
		expect(
			errorName(() =>
				checkSdkHeaders({ 'client-sdk-type': 'rust', 'client-sdk-version': '0.0.0' }),
			),
		).toBe(undefined);
	});
	it('rejects missing, malformed and too-old versions', () => {
		expect(errorName(() => checkSdkHeaders({ 'client-sdk-type': 'typescript' }))).toBe(
			'MissingRequiredHeader',
		);
		expect(errorName(() => checkSdkHeaders({ ...ok, 'client-sdk-version': '1.4' }))).toBe(
			'InvalidSDKVersion',
		);
		expect(errorName(() => checkSdkHeaders({ ...ok, 'client-sdk-version': '0.4.4' }))).toBe(
			'DeprecatedSDKVersion',
		);
		expect(
			errorName(() =>
				checkSdkHeaders({ 'client-sdk-type': 'aggregator', 'client-sdk-version': '0.6.1' }),
			),
		).toBe('DeprecatedSDKVersion');
	});
});

describe('fetch_key body parsing', () => {
	it('rejects bodies whose fields do not deserialize (422 class), keeps ptb as text', () => {
		expect(() => parseFetchKeyRequest({}, nobleBackend)).toThrow(BodyDataError);
		expect(() => parseFetchKeyRequest([], nobleBackend)).toThrow(/invalid length 0/);
		const g1 = Buffer.from(new Uint8Array(48)).toString('base64');
		expect(() =>
			parseFetchKeyRequest(
				{
					ptb: '!!',
					enc_key: g1,
					enc_verification_key: 'AA==',
					request_signature: 'AA==',
					certificate: {},
				},
				nobleBackend,
			),
		).toThrow(/enc_key|enc_verification_key/);
	});
});
