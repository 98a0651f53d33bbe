import { createHmac, hkdfSync, randomBytes } from 'node:crypto';

import { InvalidPersonalMessageSignatureError, SealClient } from '@mysten/seal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
	decryptEnvelopeBytes,
	decryptEnvelopeStream,
	encryptEnvelopeBytes,
	encryptEnvelopeStream,
	readEnvelopeHeader as readWebHeader,
	type WebEnvelopeAccess,
} from '../../../ts/browser/envelope.js';
import { createWalletSessionKey, type SealWallet } from '../../../ts/browser/wallet.js';
import {
	collectBytes,
	decryptEnvelope,
	encryptEnvelope,
	readEnvelopeHeader,
} from '../../../ts/crypto/node/envelope.js';
import {
	encodeEnvelopeHeader,
	headerFromSealedKey,
	MAX_CHUNK_SIZE,
	MAX_CHUNK_SIZE_V1,
} from '../../../ts/crypto/envelope-header.js';
import { HarnessError, InvalidInputError } from '../../../ts/errors.js';
import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError } from '../../../ts/crypto/errors.js';
import { ownerInnerId, randomNonce, toHex } from '../../../ts/identity.js';
import { envelopeV1 } from '../../support/envelope-v1.js';
import { EXHAUSTIVE, SAMPLE_SEED, sampleVectors } from '../../support/exhaustive.js';
import { startSealTestbed, type SealTestbed } from '../../support/seal-testbed.js';

/** Sealed-key and MAC bytes a default run flips (all under TEST_EXHAUSTIVE=1). */
const SAMPLED_SEALED_KEY_BYTES = 40;
const SAMPLED_MAC_BYTES = 6;

