import { HarnessError, type HarnessErrorOptions } from '../errors.js';

/**
 * `seal-policies sui install` could not install a verified `sui`: the release or its asset is
 * missing, the server is unreachable, the download is short or does not match its published
 * digest, or the archive holds no `sui`. Nothing is installed when this is thrown.
 */
export class SuiInstallError extends HarnessError {
	override name = 'SuiInstallError';
	constructor(message: string, options: HarnessErrorOptions = {}) {
		super(message, options);
	}
}
