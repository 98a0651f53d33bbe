/**
 * The envelope (ts/crypto/node/envelope.ts) on WebCrypto and Web Streams, for browsers. Same bytes both
 * ways: the header codec, its MAC and the chunk AAD are shared (ts/crypto/envelope-header.ts, portable),
 * and each data chunk is AES-256-GCM `ciphertext ‖ tag` with the nonce and AAD of its version
 * (ts/crypto/node/envelope-stream.ts documents both). Writes version 2; reads versions 1 and 2. A version-2
 * header's MAC is checked right after the data key is unsealed, before any plaintext.
 *
 * WebCrypto's AES-GCM is one-shot, so a chunk is buffered whole before it is sealed or opened;
 * memory stays bounded by one chunk (1 MiB by default, 4 MiB at most for v2) whatever the input
 * size. The raw data key is imported as a non-extractable `CryptoKey` and zeroed right away.
 * Every failure is a `HarnessError` subclass (Seal SDK errors mapped, the original as `cause`).
 */
import type { SealClient, SessionKey } from '@mysten/seal';

import { streamError } from '../crypto/envelope-errors.js';
import { sealDataKey, unsealDataKey } from '../crypto/envelope-key.js';
import {
	chunkAad,
	decodeEnvelopeHeader,
	encodeEnvelopeHeader,
	envelopeHeaderLength,
	headerFromSealedKey,
	MAX_CHUNK_SIZE,
	MIN_CHUNK_SIZE,
	type EnvelopeHeader,
} from '../crypto/envelope-header.js';
import { InvalidInputError } from '../errors.js';
import { DecryptionFailedError, TruncatedInputError } from '../crypto/errors.js';
import { AES_KEY_LENGTH, concatBytes, GCM_TAG_LENGTH } from '../crypto/format-seal.js';
import { normalizeObjectId } from '../identity.js';

export type { EnvelopeHeader } from '../crypto/envelope-header.js';

/** Same default as the Node envelope (the header records the size, so any size interoperates). */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

// The library compiles without the DOM lib; name WebCrypto's types through the global.
type Subtle = typeof globalThis.crypto.subtle;
type CryptoKey = Awaited<ReturnType<Subtle['importKey']>>;

/** AAD of every version-1 chunk (equals `CHUNK_AAD_V1` in ts/crypto/node/envelope-stream.ts). */
const AAD_V1 = new TextEncoder().encode('seal-policies envelope v1');

/** Bytes in any browser shape: one array, a `ReadableStream`, or an (async) iterable. */
export type WebByteSource =
	Uint8Array | ReadableStream<Uint8Array> | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface WebEncryptOptions {
	sealClient: Pick<SealClient, 'encrypt'>;
	/** Policy package ORIGINAL (version 1) id. */
	packageId: string;
	/** Inner id under the policy (`allowlistInnerId(list, randomNonce())`, `ownerInnerId(...)`). */
	innerId: Uint8Array;
	threshold: number;
	/** Plaintext bytes per chunk, 64 B .. 4 MiB; default `DEFAULT_CHUNK_SIZE`. */
	chunkSize?: number;
}

export interface WebEnvelopeAccess {
	sealClient: Pick<SealClient, 'decrypt'>;
	sessionKey: SessionKey;
	/** Approval PTB bytes (`buildApproveTxBytes`) for `header.innerId`. */
	txBytes: Uint8Array;
	/** Check every key share of the sealed data key (the SDK's `checkShareConsistency`). */
	checkShareConsistency?: boolean;
}

/** An envelope whose header has been read; `body` yields the data section (single use). */
export interface WebOpenedEnvelope {
	/** Not authenticated yet: decryption checks a version-2 header's MAC. */
	header: EnvelopeHeader;
	headerBytes: Uint8Array;
	body: AsyncIterable<Uint8Array>;
}

