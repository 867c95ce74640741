// Interlock (二重扉) as a state machine per group: the group is idle, or held by the doors that are
// unlocked or open. A door may be released only while no other door of its group holds the group.
//
// Settled meanings (DESIGN.md §6.2): a door holds its group while it stands open, while the strike of
// a grant (or request-to-exit) has not run out and the door has not yet opened and closed, and while
// its mode makes it free (unlocked by mode, schedule, override or fire). Fire egress wins over
// interlock: a door unlocked by fire is never held back by the others.

import type { DoorPhase } from './door-machine.ts';
import { effectiveMode, localMoment } from './door-mode.ts';
import type { CompiledDoor, Policy } from './policy.ts';
import { doorRuntime, type SiteState } from './state.ts';

export type InterlockState = { kind: 'idle' } | { kind: 'held'; by: readonly string[] };

export function interlockState(doors: Iterable<{ id: string; holds: boolean }>): InterlockState {
  const by: string[] = [];
  for (const door of doors) if (door.holds) by.push(door.id);
  return by.length === 0 ? { kind: 'idle' } : { kind: 'held', by };
}

const INTERLOCK_TRANSITIONS: {
  [K in InterlockState['kind']]: (state: Extract<InterlockState, { kind: K }>, door: string) => boolean;
} = {
  idle: () => true,
  held: (state, door) => state.by.every((holder) => holder === door),
};

/** Whether `door` may be released now, given its group's state. */
export function interlockAllows(state: InterlockState, door: string): boolean {
  return state.kind === 'idle'
    ? INTERLOCK_TRANSITIONS.idle(state, door)
    : INTERLOCK_TRANSITIONS.held(state, door);
}

/** Whether a door's phase holds its group: open, or released with the strike still running. */
export function phaseHolds(phase: DoorPhase, releasedUntil: number, now: number): boolean {
  return phase === 'open' || phase === 'forced_open' || (phase === 'released' && releasedUntil > now);
}

/** The state of `door`'s interlock group as `door` sees it: held by the other doors that hold it. */
export function interlockGroupState(
  policy: Policy,
  state: SiteState,
  door: CompiledDoor,
  now: number,
): InterlockState {
  const group = door.interlock === undefined ? undefined : policy.interlockGroups.get(door.interlock);
  if (group === undefined) return { kind: 'idle' };
  const at = localMoment(policy, now);
  const others: { id: string; holds: boolean }[] = [];
  for (const other of group) {
    if (other === door) continue;
    const runtime = doorRuntime(state, other.id);
    const holds =
      phaseHolds(runtime.phase, runtime.releasedUntil, now) ||
      effectiveMode(state, other, runtime, at, now, false).mode === 'unlocked';
    others.push({ id: other.id, holds });
  }
  return interlockState(others);
}
