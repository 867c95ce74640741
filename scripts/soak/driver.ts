// The read driver: card reads at a steady rate at every controller's door, one at a time per
// controller (answers come in line order), with cards drawn from a seeded PRNG among everyone —
// revoked cards included, which is how a revocation is seen arriving. Every read is logged with
// its outcome; the verification counts them against the events in the server's storage. A read at a
// controller whose process is down is not made (its reader is dark), and counted as skipped.
import type { AgentAnswer } from '../../test/support/fleet.ts';
import { type ControllerSlot, cardOf, type SoakStack } from './stack.ts';

export interface ReadRecord {
  controller: string;
  card: string;
  sentAt: number;
  answeredAt: number;
  /** grant/deny; 'lost': the process died with the read in hand; 'timeout': no answer in time;
   *  'error': the controller answered with an error (e.g. its journal could not be written) */
  outcome: 'grant' | 'deny' | 'lost' | 'timeout' | 'error';
  reason?: string;
  policyAgeMs?: number | null;
  fallback?: boolean;
}

/** What the sim driver answers to a presentation (src/controller/sim-driver.ts). */
type DecisionAnswer = AgentAnswer & {
  policy?: { snapshotVersion: number; ageMs: number | null; fallback: boolean };
};

const ANSWER_TIMEOUT_MS = 15_000;

export class ReadDriver {
  readonly reads: ReadRecord[] = [];
  skipped = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly stack: SoakStack,
    private readonly random: () => number,
    private readonly people: number,
    /** reads per second per controller */
    private readonly rate: number,
  ) {}

  start(): void {
    this.running = true;
    this.loops = this.stack.controllers.map((c) => this.loop(c));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** One read at a controller, logged; undefined when the controller is down. */
  async present(c: ControllerSlot, card: string): Promise<ReadRecord | undefined> {
    const proc = c.process;
    if (!proc || !this.stack.controllerRunning(c)) {
      this.skipped++;
      return undefined;
    }
    const sentAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ANSWER_TIMEOUT_MS);
    });
    const answer = await Promise.race([
      (proc.ask({ present: { door: c.door, side: 'in', card } }) as Promise<DecisionAnswer>).catch(
        () => 'lost' as const,
      ),
      timeout,
    ]);
    clearTimeout(timer);
    const record: ReadRecord = { controller: c.id, card, sentAt, answeredAt: Date.now(), outcome: 'lost' };
    if (answer === 'timeout' || answer === 'lost') record.outcome = answer;
    else if (answer.decision) {
      record.outcome = answer.decision.result;
      record.reason = answer.decision.reason;
      record.policyAgeMs = answer.policy?.ageMs ?? null;
      record.fallback = answer.policy?.fallback ?? false;
    } else {
      record.outcome = 'error';
      record.reason = answer.error ?? 'no decision';
    }
    this.reads.push(record);
    return record;
  }

  private async loop(c: ControllerSlot): Promise<void> {
    const every = 1000 / this.rate;
    let next = Date.now();
    while (this.running) {
      const card = cardOf(Math.floor(this.random() * this.people));
      await this.present(c, card);
      next += every;
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -5 * every) next = Date.now(); // fell behind (a slow answer): no burst to catch up
    }
  }
}
