/**
 * Hostile envelopes against real key servers (issue 13, defects 3–5): every header byte is
 * authenticated (format v2), every failure is a typed library error (SDK and curve errors become
 * the `cause`, a non-Error rejection never escapes), `checkShareConsistency` reaches the SDK,
 * and version-1 envelopes stay readable. Seeded and replayable (HOSTILE_SEED); nightly scale
 * (every header byte): HOSTILE_ENVELOPE_ALL=1.
 */
import { randomBytes } from 'node:crypto';

import { SealClient } from '@mysten/seal';
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
import { HarnessError } from '../../ts/errors.js';
import { DecryptionFailedError, MalformedCiphertextError, TruncatedInputError } from '../../ts/crypto/errors.js';
import { SealKeyServerError } from '../../ts/crypto/seal-errors.js';
import { allowlistInnerId, randomNonce, toHex } from '../../ts/identity.js';
import { envelopeV1 } from '../support/envelope-v1.js';
import { rng } from '../support/hostile-parse-fuzz.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

const seed = Number(process.env['HOSTILE_SEED'] ?? Date.now() % 2 ** 31);
const everyByte = process.env['HOSTILE_ENVELOPE_ALL'] === '1';
const TAMPERS = Number(process.env['HOSTILE_ENVELOPE_TAMPERS'] ?? 40);

let bed: SealTestbed;
let ids: string[];
let user: Ed25519Keypair;
let innerId: Uint8Array;
let plaintext: Uint8Array;
let envelope: Uint8Array;
let headerLength: number;
/** One client whose key cache holds the identity's keys: tampers are decided locally. */
let cached: EnvelopeAccess;

const client = (servers = ids) =>
	new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs(servers) });

async function accessFor(servers = ids): Promise<EnvelopeAccess> {
	return {
		sealClient: client(servers),
		sessionKey: await bed.newSessionKey(user),
		txBytes: await bed.approveTxBytes([innerId]),
	};
}

async function seal(data: Uint8Array, chunkSize: number): Promise<Uint8Array> {
	return collectBytes(
		encryptEnvelope(data, {
			sealClient: client(),
			packageId: bed.packageId,
			innerId,
			threshold: 2,
			chunkSize,
		}),
	);
}

/** Decrypts, returning released plaintext pieces and the error (if any). */
async function attempt(bytes: Uint8Array, access: EnvelopeAccess) {
	const released: Uint8Array[] = [];
	try {
		for await (const piece of decryptEnvelope(bytes, access)) released.push(piece);
		return { released, error: undefined as unknown };
	} catch (error) {
		return { released, error };
	}
}

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3 });
	ids = bed.servers.map((server) => server.objectId);
	user = bed.newUser();
	innerId = allowlistInnerId(randomObjectId(), randomNonce());
	bed.policy.allow(toHex(innerId), user.toSuiAddress());
	plaintext = new Uint8Array(randomBytes(3000));
	envelope = await seal(plaintext, 1024);
	headerLength = (await readEnvelopeHeader(envelope)).headerBytes.length;
	cached = await accessFor();
	const first = await collectBytes(decryptEnvelope(envelope, cached));
	expect(Buffer.from(first).equals(plaintext)).toBe(true);
}, 60_000);
afterAll(async () => {
	await bed?.close();
});

