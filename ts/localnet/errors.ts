import { InvalidInputError, type HarnessErrorOptions } from '../errors.js';

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
