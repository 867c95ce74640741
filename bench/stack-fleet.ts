// The controllers of `npm run bench:stack` in child processes (bench/stack-controllers.ts), seen
// by the bench as one SimFleet: each request goes to every child and the answers are merged.
// Controllers are dealt to the children in turn (controller i to child i mod N), and the read rate
// is split evenly between them, so each drives the reads of its own controllers.

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProcessMemory, SimFleet } from '../src/sim/load/fleet.ts';
import type { SimSize } from '../src/sim/load/plan.ts';
import type { ReadStats } from '../src/sim/load/run.ts';
import type { ControllerProcessSetup, FleetOp } from './stack-controllers.ts';

type Answer = { id: number; result?: unknown; error?: string };

class ControllerProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private exited: string | undefined;

  constructor(
    readonly child: ChildProcess,
    progress: (line: string) => void,
  ) {
    child.on('message', (m: Answer & { progress?: string }) => {
      if (m.progress) progress(m.progress);
      const waiting = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!waiting) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) waiting.reject(new Error(m.error));
      else waiting.resolve(m.result);
    });
    child.once('exit', (code, signal) => {
      this.exited = `controller process ${child.pid} exited (${signal ?? code})`;
      for (const p of this.pending.values()) p.reject(new Error(this.exited));
      this.pending.clear();
    });
  }

  call<T>(op: FleetOp, ...args: unknown[]): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }

  /** Waits for the process to end (killing it after `ms`). */
  async ended(ms: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

export class ProcessFleet implements SimFleet {
  private constructor(
    readonly ids: readonly string[],
    private readonly processes: ControllerProcess[],
  ) {}

  /** Forks `count` processes and starts their agents (the controllers are enrolled already). */
  static async start(options: {
    count: number;
    ids: readonly string[];
    dataDir: string;
    size: SimSize;
    progress: (line: string) => void;
  }): Promise<ProcessFleet> {
    const processes: ControllerProcess[] = [];
    const starting: Promise<void>[] = [];
    for (let k = 0; k < options.count; k++) {
      const ids = options.ids.filter((_, i) => i % options.count === k);
      const child = fork(fileURLToPath(new URL('./stack-controllers.ts', import.meta.url)), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const proc = new ControllerProcess(child, (line) => options.progress(`controllers ${k + 1}: ${line}`));
      processes.push(proc);
      const setup: ControllerProcessSetup = {
        ids,
        dataDir: options.dataDir,
        size: options.size,
        role: `controllers ${k + 1}`,
      };
      starting.push(
        new Promise<void>((resolve, reject) => {
          child.on('message', (m: { ready?: boolean; setupError?: string }) => {
            if (m.ready) resolve();
            if (m.setupError) reject(new Error(`controller process ${k + 1}: ${m.setupError}`));
          });
          child.once('exit', (code) => reject(new Error(`controller process ${k + 1} exited (${code})`)));
        }),
      );
      child.send({ setup });
    }
    const fleet = new ProcessFleet(options.ids, processes);
    try {
      await Promise.all(starting);
    } catch (error) {
      await fleet.kill();
      throw error;
    }
    return fleet;
  }

  private all<T>(op: FleetOp, ...args: unknown[]): Promise<T[]> {
    return Promise.all(this.processes.map((p) => p.call<T>(op, ...args)));
  }

  async untilPolicies(seconds: number): Promise<void> {
    await this.all('untilPolicies', seconds);
  }

  async snapshotVersions(): Promise<Record<string, number>> {
    return Object.assign({}, ...(await this.all<Record<string, number>>('snapshotVersions')));
  }

  async undelivered(): Promise<number> {
    return (await this.all<number>('undelivered')).reduce((a, b) => a + b, 0);
  }

  async untilDelivered(seconds: number): Promise<number> {
    return Math.max(...(await this.all<number>('untilDelivered', seconds)));
  }

  /** Each process reads at its share of `rate`, with a seed of its own; the stats merged. */
  async driveReads(options: { rate: number; seconds: number; seed?: number }): Promise<ReadStats> {
    const n = this.processes.length;
    const parts = await Promise.all(
      this.processes.map((p, k) =>
        p.call<ReadStats>('driveReads', {
          ...options,
          rate: options.rate / n,
          seed: (options.seed ?? 1) + k,
        }),
      ),
    );
    return {
      reads: parts.reduce((a, s) => a + s.reads, 0),
      grants: parts.reduce((a, s) => a + s.grants, 0),
      unexpected: parts.reduce((a, s) => a + s.unexpected, 0),
      ratePerSecond: parts.reduce((a, s) => a + s.ratePerSecond, 0),
      latencies: parts.flatMap((s) => s.latencies).sort((a, b) => a - b),
    };
  }

  async notReady(
    card: string,
    before: Record<string, number>,
    doorOf: Record<string, string>,
  ): Promise<string[]> {
    return (await this.all<string[]>('notReady', card, before, doorOf)).flat();
  }

  async watchNextEvents(): Promise<void> {
    await this.all('watchNextEvents');
  }

  async nextEvents(ms: number): Promise<Record<string, number>> {
    return Object.assign({}, ...(await this.all<Record<string, number>>('nextEvents', ms)));
  }

  async memory(): Promise<ProcessMemory[]> {
    return (await this.all<ProcessMemory[]>('memory')).flat();
  }

  /** Stops every agent, then waits for the processes to end. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.processes.map((p) => p.call('stop')));
    await Promise.all(this.processes.map((p) => p.ended(10_000)));
  }

  /** Ends the processes without asking (a failed start). */
  async kill(): Promise<void> {
    for (const p of this.processes) p.child.kill();
    await Promise.all(this.processes.map((p) => p.ended(5_000)));
  }
}
