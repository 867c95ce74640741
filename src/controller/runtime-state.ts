// The controller's runtime state on disk (issue 9 §3): who is where, use counts, door overrides and
// phases, lockdown, threat level, active fire zones, pending pairs and escorts, the timers (strike
// ends, override ends, scheduled resets) — everything the core's SiteState holds — so that a kill -9
// and restart changes no decision.
//
// Two files under DATA/runtime/: `state.json`, the whole state by ids (people, areas, doors by id, not
// by the compiled policy's numbers) written atomically after an fsync, with the journal sequence it
// covers; and a journal (controller/journal.ts: framed, checksummed, fsynced, torn tail cut at open)
// of every change applied since (the core's StateChange list, as `SiteEngine.onChanges` reports it).
// At start the state is read, the changes after it are replayed, and whatever names a person, door or
// area the policy in force does not have is left out — as when a new snapshot arrives (carry-over).
// A checkpoint (a new state.json, the journal before it dropped) is written when a new policy is
// installed and after every CHECKPOINT_EVERY changes, so the journal stays short.

import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Policy } from '../core/policy.ts';
import {
  applyChanges,
  type DoorRuntime,
  type Pending,
  type SiteState,
  type StateChange,
  UNKNOWN_AREA,
} from '../core/state.ts';
import { Journal } from './journal.ts';

const CHECKPOINT_EVERY = 5_000;
const FILE = 'state.json';

/** The state by ids, as JSON. */
export interface PersistedState {
  version: 1;
  /** the last journal sequence this state includes */
  upTo: number;
  clock: number;
  /** person → area id (null: unknown); people outside are left out */
  presence: [string, string | null][];
  lastEntry: [string, number][];
  localSides: [string, [string, 'none' | 'in' | 'out'][]][];
  uses: [string, number][];
  revoked: string[];
  doors: [string, Omit<DoorRuntime, 'override'> & { override: DoorRuntime['override'] | null }][];
  pendingPairs: [string, Pending][];
  pendingVisitors: [string, Pending][];
  lastEscort: [string, Pending][];
  lockdown: string[] | null;
  threatLevel: number;
  fireZones: string[];
  lastReset: [string, number][];
  /** what the agent keeps beside the core's state (revocations waiting for a snapshot, …) */
  extra: Record<string, unknown>;
}

export function serializeState(
  policy: Policy,
  state: SiteState,
  upTo: number,
  extra: Record<string, unknown> = {},
): PersistedState {
  const presence: [string, string | null][] = [];
  for (let p = 0; p < state.presence.length; p++) {
    const where = state.presence[p]!;
    if (where === 0) continue;
    presence.push([policy.people.id(p), where === UNKNOWN_AREA ? null : policy.areaList[where]!.id]);
  }
  return {
    version: 1,
    upTo,
    clock: state.clock,
    presence,
    lastEntry: [...state.lastEntry],
    localSides: [...state.localSides].map(([person, sides]) => [person, [...sides]]),
    uses: [...state.uses],
    revoked: [...state.revoked],
    doors: [...state.doors].map(([id, r]) => [id, { ...r, override: r.override ?? null }]),
    pendingPairs: [...state.pendingPairs],
    pendingVisitors: [...state.pendingVisitors],
    lastEscort: [...state.lastEscort],
    lockdown: state.lockdown ? [...state.lockdown.exempt] : null,
    threatLevel: state.threatLevel,
    fireZones: [...state.activeFireZones],
    lastReset: [...state.lastReset],
    extra,
  };
}

/** Puts a persisted state into a fresh state of this policy (what the policy no longer has is dropped). */
export function restoreState(policy: Policy, state: SiteState, saved: PersistedState): void {
  const moves: StateChange[] = [];
  for (const [person, area] of saved.presence) {
    const index = policy.people.indexOf(person);
    if (index < 0) continue;
    moves.push({ op: 'move', person, index, to: area !== null && policy.areas.has(area) ? area : null });
  }
  applyChanges(state, policy, moves);
  for (const [key, at] of saved.lastEntry) state.lastEntry.set(key, at);
  for (const [person, sides] of saved.localSides)
    if (policy.people.has(person)) state.localSides.set(person, new Map(sides));
  for (const [credential, count] of saved.uses) state.uses.set(credential, count);
  for (const credential of saved.revoked) state.revoked.add(credential);
  for (const [id, runtime] of saved.doors) {
    const current = state.doors.get(id);
    if (!current) continue;
    // In place: the state's by-index list holds the same objects.
    Object.assign(current, runtime, { override: runtime.override ?? undefined });
  }
  const known = (p: Pending) => policy.people.has(p.person) && policy.doors.has(p.door);
  for (const [area, p] of saved.pendingPairs)
    if (policy.areas.get(area)?.twoPerson && known(p)) state.pendingPairs.set(area, p);
  for (const [door, p] of saved.pendingVisitors) if (known(p)) state.pendingVisitors.set(door, p);
  for (const [door, p] of saved.lastEscort) if (known(p)) state.lastEscort.set(door, p);
  state.lockdown = saved.lockdown ? { exempt: new Set(saved.lockdown) } : null;
  state.threatLevel = saved.threatLevel;
  state.activeFireZones = new Set(saved.fireZones);
  for (const [area, at] of saved.lastReset) if (policy.areas.has(area)) state.lastReset.set(area, at);
  state.clock = Math.max(state.clock, saved.clock);
}

