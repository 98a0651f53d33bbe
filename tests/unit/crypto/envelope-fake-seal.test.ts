/**
 * The envelope API (ts/crypto/node/envelope.ts) and the data-key seal/unseal (ts/crypto/envelope-key.ts) against a
 * scripted Seal client: no key servers, so every check around the Seal calls (arguments passed,
 * key zeroing, key length, nonce point, header MAC, error mapping) runs in milliseconds. Real
 * Seal round trips are in tests/unit/seal/envelope.test.ts and tests/protocol/core-envelope.test.ts.
 */
import { randomBytes } from 'node:crypto';

import { NoAccessError, type SessionKey } from '@mysten/seal';
import { describe, expect, it } from 'vitest';

import { sealDataKey, unsealDataKey, type DataKeyAccess } from '../../../ts/crypto/envelope-key.js';
import {
	decodeEnvelopeHeader,
	encodeEnvelopeHeader,
	headerFromSealedKey,
	MAX_CHUNK_SIZE,
	MIN_CHUNK_SIZE,
} from '../../../ts/crypto/envelope-header.js';
import {
	collectBytes,
	decryptEnvelope,
	DEFAULT_CHUNK_SIZE,
	encryptEnvelope,
	readEnvelopeHeader,
	rewrapEnvelope,
	type EnvelopeAccess,
} from '../../../ts/crypto/node/envelope.js';
import { HarnessError, InvalidInputError } from '../../../ts/errors.js';
import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError } from '../../../ts/crypto/errors.js';
import { SealAccessDeniedError, SealKeyServerError } from '../../../ts/crypto/seal-errors.js';
import { concatBytes } from '../../../ts/crypto/node/format.js';
import { toHex } from '../../../ts/identity.js';
import { envelopeV1 } from '../../support/envelope-v1.js';
import { sealedObjectBytes, VALID_NONCE } from '../../support/sealed-object.js';

const PACKAGE = `0x${'5e'.repeat(32)}`;
const SERVERS: [string, number][] = [
	[`0x${'a1'.repeat(32)}`, 1],
	[`0x${'b2'.repeat(32)}`, 2],
];
function sealedObject(
	{ packageId = PACKAGE, id = 'c0ffee', threshold = 2 } = {},
	nonce: Uint8Array = VALID_NONCE,
): Uint8Array<ArrayBuffer> {
	return sealedObjectBytes({ packageId, id, threshold, services: SERVERS, nonce });
}

/**
 * A Seal client that "seals" by remembering the key under the sealed bytes (hex) and "unseals"
 * by returning a fresh copy; every call's arguments are recorded.
 */
function fakeSeal() {
	const keys = new Map<string, Uint8Array>();
	const encryptCalls: { threshold: number; packageId: string; id: string; data: Uint8Array }[] = [];
	const decryptCalls: Record<string, unknown>[] = [];
	const demKeys: Uint8Array[] = [];
	const released: Uint8Array[] = [];
	return {
		keys,
		encryptCalls,
		decryptCalls,
		demKeys,
		released,
		client: {
			encrypt: async (args: {
				threshold: number;
				packageId: string;
				id: string;
				data: Uint8Array;
			}) => {
				encryptCalls.push(args);
				const encryptedObject = sealedObject({
					packageId: args.packageId,
					id: args.id,
					threshold: args.threshold,
				});
				keys.set(toHex(encryptedObject), Uint8Array.from(args.data));
				const key = new Uint8Array(32).fill(0x77);
				demKeys.push(key);
				return { encryptedObject, key };
			},
			decrypt: async (args: { data: Uint8Array }) => {
				decryptCalls.push(args);
				const key = keys.get(toHex(args.data));
				if (key === undefined) throw new NoAccessError('no key for this object');
				const copy = Uint8Array.from(key);
				released.push(copy);
				return copy;
			},
		},
	};
}

const sessionKey = { fake: 'session' } as unknown as SessionKey;
const txBytes = new Uint8Array([9, 8, 7]);

function access(seal: ReturnType<typeof fakeSeal>, extra: Partial<EnvelopeAccess> = {}) {
	return {
		sealClient: seal.client,
		sessionKey,
		txBytes,
		...extra,
	} as EnvelopeAccess;
}

const zero = (bytes: Uint8Array) => bytes.every((byte) => byte === 0);

