// What the core decides for one person at one door at one instant, each of their credentials
// presented as its holder would present it — with the card's PIN and a biometric match where the
// door asks for them — in a site state that knows nothing of the moment: no one is known to be
// anywhere, no door is held, nothing is pending. So the answer is about the rules (credential,
// person, validity, door mode, levels, schedules, factors); the rules about who else is where (two
// people, an escort, a priority member inside) show as `needsOthers`, since they depend on the
// moment, not on the person.
//
// The decision is decide() of the core over the policy controllers get; nothing here re-implements
// a rule. Of a person's credentials the one that passes wins, else the one that got furthest.

import { type Decision, decide } from '../../core/decide.ts';
import type { TraceEntry } from '../../core/events.ts';
import type { Policy, Side } from '../../core/policy.ts';
import type { Reason } from '../../core/reasons.ts';
import { createState, type SiteState, UNKNOWN_AREA } from '../../core/state.ts';

/** Denials that depend on who else is at the door or inside, not on the person's own rights. */
export const NEEDS_OTHERS: ReadonlySet<Reason> = new Set<Reason>([
  'two_person_pending',
  'escort_required',
  'priority_absent',
]);

export interface PersonDecision {
  result: 'grant' | 'deny';
  /** the core's reason, or `no_credential` for a person who holds none the door could read */
  reason: Reason | 'no_credential';
  /** which of the person's credentials (0, 1, …) it was decided by; -1 for none */
  credential: number;
  trace: readonly TraceEntry[];
  needsOthers: boolean;
}

/** A state in which nobody is known to be anywhere (presence unknown forgives anti-passback and routes). */
export function explainState(policy: Policy, now: number): SiteState {
  const state = createState(policy, now);
  state.presence.fill(UNKNOWN_AREA);
  return state;
}

const NO_CREDENTIAL: PersonDecision = Object.freeze({
  result: 'deny',
  reason: 'no_credential',
  credential: -1,
  trace: Object.freeze([]) as readonly TraceEntry[],
  needsOthers: false,
}) as PersonDecision;

/** The decision for person number `p` of the policy (see People.indexOf). */
export function decideFor(
  policy: Policy,
  state: SiteState,
  p: number,
  door: string,
  side: Side,
  at: number,
): PersonDecision {
  const people = policy.people;
  let best: Decision | undefined;
  let bestOrdinal = -1;
  const credentials = people.credentialIndices(p);
  const store = people.store;
  for (let i = 0; i < credentials.length; i++) {
    const c = credentials[i]!;
    const pin = store.credPin(c);
    const decision = decide(
      policy,
      state,
      {
        door,
        side,
        credential: people.credentialKey(c),
        ...(pin !== 0 && { pin: store.pool.read(pin - 1) }),
        biometric: true,
      },
      at,
    );
    if (decision.result === 'grant' || best === undefined || decision.trace.length > best.trace.length) {
      best = decision;
      bestOrdinal = i;
    }
    if (decision.result === 'grant') break;
  }
  if (best === undefined) return NO_CREDENTIAL;
  return {
    result: best.result,
    reason: best.reason,
    credential: bestOrdinal,
    trace: best.trace,
    needsOthers: best.result === 'deny' && NEEDS_OTHERS.has(best.reason),
  };
}
