// Import jobs (issue 11 §3): a CSV import runs in the background as a job — started at once (the API
// answers 202 with the job), with its phase and progress readable while it runs, cancellable until
// its switch has committed, and its report kept once done. Jobs run one at a time, in a worker
// thread with its own database connection (worker.ts) where the store says where it lives. The rows'
// audit records commit with the switch; their events are published here, on the server's bus, once
// the switch committed (revocations, snapshots, webhooks), so the job ends when those are done.
//
// Jobs live in this process's memory: a restart forgets them (an import that had not switched
// changed nothing; a job removes its staged rows however it ends, short of the process dying). A
// job is visible only to the actor who started it.

import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { ImportReport } from '../csv/import.ts';
import { type Actor, publish, type ServiceDeps } from '../services/write.ts';
import { type ImportKind, type ImportPhase, type PipelineOptions, runImportPipeline } from './pipeline.ts';
import type { WorkerInput, WorkerMessage } from './worker.ts';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ImportJobView {
  id: string;
  kind: ImportKind;
  state: JobState;
  phase: ImportPhase;
  /** progress within the phase: bytes read, then rows checked, staged, switched */
  done: number;
  total: number;
  dryRun: boolean;
  createdAt: number;
  finishedAt: number | null;
  /** the report once the job ended (succeeded, or failed with the rows' errors) */
  report: Omit<ImportReport, 'changes'> | null;
  /** why a job failed without a report (the database, the worker) */
  error: string | null;
  /** milliseconds spent in each phase so far */
  timings: Partial<Record<ImportPhase, number>>;
}

export type ImportJobOptions = Pick<
  PipelineOptions,
  'encoding' | 'timezone' | 'dryRun' | 'givenPinCodes' | 'maxErrors'
> & {
  /** told of every step (a progress bar); stays in this thread */
  onProgress?: (view: ImportJobView) => void;
};

interface Job {
  view: ImportJobView;
  owner: string;
  cancel: Int32Array;
  finished: Promise<void>;
}

/** Ended jobs kept for reading their report. */
const KEEP_ENDED = 100;
const WORKER_BOOT = new URL('./worker-boot.mjs', import.meta.url);
const WORKER_ENTRY = new URL('./worker.ts', import.meta.url).href;

