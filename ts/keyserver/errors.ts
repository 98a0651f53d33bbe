/**
 * Errors of the key-server wing: Permissioned-mode configuration, committee member mode and the
 * aggregator. They extend the shared tree in ts/errors.ts; secrets (seeds, shares, API keys) never
 * go into a message.
 */
import { InvalidInputError, HarnessError, type HarnessErrorOptions } from '../errors.js';

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

/**
 * A Permissioned-mode `client_configs` breaks one of upstream's rules (`KeyServerOptions::validate`
 * or `MasterKeys::load` in MystenLabs/seal crates/key-server/src); `rule` is upstream's message,
 * word for word, so an operator can search for it in Mysten's docs and sources.
 */
export class PermissionedConfigError extends InvalidInputError {
	override name = 'PermissionedConfigError';
	readonly rule: string;
	constructor(rule: string, hint: string) {
		super('server_mode.client_configs', `${rule} (${hint})`);
		this.rule = rule;
	}
}

/** The committee `KeyServer` (or its committee) cannot be read from chain, or has the wrong shape. */
export class CommitteeChainError extends KeyServerStartError {
	override name = 'CommitteeChainError';
}

/** A committee member's `MASTER_SHARE_V<n>` is missing, malformed or inconsistent with the config. */
export class CommitteeShareError extends KeyServerStartError {
	override name = 'CommitteeShareError';
}

/** The share's public key is not this member's `partial_pk` on chain: the member must not serve. */
export class CommitteeShareMismatchError extends CommitteeShareError {
	override name = 'CommitteeShareMismatchError';
	readonly memberAddress: string;
	readonly version: number;
	constructor(memberAddress: string, version: number) {
		super(
			`MASTER_SHARE_V${version}: its public key does not match the on-chain partial public key of ` +
				`member ${memberAddress} (committee version ${version}); check the share and member_address`,
		);
		this.memberAddress = memberAddress;
		this.version = version;
	}
}
