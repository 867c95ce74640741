// Which mode a door is in right now. Precedence, strongest first: fire egress (fails open), lockdown,
// a timed operator override, the first active scheduled mode (gated by first-person-in), the base mode.

import { DOOR_MODES, type DoorMode } from './model.ts';
import type { CompiledDoor, Policy } from './policy.ts';
import { activeIntervalStart, type LocalMoment } from './schedule.ts';
import type { DoorRuntime, SiteState } from './state.ts';
import { MS_PER_DAY, SECONDS_PER_DAY } from './time/civil.ts';

export type ModeSource = 'fire' | 'lockdown' | 'override' | 'schedule' | 'base';

export interface EffectiveMode {
  mode: DoorMode;
  source: ModeSource;
  /** `mode (source)`, for traces */
  label: string;
  /** set when a first-person-in scheduled unlock is waiting for its first person in this interval */
  firstInInterval?: number;
}

// The last moment computed, per policy: decisions arrive many times a second, and schedules only
// look at whole seconds, so most decisions reuse it instead of allocating a new one.
const lastMoment = new WeakMap<Policy, { second: number; moment: LocalMoment }>();
let lastPolicy: Policy | undefined;
let lastEntry: { second: number; moment: LocalMoment } | undefined;

export function localMoment(policy: Policy, now: number): LocalMoment {
  const second = Math.floor(now / 1000);
  // One site is the common case: remember its entry without even a WeakMap lookup.
  const cached = policy === lastPolicy ? lastEntry : lastMoment.get(policy);
  if (cached !== undefined && cached.second === second) return cached.moment;
  const wall = policy.zone.toWall(second * 1000);
  const day = Math.floor(wall / MS_PER_DAY);
  const moment: LocalMoment = Object.freeze({
    day,
    weekday: (((day + 3) % 7) + 7) % 7,
    second: Math.floor((wall - day * MS_PER_DAY) / 1000),
  });
  const entry = { second, moment };
  lastMoment.set(policy, entry);
  lastPolicy = policy;
  lastEntry = entry;
  return moment;
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
  if (onFire(state, door)) return modeOf('unlocked', 'fire');
  if (state.lockdown !== null && !exemptFromLockdown) return modeOf('locked', 'lockdown');
  if (runtime.override !== undefined && runtime.override.until > now)
    return modeOf(runtime.override.mode, 'override');
  let waiting: number | undefined;
  for (const scheduled of door.scheduledModes) {
    const start = activeIntervalStart(scheduled.schedule, at);
    if (start === undefined) continue;
    if (scheduled.mode === 'unlocked' && door.firstPersonIn) {
      const interval = at.day * SECONDS_PER_DAY + start;
      if (runtime.firstInInterval !== interval) {
        waiting ??= interval;
        continue;
      }
    }
    return modeOf(scheduled.mode, 'schedule');
  }
  return waiting === undefined
    ? modeOf(door.mode, 'base')
    : { ...modeOf(door.mode, 'base'), firstInInterval: waiting };
}

const SOURCES: readonly ModeSource[] = ['fire', 'lockdown', 'override', 'schedule', 'base'];
/** Every (mode, source) result built once and frozen: the door mode is computed on every decision. */
const MODES = Object.fromEntries(
  DOOR_MODES.map((mode) => [
    mode,
    Object.fromEntries(
      SOURCES.map((source) => [source, Object.freeze({ mode, source, label: `${mode} (${source})` })]),
    ),
  ]),
) as Record<DoorMode, Record<ModeSource, EffectiveMode>>;

function modeOf(mode: DoorMode, source: ModeSource): EffectiveMode {
  return MODES[mode][source];
}

export function isFreeMode(mode: EffectiveMode): boolean {
  return mode.mode === 'unlocked';
}
