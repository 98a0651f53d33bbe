/**
 * Failures inside envelope operations map onto the library's error tree (issue 13, defects 3
 * and 5): SDK classes, curve-library `Error`s, network failures and non-Error rejections.
 */
import { DecryptionError, InvalidCiphertextError, NoAccessError } from '@mysten/seal';
import { describe, expect, it } from 'vitest';

import { streamError, unsealError } from '../../../ts/crypto/envelope-errors.js';
import type { EnvelopeHeader } from '../../../ts/crypto/envelope-header.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError } from '../../../ts/crypto/errors.js';
import { SealAccessDeniedError, SealKeyServerError } from '../../../ts/crypto/seal-errors.js';

const header = {
	threshold: 2,
	servers: [{ objectId: `0x${'a1'.repeat(32)}`, weight: 1 }],
} as EnvelopeHeader;

describe('unsealError', () => {
	it('non-Error rejections (the SDK rejects with undefined) become SealKeyServerError', () => {
		for (const value of [undefined, null, 'text', 42]) {
			const error = unsealError(value, header);
			expect(error).toBeInstanceOf(SealKeyServerError);
			expect((error as SealKeyServerError).kind).toBe('NoKeyForIdentity');
			expect(error.cause).toBe(value);
		}
	});

	it('SDK classes are explained with the original as cause', () => {
		const denied = new NoAccessError('denied');
		expect(unsealError(denied, header)).toBeInstanceOf(SealAccessDeniedError);
		expect(unsealError(denied, header).cause).toBe(denied);
		expect(unsealError(new InvalidCiphertextError('bad'), header)).toBeInstanceOf(
			MalformedCiphertextError,
		);
		expect(unsealError(new DecryptionError('bad'), header)).toBeInstanceOf(DecryptionFailedError);
	});

	it('a plain Error from parsing the sealed key is MalformedCiphertextError', () => {
		const curve = new Error('Invalid G2 point');
		const error = unsealError(curve, header);
		expect(error).toBeInstanceOf(MalformedCiphertextError);
		expect(error.message).toMatch(/Invalid G2 point/);
		expect(error.cause).toBe(curve);
	});

	it('fetch failures and timeouts mean unreachable key servers, not a bad envelope', () => {
		for (const network of [
			new TypeError('fetch failed'),
			Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
			Object.assign(new Error('aborted'), { name: 'AbortError' }),
		]) {
			const error = unsealError(network, header);
			expect(error).toBeInstanceOf(SealKeyServerError);
			expect((error as SealKeyServerError).kind).toBe('Unreachable');
		}
	});

	it('library errors pass unchanged', () => {
		const typed = new TruncatedInputError('cut');
		expect(unsealError(typed, header)).toBe(typed);
		expect(streamError(typed)).toBe(typed);
	});
});

describe('streamError', () => {
	it('anything else from the input stream is InvalidInputError with the cause', () => {
		const io = new Error('EIO');
		expect(streamError(io)).toBeInstanceOf(InvalidInputError);
		expect(streamError(io).cause).toBe(io);
		expect(streamError(undefined).message).toMatch(/could not be read: undefined/);
	});
});
