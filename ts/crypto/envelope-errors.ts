/**
 * Maps whatever the Seal SDK, the input stream or the curve library throws inside an envelope
 * operation onto the library's error tree (the original becomes `cause`), so callers never see
 * a plain `Error`, an SDK class, or a non-Error rejection.
 */
import { SealError } from '@mysten/seal';

import { HarnessError, InvalidInputError } from '../errors.js';
import { MalformedCiphertextError } from './errors.js';
import { SealKeyServerError } from './seal-errors.js';
import type { EnvelopeHeader } from './envelope-header.js';
import { explainSealError } from './seal-errors.js';

/** A failure to unseal the data key (the SDK's `decrypt` of the sealed key). */
export function unsealError(error: unknown, header: EnvelopeHeader): HarnessError {
	if (error instanceof HarnessError) return error;
	const context = {
		servers: header.servers.map((server) => server.objectId),
		threshold: header.threshold,
	};
	// The SDK rejects with `undefined` when the servers answered but returned no key for this
	// identity (its majority error of an empty list).
	if (!(error instanceof Error)) {
		return new SealKeyServerError(
			'NoKeyForIdentity',
			"the key servers answered but released no key for this envelope's identity: build the approval txBytes for header.innerId and the session key for header.packageId",
			{ cause: error },
		);
	}
	if (error instanceof SealError || isNetworkError(error)) return explainSealError(error, context);
	// Anything else comes from parsing or decrypting the sealed key itself (e.g. "Invalid G2
	// point" from the curve library): the sealed key is damaged.
	return new MalformedCiphertextError(
		`the envelope's sealed data key is damaged or was crafted (${error.message}); do not trust this envelope`,
		{ cause: error },
	);
}

/** A failure while streaming: typed errors pass, anything else came from the caller's input. */
export function streamError(error: unknown): HarnessError {
	if (error instanceof HarnessError) return error;
	const detail = error instanceof Error ? error.message : String(error);
	return new InvalidInputError('input', `could not be read: ${detail}`, { cause: error });
}

/** fetch() failures and timeouts: key servers unreachable rather than a bad sealed key. */
function isNetworkError(error: Error): boolean {
	return error instanceof TypeError || error.name === 'AbortError' || error.name === 'TimeoutError';
}
