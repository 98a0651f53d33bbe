/**
 * Protocol tier with both curve backends: the unmodified `@mysten/seal` SDK verifies each
 * server's proof of possession and decrypts with shares from mcl servers, noble servers and a mix
 * (share consistency checked), so either backend is a drop-in key server.
 */
import { SealClient } from '@mysten/seal';
import { fromHex, toHex } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

let bed: SealTestbed;
const BACKENDS = ['mcl', 'noble', 'mcl', 'noble'] as const;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: BACKENDS.length, curveBackends: [...BACKENDS] });
});
afterAll(async () => {
	await bed?.close();
});

describe('key servers on either curve backend', () => {
	for (const [label, indices] of [
		['mcl only', [0, 2]],
		['noble only', [1, 3]],
		['mcl + noble', [0, 1]],
	] as const) {
		it(`${label}: 2-of-2 round trip with verified servers and consistent shares`, async () => {
			const configs = bed.serverConfigs(indices.map((i) => bed.servers[i]!.objectId));
			const client = new SealClient({
				suiClient: bed.suiClient,
				serverConfigs: configs,
				verifyKeyServers: true,
			});
			const id = toHex(randomBytes(16));
			const data = new Uint8Array(randomBytes(64));
			const { encryptedObject } = await client.encrypt({
				threshold: 2,
				packageId: bed.packageId,
				id,
				data,
			});
			const user = bed.newUser();
			bed.policy.allow(id, user.toSuiAddress());
			const sessionKey = await bed.newSessionKey(user);
			const txBytes = await bed.approveTxBytes([fromHex(id)]);
			const plain = await client.decrypt({
				data: encryptedObject,
				sessionKey,
				txBytes,
				checkShareConsistency: true,
			});
			expect(Buffer.from(plain).equals(Buffer.from(data))).toBe(true);
			for (const i of indices) expect(bed.servers[i]!.stats.fetchKeyRequests).toBeGreaterThan(0);
		});
	}
});
