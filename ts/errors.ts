/**
 * One error tree for the whole harness. Every error a caller can act on is a subclass of
 * `HarnessError` with a message that says what was wrong and what to do. Secrets (keys, API
 * keys, plaintext) never go into a message.
 *
 * Sections are owned by the module named in their banner; add new classes to the right section.
 */

export interface HarnessErrorOptions {
	cause?: unknown;
}

export class HarnessError extends Error {
	override name = 'HarnessError';
	constructor(message: string, options: HarnessErrorOptions = {}) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
	}
}

// === Input and prerequisites ===

/** A value given by the user (CLI argument, function argument, id) is malformed. */
export class InvalidInputError extends HarnessError {
	override name = 'InvalidInputError';
	readonly field: string;
	constructor(field: string, message: string, options: HarnessErrorOptions = {}) {
		super(`${field}: ${message}`, options);
		this.field = field;
	}
}

/** Something the requested operation needs is not installed or not reachable. */
export class PrerequisiteMissingError extends HarnessError {
	override name = 'PrerequisiteMissingError';
	readonly prerequisite: string;
	constructor(prerequisite: string, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.prerequisite = prerequisite;
	}
}

// === config.ts ===

/** Where a configuration value came from, so errors can point at the file or variable to fix. */
export type ConfigSource = 'preset' | 'config.yaml' | '.env' | 'env' | 'argument' | 'deployment';

export class ConfigError extends HarnessError {
	override name = 'ConfigError';
	readonly field: string;
	readonly source: ConfigSource | undefined;
	constructor(
		field: string,
		source: ConfigSource | undefined,
		message: string,
		options: HarnessErrorOptions = {},
	) {
		super(`${field}${source ? ` (from ${source})` : ''}: ${message}`, options);
		this.field = field;
		this.source = source;
	}
}
