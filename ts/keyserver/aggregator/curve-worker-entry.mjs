// Worker bootstrap under tsx/vitest (see ../key-worker-entry.mjs): register tsx, load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./curve-worker-thread.ts');
