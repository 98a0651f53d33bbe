/**
 * The aggregator's curve work (share verification: three pairings per key; Lagrange combination:
 * 2·threshold G1 multiplications per key), done off the event loop like the key server's key
 * derivation. Only public values cross the port (encrypted shares, public keys, coefficients).
 * curve-worker-thread.ts runs it on a thread; `workers: 0` runs it inline.
 */
import { loadCurveBackend } from '../curve/backend.js';
import type { CurveBackend, CurveBackendName, WrappedKey } from '../curve/curve.js';

export type CurveTask =
	| {
			kind: 'verify';
			shares: WrappedKey[];
			fullIds: Uint8Array[];
			ephemeralVk: Uint8Array;
			partialPk: Uint8Array;
	  }
	| {
			kind: 'combine';
			/** Per key: the threshold members' shares, in the order of `coefficients`. */
			shares: WrappedKey[][];
			coefficients: bigint[];
	  };
export type CurveResult = { ok: boolean[] } | { keys: WrappedKey[] };

export function runCurveTask(curve: CurveBackend, task: CurveTask): CurveResult {
	if (task.kind === 'verify') {
		return {
			ok: curve.verifyEncryptedShares(task.shares, task.ephemeralVk, task.partialPk, task.fullIds),
		};
	}
	return {
		keys: task.shares.map((perMember) => [
			curve.combineG1(
				perMember.map((s) => s[0]),
				task.coefficients,
			),
			curve.combineG1(
				perMember.map((s) => s[1]),
				task.coefficients,
			),
		]),
	};
}

export interface CurveWorkerPort {
	on(event: 'message', listener: (message: { id: number; task: CurveTask }) => void): unknown;
	postMessage(
		reply: { id: number; result: CurveResult } | { id: number; error: string } | { ready: true },
	): void;
}

export async function serveCurveWorker(port: CurveWorkerPort, backend: CurveBackendName) {
	const curve = await loadCurveBackend(backend);
	port.on('message', ({ id, task }) => {
		try {
			port.postMessage({ id, result: runCurveTask(curve, task) });
		} catch (error) {
			port.postMessage({ id, error: (error as Error).message });
		}
	});
	port.postMessage({ ready: true });
}
