/**
 * Certificate and request-signature checks of `fetch_key` (SEAL_NOTES §2): the user's
 * personal-message signature over the exact session message, the TTL and time window, and the
 * session key's raw Ed25519 signature over BCS `{ptb, enc_key, enc_verification_key}`.
 */
import { bcs } from '@mysten/sui/bcs';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { Ed25519PublicKey } from '@mysten/sui/keypairs/ed25519';
import { verifyPersonalMessageSignature } from '@mysten/sui/verify';
import { KeyServerRequestError } from './errors.js';
import { MESSAGES } from './protocol.js';
import type { Certificate } from './request.js';

const RequestFormat = bcs.struct('RequestFormat', {
	ptb: bcs.byteVector(),
	encKey: bcs.byteVector(),
	encVerificationKey: bcs.byteVector(),
});

/** `Accessing keys of package <PKG> for <TTL> mins from <YYYY-MM-DD HH:MM:SS> UTC, session key <B64>`. */
export function sessionMessage(packageName: string, cert: Certificate): string {
	const when = new Date(Math.floor(cert.creationTimeMs / 1000) * 1000)
		.toISOString()
		.slice(0, 19)
		.replace('T', ' ');
	const vk = Buffer.from(cert.sessionVk).toString('base64');
	return `Accessing keys of package ${packageName} for ${cert.ttlMin} mins from ${when} UTC, session key ${vk}`;
}

/** Bytes the session key signs for one request. */
export function signedRequestBytes(
	ptb: Uint8Array,
	encKey: Uint8Array,
	encVerificationKey: Uint8Array,
): Uint8Array {
	return RequestFormat.serialize({ ptb, encKey, encVerificationKey }).toBytes();
}

/** TTL ≤ max, created not in the future (no skew), not expired; else `InvalidCertificate`. */
export function checkCertificateTime(
	cert: Certificate,
	nowMs: number,
	ttlMaxMinutes: number,
): void {
	const ttlMs = cert.ttlMin * 60_000;
	const ok =
		cert.ttlMin <= ttlMaxMinutes &&
		cert.creationTimeMs <= nowMs &&
		nowMs - cert.creationTimeMs <= ttlMs;
	if (!ok) throw new KeyServerRequestError('InvalidCertificate', MESSAGES.InvalidCertificate);
}

/** Verifies the user's personal-message signature; `client` is needed only for zkLogin. */
export async function checkUserSignature(
	cert: Certificate,
	packageName: string,
	client?: ClientWithCoreApi,
): Promise<void> {
	const message = new TextEncoder().encode(sessionMessage(packageName, cert));
	try {
		await verifyPersonalMessageSignature(message, cert.signature, {
			address: cert.user,
			...(client ? { client } : {}),
		});
	} catch (error) {
		throw new KeyServerRequestError('InvalidSignature', MESSAGES.InvalidSignature, {
			cause: error,
		});
	}
}

/** Verifies the session key's raw Ed25519 signature over the request. */
export async function checkSessionSignature(
	cert: Certificate,
	requestSignature: Uint8Array,
	signedBytes: Uint8Array,
): Promise<void> {
	let ok: boolean;
	try {
		ok = await new Ed25519PublicKey(cert.sessionVk).verify(signedBytes, requestSignature);
	} catch (error) {
		// A key or signature the verifier cannot even read is a failed check, never a pass.
		throw new KeyServerRequestError('InvalidSessionSignature', MESSAGES.InvalidSessionSignature, {
			cause: error,
		});
	}
	if (!ok)
		throw new KeyServerRequestError('InvalidSessionSignature', MESSAGES.InvalidSessionSignature);
}