// The browser envelope (WebCrypto, Web Streams) run in Node, which has both: the two
// implementations must read each other's bytes. The browser tier repeats this in Chromium.
describe('browser envelope ⇄ Node envelope (offline key servers)', () => {
	let bed: SealTestbed;
	beforeAll(async () => {
		bed = await startSealTestbed({ serverCount: 3 });
	});
	afterAll(async () => {
		await bed.close();
	});

	const client = () =>
		new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
	const data = new Uint8Array(1000).map((_, i) => (i * 7) % 256);

	async function access() {
		const user = bed.newUser();
		const innerId = ownerInnerId(user.toSuiAddress(), randomNonce());
		bed.policy.allow(toHex(innerId), user.toSuiAddress());
		const wallet: Pick<SealWallet, 'address' | 'signPersonalMessage'> = {
			address: user.toSuiAddress(),
			signPersonalMessage: ({ message }) => user.signPersonalMessage(message),
		};
		const sessionKey = await createWalletSessionKey({
			wallet,
			packageId: bed.packageId,
			suiClient: bed.suiClient,
		});
		const txBytes = await bed.approveTxBytes([innerId]);
		return { innerId, sessionKey, txBytes };
	}

	/** `bytes` as a ReadableStream in uneven pieces (chunk boundaries never line up). */
	function streamOf(bytes: Uint8Array, piece = 37): ReadableStream<Uint8Array> {
		let offset = 0;
		return new ReadableStream({
			pull(controller) {
				if (offset >= bytes.length) return controller.close();
				controller.enqueue(bytes.slice(offset, offset + piece));
				offset += piece;
			},
		});
	}

	it('an envelope made by the browser code decrypts with the Node envelope', async () => {
		const { innerId, sessionKey, txBytes } = await access();
		const envelope = await collectBytes(
			readAll(
				encryptEnvelopeStream(streamOf(data), {
					sealClient: client(),
					packageId: bed.packageId,
					innerId,
					threshold: 2,
					chunkSize: 100,
				}),
			),
		);
		expect(envelope[2]).toBe(2);
		expect((await readEnvelopeHeader(envelope)).header.version).toBe(2);
		const plain = await collectBytes(
			decryptEnvelope(envelope, { sealClient: client(), sessionKey, txBytes }),
		);
		expect(plain).toEqual(data);
	});

	it('an envelope made by the Node envelope decrypts with the browser code', async () => {
		const { innerId, sessionKey, txBytes } = await access();
		const envelope = await collectBytes(
			encryptEnvelope(data, {
				sealClient: client(),
				packageId: bed.packageId,
				innerId,
				threshold: 2,
				chunkSize: 64,
			}),
		);
		const viaStream = await collectBytes(
			readAll(
				decryptEnvelopeStream(streamOf(envelope, 101), {
					sealClient: client(),
					sessionKey,
					txBytes,
				}),
			),
		);
		expect(viaStream).toEqual(data);
		// The final-chunk rule at its edges, both ways: empty input, one byte short of a chunk,
		// exactly one chunk (then an empty final chunk), exactly two.
		const options = {
			sealClient: client(),
			packageId: bed.packageId,
			innerId,
			threshold: 2,
			chunkSize: 64,
		};
		const keys = { sealClient: client(), sessionKey, txBytes };
		for (const length of [0, 63, 64, 128]) {
			const input = data.subarray(0, length);
			const fromWeb = await encryptEnvelopeBytes(input, options);
			const fromNode = await collectBytes(encryptEnvelope(input, options));
			// Same layout: equal lengths (header + ⌊n/64⌋ full chunks + a short final one).
			expect(fromWeb.length, `${length} bytes`).toBe(fromNode.length);
			expect(await collectBytes(decryptEnvelope(fromWeb, keys)), `${length} bytes`).toEqual(input);
			expect(await decryptEnvelopeBytes(fromNode, keys), `${length} bytes`).toEqual(input);
		}
	});

	it('the v2 header MAC is HMAC-SHA256 under HKDF-SHA256(data key) (node:crypto reference)', async () => {
		// The portable header code must produce exactly the bytes the format defines.
		const { innerId } = await access();
		const dataKey = new Uint8Array(randomBytes(32));
		const { encryptedObject } = await client().encrypt({
			threshold: 2,
			packageId: bed.packageId,
			id: toHex(innerId),
			data: dataKey,
		});
		const header = headerFromSealedKey(encryptedObject, 64);
		const bytes = encodeEnvelopeHeader(header, dataKey);
		const body = bytes.subarray(0, bytes.length - 32);
		const macKey = Buffer.from(
			hkdfSync('sha256', dataKey, new Uint8Array(), 'seal-policies envelope v2 header mac', 32),
		);
		const expected = createHmac('sha256', macKey).update(body).digest();
		expect(bytes.subarray(bytes.length - 32)).toEqual(new Uint8Array(expected));
		// Version 1 is the same body without the MAC (and with version byte 1).
		const v1Body = body.slice();
		v1Body[2] = 1;
		expect(encodeEnvelopeHeader({ ...header, version: 1 })).toEqual(v1Body);
	});

	it('reads version-1 envelopes (chunks up to 16 MiB), refuses a v2 header over 4 MiB', async () => {
		const { innerId, sessionKey, txBytes } = await access();
		const keys = { sealClient: client(), sessionKey, txBytes };
		const dataKey = new Uint8Array(randomBytes(32));
		const { encryptedObject } = await client().encrypt({
			threshold: 2,
			packageId: bed.packageId,
			id: toHex(innerId),
			data: dataKey,
		});
		for (const [length, chunkSize] of [
			[0, 64],
			[64, 64],
			[1000, 64],
			[1000, MAX_CHUNK_SIZE_V1],
		] as const) {
			const v1 = envelopeV1(encryptedObject, dataKey, chunkSize, data.subarray(0, length));
			expect((await readWebHeader(v1)).header.version).toBe(1);
			expect(await decryptEnvelopeBytes(streamOf(v1, 53), keys), `${length}/${chunkSize}`).toEqual(
				data.subarray(0, length),
			);
			// A v1 envelope whose final chunk was dropped is truncated, not short.
			if (length === 1000 && chunkSize === 64) {
				const cut = v1.subarray(0, v1.length - (1000 % 64) - 16);
				await expect(decryptEnvelopeBytes(cut, keys)).rejects.toBeInstanceOf(TruncatedInputError);
			}
		}
		await expect(
			encryptEnvelopeBytes(data, {
				sealClient: client(),
				packageId: bed.packageId,
				innerId,
				threshold: 2,
				chunkSize: MAX_CHUNK_SIZE + 1,
			}),
		).rejects.toBeInstanceOf(InvalidInputError);
		const v2 = await encryptEnvelopeBytes(data, {
			sealClient: client(),
			packageId: bed.packageId,
			innerId,
			threshold: 2,
			chunkSize: MAX_CHUNK_SIZE,
		});
		const chunkAt = 5 + 3 * 33 + 32 + 2 + innerId.length;
		const over = v2.slice();
		new DataView(over.buffer).setUint32(chunkAt, MAX_CHUNK_SIZE + 1);
		await expect(decryptEnvelopeBytes(over, keys)).rejects.toBeInstanceOf(MalformedCiphertextError);
		expect(await decryptEnvelopeBytes(v2, keys)).toEqual(data);
	});

	// Every byte of the header fields is flipped (the decoder refuses those cheaply); the sealed
	// key's and the MAC's bytes each cost a Seal decryption (~0.1 s), so a default run flips a
	// seeded sample of them and TEST_EXHAUSTIVE=1 (run by .ci/run) flips every one.
	const sampledBytes = EXHAUSTIVE
		? 'every byte'
		: `every field byte, ${SAMPLED_SEALED_KEY_BYTES} sealed-key and ${SAMPLED_MAC_BYTES} MAC bytes (TEST_SAMPLE_SEED=${SAMPLE_SEED})`;
	it(`a flipped bit in any header byte is a typed error and releases nothing (${sampledBytes})`, async () => {
		const { innerId, sessionKey, txBytes } = await access();
		const envelope = await encryptEnvelopeBytes(data, {
			sealClient: client(),
			packageId: bed.packageId,
			innerId,
			threshold: 2,
			chunkSize: 100,
		});
		const headerLength = (await readWebHeader(envelope)).headerBytes.length;
		// One client for all attempts: its key cache decides the tampers locally.
		const keys: WebEnvelopeAccess = { sealClient: client(), sessionKey, txBytes };
		expect(await decryptEnvelopeBytes(envelope, keys)).toEqual(data);
		// Header layout (ts/crypto/envelope-header.ts): fields up to the sealed key's length, the sealed
		// key, then the 32-byte MAC.
		const sealedAt = 5 + 3 * 33 + 32 + 2 + innerId.length + 8;
		const macAt = headerLength - 32;
		const sealedSample = sampleVectors(
			'browser-envelope sealed key',
			macAt - sealedAt,
			SAMPLED_SEALED_KEY_BYTES,
		);
		const macSample = sampleVectors('browser-envelope mac', 32, SAMPLED_MAC_BYTES);
		const flipped = [...Array(headerLength).keys()].filter((at) =>
			at < sealedAt
				? true
				: at < macAt
					? sealedSample.has(at - sealedAt)
					: macSample.has(at - macAt),
		);
		expect(flipped.length).toBe(sealedAt + sealedSample.size + macSample.size);
		const outcomes = new Map<string, number>();
		for (const at of flipped) {
			const bad = envelope.slice();
			bad[at] = (bad[at] as number) ^ (1 << (at % 8));
			const released: Uint8Array[] = [];
			let error: unknown;
			try {
				for await (const piece of readAll(decryptEnvelopeStream(bad, keys))) released.push(piece);
			} catch (caught) {
				error = caught;
			}
			expect(error, `byte ${at} of ${headerLength} (${sampledBytes})`).toBeInstanceOf(HarnessError);
			expect(released, `byte ${at}`).toEqual([]);
			const name = (error as Error).name;
			outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
		}
		// Both the decoder (fields that disagree) and the MAC (everything else) are exercised.
		expect(outcomes.get('MalformedCiphertextError')).toBeGreaterThan(0);
		expect(outcomes.get('DecryptionFailedError')).toBeGreaterThan(0);
		// The chunk size and the MAC itself are bound: DecryptionFailedError naming the header.
		const chunkAt = 5 + 3 * 33 + 32 + 2 + innerId.length;
		for (const at of [chunkAt + 3, headerLength - 1]) {
			const bad = envelope.slice();
			bad[at] = (bad[at] as number) ^ 1;
			await expect(decryptEnvelopeBytes(bad, keys)).rejects.toThrow(/header failed authentication/);
		}
	}, 120_000);

	it('refuses a modified chunk and a dropped final chunk with typed errors', async () => {
		const { innerId, sessionKey, txBytes } = await access();
		const options = {
			sealClient: client(),
			packageId: bed.packageId,
			innerId,
			threshold: 2,
			chunkSize: 100,
		};
		const envelope = await encryptEnvelopeBytes(data.subarray(0, 250), options);
		const tampered = envelope.slice();
		const at = tampered.length - 40;
		tampered[at] = (tampered[at] ?? 0) ^ 1;
		const keys = { sealClient: client(), sessionKey, txBytes };
		await expect(decryptEnvelopeBytes(tampered, keys)).rejects.toBeInstanceOf(
			DecryptionFailedError,
		);
		// 250 bytes = chunks of 100, 100, 50 (+16-byte tags): cut the final one off.
		const truncated = envelope.subarray(0, envelope.length - (50 + 16));
		await expect(decryptEnvelopeBytes(truncated, keys)).rejects.toBeInstanceOf(TruncatedInputError);
	});

	it('a wallet that signs for another account cannot make a session key', async () => {
		const user = bed.newUser();
		const other = bed.newUser();
		await expect(
			createWalletSessionKey({
				wallet: {
					address: user.toSuiAddress(),
					signPersonalMessage: ({ message }) => other.signPersonalMessage(message),
				},
				packageId: bed.packageId,
				suiClient: bed.suiClient,
			}),
		).rejects.toBeInstanceOf(InvalidPersonalMessageSignatureError);
	});
});

async function* readAll(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
	const reader = stream.getReader();
	for (let next = await reader.read(); !next.done; next = await reader.read()) yield next.value;
}
