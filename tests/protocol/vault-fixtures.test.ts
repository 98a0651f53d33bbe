/**
 * Known answers: a SQLite vault file and a PostgreSQL dump written by the current on-disk format
 * (tests/fixtures/vault/, made once by tests/support/vault-fixtures-generate.ts) must stay
 * readable by every later version, with the same plaintexts, versions and epochs. A failure here
 * means vaults on users' disks became unreadable: fix the code, never regenerate the fixtures.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SealClient } from '@mysten/seal';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fromHex } from '../../ts/identity.js';
import { openPostgresStorage } from '../../ts/vault/postgres-storage.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import type { VaultStorage } from '../../ts/vault/storage.js';
import { Vault } from '../../ts/vault/vault.js';
import { offlineApproveBuilder, type SealTestbed } from '../support/seal-testbed.js';
import {
	allowFixtureEpochs,
	FIXTURE_OWNER,
	startFixtureBed,
	type FixtureExpectation,
} from '../support/vault-fixture-bed.js';
import { startTestPostgres } from '../support/vault-postgres.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/vault');
let bed: SealTestbed;
let dir: string;

beforeAll(async () => {
	bed = await startFixtureBed();
	dir = await mkdtemp(join(tmpdir(), 'vault-fixtures-'));
});
afterAll(async () => {
	await bed?.close();
	await rm(dir, { recursive: true, force: true });
});

async function expectation(name: string): Promise<FixtureExpectation> {
	return JSON.parse(await readFile(join(FIXTURES, `${name}.expected.json`), 'utf8'));
}

/** Opens the stored vault with its pin as the fixture owner and checks every record. */
async function readsAsExpected(storage: VaultStorage, expected: FixtureExpectation) {
	const meta = await storage.readMeta();
	allowFixtureEpochs(bed, meta, expected.epochs);
	const vault = await Vault.open({
		storage,
		pin: expected.pin,
		sealClient: new SealClient({
			suiClient: bed.suiClient,
			serverConfigs: bed.serverConfigs(),
			verifyKeyServers: false,
			timeout: 120_000,
		}),
		session: await bed.newSessionKey(FIXTURE_OWNER),
		buildTxBytes: offlineApproveBuilder(bed.packageId),
	});
	// The pin names the newest epoch: checking the whole chain ends where it began.
	expect(await vault.verify()).toBe(expected.pin);
	const read: Record<string, string> = {};
	for await (const record of vault.iterate({ pageSize: 2 })) {
		read[record.id] = Buffer.from(record.data).toString('utf8');
	}
	expect(read).toEqual(
		Object.fromEntries(Object.entries(expected.records).map(([id, r]) => [id, r.text])),
	);
	const rows = await storage.getRecords(Object.keys(expected.records));
	expect(
		Object.fromEntries(rows.map((r) => [r.id, { epoch: r.epoch, version: r.version }])),
	).toEqual(
		Object.fromEntries(
			Object.entries(expected.records).map(([id, r]) => [
				id,
				{ epoch: r.epoch, version: r.version },
			]),
		),
	);
	const stats = await vault.stats();
	expect(stats.vaultId).toBe(expected.vaultId);
	expect(stats.currentEpoch).toBe(expected.epochs - 1);
	expect((await storage.latestEpoch()).retired).toEqual(expected.retired);
	await vault.close();
}

describe('known-answer vaults', () => {
	it('the SQLite fixture reads back: records, versions, epochs, pin', async () => {
		// A copy: opening sets the journal mode, and the fixture must stay as written.
		const path = join(dir, 'vault.sqlite');
		await copyFile(join(FIXTURES, 'vault.sqlite'), path);
		await readsAsExpected(
			await openSqliteStorage({ path, mode: 'open' }),
			await expectation('vault.sqlite'),
		);
	});

	it('the PostgreSQL dump loads and reads back: records, versions, epochs, pin', async (ctx) => {
		const server = await startTestPostgres();
		if ('skip' in server) {
			console.log(`skipping the PostgreSQL fixture: ${server.skip}`);
			return ctx.skip();
		}
		const pool = new pg.Pool({ connectionString: server.url });
		try {
			// psql meta-commands (\restrict) are not SQL; the dump's SETs stay on its own client.
			const dump = (await readFile(join(FIXTURES, 'postgres.sql'), 'utf8'))
				.split('\n')
				.filter((line) => !line.startsWith('\\'))
				.join('\n');
			const loader = new pg.Client({ connectionString: server.url });
			await loader.connect();
			await loader.query(dump);
			await loader.end();
			const expected = await expectation('postgres.sql');
			await readsAsExpected(
				await openPostgresStorage({ pool, mode: 'open', vaultId: fromHex(expected.vaultId) }),
				expected,
			);
		} finally {
			await pool.end();
			await server.stop();
		}
	});
});
