/**
 * Envelope encryption through the real `@mysten/seal` SDK against real key servers (the
 * protocol tier's in-process servers speaking Seal's wire protocol): round trip 2-of-3, rewrap
 * from {A,B,C} to {B,C,D} with A stopped afterwards, and tamper / reorder / truncation detection.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { NoAccessError, SealClient } from '@mysten/seal';
import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
	collectBytes,
	decryptEnvelope,
	encryptEnvelope,
	readEnvelopeHeader,
	rewrapEnvelope,
	type EnvelopeAccess,
} from '../../ts/crypto/node/envelope.js';
import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError } from '../../ts/crypto/errors.js';
import { SealAccessDeniedError } from '../../ts/crypto/seal-errors.js';
import { concatBytes, readBlob } from '../../ts/crypto/node/format.js';
import { allowlistInnerId, fullIdentity, randomNonce, toHex } from '../../ts/identity.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

let bed: SealTestbed;
let A: string, B: string, C: string, D: string;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 4 });
	[A, B, C, D] = bed.servers.map((server) => server.objectId) as [string, string, string, string];
});
afterAll(async () => {
	await bed?.close();
});

/** A fresh client per use: the SDK caches keys for its lifetime. */
function client(ids: string[]): SealClient {
	return new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs(ids) });
}

function newInnerId(): Uint8Array {
	return allowlistInnerId(randomObjectId(), randomNonce());
}

async function access(
	innerId: Uint8Array,
	ids: string[],
	user: Ed25519Keypair = bed.newUser(),
	allowed = true,
): Promise<EnvelopeAccess> {
	if (allowed) bed.policy.allow(toHex(innerId), user.toSuiAddress());
	const sessionKey = await bed.newSessionKey(user);
	return { sealClient: client(ids), sessionKey, txBytes: await bed.approveTxBytes([innerId]) };
}

async function seal(plaintext: Uint8Array, innerId: Uint8Array, ids: string[], chunkSize = 1024) {
	return collectBytes(
		encryptEnvelope(Readable.from([plaintext.subarray(0, 777), plaintext.subarray(777)]), {
			sealClient: client(ids),
			packageId: bed.packageId,
			innerId,
			threshold: 2,
			chunkSize,
		}),
	);
}

describe('envelope round trip, 2-of-3', () => {
	it('encrypts a stream and an authorised user decrypts it; the header says who can unseal', async () => {
		const plaintext = new Uint8Array(randomBytes(300 * 1024 + 11));
		const innerId = newInnerId();
		const envelope = await collectBytes(
			encryptEnvelope(Readable.from([plaintext]), {
				sealClient: client([A, B, C]),
				packageId: bed.packageId,
				innerId,
				threshold: 2,
				chunkSize: 64 * 1024,
			}),
		);
		const { header } = await readEnvelopeHeader(envelope);
		expect(header.servers).toEqual([A, B, C].map((objectId) => ({ objectId, weight: 1 })));
		expect(header.threshold).toBe(2);
		expect(header.packageId).toBe(bed.packageId);
		expect(toHex(header.innerId)).toBe(toHex(innerId));
		expect(toHex(header.identity)).toBe(toHex(fullIdentity(bed.packageId, innerId)));
		expect(readBlob(envelope).format).toBe('seal-envelope');

		const plain = await collectBytes(decryptEnvelope(envelope, await access(innerId, [A, B, C])));
		expect(Buffer.from(plain).equals(plaintext)).toBe(true);
	});

	it('a user the policy denies gets SealAccessDeniedError (cause NoAccessError) and no plaintext', async () => {
		const innerId = newInnerId();
		const envelope = await seal(new Uint8Array(randomBytes(2000)), innerId, [A, B, C]);
		const released: Uint8Array[] = [];
		await expect(
			(async () => {
				const denied = await access(innerId, [A, B, C], bed.newUser(), false);
				for await (const piece of decryptEnvelope(envelope, denied)) released.push(piece);
			})(),
		).rejects.toSatisfy(
			(error) => error instanceof SealAccessDeniedError && error.cause instanceof NoAccessError,
		);
		expect(released).toEqual([]);
	});

	it('zeroes the data key after encryption and after decryption', async () => {
		const innerId = newInnerId();
		const real = client([A, B, C]);
		const keys: Uint8Array[] = [];
		const recording = {
			encrypt: async (options: Parameters<SealClient['encrypt']>[0]) => {
				keys.push(options.data);
				const result = await real.encrypt(options);
				keys.push(result.key);
				return result;
			},
		};
		const plaintext = new Uint8Array(randomBytes(5000));
		const envelope = await collectBytes(
			encryptEnvelope(plaintext, {
				sealClient: recording,
				packageId: bed.packageId,
				innerId,
				threshold: 2,
			}),
		);
		expect(keys).toHaveLength(2);
		for (const key of keys) expect(key.every((byte) => byte === 0)).toBe(true);

		const granted = await access(innerId, [A, B, C]);
		const unsealed: Uint8Array[] = [];
		const decryptor = {
			decrypt: async (options: Parameters<SealClient['decrypt']>[0]) => {
				const key = await granted.sealClient.decrypt(options);
				unsealed.push(key);
				return key;
			},
		};
		const plain = await collectBytes(
			decryptEnvelope(envelope, { ...granted, sealClient: decryptor }),
		);
		expect(Buffer.from(plain).equals(plaintext)).toBe(true);
		expect(unsealed).toHaveLength(1);
		expect(unsealed[0]?.length).toBe(32);
		expect(unsealed[0]?.every((byte) => byte === 0)).toBe(true);
	});
});

