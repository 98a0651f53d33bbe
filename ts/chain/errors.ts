/**
 * Errors of the Sui plumbing: signers, transactions and their Move aborts, deployment records,
 * object reads.
 */
import { HarnessError, type HarnessErrorOptions } from '../errors.js';

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

/** An object read from chain is missing or is not what the caller said it was. */
export class ObjectReadError extends HarnessError {
	override name = 'ObjectReadError';
	readonly objectId: string;
	constructor(objectId: string, message: string, options: HarnessErrorOptions = {}) {
		super(`${objectId}: ${message}`, options);
		this.objectId = objectId;
	}
}
