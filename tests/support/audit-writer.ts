/**
 * A separate writer process for the audit-log concurrency tests:
 *   node --import tsx tests/support/audit-writer.ts LOG COUNT [hold]
 * Opens LOG (retrying while another writer holds its lock), appends COUNT records and prints one
 * JSON event per line on stdout: `locked` (with the holder the error named), `open`, one `ack`
 * per acknowledged record, `closed`. With `hold` it waits for a line on stdin after opening.
 */
import { AuditLog } from '../../ts/audit/log.js';
import { AuditLogLockedError } from '../../ts/audit/errors.js';

const [path, countText, mode] = process.argv.slice(2);
if (path === undefined || countText === undefined) throw new Error('usage: LOG COUNT [hold]');
const say = (event: object): void => {
	process.stdout.write(`${JSON.stringify(event)}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const deadline = Date.now() + 60_000;
let log: AuditLog | undefined;
while (log === undefined) {
	try {
		log = await AuditLog.open(path, { clock: () => new Date() });
	} catch (error) {
		if (!(error instanceof AuditLogLockedError) || Date.now() > deadline) throw error;
		say({
			event: 'locked',
			name: error.name,
			holderPid: error.holder?.pid,
			holderHost: error.holder?.host,
			message: error.message,
		});
		await sleep(5 + Math.random() * 20);
	}
}
say({ event: 'open', pid: process.pid });
if (mode === 'hold') {
	await new Promise((resolve) => process.stdin.once('data', resolve));
	process.stdin.destroy();
}
for (let i = 0; i < Number(countText); i++) {
	const record = await log.append({
		action: 'decrypt',
		address: `0x${'a0'.repeat(32)}`,
		identity: `${'5e'.repeat(32)}${process.pid.toString(16).padStart(8, '0')}${i.toString(16).padStart(4, '0')}`,
		keyServers: [`0x${'01'.repeat(32)}`],
		threshold: 1,
		outcome: 'granted',
	});
	say({ event: 'ack', seq: record.seq, hash: record.hash });
}
await log.close();
say({ event: 'closed' });