describe('rewrap to a new key-server set', () => {
	it('{A,B,C} 2-of-3 → {B,C,D} 2-of-3: data section byte-identical, decrypts with A stopped', async () => {
		const plaintext = new Uint8Array(randomBytes(10_000));
		const innerId = newInnerId();
		const original = await seal(plaintext, innerId, [A, B, C]);
		const user = bed.newUser();

		const rewrapped = await collectBytes(
			rewrapEnvelope(Readable.from([original]), {
				access: await access(innerId, [A, B, C], user),
				sealClient: client([B, C, D]),
				threshold: 2,
			}),
		);

		const before = await readEnvelopeHeader(original);
		const after = await readEnvelopeHeader(rewrapped);
		expect(after.header.servers.map((s) => s.objectId)).toEqual([B, C, D]);
		expect(after.header.threshold).toBe(2);
		expect(toHex(after.header.identity)).toBe(toHex(before.header.identity));
		expect(toHex(after.header.sealedKey)).not.toBe(toHex(before.header.sealedKey));
		const oldData = original.subarray(before.headerBytes.length);
		const newData = rewrapped.subarray(after.headerBytes.length);
		expect(Buffer.from(newData).equals(Buffer.from(oldData))).toBe(true);

		const serverA = bed.servers[0];
		await serverA?.stop();
		try {
			const plain = await collectBytes(
				decryptEnvelope(rewrapped, await access(innerId, [B, C, D], user)),
			);
			expect(Buffer.from(plain).equals(plaintext)).toBe(true);
			// With A down, only C and D of the new set are needed: stop B too.
			await bed.servers[1]?.stop();
			const viaCD = await collectBytes(
				decryptEnvelope(rewrapped, await access(innerId, [B, C, D], user)),
			);
			expect(Buffer.from(viaCD).equals(plaintext)).toBe(true);
		} finally {
			await serverA?.start();
			await bed.servers[1]?.start();
		}
	});

	it('can change the threshold only (same servers, 2-of-3 → 3-of-3)', async () => {
		const plaintext = new Uint8Array(randomBytes(3000));
		const innerId = newInnerId();
		const original = await seal(plaintext, innerId, [A, B, C]);
		const rewrapped = await collectBytes(
			rewrapEnvelope(original, {
				access: await access(innerId, [A, B, C]),
				sealClient: client([A, B, C]),
				threshold: 3,
			}),
		);
		expect((await readEnvelopeHeader(rewrapped)).header.threshold).toBe(3);
		const plain = await collectBytes(decryptEnvelope(rewrapped, await access(innerId, [A, B, C])));
		expect(Buffer.from(plain).equals(plaintext)).toBe(true);
	});

	it('a user the policy denies cannot rewrap (SealAccessDeniedError, nothing written)', async () => {
		const innerId = newInnerId();
		const original = await seal(new Uint8Array(randomBytes(100)), innerId, [A, B, C]);
		const out: Uint8Array[] = [];
		await expect(
			(async () => {
				const denied = await access(innerId, [A, B, C], bed.newUser(), false);
				for await (const piece of rewrapEnvelope(original, {
					access: denied,
					sealClient: client([B, C, D]),
				})) {
					out.push(piece);
				}
			})(),
		).rejects.toSatisfy(
			(error) => error instanceof SealAccessDeniedError && error.cause instanceof NoAccessError,
		);
		expect(out).toEqual([]);
	});
});

