/**
 * What the key server tells its operator versus the client: a `Failure` (stale or unreachable
 * full node) must reach the log with its cause, while the wire only gets Mysten's fixed message.
 * And how long it keeps the master key: its private copy is wiped on `close()`.
 */
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PolicyEvaluator } from '../../../ts/keyserver/evaluator.js';
import { generateMasterKey } from '../../../ts/keyserver/keys.js';
import { StaticPackageResolver } from '../../../ts/keyserver/packages.js';
import { MESSAGES } from '../../../ts/keyserver/protocol.js';
import { startKeyServer, type RunningKeyServer } from '../../../ts/keyserver/server.js';
import type { Logger } from '../../../ts/logger.js';
import { handRequest, postFetchKey } from '../../support/fetch-key-request.js';
import { randomObjectId } from '../../support/offline-sui-registry.js';

const DETAIL = 'simulate: full node http://10.1.2.3:9000 timed out after 60s';

let server: RunningKeyServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function answerWith(evaluator: PolicyEvaluator) {
	const lines: { level: string; message: string }[] = [];
	const logger: Logger = {
		info: (message) => lines.push({ level: 'info', message }),
		warn: (message) => lines.push({ level: 'warn', message }),
		debug: (message) => lines.push({ level: 'debug', message }),
	};
	const packageId = randomObjectId();
	server = await startKeyServer({
		masterKey: generateMasterKey(),
		objectId: randomObjectId(),
		evaluator,
		packages: new StaticPackageResolver([[packageId, packageId]]),
		logger,
	});
	const tx = new Transaction();
	tx.moveCall({
		target: `${packageId}::policy::seal_approve`,
		arguments: [tx.pure.vector('u8', [1, 2, 3])],
	});
	const txBytes = await tx.build({ onlyTransactionKind: true });
	const { body } = await handRequest({ user: Ed25519Keypair.generate(), packageId, txBytes });
	return { res: await postFetchKey(server.url, body), lines };
}

describe('key server logging of failures', () => {
	it('a Failure decision: fixed 503 body for the client, the cause in a warning for the operator', async () => {
		const { res, lines } = await answerWith({
			evaluate: async () => ({ allowed: false, error: 'Failure', detail: DETAIL }),
		});
		expect(res.status).toBe(503);
		expect(res.json).toEqual({ error: 'Failure', message: MESSAGES.Failure });
		expect(res.text).not.toContain('10.1.2.3');
		const warnings = lines.filter((line) => line.level === 'warn').map((line) => line.message);
		expect(warnings.join('\n')).toContain(DETAIL);
	});

	it('an evaluator that throws: same wire answer, the error message in a warning', async () => {
		const { res, lines } = await answerWith({
			evaluate: async () => {
				throw new Error(DETAIL);
			},
		});
		expect(res.status).toBe(503);
		expect(res.json).toEqual({ error: 'Failure', message: MESSAGES.Failure });
		expect(lines.some((line) => line.level === 'warn' && line.message.includes(DETAIL))).toBe(true);
	});

	it('a client error (NoAccess) is not a warning: clients must not be able to flood the log', async () => {
		const { res, lines } = await answerWith({
			evaluate: async () => ({ allowed: false, error: 'NoAccess', detail: 'abort 4' }),
		});
		expect(res.status).toBe(403);
		expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
	});
});

describe('master key lifetime', () => {
	it("close() wipes the server's private copy of the master key (the caller's array is left alone)", async () => {
		const masterKey = generateMasterKey();
		const original = Uint8Array.from(masterKey);
		// Snapshot every array Uint8Array.from makes while the server starts (a copy may be wiped
		// at once, e.g. the one handed to a worker thread: the snapshot still identifies it).
		const realFrom = Uint8Array.from.bind(Uint8Array) as (...args: unknown[]) => Uint8Array;
		const made: [Uint8Array, Buffer][] = [];
		const from = vi.spyOn(Uint8Array, 'from').mockImplementation(((...args: unknown[]) => {
			const value = realFrom(...args);
			made.push([value, Buffer.from(value)]);
			return value;
		}) as typeof Uint8Array.from);
		let running: RunningKeyServer;
		try {
			running = await startKeyServer({
				masterKey,
				objectId: randomObjectId(),
				evaluator: { evaluate: async () => ({ allowed: true }) },
				packages: new StaticPackageResolver(),
				workers: 2,
			});
		} finally {
			from.mockRestore();
		}
		// The copies the server made of the caller's key (same bytes, another array).
		const copies = made
			.filter(([value, snapshot]) => value !== masterKey && snapshot.equals(Buffer.from(original)))
			.map(([value]) => value);
		expect(copies.length).toBeGreaterThan(0);
		await running.close();
		for (const copy of copies) expect(copy.every((byte) => byte === 0)).toBe(true);
		expect(Buffer.from(masterKey).equals(Buffer.from(original))).toBe(true);
	});
});
