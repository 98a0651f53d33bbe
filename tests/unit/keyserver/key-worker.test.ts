/**
 * The key worker's message loop on a stand-in port (the pool tests run it in real threads):
 * ready only after the backend holds the key, the init copy of the key wiped on success and on
 * failure, one reply per task with its id, errors as replies, and `wipe` ending key derivation.
 */
import { EventEmitter } from 'node:events';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../../ts/keyserver/curve/noble.js';
import { CURVE_BACKENDS, type CurveBackendName } from '../../../ts/keyserver/curve/curve.js';
import {
	serveKeyWorker,
	type WorkerInit,
	type WorkerReply,
	type WorkerTask,
} from '../../../ts/keyserver/key-worker.js';

const MASTER_KEY = Uint8Array.from(Buffer.from(`${'00'.repeat(30)}1234`, 'hex'));
const SK = 31n;
const ENC_KEY = bls12_381.G1.Point.BASE.multiply(SK).toBytes();

function standInPort() {
	const events = new EventEmitter();
	const replies: WorkerReply[] = [];
	return {
		port: {
			on: (event: 'message', listener: (task: WorkerTask | 'wipe') => void) =>
				events.on(event, listener),
			postMessage: (reply: WorkerReply) => replies.push(reply),
		},
		send: (task: WorkerTask | 'wipe') => events.emit('message', task),
		listeners: () => events.listenerCount('message'),
		replies,
	};
}

/** The user key inside a wrapped pair (c1 - sk·c0), hex ('identity' for the zero point). */
function unwrap([c0, c1]: [Uint8Array, Uint8Array]): string {
	const { Point } = bls12_381.G1;
	const key = Point.fromBytes(c1).subtract(Point.fromBytes(c0).multiply(SK));
	return key.is0() ? 'identity' : Buffer.from(key.toBytes()).toString('hex');
}
const userKey = (id: Uint8Array) =>
	Buffer.from(nobleBackend.withMasterKey(MASTER_KEY).userKey(id)).toString('hex');

describe.each(CURVE_BACKENDS.map((name) => [name]))('key worker (%s)', (backend) => {
	it('reports ready once the key is loaded, and wipes its init copy', async () => {
		const { port, replies, listeners } = standInPort();
		const init: WorkerInit = { masterKey: Uint8Array.from(MASTER_KEY), backend };
		await serveKeyWorker(port, init);
		expect(replies).toEqual([{ ready: true }]);
		expect(init.masterKey).toEqual(new Uint8Array(32));
		expect(listeners()).toBe(1);
	});

	it('answers each task with its id: wrapped keys, or the error message', async () => {
		const { port, replies, send } = standInPort();
		await serveKeyWorker(port, { masterKey: Uint8Array.from(MASTER_KEY), backend });
		const ids = [new Uint8Array([1, 2]), new Uint8Array([3])];
		send({ id: 7, encKey: ENC_KEY, fullIds: ids });
		send({ id: 8, encKey: new Uint8Array(48), fullIds: ids });
		expect(replies).toHaveLength(3);
		const [, wrapped, failed] = replies as [
			WorkerReply,
			{ id: number; keys: [Uint8Array, Uint8Array][] },
			WorkerReply,
		];
		expect(wrapped.id).toBe(7);
		expect(wrapped.keys.map(unwrap)).toEqual(ids.map(userKey));
		expect(failed).toEqual({ id: 8, error: 'encKey is not a valid G1 point' });
	});

	it("'wipe' answers nothing and ends derivation with the key", async () => {
		const { port, replies, send } = standInPort();
		await serveKeyWorker(port, { masterKey: Uint8Array.from(MASTER_KEY), backend });
		const id = new Uint8Array([9]);
		send('wipe');
		expect(replies).toHaveLength(1);
		send({ id: 1, encKey: ENC_KEY, fullIds: [id] });
		const reply = replies[1] as { id: number; keys?: [Uint8Array, Uint8Array][] };
		expect(reply.id).toBe(1);
		// Either refused or computed with a zero key: never the user key.
		if (reply.keys) expect(unwrap(reply.keys[0]!)).not.toBe(userKey(id));
		else expect(reply).toHaveProperty('error');
	});

	it('reports fatal for a bad master key, wipes it, and takes no tasks', async () => {
		const { port, replies, listeners } = standInPort();
		const init: WorkerInit = { masterKey: new Uint8Array(32).fill(0xff), backend };
		await serveKeyWorker(port, init);
		expect(replies).toHaveLength(1);
		expect((replies[0] as { fatal: string }).fatal).toMatch(/masterKey/);
		expect(init.masterKey).toEqual(new Uint8Array(32));
		expect(listeners()).toBe(0);
	});
});

describe('key worker start', () => {
	it('reports fatal for an unknown backend and wipes the key', async () => {
		const { port, replies } = standInPort();
		const init: WorkerInit = {
			masterKey: Uint8Array.from(MASTER_KEY),
			backend: 'blst' as CurveBackendName,
		};
		await serveKeyWorker(port, init);
		expect(replies).toHaveLength(1);
		expect((replies[0] as { fatal: string }).fatal).toMatch(/mcl, noble/);
		expect(init.masterKey).toEqual(new Uint8Array(32));
	});
});
