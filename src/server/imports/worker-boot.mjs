// Entry of an import worker thread. The sources are TypeScript: a worker does not inherit the loader
// the main thread registered (bin/monban.js, vitest), so it registers tsx for itself and then loads
// the worker proper (worker.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
