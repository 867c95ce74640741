// Interlock (二重扉) as a state machine per group: the group is idle, or held by the doors that are
// unlocked or open. A door may be released only while no other door of its group holds the group.

import type { DoorPhase } from './door-machine.ts';

export type InterlockState = { kind: 'idle' } | { kind: 'held'; by: readonly string[] };

export function interlockState(doors: Iterable<{ id: string; phase: DoorPhase }>): InterlockState {
  const by: string[] = [];
  for (const door of doors) if (door.phase !== 'secured') by.push(door.id);
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
