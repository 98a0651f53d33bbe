import { ExpiredSessionKeyError } from '@mysten/seal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import {
	SDK_EXPIRY_MARGIN_MS,
	SessionKeyRenewer,
	createSessionKey,
	exportSessionKey,
	importSessionKey,
	sessionKeyExpiresAt,
} from '../../../ts/seal/session.js';
import { startSealTestbed, type SealTestbed } from '../../support/seal-testbed.js';

describe('session keys', () => {
	let bed: SealTestbed;
	beforeAll(async () => {
		bed = await startSealTestbed({ serverCount: 0 });
	});
	afterAll(async () => {
		await bed.close();
	});

	it('signs at creation and survives a JSON round trip of its export', async () => {
		const user = bed.newUser();
		const key = await createSessionKey({
			suiClient: bed.suiClient,
			signer: user,
			packageId: bed.packageId,
			ttlMin: 5,
		});
		const exported = exportSessionKey(key);
		expect(exported.address).toBe(user.toSuiAddress());
		expect(exported.packageId).toBe(bed.packageId);
		expect(exported.personalMessageSignature.length).toBeGreaterThan(0);
		const restored = importSessionKey(JSON.parse(JSON.stringify(exported)), bed.suiClient);
		expect(await restored.getCertificate()).toEqual(await key.getCertificate());
		expect(sessionKeyExpiresAt(restored)).toBe(
			exported.creationTimeMs + 5 * 60_000 - SDK_EXPIRY_MARGIN_MS,
		);
	});

	it('refuses to import an expired key', async () => {
		const key = await createSessionKey({
			suiClient: bed.suiClient,
			signer: bed.newUser(),
			packageId: bed.packageId,
			ttlMin: 1,
		});
		const stale = { ...exportSessionKey(key), creationTimeMs: Date.now() - 61_000 };
		expect(() => importSessionKey(stale, bed.suiClient)).toThrow(ExpiredSessionKeyError);
	});

	it('rejects a TTL outside 1..30 before contacting anything', async () => {
		for (const ttlMin of [0, 31, 2.5]) {
			await expect(
				createSessionKey({
					suiClient: bed.suiClient,
					signer: bed.newUser(),
					packageId: bed.packageId,
					ttlMin,
				}),
			).rejects.toThrow(InvalidInputError);
		}
	});
});

/** A stand-in exposing only what the renewer reads (creation time and TTL). */
function fakeKey(creationTimeMs: number, ttlMin: number) {
	return {
		export: () => ({ creationTimeMs, ttlMin }),
	} as unknown as import('@mysten/seal').SessionKey;
}

describe('SessionKeyRenewer', () => {
	it('keeps a key until renewBeforeMs before the SDK expiry, then creates a new one', async () => {
		let clock = 1_000_000;
		const created: number[] = [];
		const renewer = new SessionKeyRenewer({
			create: async () => {
				created.push(clock);
				return fakeKey(clock, 10);
			},
			renewBeforeMs: 60_000,
			now: () => clock,
		});
		const first = await renewer.current();
		const expiry = 1_000_000 + 10 * 60_000 - SDK_EXPIRY_MARGIN_MS;
		clock = expiry - 60_001;
		expect(await renewer.current()).toBe(first);
		clock = expiry - 60_000;
		const second = await renewer.current();
		expect(second).not.toBe(first);
		expect(created).toEqual([1_000_000, expiry - 60_000]);
		expect(renewer.created).toBe(2);
	});

	it('creates one key for concurrent callers and retries after a failed creation', async () => {
		let calls = 0;
		let fail = true;
		const renewer = new SessionKeyRenewer({
			create: async () => {
				calls++;
				if (fail) throw new Error('wallet refused');
				return fakeKey(Date.now(), 10);
			},
		});
		await expect(renewer.current()).rejects.toThrow('wallet refused');
		fail = false;
		const [a, b, c] = await Promise.all([renewer.current(), renewer.current(), renewer.current()]);
		expect(a).toBe(b);
		expect(b).toBe(c);
		expect(calls).toBe(2);
	});
});
