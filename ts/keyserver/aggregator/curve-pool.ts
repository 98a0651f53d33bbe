/**
 * Runs aggregator curve tasks inline (`size: 0`) or on worker threads, like the key server's
 * key pool (ts/keyserver/key-pool.ts): idle workers take queued tasks; a dead worker's task fails.
 */
import { Worker } from 'node:worker_threads';
import { KeyServerStartError } from '../errors.js';
import { loadCurveBackend } from '../curve/backend.js';
import type { CurveBackendName } from '../curve/curve.js';
import { runCurveTask, type CurveResult, type CurveTask } from './curve-worker.js';

export interface CurvePool {
	run(task: CurveTask): Promise<CurveResult>;
	readonly workers: number;
	close(): Promise<void>;
}

export async function startCurvePool(options: {
	backend: CurveBackendName;
	size: number;
}): Promise<CurvePool> {
	if (options.size === 0) {
		const curve = await loadCurveBackend(options.backend);
		return { workers: 0, run: async (task) => runCurveTask(curve, task), close: async () => {} };
	}
	const compiled = import.meta.url.endsWith('.js');
	const entry = new URL(
		compiled ? './curve-worker-thread.js' : './curve-worker-entry.mjs',
		import.meta.url,
	);
	type Job = {
		id: number;
		task: CurveTask;
		resolve: (r: CurveResult) => void;
		reject: (e: Error) => void;
	};
	const queue: Job[] = [];
	const idle: Worker[] = [];
	const busy = new Map<Worker, Job>();
	let nextId = 0;
	let closed = false;
	const dispatch = () => {
		while (idle.length > 0 && queue.length > 0) {
			const worker = idle.pop()!;
			const job = queue.shift()!;
			busy.set(worker, job);
			worker.postMessage({ id: job.id, task: job.task });
		}
	};
	const spawn = () =>
		new Promise<Worker>((resolve, reject) => {
			const worker = new Worker(entry, { workerData: { backend: options.backend } });
			worker.once('error', reject);
			worker.on(
				'message',
				(reply: { ready: true } | { id: number; result?: CurveResult; error?: string }) => {
					if ('ready' in reply) return resolve(worker);
					const job = busy.get(worker);
					busy.delete(worker);
					idle.push(worker);
					if (job) {
						if (reply.error !== undefined) job.reject(new Error(reply.error));
						else job.resolve(reply.result!);
					}
					dispatch();
				},
			);
			worker.on('exit', (code) => {
				const job = busy.get(worker);
				busy.delete(worker);
				job?.reject(new Error(`aggregator curve worker exited (code ${code})`));
				const at = idle.indexOf(worker);
				if (at >= 0) idle.splice(at, 1);
			});
		});
	let workers: Worker[];
	try {
		workers = await Promise.all(Array.from({ length: options.size }, spawn));
	} catch (error) {
		throw new KeyServerStartError(`cannot start curve workers: ${(error as Error).message}`, {
			cause: error,
		});
	}
	idle.push(...workers);
	return {
		workers: options.size,
		run(task) {
			if (closed) return Promise.reject(new Error('curve pool is closed'));
			return new Promise((resolve, reject) => {
				queue.push({ id: nextId++, task, resolve, reject });
				dispatch();
			});
		},
		async close() {
			closed = true;
			for (const job of queue.splice(0)) job.reject(new Error('curve pool is closed'));
			await Promise.all(workers.map((worker) => worker.terminate()));
		},
	};
}
