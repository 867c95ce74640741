// Anti-passback as an explicit state machine per (person, area): where the person is known to be, and
// what entering or leaving from there means. Side effects (presence updates, alarms) are applied apart.

export type AreaPresence = 'inside' | 'outside' | 'unknown';
/** `pass` is a move between two places that are both inside the area (a door within it). */
export type PresenceInput = 'enter' | 'leave' | 'pass';

interface PresenceTransition {
  next: AreaPresence;
  /** the move contradicts where the person is known to be: a passback */
  violation: boolean;
}

export const PRESENCE_TRANSITIONS: Record<AreaPresence, Record<PresenceInput, PresenceTransition>> = {
  outside: {
    enter: { next: 'inside', violation: false },
    leave: { next: 'outside', violation: true },
    pass: { next: 'inside', violation: true },
  },
  inside: {
    enter: { next: 'inside', violation: true },
    leave: { next: 'outside', violation: false },
    pass: { next: 'inside', violation: false },
  },
  // Forgiven or reset: the next move is allowed and makes the presence known again.
  unknown: {
    enter: { next: 'inside', violation: false },
    leave: { next: 'outside', violation: false },
    pass: { next: 'inside', violation: false },
  },
};

/** Door-local anti-passback: uses at one door must alternate in, out, in… starting with `in`. */
export type LocalSide = 'none' | 'in' | 'out';
export const LOCAL_APB_ALLOWED: Record<LocalSide, Record<'in' | 'out', boolean>> = {
  none: { in: true, out: false },
  in: { in: false, out: true },
  out: { in: true, out: false },
};
