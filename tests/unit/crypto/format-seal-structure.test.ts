/**
 * Structurally impossible Seal objects (threshold 0 or above the share count, shares missing,
 * repeated or zero share indices) are rejected as malformed when read, before any key request,
 * both as `02 00` blobs and inside envelope headers.
 */
import { randomBytes } from 'node:crypto';

import { EncryptedObject } from '@mysten/seal';
import { describe, expect, it } from 'vitest';

import { encodeEnvelopeHeader } from '../../../ts/crypto/envelope-header.js';
import { MalformedCiphertextError } from '../../../ts/crypto/errors.js';
import { parseSealObject, readBlob } from '../../../ts/crypto/node/format.js';

const PKG = `0x${'5e'.repeat(32)}`;
const S1 = `0x${'a1'.repeat(32)}`;
const S2 = `0x${'a2'.repeat(32)}`;

function sealObject(threshold: number, services: [string, number][], shares = services.length) {
	return EncryptedObject.serialize({
		version: 0,
		packageId: PKG,
		id: 'aabbcc',
		services,
		threshold,
		encryptedShares: {
			BonehFranklinBLS12381: {
				nonce: randomBytes(96),
				encryptedShares: Array.from({ length: shares }, () => randomBytes(32)),
				encryptedRandomness: randomBytes(32),
			},
		},
		ciphertext: { Aes256Gcm: { blob: randomBytes(48), aad: new Uint8Array() } },
	}).toBytes();
}

describe('Seal object structure', () => {
	it('accepts what the SDK produces: 1..n threshold, one share per service, indices 1..n', () => {
		expect(
			parseSealObject(
				sealObject(2, [
					[S1, 1],
					[S2, 2],
				]),
			).threshold,
		).toBe(2);
		expect(
			parseSealObject(
				sealObject(1, [
					[S1, 1],
					[S1, 2],
				]),
			).threshold,
		).toBe(1);
	});

	it.each([
		['threshold 0', sealObject(0, [[S1, 1]]), /threshold 0/],
		[
			'threshold above the share count',
			sealObject(3, [
				[S1, 1],
				[S2, 2],
			]),
			/threshold 3/,
		],
		['no key servers at all', sealObject(1, []), /threshold 1/],
		[
			'fewer encrypted shares than services',
			sealObject(
				1,
				[
					[S1, 1],
					[S2, 2],
				],
				1,
			),
			/1 encrypted/,
		],
		[
			'a repeated share index',
			sealObject(1, [
				[S1, 1],
				[S2, 1],
			]),
			/distinct/,
		],
		['share index 0 (the secret itself)', sealObject(1, [[S1, 0]]), /non-zero/],
	])('rejects %s as MalformedCiphertextError, tagged or not', (_, object, message) => {
		expect(() => parseSealObject(object)).toThrow(MalformedCiphertextError);
		expect(() => parseSealObject(object)).toThrow(message);
		expect(() => readBlob(Uint8Array.from([0x02, 0x00, ...object]))).toThrow(
			MalformedCiphertextError,
		);
		// Untagged: not recognised as a Seal object at all.
		expect(() => readBlob(object)).toThrow();
	});

	it('an envelope header whose sealed key has threshold 0 is rejected when read', () => {
		const sealedKey = sealObject(0, [[S1, 1]]);
		const header = encodeEnvelopeHeader({
			version: 1,
			threshold: 0,
			servers: [{ objectId: S1, weight: 1 }],
			packageId: PKG,
			innerId: Uint8Array.from([0xaa, 0xbb, 0xcc]),
			identity: new Uint8Array(),
			chunkSize: 4096,
			sealedKey,
		});
		expect(() => readBlob(header)).toThrow(/threshold 0/);
	});
});