/** Encrypts `input` into a version-2 envelope, as a `ReadableStream` (header, then chunks). */
export function encryptEnvelopeStream(
	input: WebByteSource,
	options: WebEncryptOptions,
): ReadableStream<Uint8Array> {
	return toReadableStream(encryptEnvelopeParts(input, options));
}

/** `encryptEnvelopeStream` collected into one array (for small inputs). */
export async function encryptEnvelopeBytes(
	input: WebByteSource,
	options: WebEncryptOptions,
): Promise<Uint8Array> {
	return collect(encryptEnvelopeParts(input, options));
}

/** Reads exactly the header; `body` yields the rest of the input (single use). */
export async function readEnvelopeHeader(input: WebByteSource): Promise<WebOpenedEnvelope> {
	try {
		return await readHeader(input);
	} catch (error) {
		throw streamError(error);
	}
}

async function readHeader(input: WebByteSource): Promise<WebOpenedEnvelope> {
	const iterator = pieces(input)[Symbol.asyncIterator]();
	let head: Uint8Array = new Uint8Array();
	let leftover: Uint8Array | undefined;
	for (;;) {
		const size = envelopeHeaderLength(head);
		const target = 'length' in size ? size.length : size.need;
		if ('length' in size && head.length >= target) break;
		let piece = leftover;
		leftover = undefined;
		if (piece === undefined) {
			const next = await iterator.next();
			if (next.done) throw new TruncatedInputError('the envelope ends inside its header');
			piece = next.value;
		}
		const take = Math.min(target - head.length, piece.length);
		head = concatBytes([head, piece.subarray(0, take)]);
		if (take < piece.length) leftover = piece.subarray(take);
	}
	const { header } = decodeEnvelopeHeader(head);
	async function* body(): AsyncGenerator<Uint8Array> {
		if (leftover !== undefined) yield leftover;
		for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
			yield next.value;
		}
	}
	return { header, headerBytes: head, body: body() };
}

/**
 * Decrypts an envelope (version 1 or 2) as a `ReadableStream` of verified plaintext. If the
 * stream errors (tampering, truncation), discard what it already delivered.
 */
export function decryptEnvelopeStream(
	input: WebByteSource,
	access: WebEnvelopeAccess,
): ReadableStream<Uint8Array> {
	return toReadableStream(decryptEnvelopeParts(input, access));
}

/** `decryptEnvelopeStream` collected into one array. */
export async function decryptEnvelopeBytes(
	input: WebByteSource,
	access: WebEnvelopeAccess,
): Promise<Uint8Array> {
	return collect(decryptEnvelopeParts(input, access));
}

async function* encryptEnvelopeParts(
	input: WebByteSource,
	options: WebEncryptOptions,
): AsyncGenerator<Uint8Array> {
	const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
	if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
		throw new InvalidInputError(
			'chunkSize',
			`must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`,
		);
	}
	const packageId = normalizeObjectId(options.packageId, 'packageId');
	if (!(options.innerId instanceof Uint8Array) || options.innerId.length > 0xffff) {
		throw new InvalidInputError('innerId', 'must be bytes, at most 65535 long');
	}
	const dataKey = globalThis.crypto.getRandomValues(new Uint8Array(AES_KEY_LENGTH));
	let key: CryptoKey;
	let headerBytes: Uint8Array;
	let aad: Uint8Array<ArrayBuffer>;
	try {
		key = await importKey(dataKey, 'encrypt');
		const sealedKey = await sealDataKey(options.sealClient, dataKey, {
			packageId,
			innerId: options.innerId,
			threshold: options.threshold,
		});
		const header = headerFromSealedKey(sealedKey, chunkSize);
		headerBytes = encodeEnvelopeHeader(header, dataKey);
		aad = new Uint8Array(chunkAad(header));
	} catch (error) {
		throw streamError(error);
	} finally {
		dataKey.fill(0);
	}
	yield headerBytes;
	try {
		// Version 2: every chunk but the last is full, the last is shorter (maybe empty).
		for await (const { chunk, index } of units(input, chunkSize, false)) {
			yield await aesGcm('encrypt', key, nonce(index, 2, false), aad, chunk);
		}
	} catch (error) {
		throw streamError(error);
	}
}

