/**
 * The envelope's data section: the plaintext cut into chunks of `chunkSize` bytes (the last one
 * 0..chunkSize bytes), each sealed with AES-256-GCM under the data key as `ciphertext ‖ tag(16)`.
 *
 * Nonce of chunk i = `i` as u64 big-endian ‖ 00 00 00 ‖ final flag (01 on the last chunk, else 00).
 * The key is fresh per envelope, so nonces never repeat; the index makes reordering fail
 * authentication and the final flag makes truncation at a chunk boundary detectable (STREAM
 * construction, as in age and Tink).
 *
 * Memory stays bounded by one chunk whatever the input size: input pieces are referenced (not
 * copied) until a chunk is complete, so do not modify a piece after yielding it (the same rule
 * as Node's `Writable.write`). Decryption yields a chunk's plaintext only after its tag verified;
 * an error at the end (e.g. truncation) means the output so far must be discarded.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

import { DecryptionFailedError, InvalidInputError, TruncatedInputError } from './errors.js';
import { concatBytes, GCM_TAG_LENGTH } from './format.js';

/** Anything bytes can be read from: one array, an (async) iterable of arrays, a Node `Readable`. */
export type ByteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

const AAD = new TextEncoder().encode('seal-policies envelope v1');

/** Encrypts `input` into data chunks under `dataKey` (32 bytes). Yields ciphertext pieces. */
export async function* encryptChunks(
	dataKey: Uint8Array,
	chunkSize: number,
	input: ByteSource,
): AsyncGenerator<Uint8Array> {
	const chunker = new Chunker(chunkSize, (parts, index, final) =>
		sealChunk(dataKey, index, parts, final),
	);
	yield* drive(input, chunker);
}

/**
 * Decrypts data chunks produced by `encryptChunks`. Throws `DecryptionFailedError` (wrong key,
 * modified or reordered chunks) or `TruncatedInputError` (missing final chunk or cut bytes).
 */
export async function* decryptChunks(
	dataKey: Uint8Array,
	chunkSize: number,
	input: ByteSource,
): AsyncGenerator<Uint8Array> {
	const unit = chunkSize + GCM_TAG_LENGTH;
	const chunker = new Chunker(unit, (parts, index, final, length) => {
		if (!final) return decryptChunk(dataKey, index, parts, false);
		if (length < GCM_TAG_LENGTH) {
			throw new TruncatedInputError(
				length === 0 && index === 0n
					? 'the envelope has no data section'
					: `the envelope's data section is cut off in chunk ${index}`,
			);
		}
		try {
			return decryptChunk(dataKey, index, parts, true);
		} catch (error) {
			// A complete chunk that verifies as non-final means the real final chunk was dropped.
			if (error instanceof DecryptionFailedError && length === unit) {
				let verifiesAsMiddle = true;
				try {
					for (const part of decryptChunk(dataKey, index, parts, false)) part.fill(0);
				} catch {
					verifiesAsMiddle = false;
				}
				if (verifiesAsMiddle) {
					throw new TruncatedInputError(
						`the envelope ends after chunk ${index} without its final chunk (truncated)`,
					);
				}
			}
			throw error;
		}
	});
	yield* drive(input, chunker);
}

type ChunkHandler = (
	parts: readonly Uint8Array[],
	index: bigint,
	final: boolean,
	length: number,
) => Uint8Array[];

/**
 * Groups input pieces into units of `unit` bytes without copying. A full unit is handed on only
 * once more bytes arrive, because only then is it known not to be the last one.
 */
class Chunker {
	readonly #unit: number;
	readonly #handle: ChunkHandler;
	#index = 0n;
	#pending: Uint8Array[] = [];
	#pendingLength = 0;

	constructor(unit: number, handle: ChunkHandler) {
		this.#unit = unit;
		this.#handle = handle;
	}

	push(piece: Uint8Array): Uint8Array[] {
		let out: Uint8Array[] = [];
		let offset = 0;
		while (offset < piece.length) {
			if (this.#pendingLength === this.#unit) {
				const produced = this.#handle(this.#pending, this.#index++, false, this.#pendingLength);
				out = out.length === 0 ? produced : out.concat(produced);
				this.#pending = [];
				this.#pendingLength = 0;
			}
			const take = Math.min(this.#unit - this.#pendingLength, piece.length - offset);
			this.#pending.push(
				offset === 0 && take === piece.length ? piece : piece.subarray(offset, offset + take),
			);
			this.#pendingLength += take;
			offset += take;
		}
		return out;
	}

