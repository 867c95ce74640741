// Door supervision (R-ACC-14), tailgating (R-ACC-13) and the timers that run as time passes: strike
// times, held-open alarms, override expiry, scheduled anti-passback resets. Each function returns the
// events and state changes; nothing is mutated here.

import { type DoorInput, doorTransition } from './door-machine.ts';
import { effectiveMode, localMoment, onFire } from './door-mode.ts';
import type { CoreEvent } from './events.ts';
import { interlockAllows, interlockGroupState } from './interlock.ts';
import type { CompiledDoor, Policy } from './policy.ts';
import { type DoorRuntime, doorRuntime, type SiteState, type StateChange } from './state.ts';
import { MS_PER_DAY } from './time/civil.ts';

export interface Outcome {
  events: CoreEvent[];
  changes: StateChange[];
}

function isFree(
  policy: Policy,
  state: SiteState,
  door: CompiledDoor,
  runtime: DoorRuntime,
  now: number,
): boolean {
  return effectiveMode(state, door, runtime, localMoment(policy, now), now, false).mode === 'unlocked';
}

function needDoor(policy: Policy, id: string): CompiledDoor {
  const door = policy.doors.get(id);
  if (door === undefined) throw new RangeError(`unknown door "${id}"`);
  return door;
}

/** Applies a door input to the state machine; records the phase change and the alarm it raises. */
function stepDoor(
  out: Outcome,
  door: CompiledDoor,
  runtime: DoorRuntime,
  input: DoorInput,
  free: boolean,
  now: number,
  extra: Partial<DoorRuntime> = {},
): void {
  const { next, alarm } = doorTransition(runtime.phase, input, free);
  const patch: Partial<DoorRuntime> = { ...extra };
  if (next !== runtime.phase) {
    patch.phase = next;
    out.events.push({ type: 'door', at: now, door: door.id, phase: next });
  }
  if (alarm !== undefined) out.events.push({ type: 'alarm', at: now, alarm, door: door.id });
  if (alarm === 'held_open') patch.heldAlarmRaised = true;
  if (Object.keys(patch).length > 0) out.changes.push({ op: 'door', door: door.id, patch });
}

/** The door position switch reports open or closed. */
export function doorSensor(
  policy: Policy,
  state: SiteState,
  doorId: string,
  open: boolean,
  now: number,
): Outcome {
  const out: Outcome = { events: [], changes: [] };
  const door = needDoor(policy, doorId);
  const runtime = doorRuntime(state, door.id);
  const free = isFree(policy, state, door, runtime, now);
  if (open)
    stepDoor(
      out,
      door,
      runtime,
      'opened',
      free,
      now,
      runtime.phase === 'open' || runtime.phase === 'forced_open'
        ? {}
        : { openedAt: now, heldAlarmRaised: false },
    );
  else
    stepDoor(out, door, runtime, 'closed', free, now, {
      releasedUntil: Math.min(runtime.releasedUntil, now),
    });
  return out;
}

/** Request-to-exit: unlocks for the strike time without an alarm, unless an interlocked door holds. */
export function requestToExit(policy: Policy, state: SiteState, doorId: string, now: number): Outcome {
  const out: Outcome = { events: [], changes: [] };
  const door = needDoor(policy, doorId);
  const runtime = doorRuntime(state, door.id);
  // Fire egress wins over interlock; otherwise a held group refuses the release, as for a grant.
  if (door.interlock !== undefined && !onFire(state, door)) {
    if (!interlockAllows(interlockGroupState(policy, state, door, now), door.id)) return out;
  }
  stepDoor(out, door, runtime, 'release', false, now, {
    releasedUntil: Math.max(runtime.releasedUntil, now + door.strikeMs),
    grantsSincePassage: runtime.grantsSincePassage + 1,
  });
  return out;
}

/** A sensor counted people crossing: more people than grants since the last count is tailgating. */
export function passage(
  policy: Policy,
  state: SiteState,
  doorId: string,
  count: number,
  now: number,
): Outcome {
  const out: Outcome = { events: [], changes: [] };
  const door = needDoor(policy, doorId);
  const runtime = doorRuntime(state, door.id);
  if (count > runtime.grantsSincePassage && !isFree(policy, state, door, runtime, now)) {
    out.events.push({
      type: 'alarm',
      at: now,
      alarm: 'tailgating',
      door: door.id,
      detail: `${count} passed on ${runtime.grantsSincePassage} grant(s)`,
    });
  }
  out.changes.push({ op: 'door', door: door.id, patch: { grantsSincePassage: 0 } });
  return out;
}

/** Runs everything due between the last processed instant and `now`. */
export function advanceTime(policy: Policy, state: SiteState, now: number): Outcome {
  const out: Outcome = { events: [], changes: [] };
  if (now < state.clock) return out;
  for (const door of policy.doorList) {
    const runtime = doorRuntime(state, door.id);
    if (runtime.override !== undefined && runtime.override.until <= now) {
      out.changes.push({ op: 'door', door: door.id, patch: { override: null } });
      out.events.push({
        type: 'operator',
        at: runtime.override.until,
        action: 'override-expired',
        target: door.id,
      });
    }
    if (runtime.phase === 'released' && runtime.releasedUntil <= now) {
      stepDoor(out, door, runtime, 'strike_over', false, now);
    }
    if (
      (runtime.phase === 'open' || runtime.phase === 'forced_open') &&
      !runtime.heldAlarmRaised &&
      now - runtime.openedAt >= door.heldOpenMs // half-open: at exactly heldOpenSeconds it is held open
    ) {
      stepDoor(out, door, runtime, 'held_too_long', isFree(policy, state, door, runtime, now), now);
    }
  }
  for (const area of policy.areas.values()) {
    const resetAt = area.antipassback?.resetAtSecond ?? -1;
    if (resetAt < 0) continue;
    const today = Math.floor(policy.zone.toWall(now) / MS_PER_DAY);
    let due = policy.zone.toInstant(today * MS_PER_DAY + resetAt * 1000);
    if (due > now) due = policy.zone.toInstant((today - 1) * MS_PER_DAY + resetAt * 1000);
    if (due > (state.lastReset.get(area.id) ?? Number.NEGATIVE_INFINITY)) {
      out.changes.push({ op: 'resetArea', area: area.id }, { op: 'lastReset', area: area.id, at: due });
      out.events.push({ type: 'operator', at: due, action: 'scheduled-reset', target: area.id });
    }
  }
  out.changes.push({ op: 'clock', at: now });
  return out;
}
