// Entry of an import worker thread. The sources are TypeScript: a worker does not inherit the loader
// the main thread registered (bin/monban.js, vitest), so it registers tsx for itself and then loads
// the worker proper (worker.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// Kysely is some 200 ES modules: loaded through tsx's hooks (a round trip to the hooks' thread for
// each) it took 1.8 s of a job's start on a loaded machine, natively 0.6 s. Loaded here first, the
// sources' `import … from 'kysely'` find it in the module map (the same file URL), untransformed.
await import('kysely');
register();
await import(workerData.entry);
