/**
 * Writes the vault's known-answer fixtures: tests/fixtures/vault/vault.sqlite and
 * tests/fixtures/vault/postgres.sql (a pg_dump of the same history in a PostgreSQL vault), each
 * with its *.expected.json. Run once, when the on-disk format was introduced:
 *
 *   node --import tsx tests/support/vault-fixtures-generate.ts
 *
 * DO NOT re-run this to "fix" a failing tests/protocol/vault-fixtures.test.ts: the fixtures are
 * the vaults users already have on disk. A later version that cannot read them has broken those
 * vaults; fix the code (or add a migration), never the fixtures.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { SealClient } from '@mysten/seal';
import pg from 'pg';

import { toHex } from '../../ts/identity.js';
import { openPostgresStorage } from '../../ts/vault/postgres-storage.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import type { VaultStorage } from '../../ts/vault/storage.js';
import { Vault } from '../../ts/vault/vault.js';
import { offlineApproveBuilder } from './seal-testbed.js';
import {
	allowFixtureEpochs,
	FIXTURE_OWNER,
	startFixtureBed,
	type FixtureExpectation,
} from './vault-fixture-bed.js';
import { startTestPostgres } from './vault-postgres.js';

const run = promisify(execFile);
const OUT = join(import.meta.dirname, '../fixtures/vault');
const bed = await startFixtureBed();

/** The same history in any storage: two epochs of writes, a replaced record, a reseal. */
async function writeHistory(storage: VaultStorage): Promise<FixtureExpectation> {
	const seal = {
		sealClient: new SealClient({
			suiClient: bed.suiClient,
			serverConfigs: bed.serverConfigs(),
			verifyKeyServers: false,
		}),
		session: await bed.newSessionKey(FIXTURE_OWNER),
		buildTxBytes: offlineApproveBuilder(bed.packageId),
	};
	const vault = await Vault.create({
		storage,
		target: { policy: 'owner', owner: FIXTURE_OWNER.toSuiAddress() },
		packageId: bed.packageId,
		threshold: 2,
		...seal,
	});
	allowFixtureEpochs(bed, vault.meta, 8);
	const put = (id: string, text: string) => vault.put(id, new Uint8Array(Buffer.from(text)));
	await put('alpha', 'first value of alpha');
	await put('ünïcödé/β', 'a unicode id');
	await put('empty', '');
	await put('alpha', 'second value of alpha');
	await vault.rotate();
	await put('gamma', 'written in epoch 1');
	const resealed = await vault.reseal({ epochs: [0] });
	await put('delta', 'written after the reseal');
	const records: FixtureExpectation['records'] = {};
	const texts: Record<string, string> = {
		alpha: 'second value of alpha',
		'ünïcödé/β': 'a unicode id',
		empty: '',
		gamma: 'written in epoch 1',
		delta: 'written after the reseal',
	};
	const rows = await storage.getRecords(Object.keys(texts));
	for (const row of rows) {
		records[row.id] = { epoch: row.epoch, version: row.version, text: texts[row.id]! };
	}
	const expected: FixtureExpectation = {
		vaultId: toHex(vault.meta.vaultId),
		pin: vault.pin,
		epochs: resealed.current + 1,
		retired: resealed.retired,
		records,
	};
	await vault.close();
	return expected;
}

try {
	const sqlitePath = join(OUT, 'vault.sqlite');
	for (const suffix of ['', '-wal', '-shm']) await rm(`${sqlitePath}${suffix}`, { force: true });
	const sqlite = await writeHistory(await openSqliteStorage({ path: sqlitePath, mode: 'create' }));
	if (existsSync(`${sqlitePath}-wal`)) throw new Error('the WAL was not checkpointed on close');
	await writeFile(
		join(OUT, 'vault.sqlite.expected.json'),
		`${JSON.stringify(sqlite, null, '\t')}\n`,
	);

	const server = await startTestPostgres();
	if ('skip' in server) throw new Error(`no PostgreSQL: ${server.skip}`);
	try {
		const pool = new pg.Pool({ connectionString: server.url });
		const expected = await writeHistory(await openPostgresStorage({ pool, mode: 'create' }));
		await pool.end();
		const { stdout } = await run('pg_dump', [
			'--no-owner',
			'--no-privileges',
			'--inserts',
			...['seal_vault_schema', 'seal_vaults', 'seal_vault_epochs', 'seal_vault_records'].flatMap(
				(t) => ['-t', t],
			),
			server.url,
		]);
		await writeFile(join(OUT, 'postgres.sql'), stdout);
		await writeFile(
			join(OUT, 'postgres.sql.expected.json'),
			`${JSON.stringify(expected, null, '\t')}\n`,
		);
	} finally {
		await server.stop();
	}
} finally {
	await bed.close();
}
