/** Entry of an aggregator curve worker thread: serves curve-worker.ts on the parent port. */
import { parentPort, workerData } from 'node:worker_threads';
import type { CurveBackendName } from '../curve/curve.js';
import { serveCurveWorker } from './curve-worker.js';

await serveCurveWorker(parentPort!, (workerData as { backend: CurveBackendName }).backend);