async function encrypted(
	seal: ReturnType<typeof fakeSeal>,
	plaintext: Uint8Array,
	chunkSize = MIN_CHUNK_SIZE,
): Promise<Uint8Array> {
	return collectBytes(
		encryptEnvelope(plaintext, {
			sealClient: seal.client,
			packageId: PACKAGE,
			innerId: new Uint8Array([0xc0, 0xff, 0xee]),
			threshold: 2,
			chunkSize,
		}),
	);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
	try {
		await promise;
	} catch (error) {
		return error;
	}
	throw new Error('expected a rejection');
}

describe('sealDataKey', () => {
	it('seals the given key for [packageId][innerId] at the threshold and zeroes the DEM key', async () => {
		const seal = fakeSeal();
		const dataKey = new Uint8Array(randomBytes(32));
		const sealed = await sealDataKey(seal.client, dataKey, {
			packageId: PACKAGE,
			innerId: new Uint8Array([1, 2, 0xab]),
			threshold: 3,
		});
		expect(seal.encryptCalls).toEqual([
			{ threshold: 3, packageId: PACKAGE, id: '0102ab', data: dataKey },
		]);
		expect(seal.keys.get(toHex(sealed))).toEqual(dataKey);
		expect(zero(seal.demKeys[0] as Uint8Array)).toBe(true);
	});

	it('SDK failures become library errors that name the threshold, with the cause', async () => {
		const network = new TypeError('fetch failed');
		const client = {
			encrypt: async () => {
				throw network;
			},
		};
		const error = await rejection(
			sealDataKey(client, new Uint8Array(32), {
				packageId: PACKAGE,
				innerId: new Uint8Array(1),
				threshold: 5,
			}),
		);
		expect(error).toBeInstanceOf(SealKeyServerError);
		expect((error as Error).message).toContain('threshold 5');
		expect((error as Error).cause).toBe(network);
	});
});

describe('unsealDataKey', () => {
	async function v2(seal = fakeSeal()) {
		const dataKey = new Uint8Array(randomBytes(32));
		const sealedKey = await sealDataKey(seal.client, dataKey, {
			packageId: PACKAGE,
			innerId: new Uint8Array([0xc0, 0xff, 0xee]),
			threshold: 2,
		});
		const header = headerFromSealedKey(sealedKey, MIN_CHUNK_SIZE);
		return { seal, dataKey, header, headerBytes: encodeEnvelopeHeader(header, dataKey) };
	}

	it('asks Seal with the sealed key, session key and txBytes and returns the verified key', async () => {
		const { seal, dataKey, header, headerBytes } = await v2();
		const key = await unsealDataKey(header, headerBytes, access(seal) as DataKeyAccess);
		expect(key).toEqual(dataKey);
		expect(seal.decryptCalls).toHaveLength(1);
		// No checkShareConsistency key at all unless asked for.
		expect(seal.decryptCalls[0]).toStrictEqual({ data: header.sealedKey, sessionKey, txBytes });
	});

	it('passes checkShareConsistency only when asked', async () => {
		const { seal, header, headerBytes } = await v2();
		await unsealDataKey(header, headerBytes, access(seal, { checkShareConsistency: true }));
		await unsealDataKey(header, headerBytes, access(seal, { checkShareConsistency: false }));
		expect(seal.decryptCalls[0]).toStrictEqual({
			data: header.sealedKey,
			sessionKey,
			txBytes,
			checkShareConsistency: true,
		});
		expect(seal.decryptCalls[1]).not.toHaveProperty('checkShareConsistency');
	});

	it('a nonce that is not a G2 point fails as MalformedCiphertextError before any key request', async () => {
		const seal = fakeSeal();
		// A valid compressed encoding's flag bits with an x that is not on the curve (or not in G2).
		for (const nonce of [new Uint8Array(96), new Uint8Array(randomBytes(96))]) {
			const header = headerFromSealedKey(sealedObject({}, nonce), MIN_CHUNK_SIZE, 1);
			const error = await rejection(
				unsealDataKey(header, encodeEnvelopeHeader(header), access(seal)),
			);
			expect(error).toBeInstanceOf(MalformedCiphertextError);
			expect((error as Error).message).toMatch(/nonce is not a valid BLS12-381 G2 point/);
			expect((error as Error).cause).toBeInstanceOf(Error);
		}
		expect(seal.decryptCalls).toHaveLength(0);
	});

	it('Seal failures are mapped with the original as cause', async () => {
		const { header, headerBytes } = await v2();
		const other = fakeSeal(); // knows no keys: rejects with NoAccessError
		const error = await rejection(unsealDataKey(header, headerBytes, access(other)));
		expect(error).toBeInstanceOf(SealAccessDeniedError);
		expect((error as Error).cause).toBeInstanceOf(NoAccessError);
	});

	it('a key that is not 32 bytes is refused and zeroed', async () => {
		const { header, headerBytes } = await v2();
		for (const length of [31, 33, 0]) {
			const returned = new Uint8Array(length).fill(0x5a);
			const client = { decrypt: async () => returned };
			const error = await rejection(
				unsealDataKey(header, headerBytes, { sealClient: client, sessionKey, txBytes }),
			);
			expect(error).toBeInstanceOf(MalformedCiphertextError);
			expect((error as Error).message).toContain(`decrypted to ${length} bytes instead of 32`);
			expect(zero(returned)).toBe(true);
		}
		for (const returned of [undefined, 'k'.repeat(32), Array(32).fill(1)]) {
			const client = { decrypt: async () => returned as unknown as Uint8Array };
			await expect(
				unsealDataKey(header, headerBytes, { sealClient: client, sessionKey, txBytes }),
			).rejects.toBeInstanceOf(MalformedCiphertextError);
		}
	});

	it('a 32-byte key that fails the header MAC is refused and zeroed', async () => {
		const { header, headerBytes } = await v2();
		const wrong = new Uint8Array(randomBytes(32));
		const client = { decrypt: async () => wrong };
		const error = await rejection(
			unsealDataKey(header, headerBytes, { sealClient: client, sessionKey, txBytes }),
		);
		expect(error).toBeInstanceOf(DecryptionFailedError);
		expect(zero(wrong)).toBe(true);
	});
});

