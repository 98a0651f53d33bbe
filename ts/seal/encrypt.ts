/**
 * Encrypt for a namespace (allowlist) or an owner. Small data goes straight into a Seal object
 * (`02 00` tag); large data should use the envelope (`encryptForTargetEnvelope`), which seals
 * only a 32-byte data key. The SDK's returned symmetric key is zeroed at once: we never keep it.
 */
import type { SealClient } from '@mysten/seal';
import { encryptEnvelope, type ByteSource } from '../crypto/node/envelope.js';
import { InvalidInputError } from '../errors.js';
import { tagSealObject } from '../crypto/node/format.js';
import {
	allowlistInnerId,
	normalizeObjectId,
	ownerInnerId,
	randomNonce,
	toHex,
} from '../identity.js';
import type { PolicyKind } from './decrypt.js';
import { explainSealError } from '../crypto/seal-errors.js';

/** Who may decrypt: members of an allowlist, or one address. */
export type EncryptTarget =
	| { policy: 'allowlist'; allowlistId: string; nonce?: Uint8Array }
	| { policy: 'owner'; owner: string; nonce?: Uint8Array };

/** Above this size `sealEncrypt` refuses and points at the envelope (the SDK copies byte by byte). */
export const MAX_DIRECT_SEAL_BYTES = 1024 * 1024;

export interface SealEncryptOptions {
	sealClient: Pick<SealClient, 'encrypt'>;
	/** ORIGINAL (version 1) id of the policy package. */
	packageId: string;
	target: EncryptTarget;
	threshold: number;
	data: Uint8Array;
	aad?: Uint8Array;
}

export interface SealEncryptResult {
	/** `02 00` + Seal EncryptedObject. */
	blob: Uint8Array;
	policy: PolicyKind;
	innerId: Uint8Array;
	/** Inner id hex (no 0x), as the SDK and the EncryptedObject show it. */
	innerIdHex: string;
}

/** The inner id for a target; a fresh 16-byte nonce unless one is given. */
export function innerIdFor(target: EncryptTarget): Uint8Array {
	const nonce = target.nonce ?? randomNonce();
	return target.policy === 'allowlist'
		? allowlistInnerId(normalizeObjectId(target.allowlistId, 'allowlistId'), nonce)
		: ownerInnerId(normalizeObjectId(target.owner, 'owner'), nonce);
}

/** Seal-encrypts `data` (≤ 1 MiB) for `target`; the result is tagged per ts/crypto/node/format.ts. */
export async function sealEncrypt(options: SealEncryptOptions): Promise<SealEncryptResult> {
	if (options.data.length > MAX_DIRECT_SEAL_BYTES) {
		throw new InvalidInputError(
			'data',
			`${options.data.length} bytes is too large for a direct Seal object; use the envelope (--envelope)`,
		);
	}
	const innerId = innerIdFor(options.target);
	const innerIdHex = toHex(innerId);
	let result: Awaited<ReturnType<SealClient['encrypt']>>;
	try {
		result = await options.sealClient.encrypt({
			threshold: options.threshold,
			packageId: normalizeObjectId(options.packageId, 'packageId'),
			id: innerIdHex,
			data: options.data,
			...(options.aad === undefined ? {} : { aad: options.aad }),
		});
	} catch (error) {
		throw explainSealError(error, { threshold: options.threshold });
	}
	result.key.fill(0);
	return {
		blob: tagSealObject(result.encryptedObject),
		policy: options.target.policy,
		innerId,
		innerIdHex,
	};
}

/** Envelope-encrypts a stream for `target` (yields the `02 01` envelope). */
export function encryptForTargetEnvelope(
	input: ByteSource,
	options: Omit<SealEncryptOptions, 'data' | 'aad' | 'sealClient'> & {
		sealClient: Pick<SealClient, 'encrypt'>;
		chunkSize?: number;
	},
): { innerId: Uint8Array; stream: AsyncGenerator<Uint8Array> } {
	const innerId = innerIdFor(options.target);
	return {
		innerId,
		stream: encryptEnvelope(input, {
			sealClient: options.sealClient,
			packageId: options.packageId,
			innerId,
			threshold: options.threshold,
			...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
		}),
	};
}