async function* decryptEnvelopeParts(
	input: WebByteSource,
	access: WebEnvelopeAccess,
): AsyncGenerator<Uint8Array> {
	const { header, headerBytes, body } = await readEnvelopeHeader(input);
	const key = await unsealCryptoKey(header, headerBytes, access);
	try {
		if (header.version === 1) yield* openChunksV1(key, header.chunkSize, body);
		else yield* openChunksV2(key, header.chunkSize, new Uint8Array(chunkAad(header)), body);
	} catch (error) {
		throw streamError(error);
	}
}

/** Version 2: a full chunk is never the last; the last is shorter (0..chunkSize−1 bytes + tag). */
async function* openChunksV2(
	key: CryptoKey,
	chunkSize: number,
	aad: Uint8Array<ArrayBuffer>,
	body: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
	for await (const { chunk, index, final } of units(body, chunkSize + GCM_TAG_LENGTH, false)) {
		if (final && chunk.length < GCM_TAG_LENGTH) {
			throw new TruncatedInputError(
				chunk.length === 0
					? index === 0n
						? 'the envelope has no data section'
						: `the envelope ends after chunk ${index - 1n} without its final chunk (truncated)`
					: `the envelope's data section is cut off in chunk ${index}`,
			);
		}
		yield await openChunk(key, nonce(index, 2, false), aad, index, chunk);
	}
}

/** Version 1 (read only): the last chunk holds 0..chunkSize bytes and has the final flag. */
async function* openChunksV1(
	key: CryptoKey,
	chunkSize: number,
	body: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
	const unit = chunkSize + GCM_TAG_LENGTH;
	for await (const { chunk, index, final } of units(body, unit, true)) {
		if (!final) {
			yield await openChunk(key, nonce(index, 1, false), AAD_V1, index, chunk);
			continue;
		}
		if (chunk.length < GCM_TAG_LENGTH) {
			throw new TruncatedInputError(
				chunk.length === 0 && index === 0n
					? 'the envelope has no data section'
					: `the envelope's data section is cut off in chunk ${index}`,
			);
		}
		try {
			yield await openChunk(key, nonce(index, 1, true), AAD_V1, index, chunk);
		} catch (error) {
			// A complete chunk that verifies as non-final means the real final chunk was dropped.
			if (error instanceof DecryptionFailedError && chunk.length === unit) {
				const asMiddle = await openChunk(key, nonce(index, 1, false), AAD_V1, index, chunk).catch(
					() => undefined,
				);
				if (asMiddle !== undefined) {
					asMiddle.fill(0);
					throw new TruncatedInputError(
						`the envelope ends after chunk ${index} without its final chunk (truncated)`,
					);
				}
			}
			throw error;
		}
	}
}

/**
 * Unseals the data key (every check in ../envelope-key.ts) and imports it; the raw key is zeroed
 * whatever happens.
 */
async function unsealCryptoKey(
	header: EnvelopeHeader,
	headerBytes: Uint8Array,
	access: WebEnvelopeAccess,
): Promise<CryptoKey> {
	const dataKey = await unsealDataKey(header, headerBytes, access);
	try {
		return await importKey(dataKey, 'decrypt');
	} finally {
		dataKey.fill(0);
	}
}

async function openChunk(
	key: CryptoKey,
	iv: Uint8Array<ArrayBuffer>,
	aad: Uint8Array<ArrayBuffer>,
	index: bigint,
	chunk: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
	try {
		return await aesGcm('decrypt', key, iv, aad, chunk);
	} catch {
		throw new DecryptionFailedError(
			`envelope chunk ${index} failed authentication: wrong data key, or the header or chunks were modified, reordered or removed`,
		);
	}
}