describe('encryptEnvelope', () => {
	it('refuses chunk sizes outside MIN..MAX or not integers; accepts both bounds', async () => {
		const seal = fakeSeal();
		for (const chunkSize of [MIN_CHUNK_SIZE - 1, MAX_CHUNK_SIZE + 1, 100.5, Number.NaN]) {
			const error = await rejection(
				collectBytes(
					encryptEnvelope(new Uint8Array(1), {
						sealClient: seal.client,
						packageId: PACKAGE,
						innerId: new Uint8Array(1),
						threshold: 2,
						chunkSize,
					}),
				),
			);
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as Error).message).toContain(`${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`);
		}
		expect(seal.encryptCalls).toHaveLength(0);
		for (const chunkSize of [MIN_CHUNK_SIZE, MAX_CHUNK_SIZE]) {
			const bytes = await encrypted(seal, new Uint8Array(3), chunkSize);
			expect((await readEnvelopeHeader(bytes)).header.chunkSize).toBe(chunkSize);
		}
	});

	it('chunk size defaults to DEFAULT_CHUNK_SIZE', async () => {
		const seal = fakeSeal();
		const bytes = await collectBytes(
			encryptEnvelope(new Uint8Array(5), {
				sealClient: seal.client,
				packageId: PACKAGE,
				innerId: new Uint8Array(1),
				threshold: 1,
			}),
		);
		expect((await readEnvelopeHeader(bytes)).header.chunkSize).toBe(DEFAULT_CHUNK_SIZE);
	});

	it('refuses an inner id that is not bytes or longer than 65535; accepts 65535', async () => {
		const seal = fakeSeal();
		for (const innerId of ['c0ffee', new Uint8Array(0x10000)]) {
			const error = await rejection(
				collectBytes(
					encryptEnvelope(new Uint8Array(1), {
						sealClient: seal.client,
						packageId: PACKAGE,
						innerId: innerId as Uint8Array,
						threshold: 2,
					}),
				),
			);
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as InvalidInputError).message).toMatch(/innerId/);
		}
		expect(seal.encryptCalls).toHaveLength(0);
		// 65535 bytes pass this check and reach Seal (whose object is then too long for a header).
		const innerId = new Uint8Array(0xffff).fill(3);
		const error = await rejection(
			collectBytes(
				encryptEnvelope(new Uint8Array(1), {
					sealClient: seal.client,
					packageId: PACKAGE,
					innerId,
					threshold: 2,
				}),
			),
		);
		expect(error).toBeInstanceOf(MalformedCiphertextError);
		expect(seal.encryptCalls[0]?.id).toBe(toHex(innerId));
	});

	it('lower-cases the package id and seals a fresh random key, zeroed when done', async () => {
		const seal = fakeSeal();
		const upper = `0x${'5E'.repeat(32)}`;
		await collectBytes(
			encryptEnvelope(new Uint8Array(1), {
				sealClient: seal.client,
				packageId: upper,
				innerId: new Uint8Array([1]),
				threshold: 2,
			}),
		);
		await encrypted(seal, new Uint8Array(1));
		const [first, second] = seal.encryptCalls;
		expect(first?.packageId).toBe(PACKAGE);
		expect(first?.threshold).toBe(2);
		// The key given to Seal is the one used, zeroed afterwards; each envelope has its own.
		expect(zero(first?.data as Uint8Array)).toBe(true);
		const keys = [...seal.keys.values()];
		expect(keys[0]).toHaveLength(32);
		expect(zero(keys[0] as Uint8Array)).toBe(false);
		expect(keys[0]).not.toEqual(keys[1]);
		expect(second?.data).not.toBe(first?.data);
	});

	it('a failing input stream is InvalidInputError and the key is still zeroed', async () => {
		const seal = fakeSeal();
		async function* broken(): AsyncGenerator<Uint8Array> {
			yield new Uint8Array(10);
			throw new Error('EIO');
		}
		const error = await rejection(
			collectBytes(
				encryptEnvelope(broken(), {
					sealClient: seal.client,
					packageId: PACKAGE,
					innerId: new Uint8Array(1),
					threshold: 2,
				}),
			),
		);
		expect(error).toBeInstanceOf(InvalidInputError);
		expect((error as Error).cause).toBeInstanceOf(Error);
		expect(zero(seal.encryptCalls[0]?.data as Uint8Array)).toBe(true);
	});
});

