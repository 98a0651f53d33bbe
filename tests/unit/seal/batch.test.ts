import {
	EncryptedObject,
	SealClient,
	type DecryptOptions,
	type FetchKeysOptions,
} from '@mysten/seal';
import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { MalformedCiphertextError } from '../../../ts/crypto/errors.js';
import { SealAccessDeniedError, SealKeyServerError } from '../../../ts/crypto/seal-errors.js';
import { ownerInnerId, randomNonce, toHex } from '../../../ts/identity.js';
import { validatePtb } from '../../../ts/keyserver/valid-ptb.js';
import {
	batchDecrypt,
	guessPolicy,
	sealDecrypt,
	type SealKeyClient,
} from '../../../ts/seal/decrypt.js';
import { sealEncrypt } from '../../../ts/seal/encrypt.js';
import { createSessionKey } from '../../../ts/seal/session.js';
import { readBlob } from '../../../ts/crypto/node/format.js';
import {
	offlineApproveBuilder,
	startSealTestbed,
	type SealTestbed,
} from '../../support/seal-testbed.js';

function session(bed: SealTestbed, signer: Ed25519Keypair, packageId = bed.packageId) {
	return createSessionKey({ suiClient: bed.suiClient, signer, packageId });
}

function sealObjectOf(blob: Uint8Array): Uint8Array {
	const read = readBlob(blob);
	if (read.format !== 'seal-object') throw new Error(`unexpected format ${read.format}`);
	return read.encryptedObject;
}

describe('batch decrypt against offline key servers', () => {
	let bed: SealTestbed;
	beforeAll(async () => {
		bed = await startSealTestbed({ serverCount: 3 });
	});
	afterAll(async () => {
		await bed.close();
	});

	function client(): SealClient {
		return new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
	}

	/** A 2-of-3 Seal object only `owner` may open. */
	function sealForOwner(owner: string, data: Uint8Array) {
		return sealEncrypt({
			sealClient: client(),
			packageId: bed.packageId,
			target: { policy: 'owner', owner },
			threshold: 2,
			data,
		});
	}

	it('decrypts with checkShareConsistency; a forged object is a MalformedCiphertextError', async () => {
		const user = bed.newUser();
		const owner = user.toSuiAddress();
		const sealed = await sealForOwner(owner, new Uint8Array([1, 2, 3]));
		bed.policy.allow(sealed.innerIdHex, owner);
		const honest = sealObjectOf(sealed.blob);
		// Server 3's encrypted share altered after encryption.
		const parsed = EncryptedObject.parse(honest);
		const ibe = parsed.encryptedShares.BonehFranklinBLS12381;
		if (!ibe) throw new Error('expected a Boneh-Franklin object');
		const shares = ibe.encryptedShares.map((share) => Uint8Array.from(share));
		shares[2]![0]! ^= 1;
		const forged = EncryptedObject.serialize({
			...parsed,
			encryptedShares: { BonehFranklinBLS12381: { ...ibe, encryptedShares: shares } },
		}).toBytes();
		const sessionKey = await session(bed, user);
		const run = (data: Uint8Array) =>
			sealDecrypt({
				sealClient: client(),
				session: sessionKey,
				data,
				policy: 'owner',
				buildTxBytes: offlineApproveBuilder(bed.packageId),
				checkShareConsistency: true,
			});
		expect(Array.from(await run(honest))).toEqual([1, 2, 3]);
		await expect(run(forged)).rejects.toThrow(MalformedCiphertextError);
	});

	it('decrypts 5 owner blobs with one fetch_key per chunk of ids, in input order', async () => {
		const user = bed.newUser();
		const owner = user.toSuiAddress();
		const plaintexts = Array.from({ length: 5 }, (_, i) => new TextEncoder().encode(`blob ${i}`));
		const blobs = [];
		for (const data of plaintexts) {
			const sealed = await sealForOwner(owner, data);
			bed.policy.allow(sealed.innerIdHex, owner);
			blobs.push(sealObjectOf(sealed.blob));
		}
		const before = bed.servers.map((s) => s.stats.fetchKeyRequests);
		const sessionKey = await session(bed, user);
		const out = await batchDecrypt({
			sealClient: client(),
			session: sessionKey,
			items: blobs.map((data) => ({ data, policy: 'owner' as const })),
			buildTxBytes: offlineApproveBuilder(bed.packageId),
			chunkSize: 2,
		});
		expect(out.map((b) => new TextDecoder().decode(b))).toEqual(
			plaintexts.map((b) => new TextDecoder().decode(b)),
		);
		// 3 chunks (2+2+1). The SDK stops at the threshold, so each chunk reached 2 or 3 servers.
		const requests = bed.servers.map((s, i) => s.stats.fetchKeyRequests - (before[i] ?? 0));
		const total = requests.reduce((a, b) => a + b, 0);
		expect(total).toBeGreaterThanOrEqual(3 * 2);
		expect(total).toBeLessThanOrEqual(3 * 3);
	});

	it('reports a denial as SealAccessDeniedError naming what to do', async () => {
		const owner = bed.newUser();
		const stranger = bed.newUser();
		const sealed = await sealForOwner(owner.toSuiAddress(), new Uint8Array([1, 2, 3]));
		bed.policy.allow(sealed.innerIdHex, owner.toSuiAddress());
		const sessionKey = await session(bed, stranger);
		const attempt = sealDecrypt({
			sealClient: client(),
			session: sessionKey,
			data: sealObjectOf(sealed.blob),
			policy: 'owner',
			buildTxBytes: offlineApproveBuilder(bed.packageId),
		});
		await expect(attempt).rejects.toThrow(SealAccessDeniedError);
		await expect(attempt).rejects.toThrow(stranger.toSuiAddress());
	});

	it('says which servers to check when too many are down', async () => {
		const owner = bed.newUser();
		const sealed = await sealForOwner(owner.toSuiAddress(), new Uint8Array([9]));
		bed.policy.allow(sealed.innerIdHex, owner.toSuiAddress());
		const sessionKey = await session(bed, owner);
		const decrypt = () =>
			sealDecrypt({
				sealClient: client(),
				session: sessionKey,
				data: sealObjectOf(sealed.blob),
				policy: 'owner',
				buildTxBytes: offlineApproveBuilder(bed.packageId),
			});
		const [first, second] = bed.servers;
		await first?.stop();
		try {
			// One server down of three, threshold 2: still decrypts.
			expect(Array.from(await decrypt())).toEqual([9]);
			await second?.stop();
			const failure = decrypt();
			await expect(failure).rejects.toThrow(SealKeyServerError);
			await expect(failure).rejects.toThrow(/not enough key servers answered to reach threshold 2/);
		} finally {
			await first?.start();
			await second?.start();
		}
	});

	it('refuses blobs encrypted under another package than the session key', async () => {
		const owner = bed.newUser();
		const sealed = await sealForOwner(owner.toSuiAddress(), new Uint8Array([1]));
		const otherPackage = bed.registry.registerPackage(`0x${'5a'.repeat(32)}`, 1);
		const sessionKey = await session(bed, owner, otherPackage);
		await expect(
			sealDecrypt({
				sealClient: client(),
				session: sessionKey,
				data: sealObjectOf(sealed.blob),
				policy: 'owner',
				buildTxBytes: offlineApproveBuilder(bed.packageId),
			}),
		).rejects.toThrow(/session key is for/);
	});
});

