// A simulated battery lock and its hub (in-process fakes for hardware). The lock decides a key
// presented at it from its own stored key list — validity, use limit and schedule windows in the
// site's zone — so it works with the hub and the controller unreachable; queues its events with its
// own sequence numbers until they are acknowledged; locks again after its auto-lock time; can jam and
// report its door ajar; and drains its battery by use and by time until it dies.

import { credentialIdHash } from '../../contracts/credential-key.ts';
import { isScheduleActive, type LocalMoment } from '../../core/schedule.ts';
import type { TimeZone } from '../../core/time/zone.ts';
import { civilOf } from './civil-moment.ts';
import type { KeyList, LockEvent, LockHub, LockState, LockStatus } from './types.ts';

export interface SimLockOptions {
  id: string;
  door: string;
  /** the site credential key: the lock hashes what it reads, as the controller does */
  credentialKey: Uint8Array;
  zone: TimeZone;
  now: () => number;
  autoLockMs?: number;
  ajarAfterMs?: number;
  /** battery drain: percent per unlock and per day idle */
  drainPerUnlock?: number;
  drainPerDay?: number;
  battery?: number;
}

export class SimLock {
  readonly id: string;
  readonly door: string;
  state: LockState = 'locked';
  battery: number;
  private list: KeyList = { version: 0, entries: [] };
  private readonly uses = new Map<string, number>();
  private queue: LockEvent[] = [];
  private seq = 0;
  private unlockedAt = 0;
  private openedAt: number | undefined;
  private ajar = false;
  private lastDrainAt: number;
  private jammed = false;

  constructor(private readonly o: SimLockOptions) {
    this.id = o.id;
    this.door = o.door;
    this.battery = o.battery ?? 100;
    this.lastDrainAt = o.now();
  }

  get alive(): boolean {
    return this.battery > 0;
  }

  status(): LockStatus {
    this.tick();
    return {
      lock: this.id,
      door: this.door,
      state: this.state,
      ajar: this.ajar,
      battery: Math.round(this.battery * 10) / 10,
      alive: this.alive,
      keyListVersion: this.list.version,
    };
  }

  storeKeyList(list: KeyList): void {
    if (!this.alive || list.version < this.list.version) return;
    this.list = list;
  }

  /** A key (QR code, card) presented at the lock: decided inside the lock, queued as an event. */
  present(type: 'key' | 'card', text: string): 'grant' | 'deny' {
    this.tick();
    if (!this.alive) return 'deny';
    const now = this.o.now();
    const credential = `${type}:${credentialIdHash(this.o.credentialKey, type, text)}`;
    const reason = this.check(credential, now);
    const result = reason === 'granted' ? 'grant' : 'deny';
    if (result === 'grant') {
      this.uses.set(credential, (this.uses.get(credential) ?? 0) + 1);
      this.open(now);
    }
    this.push({ type: 'access', at: now, door: this.door, result, reason, credential });
    return result;
  }

  private check(credential: string, now: number): string {
    if (this.jammed) return 'door_locked';
    const entry = this.list.entries.find((e) => e.credential === credential);
    if (!entry) return 'unknown_credential';
    if (now < entry.validFrom || now >= entry.validUntil) return 'outside_validity';
    if ((this.uses.get(credential) ?? 0) >= entry.maxUses) return 'uses_exhausted';
    if (entry.schedules !== undefined) {
      const at: LocalMoment = civilOf(this.o.zone, now);
      if (!entry.schedules.some((s) => isScheduleActive(s, at))) return 'outside_schedule';
    }
    return 'granted';
  }

  /** A remote unlock through the hub. */
  remoteUnlock(): boolean {
    this.tick();
    if (!this.alive || this.jammed) return false;
    this.open(this.o.now());
    return true;
  }

  private open(now: number): void {
    this.battery = Math.max(0, this.battery - (this.o.drainPerUnlock ?? 0.05));
    this.state = 'unlocked';
    this.unlockedAt = now;
    this.push({ type: 'state', at: now, door: this.door, state: 'unlocked' });
  }