describe(`tampered envelope headers (seed ${seed})`, () => {
	it('every header byte is bound: a flipped bit anywhere is a typed error and releases nothing', async () => {
		const r = rng(seed);
		// Always cover the fixed fields, the chunk size, the sealed key and the MAC; then random bytes.
		const innerLength = innerId.length;
		const chunkAt = 5 + 3 * 33 + 32 + 2 + innerLength;
		const positions = everyByte
			? Array.from({ length: headerLength }, (_, i) => i)
			: [
					2,
					3,
					4,
					5,
					5 + 32,
					chunkAt,
					chunkAt + 3,
					chunkAt + 8,
					chunkAt + 8 + 40,
					headerLength - 1,
					headerLength - 32,
					...Array.from({ length: TAMPERS }, () => r.int(headerLength)),
				];
		const outcomes = new Map<string, number>();
		for (const at of positions) {
			const bad = Uint8Array.from(envelope);
			bad[at] = (bad[at] as number) ^ (1 << r.int(8));
			const start = Date.now();
			const { released, error } = await attempt(bad, cached);
			expect(error, `seed ${seed}, byte ${at}`).toBeInstanceOf(HarnessError);
			expect(released, `seed ${seed}, byte ${at}`).toEqual([]);
			// Decided from the cache or by the header alone: no input takes long.
			expect(Date.now() - start, `seed ${seed}, byte ${at}`).toBeLessThan(15_000);
			const name = (error as Error).name;
			outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
		}
		expect(
			[...outcomes.keys()].every((name) =>
				[
					'MalformedCiphertextError',
					'DecryptionFailedError',
					'TruncatedInputError',
					'SealKeyServerError',
				].includes(name),
			),
		).toBe(true);
		expect(outcomes.get('DecryptionFailedError')).toBeGreaterThan(0);
		expect(outcomes.get('MalformedCiphertextError')).toBeGreaterThan(0);
	}, 300_000);

	it('a changed chunk size on a single-chunk envelope no longer decrypts (v1 accepted it)', async () => {
		const small = await seal(new Uint8Array(randomBytes(100)), 1024);
		const at = 5 + 3 * 33 + 32 + 2 + innerId.length;
		const bad = Uint8Array.from(small);
		new DataView(bad.buffer).setUint32(at, 2048);
		expect((await readEnvelopeHeader(bad)).header.chunkSize).toBe(2048);
		const { released, error } = await attempt(bad, cached);
		expect(error).toBeInstanceOf(DecryptionFailedError);
		expect(String(error)).toMatch(/header failed authentication/);
		expect(released).toEqual([]);
	});

	it('a flipped share index in the sealed key fails whichever servers answer', async () => {
		const opened = await readEnvelopeHeader(envelope);
		// Sealed key: version, package, id (uleb + bytes), services count, then (id[32], index u8)×3.
		const sealedAt = headerLength - 32 - opened.header.sealedKey.length;
		const indexAt = sealedAt + 1 + 32 + 1 + innerId.length + 1 + 32;
		const bad = Uint8Array.from(envelope);
		bad[indexAt] = 7; // share index 1 → 7 (still distinct and non-zero)
		for (const pair of [
			[ids[0], ids[1]],
			[ids[1], ids[2]],
			[ids[0], ids[2]],
		] as string[][]) {
			const { released, error } = await attempt(bad, await accessFor(pair));
			expect(error, `servers ${pair.join(',')}`).toSatisfy(
				(e) => e instanceof DecryptionFailedError || e instanceof MalformedCiphertextError,
			);
			expect(released).toEqual([]);
		}
	}, 60_000);

	it('a damaged nonce point fails as MalformedCiphertextError before any key request', async () => {
		const opened = await readEnvelopeHeader(envelope);
		const sealedAt = headerLength - 32 - opened.header.sealedKey.length;
		const nonceAt = sealedAt + 1 + 32 + 1 + innerId.length + 1 + 3 * 33 + 1 + 1;
		const bad = Uint8Array.from(envelope);
		bad[nonceAt + 50] = (bad[nonceAt + 50] as number) ^ 0x10;
		const fresh = await accessFor();
		const before = bed.servers.map((server) => server.stats.fetchKeyRequests);
		const { error } = await attempt(bad, fresh);
		expect(error).toBeInstanceOf(MalformedCiphertextError);
		expect(String(error)).toMatch(/G2 point/);
		expect(bed.servers.map((server) => server.stats.fetchKeyRequests)).toEqual(before);
	});
});

