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

// === keyserver ===

/** Error names Mysten's Seal key server returns in `{error, message}` bodies (SEAL_NOTES §1.6). */
export type KeyServerErrorName =
	| 'InvalidPTB'
	| 'InvalidPackage'
	| 'NoAccess'
	| 'InvalidCertificate'
	| 'InvalidSignature'
	| 'InvalidSessionSignature'
	| 'InvalidParameter'
	| 'InvalidMVRName'
	| 'InvalidSDKVersion'
	| 'MissingRequiredHeader'
	| 'InvalidServiceId'
	| 'UnsupportedPackageId'
	| 'DeprecatedSDKVersion'
	| 'Failure';

/**
 * A key-server request was refused. `errorName` and `wireMessage` are exactly what goes on the
 * wire (Mysten's names and texts); the HTTP status follows from `errorName`.
 */
export class KeyServerRequestError extends HarnessError {
	override name = 'KeyServerRequestError';
	readonly errorName: KeyServerErrorName;
	readonly wireMessage: string;
	constructor(
		errorName: KeyServerErrorName,
		wireMessage: string,
		options: HarnessErrorOptions = {},
	) {
		super(`${errorName}: ${wireMessage}`, options);
		this.errorName = errorName;
		this.wireMessage = wireMessage;
	}
}

/** The approval PTB breaks a key-server rule; `detail` says which one (Mysten's wording). */
export class InvalidPtbError extends KeyServerRequestError {
	override name = 'InvalidPtbError';
	readonly detail: string;
	constructor(detail: string, options: HarnessErrorOptions = {}) {
		super('InvalidPTB', `Invalid PTB: ${detail}`, options);
		this.detail = detail;
	}
}

/** The key server could not start (port in use, bad listen address). */
export class KeyServerStartError extends HarnessError {
	override name = 'KeyServerStartError';
}

// === seal/ (Seal flows) ===

/** The key servers refused the keys: the policy's `seal_approve` aborted for this sender. */
export class SealAccessDeniedError extends HarnessError {
	override name = 'SealAccessDeniedError';
}

/** The session key expired (or the server's clock disagrees); create a new one and retry. */
export class SessionKeyExpiredError extends HarnessError {
	override name = 'SessionKeyExpiredError';
}

/**
 * A key-server failure other than a denial. `kind` is the Seal SDK error class name (or
 * `Unreachable` when no answer came back); the message says what to do.
 */
export class SealKeyServerError extends HarnessError {
	override name = 'SealKeyServerError';
	readonly kind: string;
	constructor(kind: string, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.kind = kind;
	}
}

/** A just-created object stayed invisible to a key server's full node after bounded retries. */
export class SealObjectNotVisibleError extends HarnessError {
	override name = 'SealObjectNotVisibleError';
	readonly attempts: number;
	constructor(attempts: number, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.attempts = attempts;
	}
}

// === localnet/ ===

