/**
 * What a key pool worker thread does: owns one copy of the master key inside its curve backend
 * and wraps user keys for the main thread. Messages carry ids and points, never the key.
 * key-worker-thread.ts runs it on the thread's parent port; tests run it on a stand-in port.
 */
import { loadCurveBackend } from './curve/backend.js';
import { type CurveBackendName } from './curve/curve.js';

export interface WorkerInit {
	masterKey: Uint8Array;
	backend: CurveBackendName;
	/** Permissioned mode: the other clients' keys; key `i ≥ 1` of a task is `extraKeys[i - 1]`. */
	extraKeys?: Uint8Array[];
}
export interface WorkerTask {
	id: number;
	encKey: Uint8Array;
	fullIds: Uint8Array[];
	/** Which key wraps (0 = `masterKey`, the default). */
	key?: number;
}
export type WorkerReply =
	| { id: number; keys: [Uint8Array, Uint8Array][] }
	| { id: number; error: string }
	| { ready: true }
	| { fatal: string };

/** The side of a MessagePort the worker needs. */
export interface WorkerPort {
	on(event: 'message', listener: (task: WorkerTask | 'wipe') => void): unknown;
	postMessage(reply: WorkerReply): void;
}

/** Loads the backend, wipes `init.masterKey`, then answers tasks; `fatal` if it cannot start. */
export async function serveKeyWorker(port: WorkerPort, init: WorkerInit): Promise<void> {
	try {
		const backend = await loadCurveBackend(init.backend);
		const all = [init.masterKey, ...(init.extraKeys ?? [])];
		const ops = all.map((key) => backend.withMasterKey(key));
		for (const key of all) key.fill(0);
		port.on('message', (task) => {
			if (task === 'wipe') {
				for (const one of ops) one.wipe();
				return;
			}
			try {
				const one = ops[task.key ?? 0];
				if (!one) throw new Error(`no key ${task.key}`);
				const keys = one.wrapUserKeys(task.encKey, task.fullIds);
				port.postMessage({ id: task.id, keys });
			} catch (error) {
				port.postMessage({ id: task.id, error: (error as Error).message });
			}
		});
		port.postMessage({ ready: true });
	} catch (error) {
		init.masterKey.fill(0);
		for (const key of init.extraKeys ?? []) key.fill(0);
		port.postMessage({ fatal: (error as Error).message });
	}
}
