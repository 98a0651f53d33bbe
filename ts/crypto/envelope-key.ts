/**
 * The envelope's data key and Seal: sealing it, and unsealing it with every check a reader needs
 * (nonce point before any key request, key length, version-2 header MAC). Portable (no `node:`
 * imports): the Node envelope and the browser envelope both use it.
 */
import type { SealClient, SessionKey } from '@mysten/seal';
import { bls12_381 } from '@noble/curves/bls12-381.js';

import { unsealError } from './envelope-errors.js';
import { verifyEnvelopeHeader, type EnvelopeHeader } from './envelope-header.js';
import { MalformedCiphertextError } from './errors.js';
import { AES_KEY_LENGTH, parseSealObject } from './format-seal.js';
import { toHex } from '../identity.js';
import { explainSealError } from './seal-errors.js';

/** What unsealing needs: a decrypting Seal client, a session key and the approval PTB. */
export interface DataKeyAccess {
	sealClient: Pick<SealClient, 'decrypt'>;
	sessionKey: SessionKey;
	txBytes: Uint8Array;
	checkShareConsistency?: boolean;
}

/** Seals `dataKey` under `[packageId][innerId]`; returns the Seal object's bytes. */
export async function sealDataKey(
	sealClient: Pick<SealClient, 'encrypt'>,
	dataKey: Uint8Array,
	{ packageId, innerId, threshold }: { packageId: string; innerId: Uint8Array; threshold: number },
): Promise<Uint8Array> {
	let sealed: Awaited<ReturnType<SealClient['encrypt']>>;
	try {
		sealed = await sealClient.encrypt({ threshold, packageId, id: toHex(innerId), data: dataKey });
	} catch (error) {
		throw explainSealError(error, { threshold });
	}
	// The Seal DEM key could decrypt the sealed data key: never keep it.
	sealed.key.fill(0);
	return sealed.encryptedObject;
}

/**
 * Unseals the data key and, for version 2, authenticates every header byte with it. The caller
 * owns (and zeroes) the returned key; on failure it is zeroed here.
 */
export async function unsealDataKey(
	header: EnvelopeHeader,
	headerBytes: Uint8Array,
	access: DataKeyAccess,
): Promise<Uint8Array> {
	checkSealedKeyPoints(header.sealedKey);
	let dataKey: Uint8Array;
	try {
		dataKey = await access.sealClient.decrypt({
			data: header.sealedKey,
			sessionKey: access.sessionKey,
			txBytes: access.txBytes,
			...(access.checkShareConsistency ? { checkShareConsistency: true } : {}),
		});
	} catch (error) {
		throw unsealError(error, header);
	}
	if (!(dataKey instanceof Uint8Array) || dataKey.length !== AES_KEY_LENGTH) {
		if (dataKey instanceof Uint8Array) dataKey.fill(0);
		throw new MalformedCiphertextError(
			`the sealed data key decrypted to ${dataKey?.length} bytes instead of ${AES_KEY_LENGTH}`,
		);
	}
	try {
		verifyEnvelopeHeader(headerBytes, dataKey);
	} catch (error) {
		dataKey.fill(0);
		throw error;
	}
	return dataKey;
}

/**
 * The sealed key's nonce must be a valid G2 point; checked before any key request so that a
 * damaged header fails as `MalformedCiphertextError` without asking key servers.
 */
function checkSealedKeyPoints(sealedKey: Uint8Array): void {
	const nonce = parseSealObject(sealedKey).encryptedShares.BonehFranklinBLS12381?.nonce;
	try {
		if (nonce === undefined) throw new Error('no Boneh-Franklin nonce');
		bls12_381.G2.Point.fromBytes(Uint8Array.from(nonce)).assertValidity();
	} catch (error) {
		throw new MalformedCiphertextError(
			"the envelope's sealed data key is damaged: its nonce is not a valid BLS12-381 G2 point",
			{ cause: error },
		);
	}
}
