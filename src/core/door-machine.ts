// The door as an explicit state machine: a transition table of (phase, input) → next phase and the
// alarm to raise, with side effects (timers, events) applied apart by the caller.
//
//   secured ──grant/rex──▶ released ──opened──▶ open ──closed──▶ secured
//      │                      └──strike over──▶ secured
//      └──opened (not free)──▶ forced_open ──closed──▶ secured
//
// A "free" door (mode unlocked, fire egress) may open without a grant: opening is not forced.

import type { AlarmType } from './reasons.ts';

export type DoorPhase = 'secured' | 'released' | 'open' | 'forced_open';
export type DoorInput = 'release' | 'strike_over' | 'opened' | 'closed' | 'held_too_long';

interface Transition {
  next: DoorPhase;
  alarm?: AlarmType;
  /** what happens instead when the door is free (unlocked mode or fire) */
  whenFree?: { next: DoorPhase; alarm?: AlarmType };
}

const STAY = (phase: DoorPhase): Transition => ({ next: phase });

export const DOOR_TRANSITIONS: Record<DoorPhase, Record<DoorInput, Transition>> = {
  secured: {
    release: { next: 'released' },
    strike_over: STAY('secured'),
    opened: { next: 'forced_open', alarm: 'forced_open', whenFree: { next: 'open' } },
    closed: STAY('secured'),
    held_too_long: STAY('secured'),
  },
  released: {
    release: STAY('released'),
    strike_over: { next: 'secured' },
    opened: { next: 'open' },
    closed: STAY('released'),
    held_too_long: STAY('released'),
  },
  open: {
    release: STAY('open'),
    // The strike re-engages but the door is still open: it relocks when it closes.
    strike_over: STAY('open'),
    opened: STAY('open'),
    closed: { next: 'secured' },
    held_too_long: { next: 'open', alarm: 'held_open', whenFree: { next: 'open' } },
  },
  forced_open: {
    release: STAY('forced_open'),
    strike_over: STAY('forced_open'),
    opened: STAY('forced_open'),
    closed: { next: 'secured' },
    held_too_long: { next: 'forced_open', alarm: 'held_open', whenFree: { next: 'forced_open' } },
  },
};

export function doorTransition(
  phase: DoorPhase,
  input: DoorInput,
  free: boolean,
): { next: DoorPhase; alarm?: AlarmType } {
  const t = DOOR_TRANSITIONS[phase][input];
  return free && t.whenFree ? t.whenFree : t;
}

/** Whether the door is physically passable: unlocked by a grant, or standing open. */
export function isPassable(phase: DoorPhase): boolean {
  return phase !== 'secured';
}
