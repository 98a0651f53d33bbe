/**
 * One error tree for the whole harness. Every error a caller can act on is a subclass of
 * `HarnessError` with a message that says what was wrong and what to do. Secrets (keys, API
 * keys, plaintext) never go into a message.
 *
 * The root of the tree and the cross-cutting classes live here; each wing owns its own classes
 * in its `errors.ts` (e.g. `vault/errors.ts`), all rooted in `HarnessError`.
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

/**
 * The command line itself is wrong (unknown option, missing or malformed argument): the CLI
 * exits 2, as usage errors conventionally do, instead of 1.
 */
export class UsageError extends InvalidInputError {
	override name = 'UsageError';
}

/**
 * A full node, key server or faucet could not be reached (connection refused, unknown host,
 * timeout). The message names which one, at which URL, why, and what to do.
 */
export class EndpointUnreachableError extends HarnessError {
	override name = 'EndpointUnreachableError';
	readonly role: 'full node' | 'key server' | 'faucet';
	readonly endpoint: string;
	constructor(
		role: 'full node' | 'key server' | 'faucet',
		endpoint: string,
		message: string,
		options: HarnessErrorOptions = {},
	) {
		super(`${role} ${endpoint}: ${message}`, options);
		this.role = role;
		this.endpoint = endpoint;
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
export type ConfigSource =
	| 'preset'
	| 'config.yaml'
	| '.env'
	| 'env'
	| 'argument'
	| 'deployment'
	/** A command-line flag, e.g. `--network`. */
	| `--${string}`
	/** A config file other than ./config.yaml (`--config FILE` or `SEAL_CONFIG`). */
	| `file ${string}`;

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

// === core library: config validation (config.ts) ===

/** `network` names no known preset. */
export class UnknownNetworkError extends ConfigError {
	override name = 'UnknownNetworkError';
}

/** An object id, package id or address is not `0x` + 64 hex digits. */
export class InvalidIdError extends ConfigError {
	override name = 'InvalidIdError';
}

/** The same key server is listed twice. */
export class DuplicateKeyServerError extends ConfigError {
	override name = 'DuplicateKeyServerError';
}

/** The threshold is not an integer, is < 1, exceeds the total weight, or is missing. */
export class ThresholdConfigError extends ConfigError {
	override name = 'ThresholdConfigError';
}

/** Seal is needed but no key servers are configured. */
export class MissingKeyServersError extends ConfigError {
	override name = 'MissingKeyServersError';
}

/** A config file is missing, unreadable, not valid YAML, or has unknown keys / wrong types. */
export class ConfigFileError extends ConfigError {
	override name = 'ConfigFileError';
}
