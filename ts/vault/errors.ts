/**
 * The records vault's own errors (rooted in VaultError of ts/errors.ts).
 */
import { VaultError, type HarnessErrorOptions } from '../errors.js';

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