async function importKey(raw: Uint8Array, use: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
	// WebCrypto wants an ArrayBuffer-backed view; copy, and zero the copy once imported.
	const copy = new Uint8Array(raw);
	try {
		return await globalThis.crypto.subtle.importKey('raw', copy, 'AES-GCM', false, [use]);
	} finally {
		copy.fill(0);
	}
}

async function aesGcm(
	op: 'encrypt' | 'decrypt',
	key: CryptoKey,
	iv: Uint8Array<ArrayBuffer>,
	aad: Uint8Array<ArrayBuffer>,
	data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
	const params = { name: 'AES-GCM', iv, additionalData: aad, tagLength: GCM_TAG_LENGTH * 8 };
	const out = await globalThis.crypto.subtle[op](params, key, data);
	return new Uint8Array(out);
}

/** Chunk nonce: index u64 BE ‖ 00 00 00 ‖ final flag (version 1) or 00 (version 2). */
function nonce(index: bigint, version: 1 | 2, final: boolean): Uint8Array<ArrayBuffer> {
	const bytes = new Uint8Array(12);
	new DataView(bytes.buffer).setBigUint64(0, index);
	if (version === 1) bytes[11] = final ? 1 : 0;
	return bytes;
}

/**
 * Cuts the input into units of `size` bytes; the last (`final`) one holds what is left. With
 * `lastMayBeFull` (version 1) a full unit is released only once more bytes arrive, because only
 * then is it known not to be the last; otherwise (version 2) a full unit is never the last and
 * leaves at once, and the last one is shorter (possibly empty).
 */
async function* units(
	input: WebByteSource | AsyncIterable<Uint8Array>,
	size: number,
	lastMayBeFull: boolean,
): AsyncGenerator<{ chunk: Uint8Array<ArrayBuffer>; index: bigint; final: boolean }> {
	let buffer = new Uint8Array(size);
	let filled = 0;
	let index = 0n;
	for await (const piece of pieces(input)) {
		let offset = 0;
		while (offset < piece.length) {
			if (filled === size) {
				yield { chunk: buffer, index: index++, final: false };
				buffer = new Uint8Array(size);
				filled = 0;
			}
			const take = Math.min(size - filled, piece.length - offset);
			buffer.set(piece.subarray(offset, offset + take), filled);
			filled += take;
			offset += take;
			if (!lastMayBeFull && filled === size) {
				yield { chunk: buffer, index: index++, final: false };
				buffer = new Uint8Array(size);
				filled = 0;
			}
		}
	}
	yield { chunk: buffer.subarray(0, filled), index, final: true };
}

/** Iterates any `WebByteSource`, rejecting pieces that are not bytes. */
async function* pieces(
	input: WebByteSource | AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
	if (input instanceof Uint8Array) {
		if (input.length > 0) yield input;
		return;
	}
	if (typeof ReadableStream !== 'undefined' && input instanceof ReadableStream) {
		const reader = input.getReader();
		try {
			for (let next = await reader.read(); !next.done; next = await reader.read()) {
				const bytes = checkPiece(next.value);
				if (bytes.length > 0) yield bytes;
			}
		} finally {
			reader.releaseLock();
		}
		return;
	}
	for await (const piece of input as AsyncIterable<unknown>) {
		const bytes = checkPiece(piece);
		if (bytes.length > 0) yield bytes;
	}
}

function checkPiece(piece: unknown): Uint8Array {
	if (!(piece instanceof Uint8Array)) {
		throw new InvalidInputError('input', 'expected a stream of bytes (Uint8Array), not strings');
	}
	return piece;
}

function toReadableStream(parts: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			try {
				const next = await parts.next();
				if (next.done) controller.close();
				else controller.enqueue(next.value);
			} catch (error) {
				controller.error(error);
			}
		},
		async cancel() {
			await parts.return(undefined);
		},
	});
}

async function collect(parts: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
	const out: Uint8Array[] = [];
	for await (const part of parts) out.push(part);
	return concatBytes(out);
}
