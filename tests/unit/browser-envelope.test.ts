import { InvalidPersonalMessageSignatureError, SealClient } from '@mysten/seal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
	decryptEnvelopeBytes,
	decryptEnvelopeStream,
	encryptEnvelopeBytes,
	encryptEnvelopeStream,
} from '../../ts/browser/envelope.js';
import { createWalletSessionKey, type SealWallet } from '../../ts/browser/wallet.js';
import { collectBytes, decryptEnvelope, encryptEnvelope } from '../../ts/envelope.js';
import { DecryptionFailedError, TruncatedInputError } from '../../ts/errors.js';
import { ownerInnerId, randomNonce, toHex } from '../../ts/identity.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

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
		// Exactly one chunk of data, and an empty input, also round-trip.
		for (const input of [data.subarray(0, 64), new Uint8Array()]) {
			const sealed = await encryptEnvelopeBytes(input, {
				sealClient: client(),
				packageId: bed.packageId,
				innerId,
				threshold: 2,
				chunkSize: 64,
			});
			expect(
				await decryptEnvelopeBytes(sealed, { sealClient: client(), sessionKey, txBytes }),
			).toEqual(input);
		}
	});

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
