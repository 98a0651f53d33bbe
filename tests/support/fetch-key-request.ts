/**
 * Builds `fetch_key` request bodies by hand (independently of the SDK's `SessionKey`), so protocol
 * tests can vary one field at a time: creation time, TTL, signer, signed bytes, PTB.
 * The session-message format here is a test oracle; a unit test pins it to the SDK's.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bcs } from '@mysten/sui/bcs';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';

export interface HandRequestOptions {
	/** Signs the personal message (the certificate user). */
	user: Ed25519Keypair;
	/** Package name in the message (original package id). */
	packageId: string;
	/** Kind-only tx bytes (`tx.build({onlyTransactionKind: true})`); the tag byte is stripped. */
	txBytes: Uint8Array;
	creationTimeMs?: number;
	ttlMin?: number;
	/** Signs the personal message instead of `user` (certificate still names `user`). */
	certificateSigner?: Ed25519Keypair;
	/** Bytes the session key signs instead of the real request. */
	sessionSignsInstead?: Uint8Array;
	/** Override the certificate user address. */
	certificateUser?: string;
}

export interface HandRequest {
	body: Record<string, unknown>;
	/** ElGamal secret scalar (to unwrap returned keys). */
	encSecret: bigint;
}

export function personalMessage(
	packageId: string,
	ttlMin: number,
	creationTimeMs: number,
	sessionPublicKey: Uint8Array,
): string {
	const when = new Date(creationTimeMs).toISOString().slice(0, 19).replace('T', ' ');
	const vk = Buffer.from(sessionPublicKey).toString('base64');
	return `Accessing keys of package ${packageId} for ${ttlMin} mins from ${when} UTC, session key ${vk}`;
}

export async function handRequest(options: HandRequestOptions): Promise<HandRequest> {
	const creationTimeMs = options.creationTimeMs ?? Date.now();
	const ttlMin = options.ttlMin ?? 10;
	const session = Ed25519Keypair.generate();
	const vk = session.getPublicKey().toRawBytes();
	const message = new TextEncoder().encode(
		personalMessage(options.packageId, ttlMin, creationTimeMs, vk),
	);
	const { signature } = await (options.certificateSigner ?? options.user).signPersonalMessage(
		message,
	);
	const encSecret = BigInt(`0x${Buffer.from(bls12_381.utils.randomSecretKey()).toString('hex')}`);
	const encKey = bls12_381.G1.Point.BASE.multiply(encSecret).toBytes();
	const encVerificationKey = bls12_381.G2.Point.BASE.multiply(encSecret).toBytes();
	const ptb = options.txBytes.slice(1);
	const signed =
		options.sessionSignsInstead ??
		bcs
			.struct('RequestFormat', {
				ptb: bcs.byteVector(),
				encKey: bcs.byteVector(),
				encVerificationKey: bcs.byteVector(),
			})
			.serialize({ ptb, encKey, encVerificationKey })
			.toBytes();
	const requestSignature = await session.sign(signed);
	return {
		encSecret,
		body: {
			ptb: b64(ptb),
			enc_key: b64(encKey),
			enc_verification_key: b64(encVerificationKey),
			request_signature: b64(requestSignature),
			certificate: {
				user: options.certificateUser ?? options.user.toSuiAddress(),
				session_vk: b64(vk),
				creation_time: creationTimeMs,
				ttl_min: ttlMin,
				signature,
			},
		},
	};
}

/** Headers the SDK sends. */
export const SDK_HEADERS = {
	'Content-Type': 'application/json',
	'Client-Sdk-Type': 'typescript',
	'Client-Sdk-Version': '1.4.12',
} as const;

export interface RawResponse {
	status: number;
	headers: Headers;
	text: string;
	json: unknown;
}

/** POSTs `body` (object → JSON, string sent as is) to `<url>/v1/fetch_key`. */
export async function postFetchKey(
	url: string,
	body: unknown,
	headers: Record<string, string> = SDK_HEADERS,
): Promise<RawResponse> {
	const response = await fetch(`${url}/v1/fetch_key`, {
		method: 'POST',
		headers,
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
	return readResponse(response);
}

export async function readResponse(response: Response): Promise<RawResponse> {
	const text = await response.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: response.status, headers: response.headers, text, json };
}

function b64(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString('base64');
}
