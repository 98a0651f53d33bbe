/**
 * Envelope encryption: the data is encrypted under a fresh random AES-256-GCM data key in
 * authenticated chunks (ts/crypto/node/envelope-stream.ts); only the 32-byte data key is encrypted with Seal
 * (ts/crypto/envelope-header.ts has the byte layout). Large inputs stream through in constant memory.
 *
 * Because the data never touches Seal, `rewrapEnvelope` can move an envelope to a new key-server
 * set or threshold by re-sealing 32 bytes: every data chunk stays byte-identical.
 *
 * All functions take and return streams: pass a `Uint8Array`, an (async) iterable of them or a
 * Node `Readable`; consume the returned async generator with `for await`, `collectBytes`, or
 * `stream/promises.pipeline(generator, writable)`. Every function throws only `HarnessError`
 * subclasses: Seal SDK errors are mapped (e.g. `NoAccessError` → `SealAccessDeniedError`) with
 * the original as `cause`; format problems are `FormatError` subclasses. The data key is zeroed
 * after use and neither it nor plaintext is ever logged.
 */
import { randomBytes } from 'node:crypto';

import type { SealClient, SessionKey } from '@mysten/seal';

import { InvalidInputError } from '../../errors.js';
import { MalformedCiphertextError, TruncatedInputError } from '../errors.js';
import { streamError } from '../envelope-errors.js';
import { sealDataKey, unsealDataKey } from '../envelope-key.js';
import {
	chunkAad,
	decodeEnvelopeHeader,
	encodeEnvelopeHeader,
	envelopeHeaderLength,
	headerFromSealedKey,
	MAX_CHUNK_SIZE,
	MIN_CHUNK_SIZE,
	type EnvelopeHeader,
} from '../envelope-header.js';
import { decryptChunks, encryptChunks, pieces, type ByteSource } from './envelope-stream.js';
import { AES_KEY_LENGTH } from './format.js';
import { normalizeObjectId } from '../../identity.js';

export type { EnvelopeHeader, EnvelopeServer } from '../envelope-header.js';
export type { ByteSource } from './envelope-stream.js';
export { collectBytes } from './envelope-stream.js';

/** 1 MiB chunks: per-chunk cipher setup is negligible next to the AES work (see the bench). */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/** What encryption needs from a `SealClient` (configured with the target key servers). */
export type EnvelopeSealEncryptor = Pick<SealClient, 'encrypt'>;
/** What decryption needs from a `SealClient` (configured with enough of the header's servers). */
export type EnvelopeSealDecryptor = Pick<SealClient, 'decrypt'>;

export interface EncryptEnvelopeOptions {
	/** Seals the data key for all of its configured key servers. */
	sealClient: EnvelopeSealEncryptor;
	/** Policy package ORIGINAL (version 1) id. */
	packageId: string;
	/** Inner id under the policy, e.g. `allowlistInnerId(list, randomNonce())`. */
	innerId: Uint8Array;
	threshold: number;
	/** Plaintext bytes per chunk, 64 B .. 16 MiB; default `DEFAULT_CHUNK_SIZE`. */
	chunkSize?: number;
}

/** Session key + approval PTB (`onlyTransactionKind`) for the envelope's identity. */
export interface EnvelopeAccess {
	sealClient: EnvelopeSealDecryptor;
	sessionKey: SessionKey;
	/** `seal_approve*` call(s) on `header.innerId`, built with `onlyTransactionKind: true`. */
	txBytes: Uint8Array;
	/**
	 * Check every key share of the sealed data key (the SDK's `checkShareConsistency`), so an
	 * encryptor who is not trusted cannot make readers with different key servers see different
	 * data keys. Costs one pairing per share.
	 */
	checkShareConsistency?: boolean;
}

export interface RewrapEnvelopeOptions {
	/** How to unseal the current data key (a user the policy approves). */
	access: EnvelopeAccess;
	/** Client configured with the NEW key-server set. */
	sealClient: EnvelopeSealEncryptor;
	/** New threshold (defaults to the current one). */
	threshold?: number;
}

/** An envelope whose header has been read; `body` yields the data section (single use). */
export interface OpenedEnvelope {
	header: EnvelopeHeader;
	headerBytes: Uint8Array;
	body: AsyncIterable<Uint8Array>;
}

/**
 * Encrypts `input` into a version-2 envelope: yields the header, then the data chunks. The Seal
 * call (encrypting 32 bytes) happens when iteration starts.
 */
export async function* encryptEnvelope(
	input: ByteSource,
	options: EncryptEnvelopeOptions,
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
	const dataKey = new Uint8Array(randomBytes(AES_KEY_LENGTH));
	try {
		const sealedKey = await sealDataKey(options.sealClient, dataKey, {
			packageId,
			innerId: options.innerId,
			threshold: options.threshold,
		});
		const header = headerFromSealedKey(sealedKey, chunkSize);
		yield encodeEnvelopeHeader(header, dataKey);
		yield* encryptChunks(dataKey, chunkSize, input, { aad: chunkAad(header) });
	} catch (error) {
		throw streamError(error);
	} finally {
		dataKey.fill(0);
	}
}

