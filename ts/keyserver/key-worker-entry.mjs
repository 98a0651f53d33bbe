// Worker bootstrap: worker threads start without the TypeScript loader of the main thread under
// vitest, so register tsx here (a no-op cost when it is already active) and load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./key-worker-thread.ts');
