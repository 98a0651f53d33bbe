/**
 * Envelope encryption: the data is encrypted under a fresh random AES-256-GCM data key in
 * authenticated chunks (ts/envelope-stream.ts); only the 32-byte data key is encrypted with Seal
 * (ts/envelope-header.ts has the byte layout). Large inputs stream through in constant memory.
 *
 * Because the data never touches Seal, `rewrapEnvelope` can move an envelope to a new key-server
 * set or threshold by re-sealing 32 bytes: every data chunk stays byte-identical.
 *
 * All functions take and return streams: pass a `Uint8Array`, an (async) iterable of them or a
 * Node `Readable`; consume the returned async generator with `for await`, `collectBytes`, or
 * `stream/promises.pipeline(generator, writable)`. Seal SDK errors (e.g. `NoAccessError`) pass
 * through unchanged; format problems are `FormatError` subclasses. The data key is zeroed after
 * use and neither it nor plaintext is ever logged.
 */
import { randomBytes } from 'node:crypto';

import type { SealClient, SessionKey } from '@mysten/seal';

import { InvalidInputError, MalformedCiphertextError, TruncatedInputError } from './errors.js';
import {
	decodeEnvelopeHeader,
	encodeEnvelopeHeader,
	envelopeHeaderLength,
	headerFromSealedKey,
	MAX_CHUNK_SIZE,
	MIN_CHUNK_SIZE,
	type EnvelopeHeader,
} from './envelope-header.js';
import { decryptChunks, encryptChunks, pieces, type ByteSource } from './envelope-stream.js';
import { AES_KEY_LENGTH, concatBytes } from './format.js';
import { normalizeObjectId, toHex } from './identity.js';

export type { EnvelopeHeader, EnvelopeServer } from './envelope-header.js';
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
 * Encrypts `input` into an envelope: yields the header, then the data chunks. The Seal call
 * (encrypting 32 bytes) happens when iteration starts.
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
		yield encodeEnvelopeHeader(headerFromSealedKey(sealedKey, chunkSize));
		yield* encryptChunks(dataKey, chunkSize, input);
	} finally {
		dataKey.fill(0);
	}
}

/**
 * Reads exactly the envelope header from `input` (stream or bytes) and returns it with the rest
 * of the stream. Use `header.innerId` / `header.packageId` to build the approval txBytes.
 */
export async function readEnvelopeHeader(input: ByteSource): Promise<OpenedEnvelope> {
	const iterator = pieces(input)[Symbol.asyncIterator]();
	// Copy only header bytes; the rest of a piece is handed on untouched.
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
 * Decrypts an envelope: unseals the data key through Seal (`access`), then yields verified
 * plaintext chunk by chunk. If it throws (tampering, truncation, reordering), discard any output
 * already received.
 */
export async function* decryptEnvelope(
	input: ByteSource | OpenedEnvelope,
	access: EnvelopeAccess,
): AsyncGenerator<Uint8Array> {
	const opened = isOpened(input) ? input : await readEnvelopeHeader(input);
	const dataKey = await unsealDataKey(opened.header, access);
	try {
		yield* decryptChunks(dataKey, opened.header.chunkSize, opened.body);
	} finally {
		dataKey.fill(0);
	}
}

/**
 * Re-seals the data key for a new key-server set and/or threshold: yields the new header, then
 * the original data section byte for byte. Only the 32-byte key is decrypted; it is zeroed
 * before the data is copied.
 */
export async function* rewrapEnvelope(
	input: ByteSource | OpenedEnvelope,
	options: RewrapEnvelopeOptions,
): AsyncGenerator<Uint8Array> {
	const opened = isOpened(input) ? input : await readEnvelopeHeader(input);
	const { header } = opened;
	const dataKey = await unsealDataKey(header, options.access);
	let newHeader: Uint8Array;
	try {
		const sealedKey = await sealDataKey(options.sealClient, dataKey, {
			packageId: header.packageId,
			innerId: header.innerId,
			threshold: options.threshold ?? header.threshold,
		});
		newHeader = encodeEnvelopeHeader(headerFromSealedKey(sealedKey, header.chunkSize));
	} finally {
		dataKey.fill(0);
	}
	yield newHeader;
	yield* opened.body;
}

async function sealDataKey(
	sealClient: EnvelopeSealEncryptor,
	dataKey: Uint8Array,
	{ packageId, innerId, threshold }: { packageId: string; innerId: Uint8Array; threshold: number },
): Promise<Uint8Array> {
	const { encryptedObject, key } = await sealClient.encrypt({
		threshold,
		packageId,
		id: toHex(innerId),
		data: dataKey,
	});
	// The Seal DEM key could decrypt the sealed data key: never keep it.
	key.fill(0);
	return encryptedObject;
}

async function unsealDataKey(header: EnvelopeHeader, access: EnvelopeAccess): Promise<Uint8Array> {
	const dataKey = await access.sealClient.decrypt({
		data: header.sealedKey,
		sessionKey: access.sessionKey,
		txBytes: access.txBytes,
	});
	if (dataKey.length !== AES_KEY_LENGTH) {
		dataKey.fill(0);
		throw new MalformedCiphertextError(
			`the sealed data key decrypted to ${dataKey.length} bytes instead of ${AES_KEY_LENGTH}`,
		);
	}
	return dataKey;
}

function isOpened(input: ByteSource | OpenedEnvelope): input is OpenedEnvelope {
	return (
		typeof input === 'object' &&
		input !== null &&
		!(input instanceof Uint8Array) &&
		'header' in input &&
		'body' in input
	);
}
