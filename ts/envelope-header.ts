/**
 * Envelope header codec. Layout (all integers big-endian):
 *
 * ```
 * 0x02 0x01            format tag (Seal) + sub-kind (envelope)
 * version      u8      = 1
 * threshold    u8      key servers needed to unseal the data key
 * serverCount  u8      1..255, then serverCount × { objectId [32], weight u8 }
 * packageId    [32]    policy package ORIGINAL id (first half of the Seal identity)
 * innerIdLen   u16     then innerId bytes (second half of the identity)
 * chunkSize    u32     plaintext bytes per data chunk (the last chunk may be shorter)
 * sealedKeyLen u32     then the Seal EncryptedObject of the 32-byte data key
 * ```
 *
 * The servers, threshold and identity repeat what the sealed key says; decoding checks that they
 * agree, so the header can be read without BCS and cannot lie about the sealed key.
 */
import { MalformedCiphertextError, TruncatedInputError } from './errors.js';
import { fromHex, fullIdentity, toHex } from './identity.js';
import { concatBytes, parseSealObject, SEAL_KIND_ENVELOPE, TAG_SEAL } from './format-seal.js';

export const ENVELOPE_VERSION = 1;
export const MIN_CHUNK_SIZE = 64;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
const MAX_SEALED_KEY_LENGTH = 64 * 1024;

/** One key server the data key is sealed for, with its share count. */
export interface EnvelopeServer {
	objectId: string;
	weight: number;
}

export interface EnvelopeHeader {
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
export function headerFromSealedKey(sealedKey: Uint8Array, chunkSize: number): EnvelopeHeader {
	checkChunkSize(chunkSize);
	const parsed = parseSealObject(sealedKey);
	const innerId = fromHex(parsed.id, 'sealed key id');
	return {
		version: ENVELOPE_VERSION,
		threshold: parsed.threshold,
		servers: serversOf(parsed.services),
		packageId: parsed.packageId,
		innerId,
		identity: fullIdentity(parsed.packageId, innerId),
		chunkSize,
		sealedKey,
	};
}

/** Serialises a header (see the module comment for the layout). */
export function encodeEnvelopeHeader(header: EnvelopeHeader): Uint8Array {
	checkChunkSize(header.chunkSize);
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
	return concatBytes([fixed, ...servers, fromHex(header.packageId), tail, header.sealedKey]);
}

/**
 * Total header length given its first bytes, or how many bytes are needed to know it
 * (`{ need }`). Lets a stream reader pull exactly the header and nothing more.
 */
export function envelopeHeaderLength(prefix: Uint8Array): { length: number } | { need: number } {
	if (prefix.length < 5) return { need: 5 };
	const serverCount = prefix[4] as number;
	const innerAt = 5 + serverCount * 33 + 32;
	if (prefix.length < innerAt + 2) return { need: innerAt + 2 };
	const innerLength = readUint16(prefix, innerAt);
	const sealedAt = innerAt + 2 + innerLength + 4;
	if (prefix.length < sealedAt + 4) return { need: sealedAt + 4 };
	const sealedLength = readUint32(prefix, sealedAt);
	if (sealedLength > MAX_SEALED_KEY_LENGTH) {
		throw new MalformedCiphertextError(`sealed key length ${sealedLength} is implausibly large`);
	}
	return { length: sealedAt + 4 + sealedLength };
}

/**
 * Decodes the header at the start of `bytes`; returns it with its length (data chunks follow).
 * Throws `TruncatedInputError` / `MalformedCiphertextError` only.
 */
export function decodeEnvelopeHeader(bytes: Uint8Array): {
	header: EnvelopeHeader;
	length: number;
} {
	const size = envelopeHeaderLength(bytes);
	if ('need' in size) throw new TruncatedInputError('the envelope ends inside its header');
	if (bytes.length < size.length)
		throw new TruncatedInputError('the envelope ends inside its header');
	if (bytes[0] !== TAG_SEAL || bytes[1] !== SEAL_KIND_ENVELOPE) {
		throw new MalformedCiphertextError('not an envelope: expected the bytes 02 01');
	}
	const version = bytes[2] as number;
	if (version !== ENVELOPE_VERSION) {
		throw new MalformedCiphertextError(`unsupported envelope version ${version}`);
	}
	const threshold = bytes[3] as number;
	const serverCount = bytes[4] as number;
	if (serverCount === 0) throw new MalformedCiphertextError('envelope lists no key servers');
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
	checkChunkSize(chunkSize);

	const fromKey = headerFromSealedKey(sealedKey, chunkSize);
	const agrees =
		fromKey.threshold === threshold &&
		fromKey.packageId === packageId &&
		toHex(fromKey.innerId) === toHex(innerId) &&
		JSON.stringify(fromKey.servers) === JSON.stringify(servers);
	if (!agrees) {
		throw new MalformedCiphertextError(
			'envelope header disagrees with its sealed key (servers, threshold or identity were modified)',
		);
	}
	return { header: fromKey, length: size.length };
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

function checkChunkSize(chunkSize: number): void {
	if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
		throw new MalformedCiphertextError(
			`chunk size ${chunkSize} is outside ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE} bytes`,
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
