/**
 * Rows of the vault schema (same column names in SQLite and PostgreSQL) → storage types. Byte
 * columns come back as plain `Uint8Array` (node:sqlite) or `Buffer` (pg); Buffers are copied into
 * plain arrays so both adapters return the same type. A value no vault writes (an altered
 * database) is a VaultDatabaseError naming the column, never a bare SyntaxError or RangeError.
 */
import { VaultDatabaseError } from './errors.js';
import type { SealedRecord } from './record-cipher.js';
import type { EpochRow, VaultMeta, VaultPolicy } from './storage.js';

type Row = Record<string, unknown>;

function corrupt(column: string, why: string): VaultDatabaseError {
	return new VaultDatabaseError(
		'corrupt',
		`the vault database's ${column} ${why}: the database was altered or damaged; restore it from a backup`,
	);
}

function bytes(value: unknown, column: string): Uint8Array {
	if (!(value instanceof Uint8Array)) throw corrupt(column, 'is not bytes');
	return Object.getPrototypeOf(value) === Uint8Array.prototype ? value : new Uint8Array(value);
}

/** An integer column in 0..max (pg returns BIGINT as a string). */
function integer(value: unknown, column: string, max = Number.MAX_SAFE_INTEGER): number {
	const n = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
	if (typeof n !== 'number' && typeof n !== 'bigint') throw corrupt(column, 'is not an integer');
	if (!(Number.isSafeInteger(Number(n)) && Number(n) >= 0 && Number(n) <= max)) {
		throw corrupt(column, `is ${String(value)}, outside 0..${max}`);
	}
	return Number(n);
}

/** Epochs are u32 (they are bound as 4 bytes into identities and AADs). */
const MAX_EPOCH = 2 ** 32 - 1;

function text(value: unknown, column: string): string {
	if (typeof value !== 'string') throw corrupt(column, 'is not text');
	return value;
}

function stringList(value: unknown, column: string): string[] {
	let parsed: unknown;
	try {
		parsed = JSON.parse(text(value, column));
	} catch {
		throw corrupt(column, 'is not a JSON list');
	}
	if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) {
		throw corrupt(column, 'is not a JSON list of strings');
	}
	return parsed;
}

/** A JSON list of epochs (each a u32). */
function epochList(value: unknown, column: string): number[] {
	let parsed: unknown;
	try {
		parsed = JSON.parse(text(value, column));
	} catch {
		throw corrupt(column, 'is not a JSON list');
	}
	if (!Array.isArray(parsed)) throw corrupt(column, 'is not a JSON list of epochs');
	return parsed.map((epoch) => integer(epoch, column, MAX_EPOCH));
}

export function metaRow(row: Row): VaultMeta {
	const policy = text(row.policy, 'vault_meta.policy');
	if (policy !== 'allowlist' && policy !== 'owner') {
		throw corrupt('vault_meta.policy', `is '${policy}', not allowlist or owner`);
	}
	return {
		vaultId: bytes(row.vault_id, 'vault_meta.vault_id'),
		policy: policy as VaultPolicy,
		target: text(row.target, 'vault_meta.target'),
		packageId: text(row.package_id, 'vault_meta.package_id'),
		threshold: integer(row.threshold, 'vault_meta.threshold'),
		servers: stringList(row.servers, 'vault_meta.servers'),
		createdAtMs: integer(row.created_at, 'vault_meta.created_at'),
	};
}

export function epochRow(row: Row): EpochRow {
	return {
		epoch: integer(row.epoch, 'vault_epochs.epoch', MAX_EPOCH),
		sealedKey: bytes(row.sealed_key, 'vault_epochs.sealed_key'),
		members: row.members === null ? undefined : stringList(row.members, 'vault_epochs.members'),
		createdAtMs: integer(row.created_at, 'vault_epochs.created_at'),
		prevHash: bytes(row.prev_hash, 'vault_epochs.prev_hash'),
		commitment: bytes(row.commitment, 'vault_epochs.commitment'),
		retired: epochList(row.retired, 'vault_epochs.retired'),
		resealing: epochList(row.resealing, 'vault_epochs.resealing'),
	};
}

export function sealedRecord(row: Row): SealedRecord {
	return {
		id: text(row.id, 'vault_records.id'),
		epoch: integer(row.epoch, 'vault_records.epoch', MAX_EPOCH),
		version: integer(row.version, 'vault_records.version'),
		iv: bytes(row.iv, 'vault_records.iv'),
		ciphertext: bytes(row.ciphertext, 'vault_records.ciphertext'),
	};
}
