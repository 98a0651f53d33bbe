/**
 * Records vault against one Seal call per record, in the same run (CPU time: user + system of
 * this process, which also hosts the key servers, so both sides pay for their key derivations).
 *
 * - Baseline: the SDK's `encrypt` and `decrypt` of one 1 KiB record under its own identity,
 *   2-of-3 servers, sampled on 20 records (every decrypt fetches that record's key).
 * - Vault put: create the vault (seals epoch key 0) and store N = 10 000 records of 1 KiB in
 *   transactions of 500 (SQLite, WAL, synchronous FULL). Single-record puts (one transaction
 *   each) are sampled on 500 records and printed for information.
 * - Vault get: a new reader (fresh SealClient, new session key) opens the file and reads all N
 *   records with getMany in batches of 500: one key request for the epoch, then AES-GCM.
 * - Export: records/s and peak RSS growth while streaming the vault as JSON lines into a
 *   counting sink. `VAULT_BENCH_EXPORT_RECORDS=1000000 npm run bench -- vault` builds a vault of
 *   that many records first (≈ 1.1 GiB of SQLite file in the temp dir) to show memory stays flat.
 * Target: ≥ 1000× both ways, judged by the one verdict rule of ./measure.ts (one measurement each).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SealClient } from '@mysten/seal';
import { fromHex, toHex } from '@mysten/sui/utils';

import { exportRecordLines } from '../../ts/vault/records-file.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import { Vault, type VaultRecord, epochInnerId } from '../../ts/vault/vault.js';
import { step, verdict, wholeNumberFromEnv, type Target } from './measure.js';

const SPEEDUP: Target = { bound: 'at least', value: 1000, unit: '×', digits: 0 };

const RECORD_BYTES = 1024;
const N = 10_000;
const SAMPLES = 20;
const BATCH = 500;

function cpuSeconds(): number {
	const { user, system } = process.cpuUsage();
	return (user + system) / 1e6;
}

async function cpu(run: () => Promise<void>): Promise<number> {
	const start = cpuSeconds();
	await run();
	return cpuSeconds() - start;
}

const ms = (seconds: number) => `${(seconds * 1e3).toFixed(3)} ms`;

export async function run(): Promise<void> {
	const { startSealTestbed, offlineApproveBuilder } =
		await import('../../tests/support/seal-testbed.js');
	const bed = await startSealTestbed({ serverCount: 3 });
	const dir = await mkdtemp(join(tmpdir(), 'vault-bench-'));
	const user = bed.newUser();
	const newClient = () =>
		new SealClient({
			suiClient: bed.suiClient,
			serverConfigs: bed.serverConfigs(),
			verifyKeyServers: false,
			timeout: 120_000,
		});
	const seal = async () => ({
		sealClient: newClient(),
		session: await bed.newSessionKey(user),
		buildTxBytes: offlineApproveBuilder(bed.packageId),
	});
	const record = (i: number): VaultRecord => ({
		id: `rec-${String(i).padStart(8, '0')}`,
		data: new Uint8Array(randomBytes(RECORD_BYTES)),
	});
	try {
		// --- Baseline: one Seal object per record -------------------------------------------
		step(`vault: ${SAMPLES} Seal encrypts and decrypts of one record each (baseline)`);
		const client = newClient();
		const objects: { id: string; data: Uint8Array }[] = [];
		const sealEncrypt = await cpu(async () => {
			for (let i = 0; i < SAMPLES; i++) {
				const id = toHex(randomBytes(32));
				const { encryptedObject, key } = await client.encrypt({
					threshold: 2,
					packageId: bed.packageId,
					id,
					data: new Uint8Array(randomBytes(RECORD_BYTES)),
				});
				key.fill(0);
				objects.push({ id, data: encryptedObject });
			}
		});
		for (const { id } of objects) bed.policy.allow(id, user.toSuiAddress());
		const sessionKey = await bed.newSessionKey(user);
		const reader = newClient();
		const txs = await Promise.all(objects.map(({ id }) => bed.approveTxBytes([fromHex(id)])));
		const sealDecrypt = await cpu(async () => {
			for (const [i, { data }] of objects.entries()) {
				await reader.decrypt({ data, sessionKey, txBytes: txs[i]! });
			}
		});
		const sealEnc = sealEncrypt / SAMPLES;
		const sealDec = sealDecrypt / SAMPLES;
		console.log(`seal encrypt per 1 KiB record (2-of-3, n=${SAMPLES}): ${ms(sealEnc)} CPU`);
		console.log(`seal decrypt per 1 KiB record (2-of-3, n=${SAMPLES}): ${ms(sealDec)} CPU`);

		// --- Vault put ------------------------------------------------------------------------
		step(`vault: put ${N} records in batches of ${BATCH}, then 500 single puts`);
		const path = join(dir, 'bench.db');
		const records = Array.from({ length: N }, (_, i) => record(i));
		let vault: Vault | undefined;
		const putCpu = await cpu(async () => {
			vault = await Vault.create({
				storage: await openSqliteStorage({ path, mode: 'create' }),
				target: { policy: 'owner', owner: user.toSuiAddress() },
				packageId: bed.packageId,
				threshold: 2,
				...(await seal()),
			});
			for (let i = 0; i < N; i += BATCH) await vault.putMany(records.slice(i, i + BATCH));
		});
		bed.policy.allow(toHex(epochInnerId(vault!.meta, 0)), user.toSuiAddress());
		const single = Array.from({ length: 500 }, (_, i) => record(N + i));
		const singleCpu = await cpu(async () => {
			for (const r of single) await vault!.put(r.id, r.data);
		});
		const pin = vault!.pin;
		await vault!.close();
		const putPer = putCpu / N;
		console.log(
			`vault put per record (N=${N}, batches of ${BATCH}, incl. epoch key seal + SQLite): ${ms(putPer)} CPU`,
		);
		console.log(`vault put per record, one transaction each (n=500): ${ms(singleCpu / 500)} CPU`);

		// --- Vault get ------------------------------------------------------------------------
		step(`vault: a new reader gets ${N} records`);
		const ids = records.map((r) => r.id);
		let checked = 0;
		const getCpu = await cpu(async () => {
			const readerVault = await Vault.open({
				storage: await openSqliteStorage({ path, mode: 'open' }),
				pin,
				...(await seal()),
			});
			for (let i = 0; i < N; i += BATCH) {
				const values = await readerVault.getMany(ids.slice(i, i + BATCH));
				checked += values.filter((v) => v?.length === RECORD_BYTES).length;
			}
			await readerVault.close();
		});
		if (checked !== N) throw new Error(`read back ${checked} of ${N} records`);
		const getPer = getCpu / N;
		console.log(
			`vault get per record (N=${N}, batches of ${BATCH}, incl. epoch key fetch + SQLite): ${ms(getPer)} CPU`,
		);
		console.log(`records-encrypt-speedup: ${verdict([sealEnc / putPer], SPEEDUP).text}`);
		console.log(`records-decrypt-speedup: ${verdict([sealDec / getPer], SPEEDUP).text}`);

		// --- Streamed export ----------------------------------------------------------------
		const exportCount = wholeNumberFromEnv('VAULT_BENCH_EXPORT_RECORDS', N);
		step(`vault: streamed export of ${exportCount} records`);
		let exporter: Vault;
		if (exportCount !== N) {
			const big = await Vault.create({
				storage: await openSqliteStorage({ path: join(dir, 'export.db'), mode: 'create' }),
				target: { policy: 'owner', owner: user.toSuiAddress() },
				packageId: bed.packageId,
				threshold: 2,
				...(await seal()),
			});
			bed.policy.allow(toHex(epochInnerId(big.meta, 0)), user.toSuiAddress());
			const data = new Uint8Array(randomBytes(RECORD_BYTES));
			for (let i = 0; i < exportCount; i += BATCH) {
				const batch = [];
				for (let j = i; j < Math.min(exportCount, i + BATCH); j++) {
					batch.push({ id: `rec-${String(j).padStart(8, '0')}`, data });
				}
				await big.putMany(batch);
			}
			// Export from the writer, whose epoch key is cached: after minutes of busy event loop
			// the in-process key servers' keep-alive sockets are stale, and the key fetch is not
			// what this part measures.
			exporter = big;
		} else {
			exporter = await Vault.open({
				storage: await openSqliteStorage({ path, mode: 'open' }),
				pin,
				...(await seal()),
			});
		}
		globalThis.gc?.();
		const rssStart = process.memoryUsage.rss();
		let peak = rssStart;
		let lines = 0;
		let bytes = 0;
		const started = process.hrtime.bigint();
		for await (const chunk of exportRecordLines(exporter, {
			onProgress: () => {
				peak = Math.max(peak, process.memoryUsage.rss());
			},
		})) {
			bytes += chunk.length;
			for (const b of chunk) if (b === 0x0a) lines += 1;
		}
		const seconds = Number(process.hrtime.bigint() - started) / 1e9;
		await exporter.close();
		// RSS reuses freed pages, so "no growth" is a bound, not a reading of 0 (information only).
		const growth = (peak - rssStart) / 1024 / 1024;
		console.log(
			`vault export (streamed JSON lines, ${lines} records, ${(bytes / 1024 / 1024).toFixed(1)} MiB): ${Math.round(lines / seconds)} records/s, peak RSS growth ${growth < 0.1 ? 'under 0.1 MiB' : `${growth.toFixed(1)} MiB`} (information, no target)`,
		);
	} finally {
		await bed.close();
		await rm(dir, { recursive: true, force: true });
	}
}
