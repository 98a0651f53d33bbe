/**
 * Errors of the key-server wing (ts/keyserver) that the shared ts/errors.ts does not define.
 */
import { InvalidInputError } from '../errors.js';

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