	finish(): Uint8Array[] {
		return this.#handle(this.#pending, this.#index, true, this.#pendingLength);
	}
}

/** Feeds every piece of `input` to `chunker`, yielding its output (sync sources without awaits). */
async function* drive(input: ByteSource, chunker: Chunker): AsyncGenerator<Uint8Array> {
	if (input instanceof Uint8Array) {
		yield* chunker.push(input);
	} else if (Symbol.iterator in input) {
		for (const piece of input) yield* chunker.push(checkPiece(piece));
	} else {
		for await (const piece of input) yield* chunker.push(checkPiece(piece));
	}
	yield* chunker.finish();
}

function checkPiece(piece: unknown): Uint8Array {
	if (!(piece instanceof Uint8Array)) {
		throw new InvalidInputError(
			'input',
			'expected a stream of bytes (Uint8Array/Buffer), not strings',
		);
	}
	return piece;
}

function sealChunk(
	key: Uint8Array,
	index: bigint,
	parts: readonly Uint8Array[],
	final: boolean,
): Uint8Array[] {
	const cipher = createCipheriv('aes-256-gcm', key, nonce(index, final), {
		authTagLength: GCM_TAG_LENGTH,
	});
	cipher.setAAD(AAD);
	const out: Uint8Array[] = [];
	for (const part of parts) {
		const sealed = cipher.update(part);
		if (sealed.length > 0) out.push(sealed);
	}
	const rest = cipher.final();
	if (rest.length > 0) out.push(rest);
	out.push(cipher.getAuthTag());
	return out;
}

/** Verifies one chunk and returns its plaintext pieces (nothing is released before the tag). */
function decryptChunk(
	key: Uint8Array,
	index: bigint,
	parts: readonly Uint8Array[],
	final: boolean,
): Uint8Array[] {
	const decipher = createDecipheriv('aes-256-gcm', key, nonce(index, final), {
		authTagLength: GCM_TAG_LENGTH,
	});
	decipher.setAAD(AAD);
	const { body, tag } = splitTag(parts);
	decipher.setAuthTag(tag);
	const out: Uint8Array[] = [];
	for (const part of body) {
		const plain = decipher.update(part);
		if (plain.length > 0) out.push(plain);
	}
	try {
		const rest = decipher.final();
		if (rest.length > 0) out.push(rest);
	} catch {
		for (const plain of out) plain.fill(0);
		throw new DecryptionFailedError(
			`envelope chunk ${index} failed authentication: wrong data key, or chunks were modified, reordered or removed`,
		);
	}
	return out;
}

/** The last 16 bytes (the tag) may straddle input pieces. */
function splitTag(parts: readonly Uint8Array[]): { body: Uint8Array[]; tag: Uint8Array } {
	const body = [...parts];
	const tag = new Uint8Array(GCM_TAG_LENGTH);
	let missing = GCM_TAG_LENGTH;
	while (missing > 0) {
		const last = body.pop() as Uint8Array;
		if (last.length <= missing) {
			tag.set(last, missing - last.length);
			missing -= last.length;
		} else {
			tag.set(last.subarray(last.length - missing), 0);
			body.push(last.subarray(0, last.length - missing));
			missing = 0;
		}
	}
	return { body, tag };
}

function nonce(index: bigint, final: boolean): Uint8Array {
	const bytes = new Uint8Array(12);
	new DataView(bytes.buffer).setBigUint64(0, index);
	bytes[11] = final ? 1 : 0;
	return bytes;
}

/** Iterates any `ByteSource`, rejecting non-byte pieces (e.g. a Readable in string mode). */
export async function* pieces(input: ByteSource): AsyncGenerator<Uint8Array> {
	if (input instanceof Uint8Array) {
		if (input.length > 0) yield input;
		return;
	}
	for await (const piece of input as AsyncIterable<unknown>) {
		const bytes = checkPiece(piece);
		if (bytes.length > 0) yield bytes;
	}
}

/** Reads a whole byte stream into one array (for small inputs and tests). */
export async function collectBytes(input: ByteSource): Promise<Uint8Array> {
	const parts: Uint8Array[] = [];
	for await (const piece of pieces(input)) parts.push(piece);
	return concatBytes(parts);
}
