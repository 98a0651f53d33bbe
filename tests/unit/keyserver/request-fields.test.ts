/**
 * Field by field, what `parseFetchKeyBody` accepts and refuses (each refusal a 422-class
 * `BodyDataError`): exact byte lengths of every base64 field, canonical base64 only, the user
 * address, the integer fields' ranges, the optional `mvr_name`'s type. Written so that deleting
 * or loosening any single check fails a test.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../../ts/keyserver/curve/noble.js';
import {
	BodyDataError,
	decodeBase64Strict,
	JsonSyntaxError,
	parseFetchKeyBody,
	parseFetchKeyRequest,
} from '../../../ts/keyserver/request.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const user = Ed25519Keypair.generate();
const session = Ed25519Keypair.generate();
const encKey = bls12_381.G1.Point.BASE.multiply(7n).toBytes();
const encVk = bls12_381.G2.Point.BASE.multiply(7n).toBytes();

async function validBody(): Promise<Record<string, unknown>> {
	const { signature } = await user.signPersonalMessage(new Uint8Array([1]));
	return {
		ptb: 'AAAA',
		enc_key: b64(encKey),
		enc_verification_key: b64(encVk),
		request_signature: b64(new Uint8Array(64).fill(3)),
		certificate: {
			user: user.toSuiAddress(),
			session_vk: b64(session.getPublicKey().toRawBytes()),
			creation_time: 1_700_000_000_000,
			ttl_min: 10,
			signature,
			mvr_name: null,
		},
	};
}

const parse = (body: unknown) => parseFetchKeyRequest(body, nobleBackend);

function refused(body: unknown, pattern: RegExp): void {
	let error: unknown;
	try {
		parse(body);
	} catch (caught) {
		error = caught;
	}
	expect(error).toBeInstanceOf(BodyDataError);
	expect((error as Error).message).toMatch(pattern);
}

describe('fetch_key fields', () => {
	it('a valid body parses into typed fields', async () => {
		const body = await validBody();
		const parsed = parse(body);
		expect(parsed.ptbBase64).toBe('AAAA');
		expect(parsed.encKey).toEqual(encKey);
		expect(parsed.encVerificationKey).toEqual(encVk);
		expect(parsed.requestSignature).toEqual(new Uint8Array(64).fill(3));
		expect(parsed.certificate).toEqual({
			user: user.toSuiAddress(),
			sessionVk: session.getPublicKey().toRawBytes(),
			creationTimeMs: 1_700_000_000_000,
			ttlMin: 10,
			signature: (body['certificate'] as { signature: string }).signature,
			mvrName: undefined,
		});
	});

	it('every base64 field has one exact length', async () => {
		const body = await validBody();
		const cert = body['certificate'] as Record<string, unknown>;
		const g1 = bls12_381.G1.Point.BASE.toBytes();
		for (const [field, bytes] of [
			['enc_key', g1.subarray(0, 47)],
			['enc_key', new Uint8Array([...g1, 0])],
			['enc_verification_key', encVk.subarray(0, 95)],
			['enc_verification_key', new Uint8Array([...encVk, 0])],
			['request_signature', new Uint8Array(63)],
			['request_signature', new Uint8Array(65)],
		] as const) {
			refused({ ...body, [field]: b64(bytes) }, new RegExp(field));
		}
		const vk = session.getPublicKey().toRawBytes();
		for (const bytes of [vk.subarray(0, 31), new Uint8Array([...vk, 0])]) {
			refused({ ...body, certificate: { ...cert, session_vk: b64(bytes) } }, /session_vk/);
		}
	});

	it('group elements and keys must be valid, not just the right length', async () => {
		const body = await validBody();
		const cert = body['certificate'] as Record<string, unknown>;
		refused({ ...body, enc_key: b64(new Uint8Array(48)) }, /enc_key: not a valid group element/);
		refused(
			{ ...body, enc_verification_key: b64(new Uint8Array(96)) },
			/enc_verification_key: not a valid group element/,
		);
		const notOnCurve = new Uint8Array(32);
		notOnCurve[0] = 2;
		expect(() => ed25519.Point.fromBytes(notOnCurve, true)).toThrow();
		refused({ ...body, certificate: { ...cert, session_vk: b64(notOnCurve) } }, /Ed25519/);
	});

	it('base64 must be canonical and padded (fastcrypto strict decoding)', async () => {
		expect(decodeBase64Strict('AQ==')).toEqual(new Uint8Array([1]));
		expect(decodeBase64Strict('AR==')).toBeUndefined();
		expect(decodeBase64Strict('AQ')).toBeUndefined();
		expect(decodeBase64Strict('A Q==')).toBeUndefined();
		expect(decodeBase64Strict('AQ=')).toBeUndefined();
		expect(decodeBase64Strict('')).toEqual(new Uint8Array());
		const body = await validBody();
		const sig = b64(new Uint8Array(64).fill(3));
		refused({ ...body, request_signature: sig.replace(/=+$/, '') }, /request_signature/);
	});

	it('the user address: 64 hex digits, 0x optional, lower-cased', async () => {
		const body = await validBody();
		const cert = body['certificate'] as Record<string, unknown>;
		const hex = user.toSuiAddress().slice(2);
		const at = (value: unknown) => ({ ...body, certificate: { ...cert, user: value } });
		expect(parse(at(hex.toUpperCase())).certificate.user).toBe(`0x${hex}`);
		expect(parse(at(`0x${hex}`)).certificate.user).toBe(`0x${hex}`);
		for (const bad of ['0x1', `0x${hex}0`, `0x${hex.slice(1)}g`, `x${hex}`, '', 7]) {
			refused(at(bad), /user|string/);
		}
	});

	it('integer fields: creation_time u64, ttl_min u16, numbers only', async () => {
		const body = await validBody();
		const cert = body['certificate'] as Record<string, unknown>;
		const at = (field: string, value: unknown) => ({
			...body,
			certificate: { ...cert, [field]: value },
		});
		expect(parse(at('ttl_min', 65_535)).certificate.ttlMin).toBe(65_535);
		expect(parse(at('ttl_min', 0)).certificate.ttlMin).toBe(0);
		expect(parse(at('creation_time', 0)).certificate.creationTimeMs).toBe(0);
		refused(at('ttl_min', 65_536), /ttl|65535|integer/);
		refused(at('ttl_min', -1), /integer/);
		refused(at('ttl_min', '10'), /invalid type: string/);
		refused(at('creation_time', 1.5), /floating point/);
		refused(at('creation_time', null), /invalid type: null/);
		refused(at('creation_time', true), /invalid type: boolean/);
	});

	it('mvr_name: absent or null → none, a string → kept, anything else refused', async () => {
		const body = await validBody();
		const cert = body['certificate'] as Record<string, unknown>;
		const at = (value: unknown) => ({ ...body, certificate: { ...cert, mvr_name: value } });
		const { mvr_name: _omitted, ...withoutMvr } = cert;
		expect(parse({ ...body, certificate: withoutMvr }).certificate.mvrName).toBeUndefined();
		expect(parse(at(null)).certificate.mvrName).toBeUndefined();
		expect(parse(at('@org/app')).certificate.mvrName).toBe('@org/app');
		for (const bad of [1, true, ['@org/app'], { name: 'x' }]) refused(at(bad), /invalid type/);
	});

	it('missing fields and wrong shapes', async () => {
		const body = await validBody();
		for (const field of Object.keys(body)) {
			const { [field]: _gone, ...rest } = body;
			refused(rest, new RegExp(`missing field \`${field}\``));
		}
		refused({ ...body, ptb: 5 }, /invalid type/);
		refused('text', /invalid type: string, expected struct FetchKeyRequest/);
		expect(() => parseFetchKeyBody(Buffer.from('{'), nobleBackend)).toThrow(JsonSyntaxError);
		expect(() => parseFetchKeyBody(Buffer.from(''), nobleBackend)).toThrow(JsonSyntaxError);
		expect(() => parseFetchKeyBody(Buffer.from(`${JSON.stringify(body)} x`), nobleBackend)).toThrow(
			JsonSyntaxError,
		);
	});
});

describe('certificate.signature (GenericSignature::from_bytes)', () => {
	const sig = (flag: number, length: number) => {
		const bytes = new Uint8Array(length).fill(5);
		bytes[0] = flag;
		return b64(bytes);
	};
	it('simple schemes need their exact length; structured ones must parse; others are refused', async () => {
		const body = await validBody();
		const cert = body['certificate'] as Record<string, unknown>;
		const at = (signature: string) => ({ ...body, certificate: { ...cert, signature } });
		for (const [flag, length] of [
			[0x00, 97],
			[0x01, 98],
			[0x02, 98],
		] as const) {
			expect(parse(at(sig(flag, length))).certificate.signature).toBe(sig(flag, length));
			refused(at(sig(flag, length - 1)), /signature/);
			refused(at(sig(flag, length + 1)), /signature/);
		}
		for (const bad of [sig(0x03, 40), sig(0x05, 40), sig(0x04, 97), '', '!!!!']) {
			refused(at(bad), /signature/);
		}
	});
});
