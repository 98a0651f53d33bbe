/**
 * The envelope's data section: the plaintext cut into chunks of `chunkSize` bytes, each sealed
 * with AES-256-GCM under the data key as `ciphertext ‖ tag(16)`. The key is fresh per envelope,
 * so nonces never repeat; the chunk index in the nonce makes reordering fail authentication.
 *
 * Version 2 (written now): nonce of chunk i = `i` as u64 big-endian ‖ 00 00 00 00; AAD = the
 * binding the envelope passes (label + hash of version, identity and chunk size). Every chunk but
 * the last holds exactly `chunkSize` bytes and the last holds fewer (0..chunkSize−1), so a full
 * chunk is never final: a cut at a chunk boundary leaves a full last chunk (truncation), a cut
 * inside a chunk fails its tag. Because finality follows from the length, a chunk is encrypted
 * as its bytes arrive, with no look-ahead and no copy of large pieces.
 *
 * Version 1 (read only): nonce = `i` u64 ‖ 00 00 00 ‖ final flag; AAD = "seal-policies envelope
 * v1"; the last chunk holds 0..chunkSize bytes, so a chunk can only be opened once the next byte
 * (or the end) is seen.
 *
 * Memory is bounded whatever the piece size: small pieces are copied into one preallocated
 * 64 KiB staging buffer, large ones are processed in place (never retained), and a version-1
 * chunk is gathered in one preallocated buffer. Decryption yields a chunk's plaintext only after
 * its tag verified; an error at the end (e.g. truncation) means the output so far must be
 * discarded.
 */
import {
	createCipheriv,
	createDecipheriv,
	timingSafeEqual,
	type CipherGCM,
	type DecipherGCM,
} from 'node:crypto';

import { InvalidInputError } from '../../errors.js';
import { DecryptionFailedError, TruncatedInputError } from '../errors.js';
import { concatBytes, GCM_TAG_LENGTH } from './format.js';

/** Anything bytes can be read from: one array, an (async) iterable of arrays, a Node `Readable`. */
export type ByteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** AAD of every version-1 chunk. */
export const CHUNK_AAD_V1 = new TextEncoder().encode('seal-policies envelope v1');
/** Pieces shorter than this are gathered first (per-call cipher overhead dominates below it). */
export const STAGE_SIZE = 64 * 1024;

export interface ChunkOptions {
	/** Data-section version: 2 (default, written now) or 1 (read only). */
	version?: 1 | 2;
	/** Version-2 chunk AAD (the envelope passes its header binding); ignored for version 1. */
	aad?: Uint8Array;
}

const EMPTY = new Uint8Array();

/** Encrypts `input` into version-2 data chunks under `dataKey` (32 bytes). */
export function encryptChunks(
	dataKey: Uint8Array,
	chunkSize: number,
	input: ByteSource,
	options: Pick<ChunkOptions, 'aad'> = {},
): AsyncGenerator<Uint8Array> {
	return drive(input, new Stager(new Encryptor(dataKey, chunkSize, options.aad ?? EMPTY)));
}

/**
 * Decrypts a data section. Throws `DecryptionFailedError` (wrong key, modified or reordered
 * chunks) or `TruncatedInputError` (missing final chunk or cut bytes).
 */
export function decryptChunks(
	dataKey: Uint8Array,
	chunkSize: number,
	input: ByteSource,
	options: ChunkOptions = {},
): AsyncGenerator<Uint8Array> {
	const processor =
		options.version === 1
			? new DecryptorV1(dataKey, chunkSize)
			: new Stager(new Decryptor(dataKey, chunkSize, options.aad ?? EMPTY));
	return drive(input, processor);
}

interface Processor {
	/** Consumes `bytes` (not retained after the call) and returns finished output. */
	push(bytes: Uint8Array): Uint8Array[];
	finish(): Uint8Array[];
}

/** Gathers pieces below `STAGE_SIZE` into one reused buffer; larger ones pass straight on. */
class Stager implements Processor {
	readonly #next: Processor;
	#stage: Uint8Array | undefined;
	#length = 0;

	constructor(next: Processor) {
		this.#next = next;
	}

