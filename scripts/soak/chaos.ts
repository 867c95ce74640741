// The chaos driver: one fault at a time, drawn from a seeded PRNG (src/sim/random.ts), each applied,
// held, removed, and then waited out until the stack has recovered (processes up and holding a
// policy, every controller's link up again on the server). Only then are the alarms the fault must
// have raised looked up and cleared (resolved through the API, as an operator would), so each fault
// gets alarms of its own and the verification can tell whether each was raised exactly once.
// Every step goes into the fault timeline of the report.
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControllerSlot, ServerSlot, SoakStack } from './stack.ts';

export const FAULT_KINDS = [
  'controller-kill',
  'server-kill',
  'broker-kill',
  'partition',
  'delay',
  'clock-jump',
  'pg-terminate',
  'disk-full',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ExpectedAlarm {
  type: 'comms_lost' | 'time_drift';
  /** the alarm source, `controller:<id>` */
  source: string;
  /** the alarm that was found and resolved for it */
  alarmId?: string;
}

export interface FaultRecord {
  n: number;
  kind: FaultKind;
  target: string;
  detail: string;
  /** when the fault was applied, removed, and the stack seen recovered (ms since the epoch) */
  startedAt: number;
  endedAt: number;
  recoveredAt: number | null;
  /** alarms this fault must raise once each (and that the chaos driver then cleared) */
  expected: ExpectedAlarm[];
  /** a recovery that did not happen in time, or an expected alarm not found */
  problems: string[];
}

export interface ChaosOptions {
  kinds: readonly FaultKind[];
  linkTimeoutSeconds: number;
  log: (line: string) => void;
}

/**
 * How many of each fault in every deck of twenty: kills dominate (the done criterion counts them,
 * at least 100 with servers among them in 30 minutes), broker outages next (at least 10). The deck
 * is shuffled with the PRNG and drawn to the end before the next, so every stretch of a run gets
 * its share of each kind; kinds left out of a run are left out of its decks.
 */
const DECK: Record<FaultKind, number> = {
  'controller-kill': 10,
  'server-kill': 3,
  'broker-kill': 2,
  partition: 2,
  delay: 1,
  'clock-jump': 2,
  'pg-terminate': 1,
  'disk-full': 1,
};

const RECOVERY_MS = 120_000;

export class ChaosDriver {
  readonly timeline: FaultRecord[] = [];

  constructor(
    private readonly stack: SoakStack,
    private readonly random: () => number,
    private readonly options: ChaosOptions,
  ) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private between(lowMs: number, highMs: number): number {
    return Math.round(lowMs + this.random() * (highMs - lowMs));
  }

  private deck: FaultKind[] = [];

  private nextKind(): FaultKind {
    if (this.deck.length === 0) {
      this.deck = this.options.kinds.flatMap((k) => Array.from({ length: DECK[k] }, () => k));
      // Fisher–Yates with the seeded PRNG.
      for (let i = this.deck.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [this.deck[i], this.deck[j]] = [this.deck[j]!, this.deck[i]!];
      }
    }
    return this.deck.pop()!;
  }

  /** Faults one after another until `until` (ms since the epoch). */
  async run(until: number): Promise<void> {
    while (Date.now() < until) {
      await this.one(this.nextKind());
      await sleep(this.between(500, 2000));
    }
  }

  async one(kind: FaultKind): Promise<FaultRecord> {
    const record: FaultRecord = {
      n: this.timeline.length + 1,
      kind,
      target: '',
      detail: '',
      startedAt: Date.now(),
      endedAt: 0,
      recoveredAt: null,
      expected: [],
      problems: [],
    };
    this.timeline.push(record);
    const timeoutMs = this.options.linkTimeoutSeconds * 1000;
    // Held this long, a silence is past the link timeout on any machine: the alarm is certain.
    const surelyLost = () => this.between(timeoutMs + 3000, timeoutMs + 7000);
    try {
      switch (kind) {
        case 'controller-kill':
          await this.controllerKill(record, this.pick(this.stack.controllers), timeoutMs, surelyLost);
          break;
        case 'server-kill':
          await this.serverKill(record);
          break;
        case 'broker-kill': {
          record.target = 'mosquitto';
          const down = surelyLost();
          record.detail = `SIGKILL, down ${down} ms`;
          await this.stack.broker.kill('SIGKILL');
          await sleep(down);
          record.endedAt = Date.now();
          await this.stack.broker.start();
          record.expected = this.stack.controllers.map((c) => ({
            type: 'comms_lost',
            source: `controller:${c.id}`,
          }));
          break;
        }
        case 'partition': {
          const c = this.pick(this.stack.controllers);
          const down = surelyLost();
          record.target = c.id;
          record.detail = `controller↔broker connection cut for ${down} ms`;
          c.proxy.partition();
          await sleep(down);
          c.proxy.heal();
          record.endedAt = Date.now();
          record.expected = [{ type: 'comms_lost', source: `controller:${c.id}` }];
          break;
        }
        case 'delay': {
          const c = this.pick(this.stack.controllers);
          const delay = this.between(100, 1500);
          const hold = this.between(4000, 10_000);
          record.target = c.id;
          record.detail = `${delay} ms latency each way for ${hold} ms`;
          c.proxy.setDelay(delay);
          await sleep(hold);
          c.proxy.setDelay(0);
          record.endedAt = Date.now();
          break;
        }
        case 'clock-jump': {
          const c = this.pick(this.stack.controllers);
          const offset = (this.random() < 0.5 ? -1 : 1) * this.between(10_000, 30_000);
          const hold = this.between(4000, 8000);
          record.target = c.id;
          record.detail = `clock ${offset > 0 ? '+' : ''}${Math.round(offset / 1000)} s for ${hold} ms, then back`;
          if (!(await this.setClock(c, offset))) {
            record.detail += ' (controller down: not applied)';
            record.endedAt = Date.now();
            break;
          }
          await sleep(hold);
          await this.setClock(c, 0);
          record.endedAt = Date.now();
          record.expected = [{ type: 'time_drift', source: `controller:${c.id}` }];
          break;
        }
        case 'pg-terminate': {
          record.target = 'postgresql';
          const killed = await this.stack.postgresAdmin(async (client, database) => {
            const r = await client.query(
              'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
              [database],
            );
            return r.rowCount ?? 0;
          });
          record.detail = `pg_terminate_backend on ${killed ?? 0} connections of the soak's database`;
          await sleep(2000);
          record.endedAt = Date.now();
          break;
        }
        case 'disk-full': {
          const c = this.pick(this.stack.controllers);
          record.target = c.id;
          if (!c.ownDisk) {
            record.detail = 'not applied: the controller has no file system of its own (needs root)';
            record.endedAt = Date.now();
            break;
          }
          const hold = this.between(3000, 6000);
          const filler = join(c.dir, 'soak-filler');
          const bytes = fill(filler);
          record.detail = `its file system filled (${Math.round(bytes / 1024)} KiB written until ENOSPC) for ${hold} ms`;
          await sleep(hold);
          rmSync(filler, { force: true });
          record.endedAt = Date.now();
          break;
        }
      }
      await this.recover(record);
      await this.clear(record);
    } catch (error) {
      record.problems.push(`fault failed: ${(error as Error).message}`);
      if (record.endedAt === 0) record.endedAt = Date.now();
      await this.recover(record).catch(() => {});
    }
    this.options.log(
      `fault ${record.n} ${record.kind} ${record.target}: ${record.detail}${record.problems.length ? ` — ${record.problems.join('; ')}` : ''}`,
    );
    return record;
  }

  private async controllerKill(
    record: FaultRecord,
    c: ControllerSlot,
    timeoutMs: number,
    surelyLost: () => number,
  ): Promise<void> {
    // Most kills restart at once (the alarm may or may not come: it is not checked); a third stay
    // down past the link timeout (the alarm must come, once).
    const long = this.random() < 0.35;
    const down = long ? surelyLost() : this.between(0, 1000);
    record.target = c.id;
    record.detail = `SIGKILL mid-stream, down ${down} ms`;
    await this.stack.killController(c);
    await sleep(down);
    record.endedAt = Date.now();
    this.stack.startController(c);
    if (long && down > timeoutMs) record.expected = [{ type: 'comms_lost', source: `controller:${c.id}` }];
  }

  private async serverKill(record: FaultRecord): Promise<void> {
    const running = this.stack.servers.filter((s) => this.stack.serverRunning(s));
    const s: ServerSlot = this.pick(running.length > 0 ? running : this.stack.servers);
    const down = this.between(500, 4000);
    record.target = s.name;
    record.detail = `SIGKILL mid-stream, down ${down} ms${this.stack.servers.length > 1 ? ' (the other takes its controllers over)' : ''}`;
    await this.stack.killServer(s);
    await sleep(down);
    record.endedAt = Date.now();
    await this.stack.startServer(s);
  }

  /** Waits until everything is up again after the last fault; the problems, if it is not. */
  async settle(): Promise<string[]> {
    const record = { problems: [] as string[], recoveredAt: null } as unknown as FaultRecord;
    await this.recover(record);
    return record.problems;
  }

  private async setClock(c: ControllerSlot, offsetMs: number): Promise<boolean> {
    if (!c.process || !this.stack.controllerRunning(c)) return false;
    const answer = await c.process.ask({ clockOffsetMs: offsetMs }).catch(() => undefined);
    return answer?.ok === true;
  }

  /** Every process up (restarting any that died by itself), every controller's link up again. */
  private async recover(record: FaultRecord): Promise<void> {
    const deadline = Date.now() + RECOVERY_MS;
    try {
      if (!this.stack.broker.running) await this.stack.broker.start();
      for (const s of this.stack.servers) if (!this.stack.serverRunning(s)) await this.stack.startServer(s);
      for (const c of this.stack.controllers) {
        if (!this.stack.controllerRunning(c)) this.stack.startController(c);
        await this.stack.controllerReady(c, Math.max(1000, deadline - Date.now()));
      }
      for (const c of this.stack.controllers) await this.linkUp(c, deadline);
      record.recoveredAt = Date.now();
    } catch (error) {
      record.problems.push(`not recovered within ${RECOVERY_MS / 1000} s: ${(error as Error).message}`);
    }
  }

  private async linkUp(c: ControllerSlot, deadline: number): Promise<void> {
    for (;;) {
      const r = await this.stack.request('GET', `/api/controllers/${c.id}/status`, undefined, 30_000);
      if (r.status === 200 && r.json.link === 'up') return;
      if (Date.now() > deadline) throw new Error(`${c.id}'s link is ${r.json?.link ?? r.status}`);
      await sleep(250);
    }
  }

  /**
   * Finds each expected alarm (the server's own, `controller <id>: …`, raised or repeated since the
   * fault began), then resolves every active comms_lost and time_drift alarm of the server's own —
   * the expected ones and any a fault may raise unasked — so the next fault starts from a clear queue.
   */
  async clear(record?: FaultRecord): Promise<void> {
    // A few heartbeats first: a restored clock is seen as a jump back at the next one.
    await sleep(record?.kind === 'clock-jump' ? 3000 : 1000);
    const active = async () => {
      const out: ActiveAlarm[] = [];
      for (const type of ['comms_lost', 'time_drift'])
        for (const state of ['active', 'acknowledged']) {
          const r = await this.stack.request('GET', `/api/alarms?type=${type}&state=${state}&limit=500`);
          out.push(...((r.json?.items ?? []) as ActiveAlarm[]));
        }
      return out.filter((a) => a.message.startsWith(`controller ${a.source.slice('controller:'.length)}:`));
    };
    let alarms = await active();
    for (const e of record?.expected ?? []) {
      const deadline = Date.now() + 30_000;
      const match = (a: ActiveAlarm) =>
        a.type === e.type && a.source === e.source && Date.parse(a.lastRaisedAt) >= record!.startedAt;
      while (!alarms.some(match) && Date.now() < deadline) {
        await sleep(500);
        alarms = await active();
      }
      const found = alarms.find(match);
      if (found) e.alarmId = found.id;
      else record!.problems.push(`no ${e.type} alarm for ${e.source}`);
    }
    for (const a of alarms) {
      const resolved = await this.stack.request('POST', `/api/alarms/${a.id}/resolve`, {
        comment: record ? `soak: fault ${record.n} (${record.kind}) is over` : 'soak: start-up',
      });
      if (resolved.status !== 200 && resolved.status !== 409)
        record?.problems.push(`resolving ${a.id}: ${resolved.status}`);
    }
  }
}

/** Writes zeros to `file` until the file system is full; the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (const size of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch {
          break; // ENOSPC at this size: on to smaller writes
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

interface ActiveAlarm {
  id: string;
  type: string;
  source: string;
  message: string;
  lastRaisedAt: string;
}
