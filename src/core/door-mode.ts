// Which mode a door is in right now. Precedence, strongest first: fire egress (fails open), lockdown,
// a timed operator override, the first active scheduled mode (gated by first-person-in), the base mode.

import type { DoorMode } from './model.ts';
import type { CompiledDoor, Policy } from './policy.ts';
import { activeIntervalStart, type LocalMoment } from './schedule.ts';
import type { DoorRuntime, SiteState } from './state.ts';
import { MS_PER_DAY, SECONDS_PER_DAY } from './time/civil.ts';

export type ModeSource = 'fire' | 'lockdown' | 'override' | 'schedule' | 'base';

export interface EffectiveMode {
  mode: DoorMode;
  source: ModeSource;
  /** set when a first-person-in scheduled unlock is waiting for its first person in this interval */
  firstInInterval?: number;
}

export function localMoment(policy: Policy, now: number): LocalMoment {
  const wall = policy.zone.toWall(now);
  const day = Math.floor(wall / MS_PER_DAY);
  return { day, weekday: (((day + 3) % 7) + 7) % 7, second: Math.floor((wall - day * MS_PER_DAY) / 1000) };
}

export function onFire(state: SiteState, door: CompiledDoor): boolean {
  if (state.activeFireZones.size === 0) return false;
  for (const zone of door.fireZones) if (state.activeFireZones.has(zone)) return true;
  return false;
}

/**
 * The door's mode. `exemptFromLockdown` says whether the person at the door (if any) belongs to a
 * lockdown-exempt group; without a person, lockdown applies.
 */
export function effectiveMode(
  state: SiteState,
  door: CompiledDoor,
  runtime: DoorRuntime,
  at: LocalMoment,
  now: number,
  exemptFromLockdown: boolean,
): EffectiveMode {
  if (onFire(state, door)) return { mode: 'unlocked', source: 'fire' };
  if (state.lockdown !== null && !exemptFromLockdown) return { mode: 'locked', source: 'lockdown' };
  if (runtime.override !== undefined && runtime.override.until > now)
    return { mode: runtime.override.mode, source: 'override' };
  let waiting: number | undefined;
  for (const scheduled of door.scheduledModes) {
    const start = activeIntervalStart(scheduled.schedule, at);
    if (start < 0) continue;
    if (scheduled.mode === 'unlocked' && door.firstPersonIn) {
      const interval = at.day * SECONDS_PER_DAY + start;
      if (runtime.firstInInterval !== interval) {
        waiting ??= interval;
        continue;
      }
    }
    return { mode: scheduled.mode, source: 'schedule' };
  }
  return waiting === undefined
    ? { mode: door.mode, source: 'base' }
    : { mode: door.mode, source: 'base', firstInInterval: waiting };
}

export function isFreeMode(mode: EffectiveMode): boolean {
  return mode.mode === 'unlocked';
}