describe('no untyped or non-Error rejection escapes', () => {
	it('access built for another identity → SealKeyServerError, never undefined', async () => {
		const other = allowlistInnerId(randomObjectId(), randomNonce());
		bed.policy.allow(toHex(other), user.toSuiAddress());
		const wrong: EnvelopeAccess = {
			sealClient: client(),
			sessionKey: await bed.newSessionKey(user),
			txBytes: await bed.approveTxBytes([other]),
		};
		const { released, error } = await attempt(envelope, wrong);
		expect(error).toBeInstanceOf(HarnessError);
		expect(released).toEqual([]);
		// The SDK itself rejects with `undefined` here (its majority error of an empty list).
		expect(error).toBeInstanceOf(SealKeyServerError);
		expect((error as SealKeyServerError).kind).toBe('NoKeyForIdentity');
		expect(String(error)).toMatch(/header\.innerId/);
	});

	it('an SDK refusal during encryption (threshold above the servers) is a SealKeyServerError', async () => {
		await expect(
			collectBytes(
				encryptEnvelope(new Uint8Array(10), {
					sealClient: client(),
					packageId: bed.packageId,
					innerId,
					threshold: 5,
				}),
			),
		).rejects.toSatisfy(
			(error) => error instanceof SealKeyServerError && error.cause instanceof Error,
		);
	});

	it('an input stream that fails is an InvalidInputError with the cause kept', async () => {
		async function* broken(): AsyncGenerator<Uint8Array> {
			yield envelope.subarray(0, headerLength + 10);
			throw Object.assign(new Error('EIO: disk went away'), { code: 'EIO' });
		}
		const { error } = await attempt(new Uint8Array(), cached);
		expect(error).toBeInstanceOf(TruncatedInputError);
		const released: Uint8Array[] = [];
		await expect(
			(async () => {
				for await (const piece of decryptEnvelope(broken(), cached)) released.push(piece);
			})(),
		).rejects.toThrow(/input: could not be read: EIO/);
		expect(released).toEqual([]);
	});
});

describe('share consistency and old envelopes', () => {
	it('checkShareConsistency reaches the SDK and an honest envelope passes it', async () => {
		const real = client();
		const seen: unknown[] = [];
		const recording = {
			decrypt: (options: Parameters<SealClient['decrypt']>[0]) => {
				seen.push(options.checkShareConsistency);
				return real.decrypt(options);
			},
		};
		const access = { ...(await accessFor()), sealClient: recording, checkShareConsistency: true };
		const plain = await collectBytes(decryptEnvelope(envelope, access));
		expect(Buffer.from(plain).equals(plaintext)).toBe(true);
		expect(seen).toEqual([true]);
	});

	it('a version-1 envelope (no header MAC) still decrypts, and rewrap keeps it version 1', async () => {
		const dataKey = new Uint8Array(randomBytes(32));
		const { encryptedObject } = await client().encrypt({
			threshold: 2,
			packageId: bed.packageId,
			id: toHex(innerId),
			data: dataKey,
		});
		const data = new Uint8Array(randomBytes(2500));
		const old = envelopeV1(encryptedObject, dataKey, 1024, data);
		expect(old[2]).toBe(1);
		const plain = await collectBytes(decryptEnvelope(old, cached));
		expect(Buffer.from(plain).equals(data)).toBe(true);

		const rewrapped = await collectBytes(
			rewrapEnvelope(old, { access: cached, sealClient: client(), threshold: 3 }),
		);
		const opened = await readEnvelopeHeader(rewrapped);
		expect(opened.header.version).toBe(1);
		expect(opened.header.threshold).toBe(3);
		const again = await collectBytes(decryptEnvelope(rewrapped, await accessFor()));
		expect(Buffer.from(again).equals(data)).toBe(true);
	}, 60_000);

	it('rewrap of a v2 envelope recomputes the MAC; a tampered v2 header cannot be rewrapped', async () => {
		const rewrapped = await collectBytes(
			rewrapEnvelope(envelope, { access: cached, sealClient: client(), threshold: 3 }),
		);
		expect(rewrapped[2]).toBe(2);
		const plain = await collectBytes(decryptEnvelope(rewrapped, await accessFor()));
		expect(Buffer.from(plain).equals(plaintext)).toBe(true);
		const bad = Uint8Array.from(envelope);
		bad[headerLength - 1] = (bad[headerLength - 1] as number) ^ 1; // last MAC byte
		await expect(
			collectBytes(rewrapEnvelope(bad, { access: cached, sealClient: client() })),
		).rejects.toThrow(DecryptionFailedError);
	}, 60_000);
});
