/**
 * The worker pool: ids split across workers come back in order and identical in value to inline
 * derivation (checked by unwrapping), and a pool whose workers died fails requests instead of
 * hanging them. The scheduling tests run a stand-in worker (tests/support/stand-in-key-worker.mjs)
 * that answers without curve work and can exit, fail or stall on request.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCurveBackend } from '../../../ts/keyserver/curve/backend.js';
import {
	randomScalar,
	type CurveBackendName,
	type MasterKeyOps,
	type WrappedKey,
} from '../../../ts/keyserver/curve/curve.js';
import {
	defaultWorkerCount,
	inlineDeriver,
	startWorkerPool,
	type KeyDeriver,
} from '../../../ts/keyserver/key-pool.js';
import { KeyServerStartError } from '../../../ts/keyserver/errors.js';

describe('key worker pool', () => {
	it('splits a request across workers and returns the keys in id order', async () => {
		const masterKey = randomScalar();
		const pool = await startWorkerPool({ masterKey, backend: 'mcl', size: 2 });
		try {
			const sk = 99n;
			const encKey = bls12_381.G1.Point.BASE.multiply(sk).toBytes();
			const ids = Array.from({ length: 7 }, (_, i) => new Uint8Array([i, i, i]));
			const wrapped = await pool.wrap(encKey, ids);
			const ops = (await loadCurveBackend('noble')).withMasterKey(masterKey);
			expect(wrapped).toHaveLength(7);
			for (const [i, [c0, c1]] of wrapped.entries()) {
				const usk = bls12_381.G1.Point.fromBytes(c1).subtract(
					bls12_381.G1.Point.fromBytes(c0).multiply(sk),
				);
				expect(Buffer.from(usk.toBytes()).toString('hex')).toBe(
					Buffer.from(ops.userKey(ids[i]!)).toString('hex'),
				);
			}
			await expect(pool.wrap(new Uint8Array(48), ids)).rejects.toThrow(/G1/);
		} finally {
			await pool.close();
		}
		await expect(pool.wrap(new Uint8Array(48), [])).rejects.toThrow(/closed/);
	});

	it('refuses a bad size', async () => {
		await expect(
			startWorkerPool({ masterKey: randomScalar(), backend: 'mcl', size: 0 }),
		).rejects.toThrow(KeyServerStartError);
	});
});

const STAND_IN = new URL('../../support/stand-in-key-worker.mjs', import.meta.url);
const G1_SIZED = new Uint8Array(48);
/** Hangs become failures within the test, not after vitest's 30 s. */
const QUICK = { timeout: 8_000 };
let channels = 0;

function standIn(mode: string, size: number, dir = '') {
	const channel = `key-pool-test-${process.pid}-${channels++}`;
	const start = () =>
		startWorkerPool({
			masterKey: new Uint8Array(32).fill(7),
			backend: `${mode}:${channel}:${dir}` as CurveBackendName,
			size,
			workerEntry: STAND_IN,
		});
	return { channel, start };
}

/** How many stand-in workers of `channel` still run (each answers a ping). */
async function running(channel: string): Promise<number> {
	const ping = new BroadcastChannel(channel);
	let pongs = 0;
	ping.onmessage = (event) => {
		if (event.data === 'pong') pongs++;
	};
	ping.postMessage('ping');
	await new Promise((resolve) => setTimeout(resolve, 300));
	ping.close();
	return pongs;
}

const ids = (...firsts: number[]) => firsts.map((first) => new Uint8Array([first, 0x55]));
/** The stand-in's answer per id: [threadId, chunk length, index in chunk] and the id. */
const shape = (keys: WrappedKey[]) =>
	keys.map(([c0, c1]) => ({ thread: c0[0]!, chunk: c0[1]!, index: c0[2]!, id: c1[0]! }));

