/**
 * Where user keys are computed: inline on the calling thread (`workers: 0`, tests with fixed
 * randomness) or in a pool of worker threads so a 100-id request never blocks `/health`.
 * A request's ids are split across the workers, so one large request also gets faster.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KeyServerStartError } from './errors.js';
import type { CurveBackendName, MasterKeyOps, ScalarSource, WrappedKey } from './curve/curve.js';
import type { WorkerInit, WorkerReply, WorkerTask } from './key-worker.js';

export interface KeyDeriver {
	/**
	 * `[c0, c1]` per full id, in order, under key `key` (0 = the master key; Permissioned mode:
	 * the client's position). Rejects if `encKey` is not a valid G1 point.
	 */
	wrap(encKey: Uint8Array, fullIds: Uint8Array[], key?: number): Promise<WrappedKey[]>;
	/** Worker threads in use (0 = inline). */
	readonly workers: number;
	close(): Promise<void>;
}

export const defaultWorkerCount = (): number => availableParallelism();

export function inlineDeriver(
	ops: MasterKeyOps | MasterKeyOps[],
	random?: ScalarSource,
): KeyDeriver {
	const all = Array.isArray(ops) ? ops : [ops];
	return {
		workers: 0,
		wrap: async (encKey, fullIds, key = 0) => {
			const one = all[key];
			if (!one) throw new Error(`no key ${key}`);
			return one.wrapUserKeys(encKey, fullIds, random);
		},
		close: async () => {
			for (const one of all) one.wipe();
		},
	};
}

interface Pending {
	task: WorkerTask;
	resolve: (keys: WrappedKey[]) => void;
	reject: (error: Error) => void;
}

export async function startWorkerPool(options: {
	masterKey: Uint8Array;
	/** Permissioned mode: further client keys, addressed as key 1, 2, … in `wrap`. */
	extraKeys?: Uint8Array[];
	backend: CurveBackendName;
	size: number;
	/** The worker script (tests: a stand-in speaking the same messages). Default: key-worker-thread. */
	workerEntry?: URL;
}): Promise<KeyDeriver> {
	if (!Number.isInteger(options.size) || options.size < 1) {
		throw new KeyServerStartError(`worker count must be a positive integer, got ${options.size}`);
	}
	// Compiled (dist/, the npm bin and library): the worker is plain JavaScript. From TypeScript
	// sources (tsx, vitest): a bootstrap registers tsx in the worker first.
	const compiled = import.meta.url.endsWith('.js');
	const entry =
		options.workerEntry ??
		new URL(compiled ? './key-worker-thread.js' : './key-worker-entry.mjs', import.meta.url);
	const queue: Pending[] = [];
	const idle: Worker[] = [];
	const busy = new Map<Worker, Pending>();
	let nextId = 0;
	let closed = false;

	const dispatch = () => {
		while (idle.length > 0 && queue.length > 0) {
			const worker = idle.pop()!;
			const job = queue.shift()!;
			busy.set(worker, job);
			worker.postMessage(job.task);
		}
	};

	const started: Worker[] = [];
	const live = new Set<Worker>();
	const spawn = () =>
		new Promise<Worker>((resolve, reject) => {
			const init: WorkerInit = {
				masterKey: Uint8Array.from(options.masterKey),
				backend: options.backend,
				...(options.extraKeys?.length
					? { extraKeys: options.extraKeys.map((key) => Uint8Array.from(key)) }
					: {}),
			};
			// workerData is cloned into the worker at construction: wipe our copy right after.
			let worker: Worker;
			try {
				worker = new Worker(entry, { workerData: init });
			} finally {
				init.masterKey.fill(0);
				for (const key of init.extraKeys ?? []) key.fill(0);
			}
			started.push(worker);
			worker.once('error', reject);
			worker.on('message', (reply: WorkerReply) => {
				if ('ready' in reply) return resolve(worker);
				if ('fatal' in reply) return reject(new Error(reply.fatal));
				const job = busy.get(worker);
				busy.delete(worker);
				idle.push(worker);
				if (job) {
					if ('error' in reply) job.reject(new Error(reply.error));
					else job.resolve(reply.keys);
				}
				dispatch();
			});
			worker.on('exit', (code) => {
				const job = busy.get(worker);
				busy.delete(worker);
				if (job) job.reject(new Error(`key worker exited (code ${code})`));
				// A dead worker never takes work again; with none left, queued work cannot run.
				const at = idle.indexOf(worker);
				if (at >= 0) idle.splice(at, 1);
				live.delete(worker);
				if (live.size === 0) {
					for (const queued of queue.splice(0)) queued.reject(new Error('no key workers left'));
				}
			});
		});

	let workers: Worker[];
	try {
		workers = await Promise.all(Array.from({ length: options.size }, spawn));
	} catch (error) {
		// Workers that did start hold a copy of the master key: none may outlive a failed start.
		await Promise.all(started.map((worker) => worker.terminate()));
		throw new KeyServerStartError(`cannot start key workers: ${(error as Error).message}`, {
			cause: error,
		});
	}
	idle.push(...workers);
	for (const worker of workers) live.add(worker);

	const run = (encKey: Uint8Array, fullIds: Uint8Array[], key: number) =>
		new Promise<WrappedKey[]>((resolve, reject) => {
			const task = { id: nextId++, encKey, fullIds, ...(key !== 0 ? { key } : {}) };
			queue.push({ task, resolve, reject });
			dispatch();
		});

	return {
		workers: options.size,
		async wrap(encKey, fullIds, key = 0) {
			if (closed) throw new Error('key pool is closed');
			if (live.size === 0) throw new Error('no key workers left');
			// An empty request still goes to a worker: it checks encKey as the inline path does.
			if (fullIds.length === 0) return run(encKey, fullIds, key);
			const size = Math.ceil(fullIds.length / Math.min(live.size, fullIds.length));
			const chunks: Uint8Array[][] = [];
			for (let i = 0; i < fullIds.length; i += size) chunks.push(fullIds.slice(i, i + size));
			return (await Promise.all(chunks.map((chunk) => run(encKey, chunk, key)))).flat();
		},
		async close() {
			closed = true;
			for (const job of queue.splice(0)) job.reject(new Error('key pool is closed'));
			for (const worker of workers) worker.postMessage('wipe');
			await Promise.all(workers.map((worker) => worker.terminate()));
		},
	};
}