/**
 * Changes as recorded may name what this policy does not have (a person removed by a newer
 * snapshot): those are left out, and person numbers are the policy's own.
 */
export function changesFor(policy: Policy, changes: readonly StateChange[]): StateChange[] {
  const out: StateChange[] = [];
  for (const c of changes) {
    switch (c.op) {
      case 'move': {
        const index = policy.people.indexOf(c.person);
        if (index >= 0) out.push({ ...c, index, to: c.to !== null && policy.areas.has(c.to) ? c.to : null });
        break;
      }
      case 'forgetPerson': {
        const index = policy.people.indexOf(c.person);
        if (index >= 0) out.push({ ...c, index });
        break;
      }
      case 'resetArea':
      case 'lastReset':
        if (policy.areas.has(c.area)) out.push(c);
        break;
      case 'pendingPair':
        if (policy.areas.has(c.area)) out.push(c);
        break;
      case 'door':
      case 'pendingVisitor':
      case 'lastEscort':
        if (policy.doors.has(c.door)) out.push(c);
        break;
      case 'localSide':
        if (policy.people.has(c.person)) out.push(c);
        break;
      default:
        out.push(c);
    }
  }
  return out;
}

/** The runtime state's files: load at start, record every change, checkpoint now and then. */
export class RuntimeStore {
  private readonly journal: Journal;
  private sinceCheckpoint = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    // Small segments: a checkpoint drops the whole segments before it.
    this.journal = Journal.open(join(dir, 'journal'), { segmentBytes: 1024 * 1024 });
  }

  /**
   * Restores the saved state into `state` (a fresh state of `policy`) and replays the changes
   * after it; returns the agent's extra fields, or undefined when nothing was saved.
   */
  load(policy: Policy, state: SiteState): Record<string, unknown> | undefined {
    const path = join(this.dir, FILE);
    let saved: PersistedState | undefined;
    if (existsSync(path)) {
      saved = JSON.parse(readFileSync(path, 'utf8')) as PersistedState;
      if (saved.version !== 1) throw new Error(`runtime state version ${String(saved.version)} is not known`);
      restoreState(policy, state, saved);
    }
    let replayed = 0;
    for (const entry of this.journal.unacknowledged()) {
      if (saved && entry.seq <= saved.upTo) continue;
      const changes = JSON.parse(new TextDecoder().decode(entry.payload)) as StateChange[];
      applyChanges(state, policy, changesFor(policy, changes));
      replayed++;
    }
    this.sinceCheckpoint = replayed;
    return saved || replayed > 0 ? (saved?.extra ?? {}) : undefined;
  }

  /** Journals changes just applied (durably, before the caller acts on them). */
  record(changes: readonly StateChange[]): void {
    // The clock moves on every tick; it matters only together with what it made happen.
    if (changes.every((c) => c.op === 'clock')) return;
    this.journal.append(new TextEncoder().encode(JSON.stringify(changes)));
    this.sinceCheckpoint++;
  }

  /** Whether enough changes have been journaled since the last checkpoint to write a new one. */
  get due(): boolean {
    return this.sinceCheckpoint >= CHECKPOINT_EVERY;
  }

  /** Writes the whole state (atomically, after an fsync) and drops the journal it covers. */
  checkpoint(policy: Policy, state: SiteState, extra: Record<string, unknown> = {}): void {
    const upTo = this.journal.next - 1;
    const path = join(this.dir, FILE);
    writeFileSync(`${path}.tmp`, JSON.stringify(serializeState(policy, state, upTo, extra)), { mode: 0o600 });
    const fd = openSync(`${path}.tmp`, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(`${path}.tmp`, path);
    const dir = openSync(this.dir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    if (upTo > this.journal.acknowledged) this.journal.acknowledge(upTo);
    this.sinceCheckpoint = 0;
  }

  close(): void {
    this.journal.close();
  }
}
