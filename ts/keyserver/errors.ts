/**
 * Errors of the key-server wing that callers act on (committee member mode, aggregator). They
 * extend the shared tree in ts/errors.ts; secrets (shares, API keys) never go into a message.
 */
import { KeyServerStartError } from '../errors.js';

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
