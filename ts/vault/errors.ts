/**
 * The records vault's own error classes, all rooted in VaultError (below): integrity
 * failures a database writer can cause, keys dropped under an operation, records over the size
 * limit.
 */
import { InvalidInputError, type HarnessErrorOptions, HarnessError } from '../errors.js';

/** Root of the records vault's own errors. */
export class VaultError extends HarnessError {
	override name = 'VaultError';
}

/**
 * A record failed authentication: its IV, tag, ciphertext or bound fields (vault id, epoch,
 * record id) were changed, or it was copied to another id, epoch or vault. Never returned as data.
 */
export class VaultRecordTamperedError extends VaultError {
	override name = 'VaultRecordTamperedError';
	readonly recordId: string;
	readonly epoch: number;
	constructor(recordId: string, epoch: number, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.recordId = recordId;
		this.epoch = epoch;
	}
}

/** A record names an epoch the vault has no sealed key for. */
export class VaultUnknownEpochError extends VaultError {
	override name = 'VaultUnknownEpochError';
	readonly epoch: number;
	constructor(epoch: number, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.epoch = epoch;
	}
}

/** Why a vault database cannot be used. */
export type VaultDatabaseProblem =
	'missing' | 'exists' | 'truncated' | 'foreign' | 'corrupt' | 'schema' | 'locked' | 'unavailable';

/**
 * The vault's database cannot be opened or written: missing, truncated, not a vault, a newer
 * schema, locked by another process, or the server is unreachable. Nothing was written.
 */
export class VaultDatabaseError extends VaultError {
	override name = 'VaultDatabaseError';
	readonly problem: VaultDatabaseProblem;
	constructor(problem: VaultDatabaseProblem, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.problem = problem;
	}
}

/** Another process holds the vault's write lock longer than the busy timeout. */
export class VaultLockedError extends VaultDatabaseError {
	override name = 'VaultLockedError';
	constructor(message: string, options: HarnessErrorOptions = {}) {
		super('locked', message, options);
	}
}

/** What an integrity check of the vault's epochs, metadata or records found. */
export type VaultIntegrityProblem =
	/** The pinned epoch's row (or the metadata it covers) differs from the pin. */
	| 'pin-mismatch'
	/** The pinned epoch, or an epoch this process saw, is no longer in the database. */
	| 'epoch-deleted'
	/** An epoch row is not committed to by the previous epoch's key, or the chain is broken. */
	| 'epoch-forged'
	/** A record is older than one this process already read or wrote. */
	| 'rollback';

/**
 * The database does not match what the vault's members wrote: an epoch was inserted, replaced
 * or deleted, the metadata edited, or a record rolled back. Nothing was read or written with it.
 */
export class VaultIntegrityError extends VaultError {
	override name = 'VaultIntegrityError';
	readonly problem: VaultIntegrityProblem;
	constructor(problem: VaultIntegrityProblem, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.problem = problem;
	}
}

/**
 * An operation needed an epoch key after it was dropped (forgotten, expired, or the vault was
 * closed) and could not get it back. Nothing was written under that key.
 */
export class VaultKeyDroppedError extends VaultError {
	override name = 'VaultKeyDroppedError';
	readonly epoch: number;
	constructor(epoch: number, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.epoch = epoch;
	}
}

/** A record larger than the vault's maximum record size; refused before any work. */
export class VaultRecordTooLargeError extends InvalidInputError {
	override name = 'VaultRecordTooLargeError';
	readonly bytes: number;
	readonly limit: number;
	constructor(field: string, bytes: number, limit: number, options: HarnessErrorOptions = {}) {
		super(
			field,
			`is ${bytes} bytes; a vault record holds at most ${limit} bytes (${limit / 2 ** 20} MiB): split it, or store it with \`seal-policies encrypt --envelope\` and keep only its reference in the vault`,
			options,
		);
		this.bytes = bytes;
		this.limit = limit;
	}
}
