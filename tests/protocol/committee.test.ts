/**
 * Protocol tier: the unmodified `@mysten/seal` SDK against a 2-of-3 committee of our key servers
 * in `!Committee` mode behind our aggregator; the committee `KeyServer` is served by the offline
 * registry in its on-chain BCS shape (MystenLabs/seal move/seal/sources/key_server.move,
 * ddc7e5d6). The SDK sends committee requests to `aggregatorUrl` and checks the combined key
 * against the committee's aggregate public key (ts-sdks packages/seal key-server.ts
 * `retrieveKeyServers`, client.ts), so a round trip proves the member shares, the aggregator's
 * verification and its Lagrange combination (x = party_id + 1) are all right.
 */
import { SealClient } from '@mysten/seal';
import { fromHex, toHex } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addCommittee, type TestCommittee } from '../support/committee-testbed.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

let bed: SealTestbed;
let committee: TestCommittee;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 0 });
	committee = await addCommittee(bed, { threshold: 2, count: 3 });
});
afterAll(async () => {
	await committee?.close();
	await bed?.close();
});

const freshId = () => toHex(randomBytes(16));

async function sealTo(
	configs: { objectId: string; weight: number; aggregatorUrl?: string }[],
	threshold: number,
) {
	const id = freshId();
	const data = new Uint8Array(randomBytes(64));
	const writer = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
	const { encryptedObject } = await writer.encrypt({
		threshold,
		packageId: bed.packageId,
		id,
		data,
	});
	const user = bed.newUser();
	bed.policy.allow(id, user.toSuiAddress());
	const sessionKey = await bed.newSessionKey(user);
	const txBytes = await bed.approveTxBytes([fromHex(id)]);
	return { id, data, encryptedObject, sessionKey, txBytes };
}

describe('committee 2-of-3 through our aggregator', () => {
	it('round trip: the SDK decrypts with the aggregated key', async () => {
		const configs = [committee.serverConfig()];
		const sealed = await sealTo(configs, 1);
		const reader = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
		const before = committee.members.map((m) => m.running!.stats.fetchKeyRequests);
		const warn = vi.spyOn(console, 'warn');
		try {
			const plain = await reader.decrypt({
				data: sealed.encryptedObject,
				sessionKey: sealed.sessionKey,
				txBytes: sealed.txBytes,
				checkShareConsistency: true,
			});
			expect(Buffer.from(plain).equals(Buffer.from(sealed.data))).toBe(true);
			// The SDK drops (with a warning) a key that fails its pairing check.
			expect(warn).not.toHaveBeenCalled();
		} finally {
			warn.mockRestore();
		}
		// The aggregator asked the members (at least threshold of them answered).
		const asked = committee.members.filter(
			(m, i) => m.running!.stats.fetchKeyRequests > before[i]!,
		).length;
		expect(asked).toBeGreaterThanOrEqual(2);
	});
});
