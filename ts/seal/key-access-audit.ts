/**
 * Records key-server fetches in an access log (`ts/audit/log.ts`): one entry per identity per
 * `fetchKeys` attempt, written and fsynced BEFORE any plaintext is produced from the keys, so a
 * log that cannot be written stops the decryption. Only ids, the threshold, an outcome and an
 * error class name are recorded; keys, plaintext and session keys never reach the recorder.
 */
import { NoAccessError } from '@mysten/seal';
import type { AuditAction, AuditEntry, AuditOutcome } from '../audit/log.js';
import { SealAccessDeniedError } from '../crypto/seal-errors.js';
import { fromHex, fullIdentity } from '../identity.js';

/** Where key accesses go; `AuditLog` satisfies it. `append` must reject if it did not persist. */
export interface KeyAccessRecorder {
	append(entry: AuditEntry): Promise<unknown>;
}

/** What one fetch attempt was about. */
export interface KeyAccessContext {
	action: AuditAction;
	/** Address of the session key that asked. */
	address: string;
	/** Package id the key servers derive keys for (the session key's package). */
	packageId: string;
	/** Inner ids (hex, with or without 0x), one entry each. */
	innerIds: readonly string[];
	/** Key-server object ids per inner id (same order); ids the request was meant for. */
	servers: (innerIdIndex: number) => readonly string[];
	threshold: number;
}

const ERROR_NAME_RE = /^[A-Z][A-Za-z0-9]{0,58}(Error|Exception)$/;

/**
 * Runs one key fetch and records its outcome for every identity in `context`. The fetch's own
 * error is rethrown unchanged after it is recorded; a recorder failure is thrown instead of
 * (or after) the fetch result, so callers never go on without a durable record.
 */
export async function auditedFetch(
	recorder: KeyAccessRecorder | undefined,
	context: KeyAccessContext,
	fetch: () => Promise<void>,
): Promise<void> {
	if (recorder === undefined) return fetch();
	try {
		await fetch();
	} catch (error) {
		await record(recorder, context, outcomeOf(error), errorNameOf(error));
		throw error;
	}
	await record(recorder, context, 'granted', undefined);
}

/** `denied` when the key servers' policy said no; `error` for anything else. */
export function outcomeOf(error: unknown): AuditOutcome {
	return error instanceof NoAccessError || error instanceof SealAccessDeniedError
		? 'denied'
		: 'error';
}

/**
 * The error's class name (`NoAccessError`, `InvalidParameterError`, `SealKeyServerError`...);
 * `UnknownError` for values that are not errors (the SDK rejects with `undefined` when no key
 * server produced a valid key).
 */
export function errorNameOf(error: unknown): string {
	if (error instanceof Error) {
		for (const name of [error.constructor.name, error.name]) {
			if (ERROR_NAME_RE.test(name)) return name;
		}
	}
	return 'UnknownError';
}

async function record(
	recorder: KeyAccessRecorder,
	context: KeyAccessContext,
	outcome: AuditOutcome,
	errorName: string | undefined,
): Promise<void> {
	// Sequential appends keep the log in request order.
	for (const [index, innerId] of context.innerIds.entries()) {
		await recorder.append({
			action: context.action,
			address: context.address,
			identity: fullIdentity(context.packageId, fromHex(innerId, 'innerId')),
			keyServers: context.servers(index),
			threshold: context.threshold,
			outcome,
			...(errorName === undefined ? {} : { errorName }),
		});
	}
}
