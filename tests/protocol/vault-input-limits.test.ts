/**
 * What the vault refuses before writing (issue 17 items 5 and 7), against the offline key
 * servers: ids outside the alphabet (U+0000 was stored and read back cut at the NUL, making the
 * record "tampered" and the whole vault's iterate fail), records above the maximum size, and
 * records files with one bad line. Each refusal makes no key request and writes nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../ts/errors.js';
import { VaultRecordTooLargeError } from '../../ts/vault/errors.js';
import { MAX_RECORD_BYTES } from '../../ts/vault/record-size.js';
import {
	exportRecordLines,
	formatRecordLine,
	importRecordsFile,
} from '../../ts/vault/records-file.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import { Vault } from '../../ts/vault/vault.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import { allowEpochs, fetchCounts, vaultSealFor } from '../support/vault-helpers.js';

let bed: SealTestbed;
let dir: string;
let owner: Ed25519Keypair;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3 });
	owner = bed.newUser();
});
afterAll(async () => {
	await bed?.close();
});
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'vault-limits-'));
	return () => rm(dir, { recursive: true, force: true });
});

/** A vault whose key is NOT cached: any write would have to ask the key servers first. */
async function coldVault(): Promise<Vault> {
	const path = join(dir, 'v.db');
	const created = await Vault.create({
		storage: await openSqliteStorage({ path, mode: 'create' }),
		target: { policy: 'allowlist', allowlistId: randomObjectId() },
		packageId: bed.packageId,
		threshold: 2,
		...(await vaultSealFor(bed, owner)),
	});
	allowEpochs(bed, created.meta, [0], owner.toSuiAddress());
	const pin = created.pin;
	await created.close();
	return Vault.open({
		storage: await openSqliteStorage({ path, mode: 'open' }),
		pin,
		...(await vaultSealFor(bed, owner)),
	});
}

const refusal = async (fn: () => Promise<unknown>) =>
	fn().then(
		() => undefined,
		(e: unknown) => e as Error,
	);

describe('refused before anything is written', () => {
	it('ids with U+0000, other controls or U+FFFD; the vault stays readable', async () => {
		const vault = await coldVault();
		const before = fetchCounts(bed);
		for (const id of ['a\u0000b', 'tab\there', 'id-\ufffd', 'line\u2028sep']) {
			const error = await refusal(() => vault.put(id, new Uint8Array([1])));
			expect(error, JSON.stringify(id)).toBeInstanceOf(InvalidInputError);
			expect(error!.message).toMatch(/^records\[0\]\.id: a record id must be printable UTF-8 text/);
		}
		// One bad id refuses the whole batch.
		const batch = await refusal(() =>
			vault.putMany([
				{ id: 'fine', data: new Uint8Array([1]) },
				{ id: 'x\u0000', data: new Uint8Array([2]) },
			]),
		);
		expect(batch?.message).toMatch(/^records\[1\]\.id:/);
		expect(fetchCounts(bed)).toEqual(before);
		expect((await vault.stats()).records).toBe(0);
		await vault.put('ok', new Uint8Array([3]));
		const all = [];
		for await (const r of vault.iterate()) all.push(r.id);
		expect(all).toEqual(['ok']);
		await vault.close();
	});

	it(`a record over ${MAX_RECORD_BYTES} bytes → VaultRecordTooLargeError, no key request; the maximum round-trips and exports`, async () => {
		const vault = await coldVault();
		const before = fetchCounts(bed);
		const error = await refusal(() =>
			vault.putMany([
				{ id: 'small', data: new Uint8Array(1) },
				{ id: 'big', data: new Uint8Array(MAX_RECORD_BYTES + 1) },
			]),
		);
		expect(error).toBeInstanceOf(VaultRecordTooLargeError);
		expect(error?.message).toMatch(
			/^records\[1\]\.data: is 1048577 bytes; a vault record holds at most 1048576/,
		);
		expect(fetchCounts(bed)).toEqual(before);
		expect((await vault.stats()).records).toBe(0);

		const max = new Uint8Array(MAX_RECORD_BYTES).fill(0x5a);
		await vault.put('max', max);
		expect((await vault.get('max'))?.length).toBe(MAX_RECORD_BYTES);
		let exported = 0;
		for await (const chunk of exportRecordLines(vault)) exported += chunk.length;
		expect(exported).toBe(formatRecordLine({ id: 'max', data: max }).length);
		await vault.close();
	});

	it('a records file with one bad line (NUL id, invalid UTF-8, too large) imports nothing and names the line', async () => {
		const vault = await coldVault();
		const before = fetchCounts(bed);
		const good = [0, 1].map((i) =>
			formatRecordLine({ id: `r${i}`, data: new Uint8Array(Buffer.from(`v${i}`)) }),
		);
		const input = join(dir, 'in.jsonl');
		const bigLine = formatRecordLine({ id: 'big', data: new Uint8Array(MAX_RECORD_BYTES + 1) });
		for (const [bad, message] of [
			[Buffer.from('{"id":"a\\u0000b","data":""}\n'), /^line 3 id: a record id must be printable/],
			[
				Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]),
				/^line 3: is not valid UTF-8$/,
			],
			[Buffer.from(bigLine), /^line 3: is 1048577 bytes/],
		] as const) {
			await writeFile(input, Buffer.concat([Buffer.from(good.join('')), bad]));
			const error = await refusal(() => importRecordsFile(vault, input));
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error?.message).toMatch(message);
			expect((await vault.stats()).records).toBe(0);
		}
		expect(fetchCounts(bed)).toEqual(before);
		await vault.close();
	});
});
