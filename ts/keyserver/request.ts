/**
 * Parsing of the `fetch_key` JSON body into typed fields. Mysten's server deserializes the body
 * with serde (axum `Json`): a field that is missing or of the wrong form (bad base64, not a curve
 * point, bad address) fails the whole body with 422 plain text; `ptb` stays a string and is
 * checked later (`InvalidPTB: Invalid Base64`).
 */
import { isValidSuiAddress, normalizeSuiAddress } from '@mysten/sui/utils';
import { g1FromBytes, isG2, type G1Point } from './elgamal.js';

export interface Certificate {
	user: string;
	sessionVk: Uint8Array;
	creationTimeMs: number;
	ttlMin: number;
	/** Sui serialized signature (base64) over the personal message. */
	signature: string;
	mvrName: string | undefined;
}

export interface FetchKeyRequest {
	ptbBase64: string;
	encKey: Uint8Array;
	/** `encKey` decoded (and subgroup-checked) once. */
	encKeyPoint: G1Point;
	encVerificationKey: Uint8Array;
	requestSignature: Uint8Array;
	certificate: Certificate;
}

/** The body could not be deserialized (HTTP 422, plain text, like axum's `JsonDataError`). */
export class BodyDataError extends Error {
	override name = 'BodyDataError';
}

export function parseFetchKeyRequest(body: unknown): FetchKeyRequest {
	const root = record(body, 'body');
	const cert = record(root['certificate'], 'certificate');
	const mvr = cert['mvr_name'];
	if (mvr !== undefined && mvr !== null && typeof mvr !== 'string') {
		throw new BodyDataError('certificate.mvr_name: expected a string');
	}
	const encKey = base64(root, 'enc_key', 48);
	let encKeyPoint: G1Point;
	try {
		encKeyPoint = g1FromBytes(encKey);
	} catch {
		throw new BodyDataError('enc_key: not a valid group element');
	}
	return {
		ptbBase64: text(root, 'ptb'),
		encKey,
		encKeyPoint,
		encVerificationKey: point(root, 'enc_verification_key', 96, isG2),
		requestSignature: base64(root, 'request_signature', 64),
		certificate: {
			user: address(cert, 'user'),
			sessionVk: base64(cert, 'session_vk', 32),
			creationTimeMs: integer(cert, 'creation_time', Number.MAX_SAFE_INTEGER),
			ttlMin: integer(cert, 'ttl_min', 0xffff),
			signature: text(cert, 'signature'),
			mvrName: typeof mvr === 'string' ? mvr : undefined,
		},
	};
}

function record(value: unknown, field: string): Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new BodyDataError(`${field}: expected an object`);
	}
	return value as Record<string, unknown>;
}

function text(obj: Record<string, unknown>, field: string): string {
	const value = obj[field];
	if (typeof value !== 'string') throw new BodyDataError(`missing field or not a string: ${field}`);
	return value;
}

function integer(obj: Record<string, unknown>, field: string, max: number): number {
	const value = obj[field];
	if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
		throw new BodyDataError(`${field}: expected an integer in 0..${max}`);
	}
	return value;
}

/**
 * Standard padded base64, canonical only (fastcrypto's strict decoder): Node would also accept
 * non-zero padding bits ("AR==" for "AQ=="), which Mysten's server rejects.
 */
export function decodeBase64Strict(value: string): Uint8Array | undefined {
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
	const bytes = Uint8Array.from(Buffer.from(value, 'base64'));
	return Buffer.from(bytes).toString('base64') === value ? bytes : undefined;
}

function base64(obj: Record<string, unknown>, field: string, length: number): Uint8Array {
	const bytes = decodeBase64Strict(text(obj, field));
	if (!bytes || bytes.length !== length) {
		throw new BodyDataError(`${field}: expected base64 of ${length} bytes`);
	}
	return bytes;
}

function point(
	obj: Record<string, unknown>,
	field: string,
	length: number,
	valid: (bytes: Uint8Array) => boolean,
): Uint8Array {
	const bytes = base64(obj, field, length);
	if (!valid(bytes)) throw new BodyDataError(`${field}: not a valid group element`);
	return bytes;
}

function address(obj: Record<string, unknown>, field: string): string {
	const value = text(obj, field);
	if (!/^0x[0-9a-fA-F]{1,64}$/.test(value) || !isValidSuiAddress(normalizeSuiAddress(value))) {
		throw new BodyDataError(`${field}: expected a 0x-prefixed Sui address`);
	}
	return normalizeSuiAddress(value);
}
