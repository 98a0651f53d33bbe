/**
 * Parsing of the `fetch_key` body into typed fields, as Mysten's server deserializes it
 * (axum `Json<FetchKeyRequest>`, MystenLabs/seal crates/key-server/src/server.rs at ddc7e5d6,
 * structs `FetchKeyRequest` and `Certificate`): a field that is missing, repeated or of the
 * wrong form fails the whole body with 422; malformed JSON is 400 (see json-body.ts). `ptb`
 * stays a string and is checked later (`InvalidPTB`).
 *
 * Field types there and the checks their `Deserialize` impls make:
 * - `enc_key: ElGamalPublicKey`, `enc_verification_key: ElgamalVerificationKey` — fastcrypto
 *   group elements: strict base64, then a canonical point in the prime-order subgroup;
 * - `request_signature: Ed25519Signature` — strict base64 of 64 bytes;
 * - `user: SuiAddress` — fastcrypto `Hex`: optional `0x`, exactly 64 hex digits of any case;
 * - `session_vk: Ed25519PublicKey` — strict base64 of 32 bytes that decompress to a point
 *   (ed25519-consensus, ZIP-215 rules);
 * - `creation_time: u64`, `ttl_min: u16`;
 * - `signature: GenericSignature` — strict base64 whose flag byte names a known scheme and whose
 *   length / structure fits it;
 * - `mvr_name: Option<String>`.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { parseSerializedSignature } from '@mysten/sui/cryptography';
import type { CurveBackend } from './curve/curve.js';
import {
	BodyDataError,
	JsonSyntaxError,
	readJson,
	U16_MAX,
	U64_MAX,
	type StructType,
} from './json-body.js';

export { BodyDataError, JsonSyntaxError } from './json-body.js';

export interface Certificate {
	user: string;
	sessionVk: Uint8Array;
	/** ms since the epoch; values above 2^53 lose precision but are far in the future anyway. */
	creationTimeMs: number;
	ttlMin: number;
	/** Sui serialized signature (base64) over the personal message. */
	signature: string;
	mvrName: string | undefined;
}

export interface FetchKeyRequest {
	ptbBase64: string;
	/** A valid G1 point (subgroup-checked while parsing, as serde does). */
	encKey: Uint8Array;
	encVerificationKey: Uint8Array;
	requestSignature: Uint8Array;
	certificate: Certificate;
}

/** Point checks of the curve backend in use (mcl or noble: same answers, see curve/). */
export type PointChecks = Pick<CurveBackend, 'isG1' | 'isG2'>;

/** Parses the raw body bytes; throws `JsonSyntaxError` (400) or `BodyDataError` (422). */
export function parseFetchKeyBody(body: Uint8Array, curve: PointChecks): FetchKeyRequest {
	const root = readJson(body, requestType(curve));
	const cert = root['certificate'] as Record<string, unknown>;
	return {
		ptbBase64: root['ptb'] as string,
		encKey: root['enc_key'] as Uint8Array,
		encVerificationKey: root['enc_verification_key'] as Uint8Array,
		requestSignature: root['request_signature'] as Uint8Array,
		certificate: {
			user: cert['user'] as string,
			sessionVk: cert['session_vk'] as Uint8Array,
			creationTimeMs: Number(cert['creation_time'] as bigint),
			ttlMin: Number(cert['ttl_min'] as bigint),
			signature: cert['signature'] as string,
			mvrName: cert['mvr_name'] as string | undefined,
		},
	};
}