/**
 * Reads exactly the envelope header from `input` (stream or bytes) and returns it with the rest
 * of the stream. Use `header.innerId` / `header.packageId` to build the approval txBytes. The
 * header is not authenticated yet: a version-2 header's MAC is checked by `decryptEnvelope` /
 * `rewrapEnvelope` once the data key is unsealed.
 */
export async function readEnvelopeHeader(input: ByteSource): Promise<OpenedEnvelope> {
	try {
		return await readHeader(input);
	} catch (error) {
		throw streamError(error);
	}
}

async function readHeader(input: ByteSource): Promise<OpenedEnvelope> {
	const iterator = pieces(input)[Symbol.asyncIterator]();
	// One buffer, grown to the known target only (never per piece), so tiny pieces stay linear.
	let head = new Uint8Array(64);
	let filled = 0;
	let leftover: Uint8Array | undefined;
	for (;;) {
		const size = envelopeHeaderLength(head.subarray(0, filled));
		const target = 'length' in size ? size.length : size.need;
		if ('length' in size && filled >= target) break;
		if (head.length < target) {
			const grown = new Uint8Array(target);
			grown.set(head.subarray(0, filled));
			head = grown;
		}
		let piece = leftover;
		leftover = undefined;
		if (piece === undefined) {
			const next = await iterator.next();
			if (next.done) throw new TruncatedInputError('the envelope ends inside its header');
			piece = next.value;
		}
		const take = Math.min(target - filled, piece.length);
		head.set(piece.subarray(0, take), filled);
		filled += take;
		if (take < piece.length) leftover = piece.subarray(take);
	}
	const headerBytes = head.subarray(0, filled);
	const { header } = decodeEnvelopeHeader(headerBytes);
	async function* body(): AsyncGenerator<Uint8Array> {
		if (leftover !== undefined) yield leftover;
		for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
			yield next.value;
		}
	}
	return { header, headerBytes, body: body() };
}

/**
 * Decrypts an envelope: unseals the data key through Seal (`access`), checks the header MAC
 * (version 2), then yields verified plaintext chunk by chunk. If it throws (tampering,
 * truncation, reordering), discard any output already received.
 */
export async function* decryptEnvelope(
	input: ByteSource | OpenedEnvelope,
	access: EnvelopeAccess,
): AsyncGenerator<Uint8Array> {
	const opened = isOpened(input) ? input : await readEnvelopeHeader(input);
	// Trust only the bytes: `header` is re-derived from `headerBytes`, which the MAC covers.
	const header = decodeHeaderBytes(opened.headerBytes);
	const dataKey = await unsealDataKey(header, opened.headerBytes, access);
	try {
		yield* decryptChunks(
			dataKey,
			header.chunkSize,
			opened.body,
			header.version === 1 ? { version: 1 } : { version: 2, aad: chunkAad(header) },
		);
	} catch (error) {
		throw streamError(error);
	} finally {
		dataKey.fill(0);
	}
}

/**
 * Re-seals the data key for a new key-server set and/or threshold: yields the new header, then
 * the original data section byte for byte. Only the 32-byte key is decrypted; it is zeroed
 * before the data is copied. The envelope keeps its version (its chunks are not re-encrypted);
 * a version-2 header's MAC is checked before and recomputed after.
 */
export async function* rewrapEnvelope(
	input: ByteSource | OpenedEnvelope,
	options: RewrapEnvelopeOptions,
): AsyncGenerator<Uint8Array> {
	const opened = isOpened(input) ? input : await readEnvelopeHeader(input);
	const header = decodeHeaderBytes(opened.headerBytes);
	const dataKey = await unsealDataKey(header, opened.headerBytes, options.access);
	let newHeader: Uint8Array;
	try {
		const sealedKey = await sealDataKey(options.sealClient, dataKey, {
			packageId: header.packageId,
			innerId: header.innerId,
			threshold: options.threshold ?? header.threshold,
		});
		newHeader = encodeEnvelopeHeader(
			headerFromSealedKey(sealedKey, header.chunkSize, header.version),
			dataKey,
		);
	} catch (error) {
		throw streamError(error);
	} finally {
		dataKey.fill(0);
	}
	yield newHeader;
	try {
		yield* opened.body;
	} catch (error) {
		throw streamError(error);
	}
}

function decodeHeaderBytes(headerBytes: Uint8Array): EnvelopeHeader {
	const { header, length } = decodeEnvelopeHeader(headerBytes);
	if (length !== headerBytes.length) {
		throw new MalformedCiphertextError('headerBytes holds more than one envelope header');
	}
	return header;
}

function isOpened(input: ByteSource | OpenedEnvelope): input is OpenedEnvelope {
	// A Uint8Array or stream has neither property; anything not an object is a (bad) ByteSource.
	return typeof input === 'object' && input !== null && 'header' in input && 'body' in input;
}
