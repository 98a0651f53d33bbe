/**
 * Protocol tier: the real `@mysten/seal` SDK against our key servers (in-process, loopback HTTP)
 * with the offline registry standing in for chain reads. Threshold round trips and batching.
 */
import { NoAccessError, SealClient } from '@mysten/seal';
import { fromHex, toHex } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

let bed: SealTestbed;

beforeAll(async () => {
	// With the key-worker pool a deployed server runs (other testbeds compute keys inline).
	bed = await startSealTestbed({ serverCount: 3, workers: 2 });
});
afterAll(async () => {
	await bed?.close();
});

async function session(user = bed.newUser()) {
	return { user, sessionKey: await bed.newSessionKey(user) };
}

function freshId(): string {
	return toHex(randomBytes(16));
}

describe('round trips through fetch_key', () => {
	for (const [threshold, count] of [
		[1, 1],
		[2, 3],
		[3, 3],
	] as const) {
		it(`${threshold}-of-${count}: plaintext round-trips and the SDK accepts our keys`, async () => {
			const configs = bed.serverConfigs(bed.servers.slice(0, count).map((s) => s.objectId));
			const client = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
			const id = freshId();
			const data = new Uint8Array(randomBytes(100));
			const { encryptedObject } = await client.encrypt({
				threshold,
				packageId: bed.packageId,
				id,
				data,
			});
			const { user, sessionKey } = await session();
			bed.policy.allow(id, user.toSuiAddress());
			const txBytes = await bed.approveTxBytes([fromHex(id)]);
			const reader = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
			// The SDK drops keys failing e(usk, g2) == e(H(id), pk) with a console.warn.
			const warn = vi.spyOn(console, 'warn');
			try {
				const plain = await reader.decrypt({
					data: encryptedObject,
					sessionKey,
					txBytes,
					checkShareConsistency: true,
				});
				expect(Buffer.from(plain).equals(Buffer.from(data))).toBe(true);
				expect(warn).not.toHaveBeenCalled();
			} finally {
				warn.mockRestore();
			}
			// Every configured server delivered a verified key for this id.
			const keys = await reader.getDerivedKeys({ id, txBytes, sessionKey, threshold });
			expect(keys.size).toBe(threshold);
		});
	}

	it('denied identity → NoAccessError', async () => {
		const client = new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
		const id = freshId();
		const { encryptedObject } = await client.encrypt({
			threshold: 2,
			packageId: bed.packageId,
			id,
			data: new Uint8Array([1, 2, 3]),
		});
		const { sessionKey } = await session();
		const txBytes = await bed.approveTxBytes([fromHex(id)]);
		await expect(
			client.decrypt({ data: encryptedObject, sessionKey, txBytes }),
		).rejects.toBeInstanceOf(NoAccessError);
	});
});
