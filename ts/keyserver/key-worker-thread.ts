/** Entry of a key pool worker thread: serves key-worker.ts on the parent port. */
import { parentPort, workerData } from 'node:worker_threads';
import { serveKeyWorker, type WorkerInit } from './key-worker.js';

await serveKeyWorker(parentPort!, workerData as WorkerInit);
