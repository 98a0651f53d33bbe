/**
 * Import into a vault: bad files are refused before anything is written, and an import process
 * killed midway (a real child process, SIGKILL) resumes on re-run with every record present
 * exactly once and no encryption charged twice.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../ts/errors.js';
import {
	exportRecordLines,
	formatRecordLine,
	importRecordsFile,
} from '../../ts/vault/records-file.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import { Vault } from '../../ts/vault/vault.js';
import { collectBytes } from '../../ts/crypto/node/envelope.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';
import type { ImportChildConfig } from '../support/vault-import-child.js';
import { allowEpochs, vaultSealFor } from '../support/vault-helpers.js';

const CHILD = join(import.meta.dirname, '../support/vault-import-child.ts');

let bed: SealTestbed;
let owner: Ed25519Keypair;
let dir: string;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3 });
	owner = bed.newUser();
});
afterAll(async () => {
	await bed?.close();
});
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'vault-import-'));
	return () => rm(dir, { recursive: true, force: true });
});

/** Record i: 1 KiB derived from i, so any loss or mix-up shows. */
function recordData(i: number): Uint8Array {
	const data = new Uint8Array(1024);
	for (let j = 0; j < data.length; j++) data[j] = (i * 31 + j) & 0xff;
	return data;
}
const recordId = (i: number) => `msg-${String(i).padStart(6, '0')}`;

async function writeInput(path: string, count: number): Promise<void> {
	const out = createWriteStream(path);
	for (let i = 0; i < count; i++) {
		if (!out.write(formatRecordLine({ id: recordId(i), data: recordData(i) }))) {
			await new Promise<void>((r) => out.once('drain', () => r()));
		}
	}
	await new Promise<void>((resolve, reject) =>
		out.end((e?: Error | null) => (e ? reject(e) : resolve())),
	);
}

async function newVault(path: string): Promise<Vault> {
	const vault = await Vault.create({
		storage: await openSqliteStorage({ path, mode: 'create' }),
		target: { policy: 'owner', owner: owner.toSuiAddress() },
		packageId: bed.packageId,
		threshold: 2,
		...(await vaultSealFor(bed, owner)),
	});
	allowEpochs(bed, vault.meta, [0], owner.toSuiAddress());
	return vault;
}

describe('import', () => {
	it('a bad line anywhere is refused before any record is written', async () => {
		const vault = await newVault(join(dir, 'v.db'));
		const input = join(dir, 'in.jsonl');
		for (const [bad, why] of [
			['{"id":"x","data":"!!"}', /base64/],
			['not json', /not JSON/],
			['{"id":"","data":""}', /non-empty/],
			[formatRecordLine({ id: recordId(0), data: new Uint8Array([1]) }).trim(), /twice/],
		] as const) {
			const good = [0, 1, 2].map((i) => formatRecordLine({ id: recordId(i), data: recordData(i) }));
			await writeFile(input, `${good.join('')}${bad}\n`);
			const error = await importRecordsFile(vault, input).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(InvalidInputError);
			expect((error as Error).message).toMatch(/line 4/);
			expect((error as Error).message).toMatch(why);
			expect((await vault.stats()).records).toBe(0);
		}
		await vault.close();
	});

	it('export streams every record back in id order', async () => {
		const vault = await newVault(join(dir, 'v.db'));
		const input = join(dir, 'in.jsonl');
		await writeInput(input, 700);
		expect(await importRecordsFile(vault, input, { batchSize: 128 })).toEqual({
			total: 700,
			imported: 700,
			skipped: 0,
		});
		const exported = await collectBytes(exportRecordLines(vault, { pageSize: 64 }));
		expect(Buffer.from(exported).equals(await readFile(input))).toBe(true);
		await vault.close();
	});

	it('an import process killed midway resumes on re-run: nothing lost, nothing duplicated', async () => {
		const dbPath = join(dir, 'v.db');
		const vault = await newVault(dbPath);
		await vault.close();
		const total = 12_000;
		const inputPath = join(dir, 'in.jsonl');
		await writeInput(inputPath, total);
		const config: ImportChildConfig = {
			sealPackageId: bed.registry.sealPackageId,
			packageId: bed.packageId,
			servers: bed.servers.map((s) => ({
				objectId: s.objectId,
				url: s.url,
				publicKeyHex: Buffer.from(s.publicKey).toString('hex'),
			})),
			userSecret: owner.getSecretKey(),
			dbPath,
			inputPath,
			batchSize: 200,
		};
		const configPath = join(dir, 'child.json');
		await writeFile(configPath, JSON.stringify(config), { mode: 0o600 });
		const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', CHILD, configPath], {
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		const exited = new Promise((r) => child.once('exit', r));
		let lastReported = 0;
		await new Promise<void>((resolve, reject) => {
			createInterface({ input: child.stdout }).on('line', (line) => {
				const done = Number(/^imported (\d+)$/.exec(line)?.[1] ?? 0);
				lastReported = Math.max(lastReported, done);
				if (done >= 2000 && child.exitCode === null) {
					child.kill('SIGKILL');
					resolve();
				}
			});
			child.once('exit', (code) =>
				reject(new Error(`child exited (${code}) before it was killed`)),
			);
		});
		await exited;

		const reader = await Vault.open({
			storage: await openSqliteStorage({ path: dbPath, mode: 'open' }),
			trustFirstUse: true,
			...(await vaultSealFor(bed, owner)),
		});
		const partial = (await reader.stats()).records;
		expect(partial).toBeGreaterThanOrEqual(lastReported);
		expect(partial).toBeLessThan(total);
		expect(partial % 200).toBe(0);

		const rerun = await importRecordsFile(reader, inputPath, { batchSize: 500 });
		expect(rerun).toEqual({ total, imported: total - partial, skipped: partial });
		const stats = await reader.stats();
		expect(stats.records).toBe(total);
		expect(stats.epochs).toEqual([expect.objectContaining({ epoch: 0, encryptions: total })]);
		let i = 0;
		for await (const record of reader.iterate()) {
			expect(record.id).toBe(recordId(i));
			expect(Buffer.from(record.data).equals(Buffer.from(recordData(i)))).toBe(true);
			i += 1;
		}
		expect(i).toBe(total);
		await reader.close();
	});
});
