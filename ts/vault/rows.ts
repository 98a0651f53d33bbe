/**
 * Rows of the vault schema (same column names in SQLite and PostgreSQL) → storage types. Byte
 * columns come back as plain `Uint8Array` (node:sqlite) or `Buffer` (pg); Buffers are copied into
 * plain arrays so both adapters return the same type.
 */
import type { SealedRecord } from './record-cipher.js';
import type { EpochRow, VaultMeta, VaultPolicy } from './storage.js';

type Row = Record<string, unknown>;

function bytes(value: unknown): Uint8Array {
	const array = value as Uint8Array;
	return Object.getPrototypeOf(array) === Uint8Array.prototype ? array : new Uint8Array(array);
}

export function metaRow(row: Row): VaultMeta {
	return {
		vaultId: bytes(row.vault_id),
		policy: row.policy as VaultPolicy,
		target: row.target as string,
		packageId: row.package_id as string,
		threshold: Number(row.threshold),
		servers: JSON.parse(row.servers as string) as string[],
		createdAtMs: Number(row.created_at),
	};
}

export function epochRow(row: Row): EpochRow {
	return {
		epoch: Number(row.epoch),
		sealedKey: bytes(row.sealed_key),
		members: row.members === null ? undefined : (JSON.parse(row.members as string) as string[]),
		createdAtMs: Number(row.created_at),
		prevHash: bytes(row.prev_hash),
		commitment: bytes(row.commitment),
		retired: JSON.parse(row.retired as string) as number[],
		resealing: JSON.parse(row.resealing as string) as number[],
	};
}

export function sealedRecord(row: Row): SealedRecord {
	return {
		id: row.id as string,
		epoch: Number(row.epoch),
		version: Number(row.version),
		iv: bytes(row.iv),
		ciphertext: bytes(row.ciphertext),
	};
}
