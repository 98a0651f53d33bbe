/**
 * Envelope header codec. Layout (all integers big-endian):
 *
 * ```
 * 0x02 0x01            format tag (Seal) + sub-kind (envelope)
 * version      u8      2 (written now) or 1 (read only)
 * threshold    u8      key servers needed to unseal the data key
 * serverCount  u8      1..255, then serverCount × { objectId [32], weight u8 }
 * packageId    [32]    policy package ORIGINAL id (first half of the Seal identity)
 * innerIdLen   u16     then innerId bytes (second half of the identity)
 * chunkSize    u32     plaintext bytes per data chunk (v2: 64 B..4 MiB; v1: ..16 MiB)
 * sealedKeyLen u32     1..64 KiB, then the Seal EncryptedObject of the 32-byte data key
 * mac          [32]    v2 only: HMAC-SHA256 over every byte above, key = HKDF(data key)
 * ```
 *
 * The servers, threshold and identity repeat what the sealed key says; decoding checks that they
 * agree, so the header can be read without BCS and cannot lie about the sealed key. In version 2
 * every header byte is also authenticated: the MAC (checked right after the data key is unsealed,
 * before any chunk) covers the whole header, and each chunk's AAD binds the version, identity and
 * chunk size (`chunkAad`), the part a rewrap keeps. Version 1 headers carry no MAC: a changed
 * chunk size on a single-chunk v1 envelope goes unnoticed; they stay readable for old data.
 */
// @noble/hashes rather than node:crypto: the browser entry imports this file (same bytes).
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError } from './errors.js';
import { fromHex, fullIdentity, toHex } from '../identity.js';
import { concatBytes, parseSealObject, SEAL_KIND_ENVELOPE, TAG_SEAL } from './format-seal.js';

/** Version written by this library. */
export const ENVELOPE_VERSION = 2;
export const MIN_CHUNK_SIZE = 64;
/** Largest chunk a version-2 envelope may declare (bounds memory per chunk on read). */
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
/** Version-1 envelopes were written with chunks up to 16 MiB; still accepted on read. */
export const MAX_CHUNK_SIZE_V1 = 16 * 1024 * 1024;
export const MAX_SEALED_KEY_LENGTH = 64 * 1024;
export const HEADER_MAC_LENGTH = 32;
/** Longest possible header: 255 servers, 65535-byte inner id, 64 KiB sealed key, MAC. */
export const MAX_HEADER_LENGTH =
	5 + 255 * 33 + 32 + 2 + 0xffff + 8 + MAX_SEALED_KEY_LENGTH + HEADER_MAC_LENGTH;

const MAC_INFO = new TextEncoder().encode('seal-policies envelope v2 header mac');
const CHUNK_LABEL_V2 = new TextEncoder().encode('seal-policies envelope v2');

/** One key server the data key is sealed for, with its share count. */
export interface EnvelopeServer {
	objectId: string;
	weight: number;
}

export interface EnvelopeHeader {
	/** 2 for envelopes written now, 1 for old ones (no header MAC). */
	version: number;
	threshold: number;
	servers: EnvelopeServer[];
	/** Policy package original id, `0x` + 64 hex. */
	packageId: string;
	/** Inner id: the first argument of `seal_approve` (build txBytes from it). */
	innerId: Uint8Array;
	/** Full Seal identity `[packageId][innerId]`. */
	identity: Uint8Array;
	chunkSize: number;
	/** Seal `EncryptedObject` bytes of the 32-byte data key. */
	sealedKey: Uint8Array;
}

/** Builds header fields from a freshly sealed key (servers, threshold, identity come from it). */
export function headerFromSealedKey(
	sealedKey: Uint8Array,
	chunkSize: number,
	version: number = ENVELOPE_VERSION,
): EnvelopeHeader {
	checkVersion(version);
	checkChunkSize(chunkSize, version);
	if (sealedKey.length > MAX_SEALED_KEY_LENGTH) {
		throw new MalformedCiphertextError(
			`sealed key is ${sealedKey.length} bytes, over the limit ${MAX_SEALED_KEY_LENGTH}`,
		);
	}
	const parsed = parseSealObject(sealedKey);
	const innerId = fromHex(parsed.id, 'sealed key id');
	return {
		version,
		threshold: parsed.threshold,
		servers: serversOf(parsed.services),
		packageId: parsed.packageId,
		innerId,
		identity: fullIdentity(parsed.packageId, innerId),
		chunkSize,
		sealedKey,
	};
}

/**
 * Serialises a header (see the module comment for the layout). Version 2 needs the data key,
 * from which the header MAC is keyed.
 */