describe('decryptEnvelope', () => {
	it('round-trips bytes, pieces and an opened envelope; the unsealed key is zeroed after', async () => {
		const seal = fakeSeal();
		const plaintext = new Uint8Array(randomBytes(200));
		const bytes = await encrypted(seal, plaintext);
		expect(await collectBytes(decryptEnvelope(bytes, access(seal)))).toEqual(plaintext);
		const pieces = [bytes.subarray(0, 7), bytes.subarray(7, 300), bytes.subarray(300)];
		expect(await collectBytes(decryptEnvelope(pieces, access(seal)))).toEqual(plaintext);
		const opened = await readEnvelopeHeader(bytes);
		expect(await collectBytes(decryptEnvelope(opened, access(seal)))).toEqual(plaintext);
		expect(seal.released).toHaveLength(3);
		for (const key of seal.released) expect(zero(key)).toBe(true);
	});

	it('null, a string or a number as input is InvalidInputError, never a bare TypeError', async () => {
		const seal = fakeSeal();
		for (const input of [null, 'not bytes', 42]) {
			const bad = input as unknown as Uint8Array;
			await expect(collectBytes(decryptEnvelope(bad, access(seal)))).rejects.toBeInstanceOf(
				InvalidInputError,
			);
			await expect(
				collectBytes(rewrapEnvelope(bad, { access: access(seal), sealClient: seal.client })),
			).rejects.toBeInstanceOf(InvalidInputError);
		}
		expect(seal.decryptCalls).toHaveLength(0);
	});

	it('trusts the header bytes, not a caller-edited header object', async () => {
		const seal = fakeSeal();
		const plaintext = new Uint8Array(randomBytes(150));
		const opened = await readEnvelopeHeader(await encrypted(seal, plaintext));
		const edited = { ...opened, header: { ...opened.header, chunkSize: 128, version: 1 } };
		expect(await collectBytes(decryptEnvelope(edited, access(seal)))).toEqual(plaintext);
	});

	it('header bytes with anything after the header are refused', async () => {
		const seal = fakeSeal();
		const opened = await readEnvelopeHeader(await encrypted(seal, new Uint8Array(10)));
		const padded = { ...opened, headerBytes: concatBytes([opened.headerBytes, new Uint8Array(1)]) };
		const error = await rejection(collectBytes(decryptEnvelope(padded, access(seal))));
		expect(error).toBeInstanceOf(MalformedCiphertextError);
		expect(seal.decryptCalls).toHaveLength(0);
	});

	it('a modified header byte fails the MAC; a modified chunk or a cut fails the data', async () => {
		const seal = fakeSeal();
		const bytes = await encrypted(seal, new Uint8Array(randomBytes(100)));
		const { headerBytes } = await readEnvelopeHeader(bytes);
		// The chunk size (64 -> 320, still valid) and the MAC itself: only the MAC notices.
		const chunkSizeAt = 5 + 33 * SERVERS.length + 32 + 2 + 3;
		for (const at of [chunkSizeAt + 2, headerBytes.length - 1]) {
			const header = bytes.slice();
			header[at] = (header[at] as number) ^ 1;
			await expect(collectBytes(decryptEnvelope(header, access(seal)))).rejects.toBeInstanceOf(
				DecryptionFailedError,
			);
		}
		const chunk = bytes.slice();
		chunk[headerBytes.length + 3] = (chunk[headerBytes.length + 3] as number) ^ 1;
		await expect(collectBytes(decryptEnvelope(chunk, access(seal)))).rejects.toBeInstanceOf(
			DecryptionFailedError,
		);
		await expect(
			collectBytes(decryptEnvelope(bytes.subarray(0, bytes.length - 20), access(seal))),
		).rejects.toBeInstanceOf(HarnessError);
		const released = seal.released.slice(1);
		for (const key of released) expect(zero(key)).toBe(true);
	});

	it('the chunks are bound to the header identity (AAD): a spliced body fails', async () => {
		const seal = fakeSeal();
		const plaintext = new Uint8Array(randomBytes(100));
		const a = await readEnvelopeHeader(await encrypted(seal, plaintext));
		// Same data key, different identity: a header that verifies but does not match the chunks.
		const dataKey = seal.keys.get(toHex(a.header.sealedKey)) as Uint8Array;
		const sealedB = sealedObject({ id: 'beef' });
		seal.keys.set(toHex(sealedB), dataKey);
		const headerB = encodeEnvelopeHeader(headerFromSealedKey(sealedB, MIN_CHUNK_SIZE), dataKey);
		const body = await collectBytes(a.body);
		await expect(
			collectBytes(decryptEnvelope(concatBytes([headerB, body]), access(seal))),
		).rejects.toBeInstanceOf(DecryptionFailedError);
	});

	it('reads version-1 envelopes (no MAC, v1 chunks)', async () => {
		const seal = fakeSeal();
		const sealedKey = sealedObject();
		const dataKey = new Uint8Array(randomBytes(32));
		seal.keys.set(toHex(sealedKey), dataKey);
		const plaintext = new Uint8Array(randomBytes(130));
		const bytes = envelopeV1(sealedKey, dataKey, MIN_CHUNK_SIZE, plaintext);
		expect(await collectBytes(decryptEnvelope(bytes, access(seal)))).toEqual(plaintext);
	});

	it('a failing body stream is InvalidInputError and the key is zeroed', async () => {
		const seal = fakeSeal();
		const bytes = await encrypted(seal, new Uint8Array(300));
		const { headerBytes } = await readEnvelopeHeader(bytes);
		async function* broken(): AsyncGenerator<Uint8Array> {
			yield bytes.subarray(0, headerBytes.length + 100);
			throw new Error('EIO');
		}
		const error = await rejection(collectBytes(decryptEnvelope(broken(), access(seal))));
		expect(error).toBeInstanceOf(InvalidInputError);
		expect(zero(seal.released[0] as Uint8Array)).toBe(true);
	});
});

