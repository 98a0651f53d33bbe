/**
 * The records vault's own error classes (the shared ones, VaultError and VaultDatabaseError,
 * live in ts/errors.ts).
 */
import { InvalidInputError, VaultError, type HarnessErrorOptions } from '../errors.js';

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