export function encodeEnvelopeHeader(header: EnvelopeHeader, dataKey?: Uint8Array): Uint8Array {
	checkVersion(header.version);
	checkChunkSize(header.chunkSize, header.version);
	// Lengths must fit their fields; never let a DataView setter wrap them silently.
	if (header.innerId.length > 0xffff || header.sealedKey.length > MAX_SEALED_KEY_LENGTH) {
		throw new MalformedCiphertextError('inner id or sealed key too long for the envelope header');
	}
	if (header.servers.length < 1 || header.servers.length > 255) {
		throw new MalformedCiphertextError('an envelope header lists 1 to 255 key servers');
	}
	const fixed = new Uint8Array(5);
	fixed.set([
		TAG_SEAL,
		SEAL_KIND_ENVELOPE,
		header.version,
		header.threshold,
		header.servers.length,
	]);
	const servers = header.servers.map((server) =>
		concatBytes([fromHex(server.objectId), new Uint8Array([server.weight])]),
	);
	const tail = new Uint8Array(2 + header.innerId.length + 8);
	const view = new DataView(tail.buffer);
	view.setUint16(0, header.innerId.length);
	tail.set(header.innerId, 2);
	view.setUint32(2 + header.innerId.length, header.chunkSize);
	view.setUint32(6 + header.innerId.length, header.sealedKey.length);
	const body = concatBytes([fixed, ...servers, fromHex(header.packageId), tail, header.sealedKey]);
	if (header.version === 1) return body;
	if (dataKey === undefined) {
		throw new MalformedCiphertextError(
			'a version-2 envelope header needs the data key for its MAC',
		);
	}
	return concatBytes([body, headerMac(dataKey, body)]);
}

/**
 * Checks a version-2 header's MAC with the unsealed data key (no-op for version 1). Throws
 * `DecryptionFailedError` when any header byte was changed (or the key is not this envelope's).
 */
export function verifyEnvelopeHeader(headerBytes: Uint8Array, dataKey: Uint8Array): void {
	if (headerBytes[2] === 1) return;
	if (headerBytes.length < HEADER_MAC_LENGTH) {
		throw new TruncatedInputError('the envelope header is shorter than its MAC');
	}
	const at = headerBytes.length - HEADER_MAC_LENGTH;
	const expected = headerMac(dataKey, headerBytes.subarray(0, at));
	if (!constantTimeEqual(expected, headerBytes.subarray(at))) {
		throw new DecryptionFailedError(
			'the envelope header failed authentication: a header byte was modified, or the sealed key does not belong to this envelope',
		);
	}
}

/**
 * AAD of every version-2 chunk: a label and SHA-256 of the version, chunk size and identity —
 * the header fields a rewrap keeps (the MAC covers the rest).
 */
export function chunkAad(header: EnvelopeHeader): Uint8Array {
	const fields = new Uint8Array(3 + 4 + 32 + 2 + header.innerId.length);
	const view = new DataView(fields.buffer);
	fields.set([TAG_SEAL, SEAL_KIND_ENVELOPE, header.version]);
	view.setUint32(3, header.chunkSize);
	fields.set(fromHex(header.packageId), 7);
	view.setUint16(39, header.innerId.length);
	fields.set(header.innerId, 41);
	return concatBytes([CHUNK_LABEL_V2, sha256(fields)]);
}

/** HMAC-SHA256(HKDF-SHA256(data key, empty salt, MAC_INFO, 32), body). */
function headerMac(dataKey: Uint8Array, body: Uint8Array): Uint8Array {
	const macKey = hkdf(sha256, dataKey, new Uint8Array(), MAC_INFO, 32);
	try {
		return hmac(sha256, macKey, body);
	} finally {
		macKey.fill(0);
	}
}

/** Compares equal-length MACs without an early exit (no timing hint on where they differ). */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
	return diff === 0;
}

/**
 * Total header length given its first bytes, or how many bytes are needed to know it
 * (`{ need }`). Lets a stream reader pull exactly the header and nothing more; rejects a wrong
 * tag or version as soon as those bytes are in, and never asks for more than `MAX_HEADER_LENGTH`.
 */