  /** The door's position switch. */
  doorOpen(open: boolean): void {
    const now = this.o.now();
    this.openedAt = open ? now : undefined;
    if (!open && this.ajar) {
      this.ajar = false;
      this.push({ type: 'state', at: now, door: this.door, state: 'closed' });
    }
  }

  /** The bolt sticks: the lock reports itself jammed and opens nothing until freed. */
  jam(stuck: boolean): void {
    this.jammed = stuck;
    this.state = stuck ? 'jammed' : 'locked';
    this.push({ type: 'state', at: this.o.now(), door: this.door, state: this.state });
  }

  /** Time passing: auto-lock, door ajar, battery drain. */
  tick(): void {
    const now = this.o.now();
    const days = (now - this.lastDrainAt) / 86_400_000;
    if (days > 0 && this.alive) {
      const before = this.battery;
      this.battery = Math.max(0, this.battery - days * (this.o.drainPerDay ?? 0.2));
      this.lastDrainAt = now;
      if (Math.floor(before) !== Math.floor(this.battery))
        this.push({ type: 'battery', at: now, door: this.door, battery: Math.round(this.battery * 10) / 10 });
    }
    if (!this.alive) return;
    if (this.state === 'unlocked' && now - this.unlockedAt >= (this.o.autoLockMs ?? 5_000)) {
      this.state = 'locked';
      this.push({
        type: 'state',
        at: this.unlockedAt + (this.o.autoLockMs ?? 5_000),
        door: this.door,
        state: 'locked',
      });
    }
    if (this.openedAt !== undefined && !this.ajar && now - this.openedAt >= (this.o.ajarAfterMs ?? 30_000)) {
      this.ajar = true;
      this.push({ type: 'state', at: now, door: this.door, state: 'ajar' });
    }
  }

  private push(e: Omit<LockEvent, 'lock' | 'seq'>): void {
    this.queue.push({ lock: this.id, seq: ++this.seq, ...e });
  }

  eventsAfter(seq: number): LockEvent[] {
    this.tick();
    return this.queue.filter((e) => e.seq > seq);
  }

  /** Forgets what the controller has stored. */
  acknowledge(seq: number): void {
    this.queue = this.queue.filter((e) => e.seq > seq);
  }

  get queued(): number {
    return this.queue.length;
  }
}

/** A hub in front of simulated locks; `stop()` makes it unreachable (every call fails). */
export class SimHub implements LockHub {
  private readonly byId = new Map<string, SimLock>();
  reachable = true;
  /** drop the next acknowledgement (a lost answer): the events come again and must not double */
  loseNextAck = false;

  constructor(locks: readonly SimLock[]) {
    for (const l of locks) this.byId.set(l.id, l);
  }

  stop(): void {
    this.reachable = false;
  }

  start(): void {
    this.reachable = true;
  }

  private lock(id: string): SimLock {
    if (!this.reachable) throw new Error('hub unreachable');
    const lock = this.byId.get(id);
    if (!lock) throw new Error(`no lock ${id}`);
    return lock;
  }

  async locks(): Promise<LockStatus[]> {
    if (!this.reachable) throw new Error('hub unreachable');
    return [...this.byId.values()].map((l) => l.status());
  }

  async sendKeyList(lock: string, list: KeyList): Promise<void> {
    this.lock(lock).storeKeyList(list);
  }

  async events(lock: string, afterSeq: number): Promise<LockEvent[]> {
    return this.lock(lock).eventsAfter(afterSeq);
  }

  async acknowledge(lock: string, seq: number): Promise<void> {
    const l = this.lock(lock);
    if (this.loseNextAck) {
      this.loseNextAck = false;
      throw new Error('acknowledgement lost');
    }
    l.acknowledge(seq);
  }

  async unlock(lock: string): Promise<boolean> {
    return this.lock(lock).remoteUnlock();
  }
}
