// The simulated controllers as one fleet, whichever process runs them: the stack bench
// (bench/stack.ts) asks a fleet what it asked of the agents directly before — are the policies in,
// how many events are undelivered, which snapshot does each hold, drive the reads, tell me when each
// controller journals its next event — so that the same bench runs the agents in its own process
// (LocalFleet) or in child processes (bench/stack-fleet.ts, each child a LocalFleet answering over
// IPC). Every method is asynchronous for that reason.
import { performance } from 'node:perf_hooks';
import type { ControllerAgent } from '../../controller/agent.ts';
import type { SimPlan } from './plan.ts';
import {
  driveReads,
  type ReadStats,
  startSimAgents,
  stopAll,
  undeliveredEvents,
  untilDelivered,
  untilPolicies,
} from './run.ts';

/**
 * The time, ms since the epoch, that processes compare: `performance.timeOrigin + performance.now()`
 * — monotonic within a process and on the machine's one clock across processes (Date.now() would
 * do as well across processes but is whole milliseconds and can step).
 */
export const sharedClock = (): number => performance.timeOrigin + performance.now();

export interface ProcessMemory {
  role: string;
  pid: number;
  controllers: number;
  rssMiB: number;
  /** RSS before its agents started (a controller process) */
  rssBeforeAgentsMiB?: number;
}

export interface SimFleet {
  readonly ids: readonly string[];
  untilPolicies(seconds: number): Promise<void>;
  snapshotVersions(): Promise<Record<string, number>>;
  undelivered(): Promise<number>;
  /** waits (at most `seconds`) until the server acknowledged every event; how long it took, ms */
  untilDelivered(seconds: number): Promise<number>;
  driveReads(options: { rate: number; seconds: number; seed?: number }): Promise<ReadStats>;
  /**
   * The controllers not yet ready for a revocation round: their snapshot is not newer than
   * `before[id]`, or `card` is not granted at `doorOf[id]` (a grant journals an access event).
   */
  notReady(card: string, before: Record<string, number>, doorOf: Record<string, string>): Promise<string[]>;
  /** From now on, notes when each controller journals its next event (once per controller). */
  watchNextEvents(): Promise<void>;
  /** The sharedClock() time of each controller's first event since watchNextEvents (at most `ms`). */
  nextEvents(ms: number): Promise<Record<string, number>>;
  memory(): Promise<ProcessMemory[]>;
  stop(): Promise<void>;
}

/** Agents in this process (`monban sim`, bench:stack with --controller-processes 0, and each child). */
export class LocalFleet implements SimFleet {
  private watching: Record<string, number> | undefined;
  private watched = 0;
  private allHeard: (() => void) | undefined;

  private constructor(
    readonly ids: readonly string[],
    private readonly plan: SimPlan,
    private readonly role: string,
    private readonly rssBeforeAgents: number,
    private readonly progress: (line: string) => void,
  ) {}

  private agents = new Map<string, ControllerAgent>();

  /** Starts agents for `ids` (enrolled already: identity.json in each controller's directory). */
  static async start(options: {
    ids: readonly string[];
    plan: SimPlan;
    dataDir: string;
    role: string;
    progress: (line: string) => void;
  }): Promise<LocalFleet> {
    const rss = process.memoryUsage().rss;
    const fleet = new LocalFleet(options.ids, options.plan, options.role, rss, options.progress);
    fleet.agents = await startSimAgents(options.ids, options.dataDir, (id) => fleet.heard(id));
    return fleet;
  }

  /** An agent journaled an event: the first one per controller since watchNextEvents is timed. */
  private heard(id: string): void {
    const watching = this.watching;
    if (!watching || id in watching) return;
    watching[id] = sharedClock();
    if (++this.watched === this.agents.size) this.allHeard?.();
  }

  async untilPolicies(seconds: number): Promise<void> {
    await untilPolicies(this.agents, seconds);
  }

  async snapshotVersions(): Promise<Record<string, number>> {
    return Object.fromEntries([...this.agents].map(([id, a]) => [id, a.snapshotVersion]));
  }

  async undelivered(): Promise<number> {
    return undeliveredEvents(this.agents);
  }

  untilDelivered(seconds: number): Promise<number> {
    return untilDelivered(this.agents, seconds);
  }

  driveReads(options: { rate: number; seconds: number; seed?: number }): Promise<ReadStats> {
    return driveReads(this.agents, this.plan, { ...options, progress: this.progress });
  }

  async notReady(
    card: string,
    before: Record<string, number>,
    doorOf: Record<string, string>,
  ): Promise<string[]> {
    const pending: string[] = [];
    for (const [id, agent] of this.agents) {
      const ready =
        agent.snapshotVersion > (before[id] ?? 0) &&
        agent.present({ door: doorOf[id]!, side: 'out', card, type: 'card' }).result === 'grant';
      if (!ready) pending.push(id);
    }
    return pending;
  }

  async watchNextEvents(): Promise<void> {
    this.watching = {};
    this.watched = 0;
  }

  async nextEvents(ms: number): Promise<Record<string, number>> {
    const watching = this.watching ?? {};
    if (this.watched < this.agents.size)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.allHeard = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    this.allHeard = undefined;
    this.watching = undefined;
    return watching;
  }

  async memory(): Promise<ProcessMemory[]> {
    return [
      {
        role: this.role,
        pid: process.pid,
        controllers: this.agents.size,
        rssMiB: process.memoryUsage().rss / 2 ** 20,
        rssBeforeAgentsMiB: this.rssBeforeAgents / 2 ** 20,
      },
    ];
  }

  async stop(): Promise<void> {
    await stopAll(this.agents);
  }
}