export class ImportJobs {
  private readonly jobs = new Map<string, Job>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ServiceDeps,
    /** run in a worker thread when the store can be opened there (default); false: in this thread */
    private readonly useWorker = true,
  ) {}

  /** Starts an import in the background; the job as it stands. */
  start(kind: ImportKind, bytes: Uint8Array, options: ImportJobOptions, actor: Actor): ImportJobView {
    const now = this.deps.clock.now();
    const view: ImportJobView = {
      id: randomUUID(),
      kind,
      state: 'queued',
      phase: 'queued',
      done: 0,
      total: 0,
      dryRun: options.dryRun === true,
      createdAt: now,
      finishedAt: null,
      report: null,
      error: null,
      timings: {},
    };
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const run = () => this.run(view, cancel, kind, bytes, options, actor);
    const finished = this.queue.then(run, run);
    this.queue = finished;
    this.jobs.set(view.id, { view, owner: actor.origin.actor, cancel, finished });
    this.forgetOld();
    return copyOf(view);
  }

  /** The job, if the actor started it. */
  get(id: string, actor: Actor): ImportJobView | undefined {
    const job = this.jobs.get(id);
    return job && job.owner === actor.origin.actor ? copyOf(job.view) : undefined;
  }

  /** Asks the job to stop; it ends as cancelled unless its switch already committed. */
  cancel(id: string, actor: Actor): ImportJobView | undefined {
    const job = this.jobs.get(id);
    if (!job || job.owner !== actor.origin.actor) return undefined;
    Atomics.store(job.cancel, 0, 1);
    if (job.view.state === 'queued') this.end(job.view, 'cancelled');
    return copyOf(job.view);
  }

  /** Resolves with the job once it has ended. */
  async wait(id: string, actor: Actor): Promise<ImportJobView | undefined> {
    const job = this.jobs.get(id);
    if (!job || job.owner !== actor.origin.actor) return undefined;
    await job.finished;
    return copyOf(job.view);
  }

  /** Resolves when every job started so far has ended (shutdown, tests). */
  async idle(): Promise<void> {
    await this.queue;
  }

  private end(view: ImportJobView, state: JobState): void {
    view.state = state;
    view.finishedAt = this.deps.clock.now();
    this.tick(view);
  }

  /** Adds the time since the last step to the phase in progress. */
  private tick(view: ImportJobView): void {
    const now = this.deps.clock.now();
    const since = this.phaseStarted.get(view.id) ?? now;
    if (view.phase !== 'queued') view.timings[view.phase] = (view.timings[view.phase] ?? 0) + (now - since);
    this.phaseStarted.set(view.id, now);
  }

  private readonly phaseStarted = new Map<string, number>();

  private async run(
    view: ImportJobView,
    cancel: Int32Array,
    kind: ImportKind,
    bytes: Uint8Array,
    options: ImportJobOptions,
    actor: Actor,
  ): Promise<void> {
    if (view.state !== 'queued') return; // cancelled while queued
    view.state = 'running';
    const { onProgress: listener, ...rest } = options;
    const pipelineOptions: Omit<PipelineOptions, 'onProgress' | 'cancelled'> = {
      ...rest,
      scope: actor.scope,
      now: this.deps.clock.now(),
      jobId: view.id,
      // The audit records go into the switch's own transaction (all or nothing, audit included).
      origin: actor.origin,
    };
    this.phaseStarted.set(view.id, this.deps.clock.now());
    const onProgress = (phase: ImportPhase, done: number, total: number) => {
      this.tick(view);
      view.phase = phase;
      view.done = done;
      view.total = total;
      listener?.(copyOf(view));
    };
    try {
      const location = this.deps.store.location;
      const result =
        this.useWorker && location
          ? await inWorker(
              {
                entry: WORKER_ENTRY,
                location,
                installationKey: this.deps.installationKey,
                kind,
                bytes,
                options: pipelineOptions,
                cancel: cancel.buffer as SharedArrayBuffer,
              },
              onProgress,
            )
          : await runImportPipeline(kind, this.deps.store.db, this.deps.installationKey, bytes, {
              ...pipelineOptions,
              onProgress,
              cancelled: () => Atomics.load(cancel, 0) === 1,
            });
      const { changes: _changes, ...report } = result.report;
      view.report = report;
      if (result.cancelled) return this.end(view, 'cancelled');
      if (!report.ok) return this.end(view, 'failed');
      if (result.events.length > 0) {
        onProgress('publish', 0, result.events.length);
        // Audited already, with the switch: the bus's audit subscriber leaves them out.
        await publish(this.deps, { ...actor, origin: { ...actor.origin, audited: true } }, result.events);
        onProgress('publish', result.events.length, result.events.length);
      }
      this.end(view, 'succeeded');
    } catch (error) {
      view.error = (error as Error).message;
      this.end(view, 'failed');
    }
  }

  private forgetOld(): void {
    const ended = [...this.jobs.values()].filter((j) => j.view.finishedAt !== null);
    for (const job of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) {
      this.jobs.delete(job.view.id);
      this.phaseStarted.delete(job.view.id);
    }
  }
}

const copyOf = (view: ImportJobView): ImportJobView => ({ ...view, timings: { ...view.timings } });

function inWorker(
  input: WorkerInput,
  onProgress: (phase: ImportPhase, done: number, total: number) => void,
): Promise<Awaited<ReturnType<typeof runImportPipeline>>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_BOOT, { workerData: input });
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.phase as ImportPhase, message.done, message.total);
      else if (message.type === 'done') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        reject(new Error(message.message));
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the import worker stopped (exit code ${code})`));
    });
  });
}
