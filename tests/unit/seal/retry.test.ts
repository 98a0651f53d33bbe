import {
	ExpiredSessionKeyError,
	InternalError,
	InvalidParameterError,
	InvalidPTBError,
	NoAccessError,
} from '@mysten/seal';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { SealAccessDeniedError, SealKeyServerError, SealObjectNotVisibleError, SessionKeyExpiredError } from '../../../ts/crypto/seal-errors.js';
import { explainSealError } from '../../../ts/crypto/seal-errors.js';
import {
	DEFAULT_RETRY_POLICY,
	retryDelayMs,
	withVisibilityRetry,
	type RetryPolicy,
} from '../../../ts/seal/retry.js';

const policy: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 };

describe('visibility retry', () => {
	it('backs off exponentially up to the cap', () => {
		expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(policy, a))).toEqual([0, 100, 200, 250, 250]);
		const total = Array.from({ length: DEFAULT_RETRY_POLICY.attempts }, (_, i) =>
			retryDelayMs(DEFAULT_RETRY_POLICY, i + 1),
		).reduce((a, b) => a + b, 0);
		expect(total).toBeLessThanOrEqual(20_000);
	});

	it('retries InvalidParameter until it succeeds', async () => {
		const slept: number[] = [];
		let calls = 0;
		const value = await withVisibilityRetry(
			async () => {
				calls++;
				if (calls < 3) throw new InvalidParameterError('req');
				return 'keys';
			},
			{ policy, sleep: async (ms) => void slept.push(ms) },
		);
		expect(value).toBe('keys');
		expect(calls).toBe(3);
		expect(slept).toEqual([100, 200]);
	});

	it('gives up after the bounded number of attempts with a clear error', async () => {
		let calls = 0;
		const attempt = withVisibilityRetry(
			async () => {
				calls++;
				throw new InvalidParameterError('req');
			},
			{ policy, sleep: async () => {}, what: 'keys for 2 ids' },
		);
		await expect(attempt).rejects.toThrow(SealObjectNotVisibleError);
		await expect(attempt).rejects.toThrow(/keys for 2 ids after 4 attempts/);
		expect(calls).toBe(4);
	});

	it('does not retry other errors', async () => {
		let calls = 0;
		await expect(
			withVisibilityRetry(
				async () => {
					calls++;
					throw new NoAccessError('req');
				},
				{ policy, sleep: async () => {} },
			),
		).rejects.toThrow(NoAccessError);
		expect(calls).toBe(1);
	});
});

describe('explainSealError', () => {
	it('maps SDK errors to harness errors that say what to do', () => {
		const denied = explainSealError(new NoAccessError('r'), { address: '0xabc' });
		expect(denied).toBeInstanceOf(SealAccessDeniedError);
		expect(denied.message).toMatch(/0xabc/);
		expect(explainSealError(new ExpiredSessionKeyError('r'))).toBeInstanceOf(
			SessionKeyExpiredError,
		);
		const ptb = explainSealError(new InvalidPTBError('r', 'Invalid PTB: Non MoveCall command'));
		expect(ptb).toBeInstanceOf(SealKeyServerError);
		expect((ptb as SealKeyServerError).kind).toBe('InvalidPTB');
		expect((explainSealError(new InternalError('r')) as SealKeyServerError).kind).toBe('Internal');
	});

	it('turns network failures into an unreachable-servers error naming the servers', () => {
		const error = explainSealError(new TypeError('fetch failed'), {
			servers: ['0x1', '0x2'],
			threshold: 2,
		});
		expect(error).toBeInstanceOf(SealKeyServerError);
		expect(error.message).toMatch(/threshold 2 \(0x1, 0x2\)/);
		expect(explainSealError(undefined)).toBeInstanceOf(SealKeyServerError);
	});

	it('passes harness errors through unchanged', () => {
		const original = new InvalidInputError('x', 'bad');
		expect(explainSealError(original)).toBe(original);
	});
});
