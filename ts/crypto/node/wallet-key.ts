/**
 * Wallet-key fallback for when no Seal key servers are configured: an AES-256-GCM key derived
 * with HKDF-SHA256 from the wallet's signature over a fixed, versioned personal message. Blobs
 * carry tag `0x01` and the key version (see ts/crypto/node/format.ts).
 *
 * Same wallet → same key, because Ed25519 and (RFC 6979) secp256k1/r1 signatures are
 * deterministic. Signers whose signatures are randomised (zkLogin, passkeys, some hardware
 * wallets) get a different key each time and must not use this fallback.
 */
import { hkdfSync } from 'node:crypto';

import { fromBase64 } from '@mysten/bcs';
import type { Signer } from '@mysten/sui/cryptography';

import { InvalidInputError } from '../../errors.js';
import { MalformedCiphertextError } from '../errors.js';
import { AES_KEY_LENGTH, encodeWalletBlob, readBlob } from './format.js';
import { normalizeObjectId } from '../../identity.js';

/** Current message / derivation version (stored in every 0x01 blob). */
export const WALLET_KEY_VERSION = 1;

const MESSAGES: Readonly<Record<number, string>> = {
	1:
		'seal-policies wallet key v1\n' +
		'Signing this message derives your local encryption key for data stored without Seal. ' +
		'It does not authorize any transaction or transfer.',
};

/** A derived key. `key` is secret: zero it (`key.fill(0)`) when done; never log it. */
export interface WalletKey {
	key: Uint8Array;
	version: number;
	/** Address of the wallet that signed (normalised). */
	address: string;
}

/** What key derivation needs from a wallet: any `@mysten/sui` `Signer` (keypairs included). */
export type WalletSigner = Pick<Signer, 'signPersonalMessage' | 'toSuiAddress'>;

/** The exact personal message signed for `version`. */
export function walletKeyMessage(version: number = WALLET_KEY_VERSION): Uint8Array {
	const text = MESSAGES[version];
	if (text === undefined) {
		throw new InvalidInputError('version', `unknown wallet key version ${version}`);
	}
	return new TextEncoder().encode(text);
}

/**
 * Asks `signer` to sign the fixed message and derives the 32-byte key:
 * HKDF-SHA256(ikm = serialized signature, salt = "seal-policies/wallet-key/v<version>",
 * info = "aes-256-gcm|<address>").
 */
export async function deriveWalletKey(
	signer: WalletSigner,
	{ version = WALLET_KEY_VERSION }: { version?: number } = {},
): Promise<WalletKey> {
	const message = walletKeyMessage(version);
	const address = normalizeObjectId(signer.toSuiAddress(), 'signer address');
	const { signature } = await signer.signPersonalMessage(message);
	const ikm = fromBase64(signature);
	try {
		const key = new Uint8Array(
			hkdfSync(
				'sha256',
				ikm,
				new TextEncoder().encode(`seal-policies/wallet-key/v${version}`),
				new TextEncoder().encode(`aes-256-gcm|${address}`),
				AES_KEY_LENGTH,
			),
		);
		return { key, version, address };
	} finally {
		ikm.fill(0);
	}
}

/** Encrypts `plaintext` as a tagged `0x01` blob under the wallet key. */
export function encryptWithWalletKey(walletKey: WalletKey, plaintext: Uint8Array): Uint8Array {
	return encodeWalletBlob(walletKey.key, plaintext, walletKey.version);
}

/**
 * Decrypts a `0x01` blob, or an untagged legacy AES-GCM blob under the same key (fallback).
 * Throws `FormatError` subclasses only (`DecryptionFailedError` for a wrong wallet).
 */
export function decryptWithWalletKey(walletKey: WalletKey, blob: Uint8Array): Uint8Array {
	const result = readBlob(blob, { key: walletKey.key, keyVersion: walletKey.version });
	if (result.format === 'wallet-aes' || result.format === 'legacy-aes') return result.plaintext;
	throw new MalformedCiphertextError(
		`this blob is ${result.format === 'seal-envelope' ? 'a Seal envelope' : 'a Seal object'}; decrypt it through Seal, not a wallet key`,
	);
}
