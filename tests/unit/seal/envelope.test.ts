import { SealClient } from '@mysten/seal';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	collectBytes,
	decryptEnvelope,
	readEnvelopeHeader,
	rewrapEnvelope,
} from '../../../ts/crypto/node/envelope.js';
import { SealAccessDeniedError } from '../../../ts/crypto/seal-errors.js';
import { toHex } from '../../../ts/identity.js';
import { buildApproveTxBytes } from '../../../ts/seal/approve.js';
import { unlockIdentity } from '../../../ts/seal/decrypt.js';
import {
	MAX_DIRECT_SEAL_BYTES,
	encryptForTargetEnvelope,
	innerIdFor,
	sealEncrypt,
} from '../../../ts/seal/encrypt.js';
import { writeFileAtomic } from '../../../ts/atomic-file.js';
import { createSessionKey } from '../../../ts/seal/session.js';
import { startSealTestbed, type SealTestbed } from '../../support/seal-testbed.js';

describe('envelopes through Seal flows (offline key servers)', () => {
	let bed: SealTestbed;
	beforeAll(async () => {
		bed = await startSealTestbed({ serverCount: 3 });
	});
	afterAll(async () => {
		await bed.close();
	});

	const client = (ids?: string[]) =>
		new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs(ids) });
	const buildTxBytes = (targets: Parameters<typeof buildApproveTxBytes>[0]['targets']) =>
		buildApproveTxBytes({ packageId: bed.packageId, targets: [...targets] });

	it('unlocks once, decrypts from cache, and rewraps to another server set', async () => {
		const user = bed.newUser();
		const data = new Uint8Array(10_000).map((_, i) => i % 256);
		const { innerId, stream } = encryptForTargetEnvelope(data, {
			sealClient: client(),
			packageId: bed.packageId,
			target: { policy: 'owner', owner: user.toSuiAddress() },
			threshold: 2,
			chunkSize: 1024,
		});
		const envelope = await collectBytes(stream);
		bed.policy.allow(toHex(innerId), user.toSuiAddress());
		const sessionKey = await createSessionKey({
			suiClient: bed.suiClient,
			signer: user,
			packageId: bed.packageId,
		});

		const oldClient = client();
		const opened = await readEnvelopeHeader(envelope);
		const txBytes = await unlockIdentity({
			sealClient: oldClient,
			sessionKey,
			policy: 'owner',
			innerId: opened.header.innerId,
			threshold: opened.header.threshold,
			buildTxBytes,
		});
		const requests = () => bed.servers.reduce((n, s) => n + s.stats.fetchKeyRequests, 0);
		const before = requests();
		const plaintext = await collectBytes(
			decryptEnvelope(opened, { sealClient: oldClient, sessionKey, txBytes }),
		);
		expect(Buffer.from(plaintext).equals(Buffer.from(data))).toBe(true);
		expect(requests()).toBe(before); // served from the client's cache

		const newIds = bed.servers.slice(1).map((s) => s.objectId);
		const rewrapped = await collectBytes(
			rewrapEnvelope(await readEnvelopeHeader(envelope), {
				access: { sealClient: oldClient, sessionKey, txBytes },
				sealClient: client(newIds),
				threshold: 1,
			}),
		);
		const after = await readEnvelopeHeader(rewrapped);
		expect(after.header.threshold).toBe(1);
		expect(after.header.servers.map((s) => s.objectId)).toEqual(newIds);
		const newClient = client(newIds);
		const newTx = await unlockIdentity({
			sealClient: newClient,
			sessionKey,
			policy: 'owner',
			innerId: after.header.innerId,
			threshold: 1,
			buildTxBytes,
		});
		const again = await collectBytes(
			decryptEnvelope(after, { sealClient: newClient, sessionKey, txBytes: newTx }),
		);
		expect(Buffer.from(again).equals(Buffer.from(data))).toBe(true);
	});

	it('unlockIdentity reports a denial with what to do', async () => {
		const owner = bed.newUser();
		const stranger = bed.newUser();
		const innerId = innerIdFor({ policy: 'owner', owner: owner.toSuiAddress() });
		const sessionKey = await createSessionKey({
			suiClient: bed.suiClient,
			signer: stranger,
			packageId: bed.packageId,
		});
		await expect(
			unlockIdentity({
				sealClient: client(),
				sessionKey,
				policy: 'owner',
				innerId,
				threshold: 2,
				buildTxBytes,
			}),
		).rejects.toThrow(SealAccessDeniedError);
	});

	it('direct Seal encryption refuses large inputs and bad thresholds with harness errors', async () => {
		const target = { policy: 'owner' as const, owner: bed.newUser().toSuiAddress() };
		await expect(
			sealEncrypt({
				sealClient: client(),
				packageId: bed.packageId,
				target,
				threshold: 2,
				data: new Uint8Array(MAX_DIRECT_SEAL_BYTES + 1),
			}),
		).rejects.toThrow(/use the envelope/);
		await expect(
			sealEncrypt({
				sealClient: client(),
				packageId: bed.packageId,
				target,
				threshold: 4,
				data: new Uint8Array(1),
			}),
		).rejects.toThrow(/refused the request before contacting key servers: .*threshold 4 for 3/);
		const sealed = await sealEncrypt({
			sealClient: client(),
			packageId: bed.packageId,
			target,
			threshold: 2,
			data: new Uint8Array([5]),
		});
		expect(sealed.blob[0]).toBe(0x02);
		expect(sealed.blob[1]).toBe(0x00);
		expect(sealed.innerId.length).toBe(32 + 16);
	});

	it('innerIdFor uses the given nonce or 16 fresh random bytes', () => {
		const owner = `0x${'c3'.repeat(32)}`;
		expect(toHex(innerIdFor({ policy: 'owner', owner, nonce: new Uint8Array([1]) }))).toBe(
			`${'c3'.repeat(32)}01`,
		);
		const a = innerIdFor({ policy: 'allowlist', allowlistId: owner });
		const b = innerIdFor({ policy: 'allowlist', allowlistId: owner });
		expect(a.length).toBe(48);
		expect(toHex(a)).not.toBe(toHex(b));
	});
});

describe('atomic outputs', () => {
	it('writes whole files and leaves nothing behind when the source fails', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'out-'));
		try {
			const path = join(dir, 'sub', 'out.bin');
			expect(await writeFileAtomic(path, new Uint8Array([1, 2, 3]), 0o600)).toBe(3);
			expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
			async function* failing() {
				yield new Uint8Array([9]);
				throw new Error('stream broke');
			}
			await expect(writeFileAtomic(path, failing())).rejects.toThrow('stream broke');
			expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
			expect(await readdir(join(dir, 'sub'))).toEqual(['out.bin']);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});