/** Records calls; "decrypts" by returning the id bytes so ordering can be checked. */
class RecordingClient implements SealKeyClient {
	readonly fetches: { ids: string[]; txBytes: Uint8Array; threshold: number }[] = [];
	readonly decrypts: {
		data: Uint8Array;
		txBytes: Uint8Array;
		checkShareConsistency: boolean | undefined;
	}[] = [];
	async fetchKeys(options: FetchKeysOptions): Promise<void> {
		this.fetches.push({
			ids: [...options.ids],
			txBytes: options.txBytes,
			threshold: options.threshold,
		});
	}
	async decrypt(options: DecryptOptions): Promise<Uint8Array> {
		this.decrypts.push({
			data: options.data,
			txBytes: options.txBytes,
			checkShareConsistency: options.checkShareConsistency,
		});
		return options.data;
	}
}

describe('batch decrypt chunking', () => {
	let bed: SealTestbed;
	const blobs: Uint8Array[] = [];
	const ids: string[] = [];
	const owner = `0x${'77'.repeat(32)}`;

	beforeAll(async () => {
		// Real EncryptedObjects (encryption is local), one key server to keep it cheap.
		bed = await startSealTestbed({ serverCount: 1 });
		const sealClient = new SealClient({
			suiClient: bed.suiClient,
			serverConfigs: bed.serverConfigs(),
		});
		const template = await sealClient.encrypt({
			threshold: 1,
			packageId: bed.packageId,
			id: toHex(ownerInnerId(owner)),
			data: new Uint8Array([0]),
		});
		const { EncryptedObject } = await import('@mysten/seal');
		const parsed = EncryptedObject.parse(template.encryptedObject);
		// 250 objects that differ only in their id (decrypt is recorded, never run).
		for (let i = 0; i < 250; i++) {
			const id = toHex(ownerInnerId(owner, randomNonce(4)));
			ids.push(id);
			blobs.push(EncryptedObject.serialize({ ...parsed, id }).toBytes());
		}
	});
	afterAll(async () => {
		await bed.close();
	});

	it('calls fetchKeys ceil(N/100) times with at most 100 ids, each with valid approval bytes', async () => {
		const recorder = new RecordingClient();
		const sessionKey = await session(bed, bed.newUser());
		// Duplicates share a key: 250 unique + 30 repeats still need only 3 requests.
		const items = [...blobs, ...blobs.slice(0, 30)].map((data) => ({
			data,
			policy: 'owner' as const,
		}));
		const out = await batchDecrypt({
			sealClient: recorder,
			session: sessionKey,
			items,
			buildTxBytes: offlineApproveBuilder(bed.packageId),
		});
		expect(recorder.fetches).toHaveLength(3);
		expect(recorder.fetches.map((f) => f.ids.length)).toEqual([100, 100, 50]);
		expect(recorder.fetches.flatMap((f) => f.ids)).toEqual(ids);
		for (const fetch of recorder.fetches) {
			const valid = validatePtb(fetch.txBytes.slice(1));
			expect(valid.innerIds.map(toHex)).toEqual(fetch.ids);
			expect(fetch.threshold).toBe(1);
		}
		expect(recorder.decrypts).toHaveLength(items.length);
		// Every decrypt uses the txBytes of the chunk that fetched its key; results keep input order.
		expect(out.map((b, i) => b === items[i]?.data)).toEqual(items.map(() => true));
		const chunkOf = (data: Uint8Array) => {
			const ordinal = blobs.indexOf(data);
			return recorder.fetches[Math.floor(ordinal / 100)]?.txBytes;
		};
		for (const { data, txBytes } of recorder.decrypts) expect(txBytes).toBe(chunkOf(data));
	});

	it('asks the SDK for share-consistency checks only when told to', async () => {
		const sessionKey = await session(bed, bed.newUser());
		const items = blobs.slice(0, 2).map((data) => ({ data, policy: 'owner' as const }));
		const options = {
			session: sessionKey,
			items,
			buildTxBytes: offlineApproveBuilder(bed.packageId),
		};
		const plain = new RecordingClient();
		await batchDecrypt({ ...options, sealClient: plain });
		expect(plain.decrypts.map((d) => d.checkShareConsistency)).toEqual([undefined, undefined]);
		const checked = new RecordingClient();
		await batchDecrypt({ ...options, sealClient: checked, checkShareConsistency: true });
		expect(checked.decrypts.map((d) => d.checkShareConsistency)).toEqual([true, true]);
	});

	it('takes a renewer and asks it for a key before every chunk', async () => {
		const recorder = new RecordingClient();
		const sessionKey = await session(bed, bed.newUser());
		let asked = 0;
		await batchDecrypt({
			sealClient: recorder,
			session: { current: async () => (asked++, sessionKey) },
			items: blobs.slice(0, 201).map((data) => ({ data, policy: 'owner' as const })),
			buildTxBytes: offlineApproveBuilder(bed.packageId),
		});
		expect(asked).toBe(3);
	});

	it('rejects a chunk size above the key-server limit and non-Seal bytes', async () => {
		const sessionKey = await session(bed, bed.newUser());
		const base = {
			sealClient: new RecordingClient(),
			session: sessionKey,
			buildTxBytes: offlineApproveBuilder(bed.packageId),
		};
		await expect(batchDecrypt({ ...base, items: [], chunkSize: 101 })).rejects.toThrow(
			InvalidInputError,
		);
		await expect(
			batchDecrypt({ ...base, items: [{ data: new Uint8Array([1, 2, 3]), policy: 'owner' }] }),
		).rejects.toThrow(/not a Seal encrypted object/);
	});
});

describe('guessPolicy', () => {
	it('picks owner only when the prefix is the asking address', () => {
		const me = `0x${'0a'.repeat(32)}`;
		expect(guessPolicy(toHex(ownerInnerId(me, randomNonce())), me)).toBe('owner');
		expect(guessPolicy(toHex(ownerInnerId(`0x${'0b'.repeat(32)}`, randomNonce())), me)).toBe(
			'allowlist',
		);
	});
});