describe('key worker pool scheduling (stand-in workers)', () => {
	it(
		'splits ids into ceil(n / workers) chunks on distinct workers, answers in id order',
		QUICK,
		async () => {
			const { start } = standIn('echo', 3);
			const pool = await start();
			try {
				expect(pool.workers).toBe(3);
				const answer = shape(await pool.wrap(G1_SIZED, ids(1, 2, 3, 4, 5, 6, 7)));
				expect(answer.map((key) => key.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
				expect(answer.map((key) => key.chunk)).toEqual([3, 3, 3, 3, 3, 3, 1]);
				expect(answer.map((key) => key.index)).toEqual([0, 1, 2, 0, 1, 2, 0]);
				expect(new Set(answer.map((key) => key.thread)).size).toBe(3);
				// Fewer ids than workers: one id per chunk.
				const two = shape(await pool.wrap(G1_SIZED, ids(8, 9)));
				expect(two.map((key) => [key.id, key.chunk])).toEqual([
					[8, 1],
					[9, 1],
				]);
				// One id: one task.
				expect(shape(await pool.wrap(G1_SIZED, ids(10)))).toMatchObject([{ id: 10, chunk: 1 }]);
			} finally {
				await pool.close();
			}
		},
	);

	it('an empty request still has its encryption key checked by a worker', QUICK, async () => {
		const { start } = standIn('echo', 2);
		const pool = await start();
		try {
			expect(await pool.wrap(G1_SIZED, [])).toEqual([]);
			await expect(pool.wrap(new Uint8Array(47), [])).rejects.toThrow(
				'encKey is not a valid G1 point',
			);
		} finally {
			await pool.close();
		}
	});

	it('a worker that answers with an error takes the next task', QUICK, async () => {
		const { start } = standIn('echo', 1);
		const pool = await start();
		try {
			const failure = await pool.wrap(new Uint8Array(47), ids(1)).catch((error: unknown) => error);
			expect(failure).toBeInstanceOf(Error);
			expect((failure as Error).message).toBe('encKey is not a valid G1 point');
			expect(shape(await pool.wrap(G1_SIZED, ids(2)))).toMatchObject([{ id: 2 }]);
		} finally {
			await pool.close();
		}
	});

	it('queues work while every worker is busy and runs it in order', QUICK, async () => {
		const { start } = standIn('echo', 1);
		const pool = await start();
		try {
			const done: string[] = [];
			const slow = pool.wrap(G1_SIZED, ids(0xfd)).then((keys) => (done.push('slow'), keys));
			const queued = pool.wrap(G1_SIZED, ids(1)).then((keys) => (done.push('queued'), keys));
			expect(shape(await queued)).toMatchObject([{ id: 1 }]);
			expect(shape(await slow)).toMatchObject([{ id: 0xfd }]);
			expect(done).toEqual(['slow', 'queued']);
		} finally {
			await pool.close();
		}
	});

	it(
		'a worker dying mid-task fails that task, and queued work when none are left',
		QUICK,
		async () => {
			const { start } = standIn('echo', 1);
			const pool = await start();
			try {
				const dying = pool.wrap(G1_SIZED, ids(0xff)).catch((error: unknown) => error);
				const queued = pool.wrap(G1_SIZED, ids(1)).catch((error: unknown) => error);
				expect(((await dying) as Error).message).toBe('key worker exited (code 3)');
				expect(((await queued) as Error).message).toBe('no key workers left');
				await expect(pool.wrap(G1_SIZED, ids(2))).rejects.toThrow('no key workers left');
			} finally {
				await pool.close();
			}
		},
	);

	it('a worker dying mid-task leaves the idle workers in service', QUICK, async () => {
		const { start } = standIn('echo', 2);
		const pool = await start();
		try {
			await expect(pool.wrap(G1_SIZED, ids(0xff))).rejects.toThrow('key worker exited (code 3)');
			const after = shape(await pool.wrap(G1_SIZED, ids(1, 2)));
			expect(after.map((key) => [key.id, key.chunk])).toEqual([
				[1, 2],
				[2, 2],
			]);
		} finally {
			await pool.close();
		}
	});

	it('queued work waits for a live worker when another worker dies', QUICK, async () => {
		const { start } = standIn('echo', 2);
		const pool = await start();
		try {
			const slow = pool.wrap(G1_SIZED, ids(0xfd));
			const dying = pool.wrap(G1_SIZED, ids(0xff)).catch((error: unknown) => error);
			const queued = pool.wrap(G1_SIZED, ids(1));
			expect(((await dying) as Error).message).toBe('key worker exited (code 3)');
			expect(shape(await queued)).toMatchObject([{ id: 1 }]);
			expect(shape(await slow)).toMatchObject([{ id: 0xfd }]);
		} finally {
			await pool.close();
		}
	});

	it('a worker that dies while idle gets no more work; the others carry on', QUICK, async () => {
		const { start, channel } = standIn('echo', 2);
		const pool = await start();
		try {
			// Two chunks: one worker answers after 300 ms, the other answers at once and exits
			// 20 ms later, while it is the only idle worker.
			const first = shape(await pool.wrap(G1_SIZED, ids(0xfd, 0xfe)));
			expect(first.map((key) => key.id)).toEqual([0xfd, 0xfe]);
			expect(await running(channel)).toBe(1);
			// One live worker: a request is one chunk, and concurrent requests wait for it.
			const [a, b] = await Promise.all([
				pool.wrap(G1_SIZED, ids(1, 2, 3, 4)),
				pool.wrap(G1_SIZED, ids(5)),
			]);
			expect(shape(a).map((key) => key.chunk)).toEqual([4, 4, 4, 4]);
			expect(shape(b)).toMatchObject([{ id: 5 }]);
			expect(new Set([...shape(a), ...shape(b)].map((key) => key.thread)).size).toBe(1);
		} finally {
			await pool.close();
		}
	});

	it(
		'close() fails queued and running work, stops every worker, refuses new work',
		QUICK,
		async () => {
			const { start, channel } = standIn('echo', 1);
			const pool = await start();
			expect(await running(channel)).toBe(1);
			const running1 = pool.wrap(G1_SIZED, ids(0xfd)).catch((error: unknown) => error);
			const queued = pool.wrap(G1_SIZED, ids(1)).catch((error: unknown) => error);
			await pool.close();
			expect(((await queued) as Error).message).toBe('key pool is closed');
			expect(((await running1) as Error).message).toMatch(/^key worker exited \(code \d+\)$/);
			expect(await running(channel)).toBe(0);
			await expect(pool.wrap(G1_SIZED, ids(2))).rejects.toThrow('key pool is closed');
		},
	);
});

describe('key worker pool start', () => {
	it(
		'a worker reporting fatal fails the start with KeyServerStartError and its reason',
		QUICK,
		async () => {
			const error = await standIn('fatal', 2)
				.start()
				.catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(KeyServerStartError);
			expect((error as Error).message).toBe(
				'cannot start key workers: stand-in cannot load its backend',
			);
			expect(((error as Error).cause as Error).message).toBe('stand-in cannot load its backend');
		},
	);

	it('a worker that throws at start fails the start the same way', QUICK, async () => {
		const error = await standIn('throw', 1)
			.start()
			.catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(KeyServerStartError);
		expect((error as Error).message).toBe('cannot start key workers: stand-in crashed at start');
	});

	it(
		'after a failed start no worker keeps running (each would hold the master key)',
		QUICK,
		async () => {
			const dir = mkdtempSync(join(tmpdir(), 'key-pool-election-'));
			try {
				const { start, channel } = standIn('first-ready', 3, join(dir, 'winner'));
				await expect(start()).rejects.toThrow('stand-in lost the election');
				expect(await running(channel)).toBe(0);
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		},
	);

	it('refuses a worker count that is not a positive integer', async () => {
		for (const size of [0, -1, 1.5, Number.NaN]) {
			const error = await standIn('echo', size)
				.start()
				.catch((caught: unknown) => caught);
			expect(error, String(size)).toBeInstanceOf(KeyServerStartError);
			expect((error as Error).message).toBe(`worker count must be a positive integer, got ${size}`);
		}
	});

	it('defaults to one worker per available core', () => {
		expect(defaultWorkerCount()).toBe(availableParallelism());
	});
});

describe('inline deriver', () => {
	it('wraps on the calling thread with the given randomness and wipes the key on close', async () => {
		const calls: unknown[][] = [];
		const answer: WrappedKey[] = [[new Uint8Array([1]), new Uint8Array([2])]];
		const ops = {
			wrapUserKeys: (...args: unknown[]) => {
				calls.push(['wrap', ...args]);
				return answer;
			},
			wipe: () => calls.push(['wipe']),
		} as unknown as MasterKeyOps;
		const random = () => new Uint8Array(32);
		const deriver: KeyDeriver = inlineDeriver(ops, random);
		expect(deriver.workers).toBe(0);
		const fullIds = ids(1);
		expect(await deriver.wrap(G1_SIZED, fullIds)).toBe(answer);
		expect(calls).toEqual([['wrap', G1_SIZED, fullIds, random]]);
		await deriver.close();
		expect(calls.at(-1)).toEqual(['wipe']);
	});
});
