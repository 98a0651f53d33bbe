/**
 * Worker thread of the key pool: owns one copy of the master key inside its curve backend and
 * wraps user keys for the main thread. Messages carry ids and points, never the key.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadCurveBackend, type CurveBackendName } from './curve/backend.js';

export interface WorkerInit {
	masterKey: Uint8Array;
	backend: CurveBackendName;
}
export interface WorkerTask {
	id: number;
	encKey: Uint8Array;
	fullIds: Uint8Array[];
}
export type WorkerReply =
	| { id: number; keys: [Uint8Array, Uint8Array][] }
	| { id: number; error: string }
	| { ready: true }
	| { fatal: string };

const port = parentPort!;
const init = workerData as WorkerInit;
try {
	const backend = await loadCurveBackend(init.backend);
	const ops = backend.withMasterKey(init.masterKey);
	init.masterKey.fill(0);
	port.on('message', (task: WorkerTask | 'wipe') => {
		if (task === 'wipe') {
			ops.wipe();
			return;
		}
		try {
			const keys = ops.wrapUserKeys(task.encKey, task.fullIds);
			port.postMessage({ id: task.id, keys } satisfies WorkerReply);
		} catch (error) {
			port.postMessage({ id: task.id, error: (error as Error).message } satisfies WorkerReply);
		}
	});
	port.postMessage({ ready: true } satisfies WorkerReply);
} catch (error) {
	init.masterKey.fill(0);
	port.postMessage({ fatal: (error as Error).message } satisfies WorkerReply);
}