	push(piece: Uint8Array): Uint8Array[] {
		if (this.#length + piece.length <= STAGE_SIZE) {
			if (piece.length === STAGE_SIZE) return this.#next.push(piece);
			this.#stage ??= new Uint8Array(STAGE_SIZE);
			this.#stage.set(piece, this.#length);
			this.#length += piece.length;
			return this.#length === STAGE_SIZE ? this.#flush() : [];
		}
		const out = this.#flush();
		if (piece.length >= STAGE_SIZE) return append(out, this.#next.push(piece));
		(this.#stage as Uint8Array).set(piece, 0);
		this.#length = piece.length;
		return out;
	}

	finish(): Uint8Array[] {
		return append(this.#flush(), this.#next.finish());
	}

	#flush(): Uint8Array[] {
		if (this.#length === 0) return [];
		const bytes = (this.#stage as Uint8Array).subarray(0, this.#length);
		this.#length = 0;
		return this.#next.push(bytes);
	}
}

/** Version-2 encryption: each byte is encrypted as it arrives; a full chunk closes at once. */
class Encryptor implements Processor {
	readonly #key: Uint8Array;
	readonly #chunkSize: number;
	readonly #aad: Uint8Array;
	#index = 0n;
	#cipher: CipherGCM | undefined;
	#filled = 0;

	constructor(key: Uint8Array, chunkSize: number, aad: Uint8Array) {
		this.#key = key;
		this.#chunkSize = chunkSize;
		this.#aad = aad;
	}

	push(bytes: Uint8Array): Uint8Array[] {
		const out: Uint8Array[] = [];
		for (let at = 0; at < bytes.length;) {
			const take = Math.min(this.#chunkSize - this.#filled, bytes.length - at);
			const cipher = (this.#cipher ??= this.#open());
			out.push(cipher.update(take === bytes.length ? bytes : bytes.subarray(at, at + take)));
			this.#filled += take;
			at += take;
			if (this.#filled === this.#chunkSize) this.#close(out);
		}
		return out;
	}

	/** The last chunk is the one shorter than `chunkSize`; it may be empty. */
	finish(): Uint8Array[] {
		this.#cipher ??= this.#open();
		const out: Uint8Array[] = [];
		this.#close(out);
		return out;
	}

	#open(): CipherGCM {
		const cipher = createCipheriv('aes-256-gcm', this.#key, nonce(this.#index), {
			authTagLength: GCM_TAG_LENGTH,
		});
		cipher.setAAD(this.#aad);
		return cipher;
	}

	#close(out: Uint8Array[]): void {
		const cipher = this.#cipher as CipherGCM;
		// GCM is a stream mode: update() returned every byte, final() only completes the tag.
		cipher.final();
		out.push(cipher.getAuthTag());
		this.#cipher = undefined;
		this.#filled = 0;
		this.#index++;
	}
}

/**
 * Version-2 decryption. A full chunk's tag sits at a known offset (`chunkSize`), so a chunk's
 * first `chunkSize` bytes are deciphered as they arrive (one `update` per piece, no hold-back
 * copy). Only the final, shorter chunk has its tag at an unknown offset: its bytes, tag included,
 * were deciphered speculatively. CTR mode makes that plaintext right except its last 16 bytes (the
 * tag's), but the decipher's GHASH took the tag in, so at the end the kept plaintext is enciphered
 * again and the tag that gives is compared with the received one (the last 16 raw bytes, kept as
 * they pass). That costs one extra pass over at most one chunk. Plaintext is held until its
 * chunk's tag verifies; the speculative tail is zeroed and never released.
 */
class Decryptor implements Processor {
	readonly #key: Uint8Array;
	readonly #chunkSize: number;
	readonly #aad: Uint8Array;
	#index = 0n;
	#decipher: DecipherGCM | undefined;
	/** Bytes of the current chunk given to the decipher (at most `chunkSize`). */
	#fed = 0;
	/** Bytes of the current chunk after its first `chunkSize` (a full chunk's tag). */
	#tagLength = 0;
	/** The last (up to) 16 raw bytes of the current chunk: its tag once the chunk ends. */
	readonly #recent = new Uint8Array(GCM_TAG_LENGTH);
	#recentLength = 0;
	#plain: Uint8Array[] = [];

	constructor(key: Uint8Array, chunkSize: number, aad: Uint8Array) {
		this.#key = key;
		this.#chunkSize = chunkSize;
		this.#aad = aad;
	}

	push(bytes: Uint8Array): Uint8Array[] {
		return verifiedOrZeroed((out) => this.#push(bytes, out));
	}

	#push(bytes: Uint8Array, out: Uint8Array[]): void {
		for (let at = 0; at < bytes.length;) {
			if (this.#fed < this.#chunkSize) {
				const take = Math.min(this.#chunkSize - this.#fed, bytes.length - at);
				const part = take === bytes.length ? bytes : bytes.subarray(at, at + take);
				const decipher = (this.#decipher ??= this.#open());
				// `part` is never empty, so neither is its plaintext.
				this.#plain.push(decipher.update(part));
				this.#remember(part);
				this.#fed += take;
				at += take;
			} else {
				const take = Math.min(GCM_TAG_LENGTH - this.#tagLength, bytes.length - at);
				this.#remember(bytes.subarray(at, at + take));
				this.#tagLength += take;
				at += take;
				// A full chunk is never the last one: verify it now.
				if (this.#tagLength === GCM_TAG_LENGTH) for (const p of this.#verifyFull()) out.push(p);
			}
		}
	}

	finish(): Uint8Array[] {
		const length = this.#fed + this.#tagLength;
		if (length < GCM_TAG_LENGTH) {
			this.#discard();
			throw new TruncatedInputError(
				length === 0
					? this.#index === 0n
						? 'the envelope has no data section'
						: `the envelope ends after chunk ${this.#index - 1n} without its final chunk (truncated)`
					: `the envelope's data section is cut off in chunk ${this.#index}`,
			);
		}
		return this.#verifyFinal(length - GCM_TAG_LENGTH);
	}

	/** Keeps the last 16 raw bytes of the chunk (`bytes` is not retained). */
	#remember(bytes: Uint8Array): void {
		const recent = this.#recent;
		if (bytes.length >= GCM_TAG_LENGTH) {
			recent.set(bytes.subarray(bytes.length - GCM_TAG_LENGTH));
			this.#recentLength = GCM_TAG_LENGTH;
			return;
		}
		const keep = Math.min(this.#recentLength, GCM_TAG_LENGTH - bytes.length);
		recent.copyWithin(0, this.#recentLength - keep, this.#recentLength);
		recent.set(bytes, keep);
		this.#recentLength = keep + bytes.length;
	}

	#discard(): void {
		zero(this.#plain);
		this.#plain = [];
	}

	#open(): DecipherGCM {
		const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce(this.#index), {
			authTagLength: GCM_TAG_LENGTH,
		});
		decipher.setAAD(this.#aad);
		return decipher;
	}

	/** Starts the next chunk. */
	#advance(): void {
		this.#decipher = undefined;
		this.#plain = [];
		this.#fed = 0;
		this.#tagLength = 0;
		this.#recentLength = 0;
		this.#index++;
	}

	#verifyFull(): Uint8Array[] {
		const decipher = this.#decipher as DecipherGCM;
		const plain = this.#plain;
		const index = this.#index;
		decipher.setAuthTag(this.#recent);
		this.#advance();
		try {
			// Checks the tag; GCM's update() already returned every plaintext byte.
			decipher.final();
		} catch {
			zero(plain);
			throw chunkFailed(index);
		}
		return plain;
	}

	/**
	 * The final chunk: `length` (0..chunkSize−1) plaintext bytes. Keeps that much of the
	 * speculative plaintext, enciphers it again and compares the tag with the received one.
	 */
	#verifyFinal(length: number): Uint8Array[] {
		const plain = trimTo(this.#plain, length);
		this.#plain = [];
		const cipher = createCipheriv('aes-256-gcm', this.#key, nonce(this.#index), {
			authTagLength: GCM_TAG_LENGTH,
		});
		cipher.setAAD(this.#aad);
		for (const part of plain) cipher.update(part);
		cipher.final();
		if (!timingSafeEqual(cipher.getAuthTag(), this.#recent)) {
			zero(plain);
			throw chunkFailed(this.#index);
		}
		return plain;
	}
}

/** The first `length` bytes of `parts`; the bytes cut off are zeroed. */
function trimTo(parts: Uint8Array[], length: number): Uint8Array[] {
	const kept: Uint8Array[] = [];
	let left = length;
	for (const part of parts) {
		if (left >= part.length) {
			kept.push(part);
			left -= part.length;
		} else {
			if (left > 0) kept.push(part.subarray(0, left));
			part.fill(0, left);
			left = 0;
		}
	}
	return kept;
}

/** Version-1 decryption: a chunk is gathered in one buffer and opened once its successor starts. */
class DecryptorV1 implements Processor {
	readonly #key: Uint8Array;
	readonly #unit: number;
	#buffer: Uint8Array | undefined;
	#length = 0;
	#index = 0n;

	constructor(key: Uint8Array, chunkSize: number) {
		this.#key = key;
		this.#unit = chunkSize + GCM_TAG_LENGTH;
	}

	push(bytes: Uint8Array): Uint8Array[] {
		return verifiedOrZeroed((out) => this.#push(bytes, out));
	}

	#push(bytes: Uint8Array, out: Uint8Array[]): void {
		for (let at = 0; at < bytes.length;) {
			if (this.#length === this.#unit) {
				for (const p of this.#open(this.#buffer as Uint8Array, false)) out.push(p);
				this.#length = 0;
			}
			// Grows to the chunk size at most (geometric), so tiny envelopes stay small.
			const take = Math.min(this.#unit - this.#length, bytes.length - at);
			this.#reserve(this.#length + take);
			(this.#buffer as Uint8Array).set(bytes.subarray(at, at + take), this.#length);
			this.#length += take;
			at += take;
		}
	}

	finish(): Uint8Array[] {
		const length = this.#length;
		if (length < GCM_TAG_LENGTH) {
			throw new TruncatedInputError(
				length === 0 && this.#index === 0n
					? 'the envelope has no data section'
					: `the envelope's data section is cut off in chunk ${this.#index}`,
			);
		}
		const chunk = (this.#buffer as Uint8Array).subarray(0, length);
		try {
			return this.#open(chunk, true);
		} catch (error) {
			// A complete chunk that verifies as non-final means the real final chunk was dropped.
			if (error instanceof DecryptionFailedError && length === this.#unit) {
				const index = this.#index;
				let verifiesAsMiddle = true;
				try {
					zero(this.#open(chunk, false));
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
	}

	#reserve(size: number): void {
		const capacity = this.#buffer?.length ?? 0;
		if (size <= capacity) return;
		const grown = new Uint8Array(Math.min(this.#unit, Math.max(size, capacity * 2, 4096)));
		if (this.#buffer) grown.set(this.#buffer.subarray(0, this.#length));
		this.#buffer = grown;
	}

	/** Verifies one chunk; advances the index only on success. */
	#open(chunk: Uint8Array, final: boolean): Uint8Array[] {
		const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce(this.#index, final ? 1 : 0), {
			authTagLength: GCM_TAG_LENGTH,
		});
		decipher.setAAD(CHUNK_AAD_V1);
		decipher.setAuthTag(chunk.subarray(chunk.length - GCM_TAG_LENGTH));
		const plain = decipher.update(chunk.subarray(0, chunk.length - GCM_TAG_LENGTH));
		try {
			decipher.final();
			if (!final) this.#index++;
			return [plain];
		} catch {
			plain.fill(0);
			throw chunkFailed(this.#index);
		}
	}
}

function chunkFailed(index: bigint): DecryptionFailedError {
	return new DecryptionFailedError(
		`envelope chunk ${index} failed authentication: wrong data key, or the header or chunks were modified, reordered or removed`,
	);
}

/** Runs `push`; if it throws, chunks it verified before are zeroed, never released. */
function verifiedOrZeroed(push: (out: Uint8Array[]) => void): Uint8Array[] {
	const out: Uint8Array[] = [];
	try {
		push(out);
	} catch (error) {
		zero(out);
		throw error;
	}
	return out;
}

function zero(parts: readonly Uint8Array[]): void {
	for (const part of parts) part.fill(0);
}

function append(out: Uint8Array[], more: Uint8Array[]): Uint8Array[] {
	if (out.length === 0) return more;
	for (const part of more) out.push(part);
	return out;
}

/**
 * Feeds every piece of `input` to `processor`, yielding its output. Sync sources run without
 * awaits, and outputs are yielded one by one (no `yield*` over arrays: each delegation step
 * costs extra promise ticks).
 */
async function* drive(input: ByteSource, processor: Processor): AsyncGenerator<Uint8Array> {
	if (input instanceof Uint8Array) {
		for (const out of processor.push(input)) yield out;
	} else if (Symbol.iterator in input) {
		for (const piece of input) for (const out of processor.push(checkPiece(piece))) yield out;
	} else {
		for await (const piece of input) {
			for (const out of processor.push(checkPiece(piece))) yield out;
		}
	}
	for (const out of processor.finish()) yield out;
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

/** `index` as u64 big-endian ‖ 00 00 00 ‖ `flag` (version 1's final flag; always 0 in version 2). */
function nonce(index: bigint, flag = 0): Uint8Array {
	const bytes = new Uint8Array(12);
	new DataView(bytes.buffer).setBigUint64(0, index);
	bytes[11] = flag;
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
