import { InvalidInputError, type HarnessErrorOptions, HarnessError } from '../errors.js';

/** A localnet part (node, faucet, key server) failed to start or answer in time. */
export class LocalnetError extends HarnessError {
	override name = 'LocalnetError';
	readonly part: string;
	constructor(part: string, message: string, options: HarnessErrorOptions = {}) {
		super(`${part}: ${message}`, options);
		this.part = part;
	}
}

/**
 * A `localnet up` topology that cannot be built: a malformed `--committee T-of-N`, a committee
 * threshold Seal's `key_server` module refuses (it needs 2 <= T <= N), a client threshold above
 * the servers' total weight, or a combination the stack cannot run. Raised before anything starts.
 * An `InvalidInputError`, so the CLI reports it as a usage error (exit 2).
 */
export class LocalnetTopologyError extends InvalidInputError {
	override name = 'LocalnetTopologyError';
	constructor(field: string, message: string, options: HarnessErrorOptions = {}) {
		super(field, message, options);
	}
}
