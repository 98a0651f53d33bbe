/** How one key fetch becomes access-log entries (no key servers needed; see the protocol tier). */
import { InvalidParameterError, NoAccessError } from '@mysten/seal';
import { describe, expect, it } from 'vitest';

import type { AuditEntry } from '../../../ts/audit/log.js';
import { AuditLogError } from '../../../ts/audit/errors.js';
import { SealAccessDeniedError } from '../../../ts/crypto/seal-errors.js';
import {
	auditedFetch,
	errorNameOf,
	outcomeOf,
	type KeyAccessContext,
	type KeyAccessRecorder,
} from '../../../ts/seal/key-access-audit.js';

const PKG = `0x${'ab'.repeat(32)}`;
const USER = `0x${'01'.repeat(32)}`;
const S1 = `0x${'0a'.repeat(32)}`;
const S2 = `0x${'0b'.repeat(32)}`;

class MemoryRecorder implements KeyAccessRecorder {
	readonly entries: AuditEntry[] = [];
	async append(entry: AuditEntry): Promise<void> {
		this.entries.push(entry);
	}
}

const context: KeyAccessContext = {
	action: 'decrypt',
	address: USER,
	packageId: PKG,
	innerIds: ['c1c1', '0xd2d2d2'],
	servers: (i) => (i === 0 ? [S1] : [S1, S2]),
	threshold: 1,
};

const hex = (value: Uint8Array | string) =>
	typeof value === 'string' ? value : Buffer.from(value).toString('hex');

describe('auditedFetch', () => {
	it('without a recorder just runs the fetch', async () => {
		let ran = 0;
		await auditedFetch(undefined, context, async () => void ran++);
		expect(ran).toBe(1);
		const failure = new NoAccessError('r');
		await expect(auditedFetch(undefined, context, () => Promise.reject(failure))).rejects.toBe(
			failure,
		);
	});

	it('granted: one entry per identity, full identity, that identity’s servers', async () => {
		const recorder = new MemoryRecorder();
		await auditedFetch(recorder, context, async () => {});
		expect(recorder.entries.map((e) => hex(e.identity))).toEqual([
			`${'ab'.repeat(32)}c1c1`,
			`${'ab'.repeat(32)}d2d2d2`,
		]);
		expect(recorder.entries.map((e) => e.keyServers)).toEqual([[S1], [S1, S2]]);
		for (const entry of recorder.entries) {
			expect(entry).toMatchObject({
				action: 'decrypt',
				address: USER,
				threshold: 1,
				outcome: 'granted',
			});
			expect('errorName' in entry).toBe(false);
		}
	});

	it('a failed fetch is recorded, then rethrown unchanged', async () => {
		const recorder = new MemoryRecorder();
		const failure = new NoAccessError('req');
		await expect(auditedFetch(recorder, context, () => Promise.reject(failure))).rejects.toBe(
			failure,
		);
		expect(recorder.entries.map((e) => [e.outcome, e.errorName])).toEqual([
			['denied', 'NoAccessError'],
			['denied', 'NoAccessError'],
		]);
	});

	it('a recorder failure is never swallowed, whatever the fetch did', async () => {
		const broken: KeyAccessRecorder = {
			append: () => Promise.reject(new AuditLogError('disk full')),
		};
		await expect(auditedFetch(broken, context, async () => {})).rejects.toThrow(AuditLogError);
		await expect(
			auditedFetch(broken, context, () => Promise.reject(new InvalidParameterError('r'))),
		).rejects.toThrow(AuditLogError);
	});
});

describe('outcome and error name', () => {
	it('denied only for a policy refusal', () => {
		expect(outcomeOf(new NoAccessError('r'))).toBe('denied');
		expect(outcomeOf(new SealAccessDeniedError('no'))).toBe('denied');
		expect(outcomeOf(new InvalidParameterError('r'))).toBe('error');
		expect(outcomeOf(undefined)).toBe('error');
	});

	it('the class name of SDK, harness and platform errors; UnknownError otherwise', () => {
		expect(errorNameOf(new NoAccessError('r'))).toBe('NoAccessError');
		expect(errorNameOf(new SealAccessDeniedError('no'))).toBe('SealAccessDeniedError');
		expect(errorNameOf(new TypeError('fetch failed'))).toBe('TypeError');
		expect(errorNameOf(undefined)).toBe('UnknownError');
		expect(errorNameOf(new Error('plain'))).toBe('UnknownError');
		class lowercase extends Error {}
		expect(errorNameOf(new lowercase('x'))).toBe('UnknownError');
	});
});
