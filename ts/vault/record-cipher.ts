/**
 * Per-record AES-256-GCM under an epoch key. Every record gets a fresh random 96-bit IV; the AAD
 * binds the vault id, the epoch, the record's version and the record id, so a record copied to
 * another id, epoch or vault, or relabelled with another version, fails authentication instead of
 * decrypting as something else. The format is pinned by tests/fixtures/vault/ (known answers).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { VaultRecordTamperedError } from './errors.js';

export const EPOCH_KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
/** Record ids are UTF-8 strings of 1..512 bytes. */
export const MAX_RECORD_ID_BYTES = 512;
/** Vault ids are 16 random bytes. */
export const VAULT_ID_BYTES = 16;

const AAD_DOMAIN = Buffer.from('seal-policies/vault/record/v2', 'utf8');

/** The stored form of one record (no plaintext). */
export interface SealedRecord {
	id: string;
	epoch: number;
	/** 1 for the first write of the id, +1 for each later write (bound into the AAD). */
	version: number;
	iv: Uint8Array;
	/** Ciphertext followed by the 16-byte GCM tag. */
	ciphertext: Uint8Array;
}

/** Throws unless `id` is a usable record id; returns its UTF-8 bytes. */
export function checkRecordId(id: string, field = 'id'): Buffer {
	if (typeof id !== 'string' || id.length === 0) {
		throw new InvalidInputError(field, 'a record id must be a non-empty string');
	}
	const bytes = Buffer.from(id, 'utf8');
	if (bytes.length > MAX_RECORD_ID_BYTES || bytes.toString('utf8') !== id) {
		throw new InvalidInputError(
			field,
			`a record id must be valid UTF-8 of at most ${MAX_RECORD_ID_BYTES} bytes`,
		);
	}
	return bytes;
}

function checkVersion(version: number): void {
	if (!Number.isSafeInteger(version) || version < 1) {
		throw new InvalidInputError(
			'version',
			`a record version is an integer 1..2^53-1, not ${version}`,
		);
	}
}

/** domain ‖ vault id ‖ epoch (u32 BE) ‖ version (u64 BE) ‖ id length (u16 BE) ‖ id. */
export function recordAad(vaultId: Uint8Array, epoch: number, id: string, version: number): Buffer {
	const idBytes = checkRecordId(id);
	checkVersion(version);
	const head = Buffer.alloc(14);
	head.writeUInt32BE(epoch, 0);
	head.writeBigUInt64BE(BigInt(version), 4);
	head.writeUInt16BE(idBytes.length, 12);
	return Buffer.concat([AAD_DOMAIN, vaultId, head, idBytes]);
}

export function encryptRecord(
	key: Uint8Array,
	vaultId: Uint8Array,
	epoch: number,
	id: string,
	plaintext: Uint8Array,
	version: number,
): SealedRecord {
	const aad = recordAad(vaultId, epoch, id, version);
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv('aes-256-gcm', key, iv);
	cipher.setAAD(aad);
	const body = cipher.update(plaintext);
	const final = cipher.final();
	const tag = cipher.getAuthTag();
	return { id, epoch, version, iv, ciphertext: Buffer.concat([body, final, tag]) };
}

/** The plaintext, or VaultRecordTamperedError when anything bound to the record changed. */
export function decryptRecord(
	key: Uint8Array,
	vaultId: Uint8Array,
	record: SealedRecord,
): Uint8Array {
	const tampered = (why: string, cause?: unknown) =>
		new VaultRecordTamperedError(
			record.id,
			record.epoch,
			`record '${record.id}' (epoch ${record.epoch}, version ${record.version}) ${why}: it was modified, or moved from another id, epoch, version or vault; its contents cannot be trusted`,
			cause === undefined ? {} : { cause },
		);
	if (record.iv.length !== IV_BYTES) throw tampered(`has a ${record.iv.length}-byte IV`);
	if (record.ciphertext.length < TAG_BYTES) throw tampered('is shorter than its GCM tag');
	const body = record.ciphertext.subarray(0, record.ciphertext.length - TAG_BYTES);
	const tag = record.ciphertext.subarray(record.ciphertext.length - TAG_BYTES);
	let plain: Buffer | undefined;
	try {
		const decipher = createDecipheriv('aes-256-gcm', key, record.iv, { authTagLength: TAG_BYTES });
		decipher.setAAD(recordAad(vaultId, record.epoch, record.id, record.version));
		decipher.setAuthTag(tag);
		plain = decipher.update(body);
		// GCM gives all plaintext from update(); final() only checks the tag.
		decipher.final();
		// A plain Uint8Array view (callers compare and zero it; no Buffer pool surprises).
		return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
	} catch (error) {
		// Plaintext that failed authentication never stays in memory.
		plain?.fill(0);
		throw tampered('failed authentication', error);
	}
}