/** axum's `json_content_type`: `application/json` or `application/<anything>+json`. */
export function isJsonContentType(value: string | undefined): boolean {
	if (value === undefined) return false;
	const essence = value.split(';', 1)[0]!.trim().toLowerCase();
	const match = /^application\/([!#$%&'*+.^_`|~0-9a-z-]+)$/.exec(essence);
	if (!match) return false;
	const subtype = match[1]!;
	return subtype === 'json' || subtype.endsWith('+json');
}

/**
 * A `POST /v1/fetch_key` body as upstream's axum `Json` extractor takes it, for the key server
 * and the aggregator alike: the content type (415), the JSON syntax (400) and the request's
 * shape (422), in that order. A refusal comes back as the status and plain text to answer.
 */
export function readFetchKeyRequest(
	contentType: string | undefined,
	body: Uint8Array,
	curve: PointChecks,
): { request: FetchKeyRequest } | { status: 400 | 415 | 422; text: string } {
	if (!isJsonContentType(contentType)) {
		return { status: 415, text: 'Expected request with `Content-Type: application/json`' };
	}
	try {
		return { request: parseFetchKeyBody(body, curve) };
	} catch (error) {
		if (error instanceof JsonSyntaxError) {
			return { status: 400, text: `Failed to parse the request body as JSON: ${error.message}` };
		}
		if (error instanceof BodyDataError) {
			return {
				status: 422,
				text: `Failed to deserialize the JSON body into the target type: ${error.message}`,
			};
		}
		throw error;
	}
}

/** Same on an already parsed JSON value (tests, callers holding an object). */
export function parseFetchKeyRequest(body: unknown, curve: PointChecks): FetchKeyRequest {
	return parseFetchKeyBody(Buffer.from(JSON.stringify(body ?? null), 'utf8'), curve);
}

function requestType(curve: PointChecks): StructType {
	return {
		kind: 'struct',
		name: 'FetchKeyRequest',
		fields: [
			{ name: 'ptb', type: { kind: 'string' } },
			{ name: 'enc_key', type: { kind: 'string', check: point('enc_key', 48, curve.isG1) } },
			{
				name: 'enc_verification_key',
				type: { kind: 'string', check: point('enc_verification_key', 96, curve.isG2) },
			},
			{
				name: 'request_signature',
				type: { kind: 'string', check: base64('request_signature', 64) },
			},
			{
				name: 'certificate',
				type: {
					kind: 'struct',
					name: 'Certificate',
					fields: [
						{ name: 'user', type: { kind: 'string', check: suiAddress } },
						{ name: 'session_vk', type: { kind: 'string', check: ed25519PublicKey } },
						{ name: 'creation_time', type: { kind: 'uint', max: U64_MAX } },
						{ name: 'ttl_min', type: { kind: 'uint', max: U16_MAX } },
						{ name: 'signature', type: { kind: 'string', check: genericSignature } },
						{ name: 'mvr_name', type: { kind: 'option-string' } },
					],
				},
			},
		],
	};
}

/**
 * Standard padded base64, canonical only (fastcrypto's strict decoder): Node would also accept
 * non-zero padding bits ("AR==" for "AQ=="), which Mysten's server rejects.
 */
export function decodeBase64Strict(value: string): Uint8Array | undefined {
	// Node skips invalid characters and accepts missing padding; re-encoding must give `value` back.
	const bytes = Uint8Array.from(Buffer.from(value, 'base64'));
	return Buffer.from(bytes).toString('base64') === value ? bytes : undefined;
}

function base64(field: string, length: number) {
	return (value: string): Uint8Array => {
		const bytes = decodeBase64Strict(value);
		if (!bytes || bytes.length !== length) {
			throw new BodyDataError(`${field}: expected base64 of ${length} bytes`);
		}
		return bytes;
	};
}

function point(field: string, length: number, valid: (bytes: Uint8Array) => boolean) {
	const decode = base64(field, length);
	return (value: string): Uint8Array => {
		const bytes = decode(value);
		if (!valid(bytes)) throw new BodyDataError(`${field}: not a valid group element`);
		return bytes;
	};
}

/** fastcrypto `Hex::decode` into `[u8; 32]`: `0x` optional, 64 hex digits, either case. */
function suiAddress(value: string): string {
	const hex = value.startsWith('0x') ? value.slice(2) : value;
	if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
		throw new BodyDataError('user: expected 32 bytes as hex (64 digits, optional 0x)');
	}
	return `0x${hex.toLowerCase()}`;
}

const decodeSessionVk = base64('session_vk', 32);
function ed25519PublicKey(value: string): Uint8Array {
	const bytes = decodeSessionVk(value);
	try {
		ed25519.Point.fromBytes(bytes, true);
	} catch {
		throw new BodyDataError('session_vk: not an Ed25519 public key');
	}
	return bytes;
}

/** Flag byte → exact length of a simple signature (flag ‖ 64-byte signature ‖ public key). */
const SIMPLE_SIGNATURE_LENGTH: Record<number, number> = { 0x00: 97, 0x01: 98, 0x02: 98 };
/** MultiSig, zkLogin, passkey: BCS structures after the flag. */
const STRUCTURED_SIGNATURE_FLAGS = new Set([0x03, 0x05, 0x06]);

function genericSignature(value: string): string {
	const bytes = decodeBase64Strict(value);
	const flag = bytes?.[0];
	const ok =
		bytes !== undefined &&
		flag !== undefined &&
		(SIMPLE_SIGNATURE_LENGTH[flag] === bytes.length ||
			(STRUCTURED_SIGNATURE_FLAGS.has(flag) && parses(value)));
	if (!ok) throw new BodyDataError('signature: not a Sui serialized signature');
	return value;
}

function parses(value: string): boolean {
	try {
		parseSerializedSignature(value);
		return true;
	} catch {
		return false;
	}
}