describe('readEnvelopeHeader', () => {
	it('takes exactly the header whatever the pieces, hands on the rest, maps stream errors', async () => {
		const seal = fakeSeal();
		const bytes = await encrypted(seal, new Uint8Array(randomBytes(90)));
		const { headerBytes } = await readEnvelopeHeader(bytes);
		for (const size of [1, 3, 64, headerBytes.length, headerBytes.length + 5, bytes.length]) {
			const pieces: Uint8Array[] = [];
			for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
			const opened = await readEnvelopeHeader(pieces);
			expect(opened.headerBytes).toEqual(headerBytes);
			expect(opened.header).toEqual(decodeEnvelopeHeader(headerBytes).header);
			expect(await collectBytes(opened.body)).toEqual(bytes.subarray(headerBytes.length));
		}
		await expect(
			readEnvelopeHeader(bytes.subarray(0, headerBytes.length - 1)),
		).rejects.toBeInstanceOf(TruncatedInputError);
		async function* broken(): AsyncGenerator<Uint8Array> {
			yield bytes.subarray(0, 10);
			throw new Error('EIO');
		}
		await expect(readEnvelopeHeader(broken())).rejects.toBeInstanceOf(InvalidInputError);
	});
});

describe('rewrapEnvelope', () => {
	it('re-seals the same key (same identity, threshold kept or changed) and keeps the data bytes', async () => {
		const seal = fakeSeal();
		const plaintext = new Uint8Array(randomBytes(170));
		const bytes = await encrypted(seal, plaintext);
		const old = await readEnvelopeHeader(bytes);
		const kept = await collectBytes(
			rewrapEnvelope(bytes, { access: access(seal), sealClient: seal.client }),
		);
		const changed = await collectBytes(
			rewrapEnvelope(await readEnvelopeHeader(bytes), {
				access: access(seal),
				sealClient: seal.client,
				threshold: 1,
			}),
		);
		const [, first, second] = seal.encryptCalls;
		const dataKey = seal.keys.get(toHex(old.header.sealedKey)) as Uint8Array;
		expect(first).toMatchObject({ threshold: 2, packageId: PACKAGE, id: 'c0ffee' });
		expect(second).toMatchObject({ threshold: 1, packageId: PACKAGE, id: 'c0ffee' });
		for (const out of [kept, changed]) {
			const opened = await readEnvelopeHeader(out);
			expect(opened.header.version).toBe(2);
			expect(opened.headerBytes).not.toEqual(old.headerBytes);
			// The new sealed key holds the same data key.
			expect(seal.keys.get(toHex(opened.header.sealedKey))).toEqual(dataKey);
			expect(await collectBytes(opened.body)).toEqual(bytes.subarray(old.headerBytes.length));
			expect(await collectBytes(decryptEnvelope(out, access(seal)))).toEqual(plaintext);
		}
		// The unsealed copies (two rewraps + two decrypts) are all zeroed.
		for (const key of seal.released) expect(zero(key)).toBe(true);
	});

	it('keeps version 1 for a version-1 envelope', async () => {
		const seal = fakeSeal();
		const sealedKey = sealedObject();
		const dataKey = new Uint8Array(randomBytes(32));
		seal.keys.set(toHex(sealedKey), dataKey);
		const plaintext = new Uint8Array(randomBytes(70));
		const bytes = envelopeV1(sealedKey, dataKey, MIN_CHUNK_SIZE, plaintext);
		const out = await collectBytes(
			rewrapEnvelope(bytes, { access: access(seal), sealClient: seal.client }),
		);
		expect((await readEnvelopeHeader(out)).header.version).toBe(1);
		expect(await collectBytes(decryptEnvelope(out, access(seal)))).toEqual(plaintext);
	});

	it('refuses a modified header before sealing anything; maps body errors', async () => {
		const seal = fakeSeal();
		const bytes = await encrypted(seal, new Uint8Array(100));
		const tampered = bytes.slice();
		const macByte = (await readEnvelopeHeader(bytes)).headerBytes.length - 1;
		tampered[macByte] = (tampered[macByte] as number) ^ 1;
		await expect(
			collectBytes(rewrapEnvelope(tampered, { access: access(seal), sealClient: seal.client })),
		).rejects.toBeInstanceOf(DecryptionFailedError);
		expect(seal.encryptCalls).toHaveLength(1);
		const failing = {
			encrypt: async () => {
				throw new TypeError('fetch failed');
			},
		};
		await expect(
			collectBytes(rewrapEnvelope(bytes, { access: access(seal), sealClient: failing })),
		).rejects.toBeInstanceOf(SealKeyServerError);
		for (const key of seal.released) expect(zero(key)).toBe(true);
		const { headerBytes } = await readEnvelopeHeader(bytes);
		async function* broken(): AsyncGenerator<Uint8Array> {
			yield bytes.subarray(0, headerBytes.length + 100);
			throw new Error('EIO');
		}
		await expect(
			collectBytes(rewrapEnvelope(broken(), { access: access(seal), sealClient: seal.client })),
		).rejects.toBeInstanceOf(InvalidInputError);
	});
});
