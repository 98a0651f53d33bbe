/**
 * Turns Seal SDK failures into harness errors whose message says what happened and what to do.
 * The SDK's `NoAccessError` carries no abort detail; to learn which check failed, simulate the
 * approval PTB directly.
 */
import {
	DecryptionError,
	DeprecatedSDKVersionError,
	ExpiredSessionKeyError,
	GeneralError,
	InconsistentKeyServersError,
	InternalError,
	InvalidCiphertextError,
	InvalidKeyServerError,
	InvalidKeyServerVersionError,
	InvalidPackageError,
	InvalidPTBError,
	InvalidThresholdError,
	InvalidUserSignatureError,
	InvalidSessionKeySignatureError,
	NoAccessError,
	SealError,
	UserError,
} from '@mysten/seal';
import { HarnessError, type HarnessErrorOptions } from '../errors.js';
import { DecryptionFailedError, MalformedCiphertextError } from './errors.js';

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

export interface ExplainContext {
	/** Who asked (the session-key address). */
	address?: string;
	/** Key-server object ids that were asked, for "check they are running". */
	servers?: readonly string[];
	threshold?: number;
}

/** A HarnessError for `error` (returned unchanged when it already is one). */
export function explainSealError(error: unknown, context: ExplainContext = {}): HarnessError {
	if (error instanceof HarnessError) return error;
	const who = context.address ? ` ${context.address}` : '';
	const servers = context.servers?.length ? ` (${context.servers.join(', ')})` : '';
	const options = { cause: error };
	if (error instanceof NoAccessError) {
		return new SealAccessDeniedError(
			`key servers refused access: the policy denied${who || ' the sender'} (not a member of the allowlist, or not the identity's owner). Ask the allowlist admin to add the address, or decrypt with the right account`,
			options,
		);
	}
	if (error instanceof ExpiredSessionKeyError) {
		return new SessionKeyExpiredError(
			'the session key expired (or the key server clock is behind ours); create a new session key and retry',
			options,
		);
	}
	if (error instanceof InvalidPTBError) {
		return new SealKeyServerError(
			'InvalidPTB',
			`key server rejected the approval PTB (${error.message}); the package id may be wrong or not contain seal_approve`,
			options,
		);
	}
	if (error instanceof InvalidPackageError) {
		return new SealKeyServerError(
			'InvalidPackage',
			`the policy package is unknown or not its first version (${error.requestId ?? error.message}); use the ORIGINAL package id from deployments/<network>.json`,
			options,
		);
	}
	if (
		error instanceof InvalidUserSignatureError ||
		error instanceof InvalidSessionKeySignatureError
	) {
		return new SealKeyServerError(
			error.constructor.name,
			'key server rejected the session-key signature; create a new session key with the same account that asks for keys',
			options,
		);
	}
	if (error instanceof InternalError) {
		return new SealKeyServerError(
			'Internal',
			`a key server reported an internal error (often its full node is stale or unreachable)${servers}; retry shortly, or check the node the key server uses`,
			options,
		);
	}
	if (error instanceof DeprecatedSDKVersionError) {
		return new SealKeyServerError(
			'DeprecatedSDKVersion',
			'the key server requires a newer @mysten/seal; upgrade it',
			options,
		);
	}
	if (error instanceof InvalidThresholdError) {
		return new SealKeyServerError(
			'InvalidThreshold',
			`the threshold does not fit the key servers (${error.message}); use 1..total weight of the configured servers, and for decryption the servers and weights the data was encrypted with`,
			options,
		);
	}
	if (error instanceof InconsistentKeyServersError) {
		return new SealKeyServerError(
			'InconsistentKeyServers',
			`the configured key servers do not match the ciphertext (${error.message}); configure the same servers and weights the data was encrypted with`,
			options,
		);
	}
	if (error instanceof InvalidKeyServerError || error instanceof InvalidKeyServerVersionError) {
		return new SealKeyServerError(
			error.constructor.name,
			`a configured key server is invalid (${error.message})${servers}; check the object ids in SEAL_SERVER_IDS / config.yaml`,
			options,
		);
	}
	// The keys arrived; the object itself is bad (forged shares, wrong nonce, failed AEAD).
	if (error instanceof InvalidCiphertextError) {
		return new MalformedCiphertextError(
			`the Seal object is inconsistent (${error.message}): it was damaged or crafted by its encryptor; do not trust its contents`,
			options,
		);
	}
	if (error instanceof DecryptionError) {
		return new DecryptionFailedError(
			`the Seal object's data failed authentication (${error.message}): it was damaged or tampered with`,
			options,
		);
	}
	if (error instanceof UserError) {
		return new SealKeyServerError(
			error.constructor.name,
			`the Seal SDK refused the request before contacting key servers: ${error.message}`,
			options,
		);
	}
	if (error instanceof GeneralError || error instanceof SealError) {
		return new SealKeyServerError(
			error.constructor.name,
			`key server request failed: ${error.message}${servers}`,
			options,
		);
	}
	// Network failures (fetch rejects, timeouts) or the SDK's undefined rejection when no server
	// produced a valid key: not enough key servers answered.
	const need = context.threshold === undefined ? 'the threshold' : `threshold ${context.threshold}`;
	const detail = error instanceof Error ? `: ${error.message}` : '';
	return new SealKeyServerError(
		'Unreachable',
		`not enough key servers answered to reach ${need}${servers}${detail}; check that they are running and reachable (localnet: seal-policies localnet status)`,
		options,
	);
}
