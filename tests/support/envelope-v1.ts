/**
 * A version-1 envelope writer for compatibility tests only (the library writes version 2). It
 * reproduces the v1 data section byte for byte (checked against tests/fixtures/
 * envelope-v1-chunks.json, written by the v1 code): nonce = index u64 ‖ 00 00 00 ‖ final flag,
 * AAD "seal-policies envelope v1", the last chunk 0..chunkSize bytes.
 */
import { createCipheriv } from 'node:crypto';

import { encodeEnvelopeHeader, headerFromSealedKey } from '../../ts/crypto/envelope-header.js';
import { CHUNK_AAD_V1 } from '../../ts/crypto/node/envelope-stream.js';
import { concatBytes } from '../../ts/crypto/node/format.js';

export function encryptChunksV1(
	key: Uint8Array,
	chunkSize: number,
	plaintext: Uint8Array,
): Uint8Array {
	const parts: Uint8Array[] = [];
	const chunks = Math.max(1, Math.ceil(plaintext.length / chunkSize));
	for (let i = 0; i < chunks; i++) {
		const nonce = new Uint8Array(12);
		new DataView(nonce.buffer).setBigUint64(0, BigInt(i));
		nonce[11] = i === chunks - 1 ? 1 : 0;
		const cipher = createCipheriv('aes-256-gcm', key, nonce);
		cipher.setAAD(CHUNK_AAD_V1);
		parts.push(cipher.update(plaintext.subarray(i * chunkSize, (i + 1) * chunkSize)));
		parts.push(cipher.final(), cipher.getAuthTag());
	}
	return concatBytes(parts);
}

/** A whole v1 envelope: header (no MAC) + data, around an already sealed data key. */
export function envelopeV1(
	sealedKey: Uint8Array,
	dataKey: Uint8Array,
	chunkSize: number,
	plaintext: Uint8Array,
): Uint8Array {
	const header = encodeEnvelopeHeader(headerFromSealedKey(sealedKey, chunkSize, 1));
	return concatBytes([header, encryptChunksV1(dataKey, chunkSize, plaintext)]);
}
