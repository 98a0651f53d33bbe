/**
 * Child process for the SQLite fault tests (run with `node --import tsx`):
 * - `hold-lock PATH`: takes the vault's write lock, prints `locked`, waits to be killed;
 * - `write-loop PATH BATCH`: commits batches of BATCH records through the storage adapter forever,
 *   printing `committed N` after each commit, until it is killed.
 */
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';

const [mode, path, batchArg] = process.argv.slice(2);
if (mode === 'hold-lock') {
	const db = new DatabaseSync(path!);
	db.exec('BEGIN IMMEDIATE');
	process.stdout.write('locked\n');
	// Keep `db` reachable: a collected handle would close and release the lock.
	setInterval(() => db.isTransaction, 60_000);
} else if (mode === 'write-loop') {
	const storage = await openSqliteStorage({ path: path!, mode: 'open' });
	const batch = Number(batchArg);
	for (let n = 0; ; n++) {
		const records = Array.from({ length: batch }, (_, i) => ({
			id: `rec-${String(n * batch + i).padStart(9, '0')}`,
			epoch: 0,
			version: 1,
			iv: new Uint8Array(randomBytes(12)),
			ciphertext: new Uint8Array(randomBytes(1040)),
		}));
		await storage.putRecords(0, records, 2 ** 32, new Map(records.map((r) => [r.id, null])));
		process.stdout.write(`committed ${(n + 1) * batch}\n`);
	}
} else {
	throw new Error(`unknown mode ${mode}`);
}
