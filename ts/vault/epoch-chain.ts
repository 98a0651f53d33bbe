/**
 * Authenticated epochs. Seal encryption needs only public keys, so anyone who can write the
 * database could add an epoch sealed over a key of their choosing; this module makes such rows
 * detectable. Every epoch row has a hash that covers the vault's metadata, the previous row's
 * hash and everything in the row (sealed key, members, retired epochs); epoch N+1's row also
 * carries a MAC of its hash under a key derived from epoch N's key, which only members can unseal.
 * The chain is anchored by a pin the users keep outside the database: `<epoch>:<row hash>`.
 * Rows up to the pinned epoch are checked by hashes alone; rows after it need the MACs.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { toHex } from '../identity.js';
import { VaultIntegrityError } from './errors.js';
import type { EpochRow, VaultMeta } from './storage.js';

export const EPOCH_HASH_BYTES = 32;
const META_DOMAIN = 'seal-policies/vault/meta/v1';
const EPOCH_DOMAIN = 'seal-policies/vault/epoch/v1';
const COMMIT_INFO = 'seal-policies/vault/epoch-commit/v1';

/** The previous hash of epoch 0. */
export const GENESIS_PREV_HASH = new Uint8Array(EPOCH_HASH_BYTES);

const utf8 = new TextEncoder();

/** u32-length-prefixed bytes (a string is its UTF-8). */
function framed(value: Uint8Array | string): Buffer[] {
	const bytes = Buffer.from(typeof value === 'string' ? utf8.encode(value) : value);
	const length = Buffer.alloc(4);
	length.writeUInt32BE(bytes.length);
	return [length, bytes];
}

function u64(value: number): Buffer {
	const out = Buffer.alloc(8);
	out.writeBigUInt64BE(BigInt(value));
	return out;
}

function epochSet(epochs: readonly number[]): string {
	return JSON.stringify([...new Set(epochs)].sort((a, b) => a - b));
}

/** SHA-256 over every field of the metadata (the vault id, policy, target, threshold, servers…). */
export function metaDigest(meta: VaultMeta): Buffer {
	return createHash('sha256')
		.update(
			Buffer.concat([
				...framed(META_DOMAIN),
				...framed(meta.vaultId),
				...framed(meta.policy),
				...framed(meta.target),
				...framed(meta.packageId),
				u64(meta.threshold),
				...framed(JSON.stringify(meta.servers)),
				u64(meta.createdAtMs),
			]),
		)
		.digest();
}

/** The hash of an epoch row (its commitment excluded: that is a MAC of this hash). */
export function epochHash(meta: VaultMeta, row: EpochRow): Buffer {
	return createHash('sha256')
		.update(
			Buffer.concat([
				...framed(EPOCH_DOMAIN),
				...framed(metaDigest(meta)),
				u64(row.epoch),
				...framed(row.prevHash),
				...framed(row.sealedKey),
				...framed(row.members === undefined ? 'null' : JSON.stringify(row.members)),
				u64(row.createdAtMs),
				...framed(epochSet(row.retired)),
				...framed(epochSet(row.resealing)),
			]),
		)
		.digest();
}

/** MAC of epoch N+1's hash under epoch N's key (HKDF-SHA256 with the vault id as salt). */
export function epochCommitment(
	previousKey: Uint8Array,
	meta: VaultMeta,
	hash: Uint8Array,
): Buffer {
	const macKey = Buffer.from(hkdfSync('sha256', previousKey, meta.vaultId, COMMIT_INFO, 32));
	try {
		return createHmac('sha256', macKey).update(hash).digest();
	} finally {
		macKey.fill(0);
	}
}

export function commitmentMatches(
	previousKey: Uint8Array,
	meta: VaultMeta,
	row: EpochRow,
	hash: Uint8Array,
): boolean {
	const expected = epochCommitment(previousKey, meta, hash);
	return (
		row.commitment.length === expected.length &&
		timingSafeEqual(Buffer.from(row.commitment), expected)
	);
}

/** A user-held anchor: the epoch and the hash of its row. */
export interface VaultPin {
	epoch: number;
	hash: Uint8Array;
}

export function formatPin(pin: VaultPin): string {
	return `${pin.epoch}:${toHex(pin.hash)}`;
}

const PIN = /^(0|[1-9][0-9]{0,9}):([0-9a-f]{64})$/;

export function parsePin(text: string, field = 'pin'): VaultPin {
	const match = PIN.exec(text.trim().toLowerCase());
	if (match === null || Number(match[1]) > 0xffffffff) {
		throw new InvalidInputError(
			field,
			'a vault pin is EPOCH:HASH (a number, a colon, 64 hex digits), as printed by vault init, rotate or reseal',
		);
	}
	return { epoch: Number(match[1]), hash: new Uint8Array(Buffer.from(match[2]!, 'hex')) };
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Checks the rows' hash links (rows sorted, from epoch 0) and the pin. Returns each row's hash
 * and how many leading rows the pin (or, trusting on first use, epoch 0) vouches for; the rest
 * still need their MACs checked. Throws VaultIntegrityError when something does not match.
 */
export function checkChainLinks(
	meta: VaultMeta,
	rows: readonly EpochRow[],
	pin: VaultPin | undefined,
): { hashes: Buffer[]; trusted: number } {
	const hashes: Buffer[] = [];
	for (const [i, row] of rows.entries()) {
		if (row.epoch !== i) {
			throw new VaultIntegrityError(
				'epoch-deleted',
				`the vault's epochs are not 0..${rows.length - 1} (epoch ${i} is missing); the database was altered`,
			);
		}
		const prev = i === 0 ? GENESIS_PREV_HASH : hashes[i - 1]!;
		if (!same(row.prevHash, prev)) {
			throw new VaultIntegrityError(
				i === 0 ? 'pin-mismatch' : 'epoch-forged',
				`epoch ${i} does not follow epoch ${i - 1} (its previous-epoch hash differs); the database was altered`,
			);
		}
		hashes.push(epochHash(meta, row));
	}
	if (pin === undefined) return { hashes, trusted: Math.min(1, rows.length) };
	if (pin.epoch >= rows.length) {
		throw new VaultIntegrityError(
			'epoch-deleted',
			`the pin names epoch ${pin.epoch} but the newest epoch in the database is ${rows.length - 1}: epochs were deleted (or the database was restored from an older copy)`,
		);
	}
	if (!same(hashes[pin.epoch]!, pin.hash)) {
		throw new VaultIntegrityError(
			'pin-mismatch',
			`epoch ${pin.epoch} or the vault's metadata differ from the pin (hash ${toHex(hashes[pin.epoch]!)}); the database was altered, or the pin is for another vault`,
		);
	}
	return { hashes, trusted: pin.epoch + 1 };
}