describe('tampering is detected after a real unseal', () => {
	const CHUNK = 1024;
	const UNIT = CHUNK + 16;
	let plaintext: Uint8Array;
	let innerId: Uint8Array;
	let envelope: Uint8Array;
	let headerLength: number;
	let user: Ed25519Keypair;

	beforeAll(async () => {
		plaintext = new Uint8Array(randomBytes(5 * CHUNK + 100));
		innerId = newInnerId();
		envelope = await seal(plaintext, innerId, [A, B, C], CHUNK);
		headerLength = (await readEnvelopeHeader(envelope)).headerBytes.length;
		user = bed.newUser();
	});

	async function open(bytes: Uint8Array): Promise<Uint8Array> {
		return collectBytes(decryptEnvelope(bytes, await access(innerId, [A, B, C], user)));
	}

	it('the untouched envelope decrypts', async () => {
		expect(Buffer.from(await open(envelope)).equals(plaintext)).toBe(true);
	});

	it('a modified data byte → DecryptionFailedError', async () => {
		const bad = Uint8Array.from(envelope);
		const at = headerLength + 2 * UNIT + 10;
		bad[at] = (bad[at] as number) ^ 0x80;
		await expect(open(bad)).rejects.toThrow(DecryptionFailedError);
	});

	it('reordered chunks → DecryptionFailedError', async () => {
		const data = envelope.subarray(headerLength);
		const swapped = concatBytes([
			envelope.subarray(0, headerLength),
			data.subarray(UNIT, 2 * UNIT),
			data.subarray(0, UNIT),
			data.subarray(2 * UNIT),
		]);
		await expect(open(swapped)).rejects.toThrow(DecryptionFailedError);
	});

	it('dropped final chunk → TruncatedInputError', async () => {
		await expect(open(envelope.subarray(0, headerLength + 5 * UNIT))).rejects.toThrow(
			TruncatedInputError,
		);
		await expect(open(envelope.subarray(0, headerLength - 3))).rejects.toThrow(TruncatedInputError);
	});

	it('a header edit (threshold) → MalformedCiphertextError before any key request', async () => {
		const bad = Uint8Array.from(envelope);
		bad[3] = 1;
		const stats = bed.servers.map((server) => server.stats.fetchKeyRequests);
		await expect(open(bad)).rejects.toThrow(MalformedCiphertextError);
		expect(bed.servers.map((server) => server.stats.fetchKeyRequests)).toEqual(stats);
	});

	it("another envelope's sealed key spliced onto this data → DecryptionFailedError", async () => {
		const other = await seal(new Uint8Array(randomBytes(200)), innerId, [A, B, C], CHUNK);
		const otherHeader = (await readEnvelopeHeader(other)).headerBytes;
		const spliced = concatBytes([otherHeader, envelope.subarray(headerLength)]);
		await expect(open(spliced)).rejects.toThrow(DecryptionFailedError);
	});
});
