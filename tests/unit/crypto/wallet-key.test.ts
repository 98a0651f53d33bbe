import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair } from '@mysten/sui/keypairs/secp256k1';
import { Secp256r1Keypair } from '@mysten/sui/keypairs/secp256r1';
import { verifyPersonalMessageSignature } from '@mysten/sui/verify';
import { describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../../ts/errors.js';
import { DecryptionFailedError, MalformedCiphertextError } from '../../../ts/crypto/errors.js';
import { encodeLegacyAesBlob, TAG_WALLET_AES, tagSealObject } from '../../../ts/crypto/node/format.js';
import { toHex } from '../../../ts/identity.js';
import {
	decryptWithWalletKey,
	deriveWalletKey,
	encryptWithWalletKey,
	walletKeyMessage,
	WALLET_KEY_VERSION,
} from '../../../ts/crypto/node/wallet-key.js';

const plaintext = new TextEncoder().encode('wallet-key fallback payload');

describe('deriveWalletKey', () => {
	for (const [scheme, generate] of [
		['Ed25519', () => Ed25519Keypair.generate()],
		['Secp256k1', () => Secp256k1Keypair.generate()],
		['Secp256r1', () => Secp256r1Keypair.generate()],
	] as const) {
		it(`${scheme}: same wallet → same key; different wallet → different key`, async () => {
			const wallet = generate();
			const first = await deriveWalletKey(wallet);
			const second = await deriveWalletKey(wallet);
			expect(first.key.length).toBe(32);
			expect(toHex(second.key)).toBe(toHex(first.key));
			expect(first.address).toBe(wallet.toSuiAddress());
			const other = await deriveWalletKey(generate());
			expect(toHex(other.key)).not.toBe(toHex(first.key));
		});
	}

	it('the wallet signs the fixed, versioned personal message (verifiable by anyone)', async () => {
		const wallet = Ed25519Keypair.generate();
		const message = walletKeyMessage();
		expect(new TextDecoder().decode(message)).toMatch(/^seal-policies wallet key v1\n/);
		const signed: Uint8Array[] = [];
		const recording = {
			toSuiAddress: () => wallet.toSuiAddress(),
			signPersonalMessage: async (bytes: Uint8Array) => {
				signed.push(bytes);
				return wallet.signPersonalMessage(bytes);
			},
		};
		await deriveWalletKey(recording);
		expect(signed.map(toHex)).toEqual([toHex(message)]);
		const { signature } = await wallet.signPersonalMessage(message);
		const publicKey = await verifyPersonalMessageSignature(message, signature);
		expect(publicKey.toSuiAddress()).toBe(wallet.toSuiAddress());
	});

	it('rejects unknown versions', async () => {
		expect(WALLET_KEY_VERSION).toBe(1);
		await expect(deriveWalletKey(Ed25519Keypair.generate(), { version: 7 })).rejects.toThrow(
			InvalidInputError,
		);
	});
});

describe('tag 0x01 helpers', () => {
	it('encrypt → 0x01 blob → decrypt with the same wallet, fails with another', async () => {
		const wallet = Ed25519Keypair.generate();
		const key = await deriveWalletKey(wallet);
		const blob = encryptWithWalletKey(key, plaintext);
		expect(blob[0]).toBe(TAG_WALLET_AES);
		expect(blob[1]).toBe(1);
		const again = await deriveWalletKey(wallet);
		expect(Buffer.from(decryptWithWalletKey(again, blob)).equals(plaintext)).toBe(true);
		const stranger = await deriveWalletKey(Ed25519Keypair.generate());
		expect(() => decryptWithWalletKey(stranger, blob)).toThrow(DecryptionFailedError);
	});

	it('two encryptions of the same data differ (random iv)', async () => {
		const key = await deriveWalletKey(Ed25519Keypair.generate());
		expect(toHex(encryptWithWalletKey(key, plaintext))).not.toBe(
			toHex(encryptWithWalletKey(key, plaintext)),
		);
	});

	it('reads untagged legacy AES-GCM under the wallet key (fallback)', async () => {
		const key = await deriveWalletKey(Ed25519Keypair.generate());
		const legacy = encodeLegacyAesBlob(key.key, plaintext);
		expect(Buffer.from(decryptWithWalletKey(key, legacy)).equals(plaintext)).toBe(true);
	});

	it('refuses Seal blobs with a clear message', async () => {
		const key = await deriveWalletKey(Ed25519Keypair.generate());
		const { EncryptedObject } = await import('@mysten/seal');
		const object = EncryptedObject.serialize({
			version: 0,
			packageId: `0x${'11'.repeat(32)}`,
			id: 'aa',
			services: [[`0x${'22'.repeat(32)}`, 1]],
			threshold: 1,
			encryptedShares: {
				BonehFranklinBLS12381: {
					nonce: new Uint8Array(96),
					encryptedShares: [new Uint8Array(32)],
					encryptedRandomness: new Uint8Array(32),
				},
			},
			ciphertext: { Aes256Gcm: { blob: new Uint8Array(16), aad: new Uint8Array() } },
		}).toBytes();
		expect(() => decryptWithWalletKey(key, tagSealObject(object))).toThrow(
			MalformedCiphertextError,
		);
		expect(() => decryptWithWalletKey(key, tagSealObject(object))).toThrow(/is a Seal object;/);
	});
});
