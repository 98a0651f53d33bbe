/** Errors of the access log and its one-writer lock. */
import { HarnessError, type HarnessErrorOptions } from '../errors.js';

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