export function envelopeHeaderLength(prefix: Uint8Array): { length: number } | { need: number } {
	if (prefix.length < 5) return { need: 5 };
	if (prefix[0] !== TAG_SEAL || prefix[1] !== SEAL_KIND_ENVELOPE) {
		throw new MalformedCiphertextError('not an envelope: expected the bytes 02 01');
	}
	const version = prefix[2] as number;
	checkVersion(version);
	const serverCount = prefix[4] as number;
	if (serverCount === 0) throw new MalformedCiphertextError('envelope lists no key servers');
	const innerAt = 5 + serverCount * 33 + 32;
	if (prefix.length < innerAt + 2) return { need: innerAt + 2 };
	const innerLength = readUint16(prefix, innerAt);
	const sealedAt = innerAt + 2 + innerLength + 4;
	if (prefix.length < sealedAt + 4) return { need: sealedAt + 4 };
	const sealedLength = readUint32(prefix, sealedAt);
	if (sealedLength === 0 || sealedLength > MAX_SEALED_KEY_LENGTH) {
		throw new MalformedCiphertextError(
			`sealed key length ${sealedLength} is outside 1..${MAX_SEALED_KEY_LENGTH}`,
		);
	}
	return { length: sealedAt + 4 + sealedLength + (version === 1 ? 0 : HEADER_MAC_LENGTH) };
}

/**
 * Decodes the header at the start of `bytes`; returns it with its length (data chunks follow).
 * Throws `TruncatedInputError` / `MalformedCiphertextError` only. A version-2 header's MAC needs
 * the data key: `verifyEnvelopeHeader` checks it once the key is unsealed.
 */
export function decodeEnvelopeHeader(bytes: Uint8Array): {
	header: EnvelopeHeader;
	length: number;
} {
	const size = envelopeHeaderLength(bytes);
	if ('need' in size || bytes.length < size.length) {
		throw new TruncatedInputError('the envelope ends inside its header');
	}
	const version = bytes[2] as number;
	const threshold = bytes[3] as number;
	const serverCount = bytes[4] as number;
	const servers: EnvelopeServer[] = [];
	let offset = 5;
	for (let i = 0; i < serverCount; i++) {
		servers.push({
			objectId: `0x${toHex(bytes.subarray(offset, offset + 32))}`,
			weight: bytes[offset + 32] as number,
		});
		offset += 33;
	}
	const packageId = `0x${toHex(bytes.subarray(offset, offset + 32))}`;
	offset += 32;
	const innerLength = readUint16(bytes, offset);
	const innerId = bytes.slice(offset + 2, offset + 2 + innerLength);
	offset += 2 + innerLength;
	const chunkSize = readUint32(bytes, offset);
	const sealedLength = readUint32(bytes, offset + 4);
	const sealedKey = bytes.slice(offset + 8, offset + 8 + sealedLength);
	checkChunkSize(chunkSize, version);

	const fromKey = headerFromSealedKey(sealedKey, chunkSize, version);
	const agrees =
		fromKey.threshold === threshold &&
		fromKey.packageId === packageId &&
		toHex(fromKey.innerId) === toHex(innerId) &&
		sameServers(fromKey.servers, servers);
	if (!agrees) {
		throw new MalformedCiphertextError(
			'envelope header disagrees with its sealed key (servers, threshold or identity were modified)',
		);
	}
	return { header: fromKey, length: size.length };
}

function sameServers(a: readonly EnvelopeServer[], b: readonly EnvelopeServer[]): boolean {
	return (
		a.length === b.length &&
		a.every((server, i) => server.objectId === b[i]?.objectId && server.weight === b[i]?.weight)
	);
}

/** Unique servers in first-seen order with their share counts (the Seal object repeats them). */
function serversOf(services: readonly (readonly [string, number])[]): EnvelopeServer[] {
	const servers: EnvelopeServer[] = [];
	for (const [objectId] of services) {
		const known = servers.find((server) => server.objectId === objectId);
		if (known) known.weight += 1;
		else servers.push({ objectId, weight: 1 });
	}
	return servers;
}

function checkVersion(version: number): void {
	if (version !== 1 && version !== 2) {
		throw new MalformedCiphertextError(
			`unsupported envelope version ${version} (this library reads versions 1 and 2)`,
		);
	}
}

function checkChunkSize(chunkSize: number, version: number): void {
	const max = version === 1 ? MAX_CHUNK_SIZE_V1 : MAX_CHUNK_SIZE;
	if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > max) {
		throw new MalformedCiphertextError(
			`chunk size ${chunkSize} is outside ${MIN_CHUNK_SIZE}..${max} bytes`,
		);
	}
}

function readUint16(bytes: Uint8Array, offset: number): number {
	return ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
}

function readUint32(bytes: Uint8Array, offset: number): number {
	return (
		(bytes[offset] as number) * 0x1000000 +
		(((bytes[offset + 1] as number) << 16) |
			((bytes[offset + 2] as number) << 8) |
			(bytes[offset + 3] as number))
	);
}
