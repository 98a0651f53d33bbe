/**
 * A structurally valid Seal `EncryptedObject` (BCS via the SDK's own `EncryptedObject`) with
 * random shares: enough for anything that parses a sealed object or an envelope header, never
 * decryptable. The nonce is a valid G2 point unless a test passes another.
 */
import { randomBytes } from 'node:crypto';

import { EncryptedObject } from '@mysten/seal';
import { bls12_381 } from '@noble/curves/bls12-381.js';

export const VALID_NONCE = bls12_381.G2.Point.BASE.multiply(7n).toBytes();

export interface SealedObjectOptions {
	packageId: string;
	id?: string;
	threshold?: number;
	services: [string, number][];
	nonce?: Uint8Array;
}

export function sealedObjectBytes({
	packageId,
	id = 'c0ffee',
	threshold = 2,
	services,
	nonce = VALID_NONCE,
}: SealedObjectOptions): Uint8Array<ArrayBuffer> {
	const bytes = EncryptedObject.serialize({
		version: 0,
		packageId,
		id,
		services,
		threshold,
		encryptedShares: {
			BonehFranklinBLS12381: {
				nonce,
				encryptedShares: services.map(() => randomBytes(32)),
				encryptedRandomness: randomBytes(32),
			},
		},
		ciphertext: { Aes256Gcm: { blob: randomBytes(48), aad: new Uint8Array() } },
	}).toBytes();
	return new Uint8Array(bytes);
}
