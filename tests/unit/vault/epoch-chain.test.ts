/**
 * Authenticated epochs (ts/vault/epoch-chain.ts): what each epoch hash covers, the commitment
 * under the previous key, pins, and the chain checks. Known answers pin the on-disk format
 * (computed once by this version, like tests/fixtures/vault/; never update them to make a change
 * pass).
 */
import { describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../../ts/errors.js';
import {
	checkChainLinks,
	commitmentMatches,
	epochCommitment,
	epochHash,
	formatPin,
	GENESIS_PREV_HASH,
	metaDigest,
	parsePin,
} from '../../../ts/vault/epoch-chain.js';
import { VaultIntegrityError } from '../../../ts/vault/errors.js';
import type { EpochRow, VaultMeta } from '../../../ts/vault/storage.js';

const meta = (): VaultMeta => ({
	vaultId: new Uint8Array(16).fill(7),
	policy: 'allowlist',
	target: `0x${'ab'.repeat(32)}`,
	packageId: `0x${'cd'.repeat(32)}`,
	threshold: 2,
	servers: [`0x${'01'.repeat(32)}`, `0x${'02'.repeat(32)}`],
	createdAtMs: 1_700_000_000_000,
});

const key = (fill: number) => new Uint8Array(32).fill(fill);

function row0(): EpochRow {
	return {
		epoch: 0,
		sealedKey: new Uint8Array([1, 2, 3]),
		members: ['0x1'],
		createdAtMs: 5,
		prevHash: GENESIS_PREV_HASH,
		commitment: new Uint8Array(),
		retired: [],
		resealing: [],
	};
}

/** A well-formed chain of `n` epochs, each committed to by `key(epoch)`. */
function chain(m: VaultMeta, n: number): EpochRow[] {
	const rows = [row0()];
	for (let e = 1; e < n; e++) {
		const row: EpochRow = {
			...row0(),
			epoch: e,
			sealedKey: new Uint8Array([e]),
			prevHash: epochHash(m, rows[e - 1]!),
		};
		row.commitment = epochCommitment(key(e - 1), m, epochHash(m, row));
		rows.push(row);
	}
	return rows;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('epoch hashes', () => {
	it('known answers: metadata digest, epoch hash, commitment', () => {
		const m = meta();
		expect(hex(metaDigest(m))).toBe(KAT.meta);
		expect(hex(epochHash(m, row0()))).toBe(KAT.epoch0);
		expect(hex(epochCommitment(key(9), m, epochHash(m, row0())))).toBe(KAT.commitment);
		expect(hex(GENESIS_PREV_HASH)).toBe('00'.repeat(32));
		// No members (an owner vault), sets in any order.
		const later: EpochRow = {
			epoch: 2,
			sealedKey: new Uint8Array([9, 9]),
			members: undefined,
			createdAtMs: 7,
			prevHash: new Uint8Array(32).fill(0x11),
			commitment: new Uint8Array(32),
			retired: [2, 0],
			resealing: [1],
		};
		expect(hex(epochHash(m, later))).toBe(KAT.epoch2);
	});

	it('every metadata field and every row field changes the hash (the commitment excluded)', () => {
		const m = meta();
		const base = hex(epochHash(m, row0()));
		const metas: Partial<VaultMeta>[] = [
			{ vaultId: new Uint8Array(16).fill(8) },
			{ policy: 'owner' },
			{ target: `0x${'ac'.repeat(32)}` },
			{ packageId: `0x${'ce'.repeat(32)}` },
			{ threshold: 1 },
			{ servers: [`0x${'01'.repeat(32)}`] },
			{ createdAtMs: 1_700_000_000_001 },
		];
		for (const change of metas) {
			expect(hex(epochHash({ ...m, ...change }, row0())), JSON.stringify(change)).not.toBe(base);
		}
		const rows: Partial<EpochRow>[] = [
			{ epoch: 1 },
			{ sealedKey: new Uint8Array([1, 2, 4]) },
			{ members: undefined },
			{ members: [] },
			{ members: ['0x2'] },
			{ createdAtMs: 6 },
			{ prevHash: new Uint8Array(32).fill(1) },
			{ retired: [0] },
			{ resealing: [0] },
		];
		for (const change of rows) {
			expect(hex(epochHash(m, { ...row0(), ...change })), JSON.stringify(change)).not.toBe(base);
		}
		expect(hex(epochHash(m, { ...row0(), commitment: new Uint8Array(32) }))).toBe(base);
		// Sets: order and repeats do not matter.
		expect(hex(epochHash(m, { ...row0(), retired: [2, 1, 2] }))).toBe(
			hex(epochHash(m, { ...row0(), retired: [1, 2] })),
		);
		// Fields are framed: bytes cannot move from one field to the next.
		const a = epochHash(m, { ...row0(), sealedKey: new Uint8Array([1, 2]), members: ['0x1'] });
		const b = epochHash(m, { ...row0(), sealedKey: new Uint8Array([1]), members: ['0x1'] });
		expect(hex(a)).not.toBe(hex(b));
	});

	it("a commitment matches only the previous epoch's key and the exact hash", () => {
		const m = meta();
		const hash = epochHash(m, row0());
		const row = { ...row0(), commitment: epochCommitment(key(3), m, hash) };
		expect(row.commitment).toHaveLength(32);
		expect(commitmentMatches(key(3), m, row, hash)).toBe(true);
		expect(commitmentMatches(key(4), m, row, hash)).toBe(false);
		expect(commitmentMatches(key(3), { ...m, vaultId: new Uint8Array(16) }, row, hash)).toBe(false);
		expect(commitmentMatches(key(3), m, row, epochHash(m, { ...row0(), epoch: 1 }))).toBe(false);
		expect(
			commitmentMatches(key(3), m, { ...row, commitment: row.commitment.subarray(0, 31) }, hash),
		).toBe(false);
		expect(commitmentMatches(key(3), m, { ...row, commitment: new Uint8Array() }, hash)).toBe(
			false,
		);
	});
});

describe('pins', () => {
	it('format and parse round-trip; bad pins are InvalidInputError naming the field', () => {
		const pin = { epoch: 12, hash: new Uint8Array(32).fill(0xab) };
		const text = formatPin(pin);
		expect(text).toBe(`12:${'ab'.repeat(32)}`);
		expect(parsePin(text)).toEqual(pin);
		expect(parsePin(` ${text.toUpperCase()} `)).toEqual(pin);
		expect(parsePin(`4294967295:${'00'.repeat(32)}`).epoch).toBe(4294967295);
		expect(parsePin(`0:${'00'.repeat(32)}`).epoch).toBe(0);
		expect(() => parsePin('0')).toThrow(/^pin: /);
		for (const bad of [
			'',
			'12',
			`12-${'ab'.repeat(32)}`,
			`12:${'ab'.repeat(31)}`,
			`12:${'ab'.repeat(33)}`,
			`12:${'ag'.repeat(32)}`,
			`012:${'ab'.repeat(32)}`,
			`-1:${'ab'.repeat(32)}`,
			`4294967296:${'ab'.repeat(32)}`,
			`12:${'ab'.repeat(32)}x`,
			`x12:${'ab'.repeat(32)}`,
		]) {
			const error = (() => {
				try {
					parsePin(bad, '--pin');
				} catch (e) {
					return e;
				}
				return undefined;
			})();
			expect(error, bad).toBeInstanceOf(InvalidInputError);
			expect((error as Error).message, bad).toMatch(/^--pin: .*EPOCH:HASH/);
		}
	});
});

describe('chain links', () => {
	const problem = (fn: () => unknown) => {
		try {
			fn();
		} catch (e) {
			expect(e).toBeInstanceOf(VaultIntegrityError);
			return (e as VaultIntegrityError).problem;
		}
		return undefined;
	};

	it('a well-formed chain: hashes of every row; the pin (or epoch 0) is what is trusted', () => {
		const m = meta();
		const rows = chain(m, 3);
		const { hashes, trusted } = checkChainLinks(m, rows, undefined);
		expect(hashes.map(hex)).toEqual(rows.map((r) => hex(epochHash(m, r))));
		expect(trusted).toBe(1);
		expect(checkChainLinks(m, rows, { epoch: 1, hash: hashes[1]! }).trusted).toBe(2);
		expect(checkChainLinks(m, rows, { epoch: 2, hash: hashes[2]! }).trusted).toBe(3);
		expect(checkChainLinks(m, [], undefined)).toEqual({ hashes: [], trusted: 0 });
	});

	it('gaps, broken links, a pin past the newest epoch or not matching are refused', () => {
		const m = meta();
		const rows = chain(m, 3);
		const { hashes } = checkChainLinks(m, rows, undefined);
		expect(problem(() => checkChainLinks(m, [rows[0]!, rows[2]!], undefined))).toBe(
			'epoch-deleted',
		);
		expect(problem(() => checkChainLinks(m, rows.slice(1), undefined))).toBe('epoch-deleted');
		expect(
			problem(() =>
				checkChainLinks(m, [{ ...rows[0]!, prevHash: new Uint8Array(32).fill(1) }], undefined),
			),
		).toBe('pin-mismatch');
		const edited = [rows[0]!, { ...rows[1]!, members: ['0x9'] }, rows[2]!];
		expect(problem(() => checkChainLinks(m, edited, undefined))).toBe('epoch-forged');
		expect(problem(() => checkChainLinks({ ...m, threshold: 1 }, rows, undefined))).toBe(
			'epoch-forged',
		);
		expect(
			problem(() => checkChainLinks(m, rows.slice(0, 2), { epoch: 2, hash: hashes[2]! })),
		).toBe('epoch-deleted');
		expect(problem(() => checkChainLinks(m, rows, { epoch: 1, hash: hashes[2]! }))).toBe(
			'pin-mismatch',
		);
		expect(
			problem(() =>
				checkChainLinks({ ...m, threshold: 1 }, rows.slice(0, 1), { epoch: 0, hash: hashes[0]! }),
			),
		).toBe('pin-mismatch');
		// Hash links alone do not vouch for rows after the pin: their MACs are the vault's job.
		const forged = [...rows, { ...row0(), epoch: 3, prevHash: hashes[2]!, commitment: key(0) }];
		expect(checkChainLinks(m, forged, { epoch: 2, hash: hashes[2]! }).trusted).toBe(3);
	});
});

/** Also recomputed independently (Python hashlib/hmac, RFC 5869 HKDF) from the layout in docs/vault.md. */
const KAT = {
	meta: 'ae41af4b42d27f465cde7b1a6413f62f76608139f0ce83df50f8a47ff4ec057b',
	epoch0: 'b85b355cc36f050a1f676c2c84c7c3026da860246d001511b5006cdc0d369cce',
	commitment: 'e3291315214b94b3850803cf4e492fdb2457adbad94fb80195dcaf7bac541f02',
	epoch2: '40229decdfbed5f61e444d5546b304f70114e58223e07f2eb246b34c25faac47',
};