/** A localnet part (node, faucet, key server) failed to start or answer in time. */
export class LocalnetError extends HarnessError {
	override name = 'LocalnetError';
	readonly part: string;
	constructor(part: string, message: string, options: HarnessErrorOptions = {}) {
		super(`${part}: ${message}`, options);
		this.part = part;
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

// === core library: ciphertext formats (format.ts, envelope*.ts, wallet-key.ts) ===

/** Root of every error raised while reading or decrypting a blob this library wrote. */
export class FormatError extends HarnessError {
	override name = 'FormatError';
}

/** The input ends before the format says it should (cut-off file, dropped final chunk). */
export class TruncatedInputError extends FormatError {
	override name = 'TruncatedInputError';
}

/** The first byte is not a known format tag and no legacy interpretation matched. */
export class UnknownFormatTagError extends FormatError {
	override name = 'UnknownFormatTagError';
	readonly tag: number;
	constructor(tag: number, message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
		this.tag = tag;
	}
}

/** The bytes carry a known tag but their structure is invalid (bad lengths, versions, fields). */
export class MalformedCiphertextError extends FormatError {
	override name = 'MalformedCiphertextError';
}

/** Authentication failed: wrong key, or the bytes were tampered with or reordered. */
export class DecryptionFailedError extends FormatError {
	override name = 'DecryptionFailedError';
}

// === core library: access log (audit.ts) ===

/** An existing access log cannot be appended to (broken chain, unreadable file). */
export class AuditLogError extends HarnessError {
	override name = 'AuditLogError';
}

/** Who holds an access log's writer lock (from its `.lock` file). */
export interface AuditLockHolder {
	pid: number;
	host: string;
	/** ISO 8601 time the lock was taken. */
	since: string;
}

/** Another writer holds the log's lock; `holder` is undefined when the lock file is unreadable. */
export class AuditLogLockedError extends AuditLogError {
	override name = 'AuditLogLockedError';
	readonly lockPath: string;
	readonly holder: AuditLockHolder | undefined;
	constructor(
		lockPath: string,
		holder: AuditLockHolder | undefined,
		message: string,
		options: HarnessErrorOptions = {},
	) {
		super(message, options);
		this.lockPath = lockPath;
		this.holder = holder;
	}
}

// === Sui plumbing: signer.ts, transactions.ts, deployments.ts, move/publish.ts, policies/ ===

/** No signing key could be loaded; the message says which variable or file to set up. */
export class SignerError extends HarnessError {
	override name = 'SignerError';
}

/**
 * A transaction was refused or failed on chain. `digest` is undefined when it failed before
 * submission (the pre-execution simulation); `kind` is the SDK's execution error kind
 * (`MoveAbort`, `InsufficientGas`, ...) or `Unknown`.
 */
export class TransactionFailedError extends HarnessError {
	override name = 'TransactionFailedError';
	readonly digest: string | undefined;
	readonly kind: string;
	readonly command: number | undefined;
	constructor(
		message: string,
		details: { digest: string | undefined; kind: string; command?: number | undefined },
		options: HarnessErrorOptions = {},
	) {
		super(message, options);
		this.digest = details.digest;
		this.kind = details.kind;
		this.command = details.command;
	}
}

/** Structured facts about a Move abort, as the Sui client reports them. */
export interface MoveAbortDetails {
	digest: string | undefined;
	command: number | undefined;
	packageId: string | undefined;
	module: string | undefined;
	functionName: string | undefined;
	/** The raw u64 abort code as a decimal string. */
	abortCode: string;
	/** `#[error]` constant name (gRPC/GraphQL transports; JSON-RPC leaves it undefined). */
	constantName: string | undefined;
	/** `#[error(code = N)]` code, from the clever error or decoded from the abort code. */
	errorCode: number | undefined;
}

/** A Move abort that has no more specific class (an unknown module or constant). */
export class MoveAbortError extends TransactionFailedError {
	override name = 'MoveAbortError';
	readonly packageId: string | undefined;
	readonly module: string | undefined;
	readonly functionName: string | undefined;
	readonly abortCode: string;
	readonly constantName: string | undefined;
	readonly errorCode: number | undefined;
	constructor(message: string, details: MoveAbortDetails, options: HarnessErrorOptions = {}) {
		super(
			message,
			{ digest: details.digest, kind: 'MoveAbort', command: details.command },
			options,
		);
		this.packageId = details.packageId;
		this.module = details.module;
		this.functionName = details.functionName;
		this.abortCode = details.abortCode;
		this.constantName = details.constantName;
		this.errorCode = details.errorCode;
	}
}

/** `allowlist::EWrongCap`: the cap administers a different allowlist. */
export class WrongCapError extends MoveAbortError {
	override name = 'WrongCapError';
}

/** `allowlist::EDuplicateMember`: the address is already a member. */
export class DuplicateMemberError extends MoveAbortError {
	override name = 'DuplicateMemberError';
}

/** `allowlist::ENotMember`: the address is not a member. */
export class NotMemberError extends MoveAbortError {
	override name = 'NotMemberError';
}

/** `allowlist::ENoAccess` / `owner::ENoAccess`: `seal_approve` denied the sender. */
export class PolicyNoAccessError extends MoveAbortError {
	override name = 'PolicyNoAccessError';
}

/** `allowlist::EWrongVersion`: the object's version differs from the package's; migrate it. */
export class WrongVersionError extends MoveAbortError {
	override name = 'WrongVersionError';
}

/** `allowlist::EAlreadyMigrated`: the object is already at the package's version. */
export class AlreadyMigratedError extends MoveAbortError {
	override name = 'AlreadyMigratedError';
}

/** `deployments/<network>.json` is unreadable or has a missing or malformed field. */
export class DeploymentRecordError extends HarnessError {
	override name = 'DeploymentRecordError';
	readonly file: string;
	readonly field: string | undefined;
	constructor(
		file: string,
		field: string | undefined,
		message: string,
		options: HarnessErrorOptions = {},
	) {
		super(`${file}${field ? ` (field ${field})` : ''}: ${message}`, options);
		this.file = file;
		this.field = field;
	}
}

/** Publishing or upgrading the Move package failed or was refused. */
export class PublishError extends HarnessError {
	override name = 'PublishError';
}

/** The built package is identical to the recorded one; re-run with --force to publish anyway. */
export class PackageUnchangedError extends PublishError {
	override name = 'PackageUnchangedError';
}

/** An object read from chain is missing or is not what the caller said it was. */
export class ObjectReadError extends HarnessError {
	override name = 'ObjectReadError';
	readonly objectId: string;
	constructor(objectId: string, message: string, options: HarnessErrorOptions = {}) {
		super(`${objectId}: ${message}`, options);
		this.objectId = objectId;
	}
}

// === move/ (Move build and unit-test toolchain: build.ts, test-runner.ts) ===

/** One Move compiler diagnostic, located in a source file (path as printed, line, column). */
export interface MoveDiagnostic {
	readonly severity: 'error' | 'warning';
	/** Compiler code, e.g. `E04007`. */
	readonly code: string;
	readonly message: string;
	readonly file: string;
	readonly line: number;
	readonly column: number;
}

/** The Move compiler rejected the package. `diagnostics` give file and line of each error. */
export class MoveBuildError extends HarnessError {
	override name = 'MoveBuildError';
	readonly toolchain: 'sui-cli' | 'wasm';
	readonly diagnostics: readonly MoveDiagnostic[];
	/** The compiler's full report (source excerpts), for printing. */
	readonly output: string;
	constructor(
		toolchain: 'sui-cli' | 'wasm',
		diagnostics: readonly MoveDiagnostic[],
		output: string,
		options: HarnessErrorOptions = {},
	) {
		const errors = diagnostics.filter((d) => d.severity === 'error');
		const located = errors
			.map((d) => `${d.file}:${d.line}:${d.column}: error[${d.code}]: ${d.message}`)
			.join('\n');
		super(
			`Move build failed (${toolchain}, ${errors.length} error${errors.length === 1 ? '' : 's'}):\n` +
				`${located || output.trim()}\nFix the Move sources above and build again.`,
			options,
		);
		this.toolchain = toolchain;
		this.diagnostics = diagnostics;
		this.output = output;
	}
}

/** The Move toolchain itself failed (crashed, could not load, could not resolve dependencies). */
export class MoveToolchainError extends HarnessError {
	override name = 'MoveToolchainError';
	readonly toolchain: 'sui-cli' | 'wasm';
	constructor(toolchain: 'sui-cli' | 'wasm', message: string, options: HarnessErrorOptions = {}) {
		super(`${toolchain}: ${message}`, options);
		this.toolchain = toolchain;
	}
}

// === vault/ (records vault) ===

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
