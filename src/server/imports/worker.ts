// An import job's worker thread: it opens its own connection to the server's database and runs the
// import pipeline there (pipeline.ts), so decoding, parsing, checking and the switch use another core
// and another connection, and the server's event loop and connection stay free to answer. Progress
// and the result go back as messages; a cancel is a flag in shared memory, read between slices.

import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { openStore, type StoreLocation } from '../storage/db.ts';
import { type ImportKind, type PipelineOptions, runImportPipeline } from './pipeline.ts';

export interface WorkerInput {
  entry: string;
  location: StoreLocation;
  installationKey: Uint8Array;
  kind: ImportKind;
  bytes: Uint8Array;
  options: Omit<PipelineOptions, 'onProgress' | 'cancelled'>;
  /** one Int32: 1 once the job is cancelled */
  cancel: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'progress'; phase: string; done: number; total: number }
  | { type: 'done'; result: Awaited<ReturnType<typeof runImportPipeline>> }
  | { type: 'failed'; message: string };

const input = workerData as WorkerInput;
const flag = new Int32Array(input.cancel);
const post = (message: WorkerMessage) => parentPort!.postMessage(message);

// The server migrated this database when it opened it: the worker only connects (importing and
// checking every migration module took a second of the job's start on a loaded machine).
const store = await openStore(input.location, { migrate: false });
// The switch writes 100,000 rows in one transaction: a page cache that holds them (64 MB) keeps
// SQLite from spilling it to the WAL page by page. This connection only.
if (store.dialect === 'sqlite') await sql`PRAGMA cache_size = -65536`.execute(store.db);
// On PostgreSQL the job gives the CPU to the server's own thread first (Linux keeps a nice value per
// thread; 0 is this one): health probes and controllers are answered before rows are parsed. Not on
// SQLite, where the switch holds the one write lock and must end as soon as it can.
if (store.dialect === 'postgres')
  try {
    setPriority(0, Math.min(19, getPriority(0) + 5));
  } catch {
    // not allowed here: run at the server's priority
  }
try {
  const result = await runImportPipeline(input.kind, store.db, input.installationKey, input.bytes, {
    ...input.options,
    onProgress: (phase, done, total) => post({ type: 'progress', phase, done, total }),
    cancelled: () => Atomics.load(flag, 0) === 1,
  });
  // What was written row by row stays here: the audit has it through the events.
  post({ type: 'done', result: { ...result, report: { ...result.report, changes: [] } } });
} catch (error) {
  // The message only: a stack or a value from the file has no place in the job's report.
  post({ type: 'failed', message: (error as Error).message });
} finally {
  await store.close();
}
