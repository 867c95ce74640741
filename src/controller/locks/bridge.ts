// The controller's side of battery locks behind a hub (an agent driver): it keeps each lock's key
// list current from the policy in force (core lockList: the lock decides alone from it), takes in the
// events the locks queued — each journaled by the agent exactly once, however often the hub hands it
// over (the last sequence taken per lock is kept on disk before the lock is told to forget) — and
// watches batteries: a `low_battery` alarm with the predicted days left goes out while the lock still
// has plenty of charge (below `percent`, or fewer than `days` left at its rate of drain).

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentDriver, ControllerAgent } from '../agent.ts';
import { type BatteryReading, predictDaysLeft } from './battery.ts';
import type { LockEvent, LockHub } from './types.ts';

export interface LockBridgeOptions {
  hub: LockHub;
  dataDir: string;
  pollMs?: number;
  lowBattery?: { percent: number; days: number };
  now?: () => number;
}

const READINGS = 50;

export class LockBridge implements AgentDriver {
  private agent: ControllerAgent | undefined;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private readonly taken: Record<string, number>;
  private readonly sentVersion = new Map<string, number>();
  private readonly readings = new Map<string, BatteryReading[]>();
  private readonly alarmed = new Set<string>();
  private readonly file: string;

  constructor(private readonly o: LockBridgeOptions) {
    this.file = join(o.dataDir, 'lock-events-taken.json');
    this.taken = existsSync(this.file)
      ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, number>)
      : {};
  }

  async start(agent: ControllerAgent): Promise<void> {
    this.agent = agent;
    this.timer = setInterval(() => void this.sync(), this.o.pollMs ?? 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.syncing;
    this.agent = undefined;
  }

  /** One round: key lists out, events in, batteries checked. The hub away: nothing, try again later. */
  sync(): Promise<void> {
    this.syncing ??= this.round().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async round(): Promise<void> {
    const agent = this.agent;
    if (!agent) return;
    let statuses: Awaited<ReturnType<LockHub['locks']>>;
    try {
      statuses = await this.o.hub.locks();
    } catch {
      return;
    }
    const now = this.o.now?.() ?? Date.now();
    for (const s of statuses) {
      try {
        const version = agent.snapshotVersion;
        if (this.sentVersion.get(s.lock) !== version || s.keyListVersion < version) {
          await this.o.hub.sendKeyList(s.lock, { version, entries: agent.lockList(s.door) });
          this.sentVersion.set(s.lock, version);
        }
        await this.takeEvents(agent, s.lock);
      } catch {
        // unreachable mid-round: the next round carries on from what was taken
      }
      this.checkBattery(agent, s.lock, s.door, s.battery, s.alive, now);
    }
  }

  private async takeEvents(agent: ControllerAgent, lock: string): Promise<void> {
    const events = await this.o.hub.events(lock, this.taken[lock] ?? 0);
    let last = this.taken[lock] ?? 0;
    for (const e of events) {
      if (e.seq <= last) continue; // handed over again: journaled already
      agent.report(asDriverEvent(e));
      last = e.seq;
      this.taken[lock] = last;
      this.save();
    }
    // Every round, not only after new events: an acknowledgement lost last time is made good now.
    if (last > 0) await this.o.hub.acknowledge(lock, last);
  }

  private checkBattery(
    agent: ControllerAgent,
    lock: string,
    door: string,
    level: number,
    alive: boolean,
    now: number,
  ): void {
    const readings = this.readings.get(lock) ?? [];
    readings.push({ at: now, level });
    if (readings.length > READINGS) readings.shift();
    this.readings.set(lock, readings);
    const { percent, days } = this.o.lowBattery ?? { percent: 25, days: 30 };
    const left = predictDaysLeft(readings);
    const low = alive && (level <= percent || left <= days);
    if (low && !this.alarmed.has(lock)) {
      this.alarmed.add(lock);
      agent.report({
        type: 'alarm',
        at: now,
        alarm: 'low_battery',
        door,
        detail: `lock ${lock}: battery ${Math.round(level)}%, about ${Number.isFinite(left) ? Math.floor(left) : '?'} days left`,
      });
    } else if (!low && level > percent + 10) this.alarmed.delete(lock);
  }

  private save(): void {
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.taken), { flush: true });
    renameSync(`${this.file}.tmp`, this.file);
  }
}

function asDriverEvent(e: LockEvent): Parameters<ControllerAgent['report']>[0] {
  if (e.type === 'access')
    return {
      type: 'access',
      at: e.at,
      door: e.door,
      result: e.result ?? 'deny',
      reason: e.reason ?? '',
      ...(e.credential !== undefined && { credential: e.credential }),
      via: `lock:${e.lock}`,
    };
  return {
    type: 'device',
    at: e.at,
    device: `lock:${e.lock}`,
    door: e.door,
    state: e.type === 'battery' ? 'battery' : String(e.state),
    ...(e.battery !== undefined && { detail: `battery ${e.battery}%` }),
  };
}
