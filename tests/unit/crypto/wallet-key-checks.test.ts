/**
 * The AES key-length and key-version checks of the wallet-key path (ts/crypto/node/format.ts,
 * ts/crypto/node/wallet-key.ts), one assertion per boundary so that no check can be dropped or loosened
 * unnoticed (issue 13, mutation targets).
 */
import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { DecryptionFailedError, MalformedCiphertextError } from '../../../ts/crypto/errors.js';
import { encodeLegacyAesBlob, encodeWalletBlob, readBlob } from '../../../ts/crypto/node/format.js';
import { decryptWithWalletKey, encryptWithWalletKey } from '../../../ts/crypto/node/wallet-key.js';

const key = new Uint8Array(randomBytes(32));
const data = new TextEncoder().encode('payload');

describe('AES-256-GCM key length', () => {
	for (const length of [0, 16, 31, 33, 64]) {
		it(`a ${length}-byte key is refused for sealing and opening`, () => {
			const wrong = new Uint8Array(length);
			expect(() => encodeWalletBlob(wrong, data, 1)).toThrow(DecryptionFailedError);
			expect(() => encodeWalletBlob(wrong, data, 1)).toThrow(/must be 32 bytes/);
			expect(() => encodeLegacyAesBlob(wrong, data)).toThrow(/must be 32 bytes/);
			const blob = encodeWalletBlob(key, data, 1);
			expect(() => readBlob(blob, { key: wrong })).toThrow(/must be 32 bytes/);
		});
	}

	it('a key that is not a Uint8Array is refused', () => {
		const fake = Array.from({ length: 32 }, () => 0) as unknown as Uint8Array;
		expect(() => encodeWalletBlob(fake, data, 1)).toThrow(/must be 32 bytes/);
	});
});

describe('wallet key version', () => {
	for (const version of [-1, 256, 1.5, Number.NaN]) {
		it(`version ${version} is not a byte`, () => {
			expect(() => encodeWalletBlob(key, data, version)).toThrow(MalformedCiphertextError);
			expect(() => encodeWalletBlob(key, data, version)).toThrow(/must be a byte/);
		});
	}

	for (const version of [0, 1, 255]) {
		it(`version ${version} is stored in byte 1 and must match on read`, () => {
			const blob = encodeWalletBlob(key, data, version);
			expect(blob[1]).toBe(version);
			const read = readBlob(blob, { key, keyVersion: version });
			expect(read.format === 'wallet-aes' && read.keyVersion).toBe(version);
			const other = version === 1 ? 2 : 1;
			expect(() => readBlob(blob, { key, keyVersion: other })).toThrow(
				new RegExp(`version ${version}, but a version ${other} key`),
			);
		});
	}

	it('the default expected version is 1', () => {
		expect(readBlob(encodeWalletBlob(key, data, 1), { key }).format).toBe('wallet-aes');
		expect(() => readBlob(encodeWalletBlob(key, data, 2), { key })).toThrow(DecryptionFailedError);
	});

	it('decryptWithWalletKey checks the version of the wallet key it was given', () => {
		const v1 = { key, version: 1, address: `0x${'0'.repeat(64)}` };
		const blob = encryptWithWalletKey(v1, data);
		expect(new TextDecoder().decode(decryptWithWalletKey(v1, blob))).toBe('payload');
		expect(() => decryptWithWalletKey({ ...v1, version: 2 }, blob)).toThrow(/version 1/);
	});
});

describe('key derivation is pinned', () => {
	it('a fixed Ed25519 wallet derives a fixed key (salt, info and message are part of the format)', async () => {
		const { Ed25519Keypair } = await import('@mysten/sui/keypairs/ed25519');
		const { deriveWalletKey, walletKeyMessage } = await import('../../../ts/crypto/node/wallet-key.js');
		const wallet = Ed25519Keypair.fromSecretKey(new Uint8Array(32).fill(7));
		const derived = await deriveWalletKey(wallet);
		// Regression vector of version 1: changing any derivation input would orphan every blob.
		expect(derived.address).toBe(
			'0xa0ccc8bcc83f6c628340134f8546a21e0618fd1aaa02432bba454c4a2c2233da',
		);
		expect(Buffer.from(derived.key).toString('hex')).toBe(
			'22fb5bbb3cd4ddef14dd0925b9a3c1d42f7a91d018cce3824f3c29bfb10c9f81',
		);
		expect(() => walletKeyMessage(7)).toThrow(/unknown wallet key version 7/);
	});
});

describe('readBlob edges', () => {
	it('a wallet blob of exactly the minimum length (empty plaintext) is read', () => {
		const blob = encodeWalletBlob(key, new Uint8Array(), 1);
		expect(blob.length).toBe(30);
		const read = readBlob(blob, { key });
		expect(read.format === 'wallet-aes' && read.plaintext.length).toBe(0);
		expect(() => readBlob(blob.subarray(0, 29), { key })).toThrow(/shorter than the minimum 30/);
		expect(() => readBlob(blob)).toThrow(/needs a key/);
	});

	it('an unknown Seal sub-kind is named; tagging refuses a non-Seal object', async () => {
		const { tagSealObject } = await import('../../../ts/crypto/node/format.js');
		expect(() => readBlob(new Uint8Array([2, 7, 0, 0]))).toThrow(/unknown Seal sub-kind 0x07/);
		expect(() => tagSealObject(new Uint8Array([1, 2, 3]))).toThrow(/Seal EncryptedObject/);
	});
});
