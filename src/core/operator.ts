// Operator actions (管理者による制御) and fire-panel input (R-ACC-5/10/11/15). Each returns the events
// and state changes to apply; references are validated and a bad one throws a RangeError.

import type { Policy } from './policy.ts';
import type { SiteState } from './state.ts';
import { type Outcome, requestToExit } from './supervision.ts';

export type OperatorAction =
  | { action: 'forgive-antipassback'; person: string }
  | { action: 'reset-area'; area: string }
  | { action: 'override-door'; door: string; mode: 'unlocked' | 'locked'; minutes: number }
  | { action: 'end-override'; door: string }
  | { action: 'revoke-credential'; person: string; credential: string }
  | { action: 'set-lockdown'; active: boolean; exempt?: readonly string[] }
  | { action: 'set-threat-level'; level: number }
  | { action: 'unlock-door'; door: string }
  | { action: 'clear-fire'; zone: string };

export const OPERATOR_ACTIONS: readonly OperatorAction['action'][] = [
  'forgive-antipassback',
  'reset-area',
  'override-door',
  'end-override',
  'revoke-credential',
  'set-lockdown',
  'set-threat-level',
  'unlock-door',
  'clear-fire',
];

function check(found: boolean, what: string): void {
  if (!found) throw new RangeError(what);
}

export function operatorAction(policy: Policy, state: SiteState, op: OperatorAction, now: number): Outcome {
  const out: Outcome = { events: [], changes: [] };
  const record = (target: string) =>
    out.events.push({ type: 'operator', at: now, action: op.action, target });
  switch (op.action) {
    case 'forgive-antipassback': {
      const index = policy.people.indexOf(op.person);
      check(index >= 0, `unknown person "${op.person}"`);
      out.changes.push({ op: 'forgetPerson', person: op.person, index });
      record(op.person);
      break;
    }
    case 'reset-area':
      check(policy.areas.has(op.area), `unknown area "${op.area}"`);
      out.changes.push({ op: 'resetArea', area: op.area });
      record(op.area);
      break;
    case 'override-door':
      check(policy.doors.has(op.door), `unknown door "${op.door}"`);
      check(
        Number.isFinite(op.minutes) && op.minutes > 0,
        'an override needs minutes > 0: it always ends by itself',
      );
      out.changes.push({
        op: 'door',
        door: op.door,
        patch: { override: { mode: op.mode, until: now + op.minutes * 60_000 } },
      });
      record(op.door);
      break;
    case 'end-override':
      check(policy.doors.has(op.door), `unknown door "${op.door}"`);
      out.changes.push({ op: 'door', door: op.door, patch: { override: null } });
      record(op.door);
      break;
    case 'revoke-credential': {
      const credential = policy.credentials.get(op.credential);
      check(
        credential !== undefined && credential.personId === op.person,
        `person "${op.person}" holds no such credential`,
      );
      out.changes.push({ op: 'revoke', credential: op.credential });
      record(`${op.person}/${credential!.ref}`);
      break;
    }
    case 'set-lockdown':
      for (const g of op.exempt ?? []) check(policy.groups.has(g), `unknown group "${g}"`);
      out.changes.push({ op: 'lockdown', exempt: op.active ? (op.exempt ?? []) : null });
      record(op.active ? 'on' : 'off');
      break;
    case 'set-threat-level':
      check(Number.isInteger(op.level) && op.level >= 0, 'a threat level is a whole number ≥ 0');
      out.changes.push({ op: 'threatLevel', level: op.level });
      record(String(op.level));
      break;
    case 'unlock-door': {
      check(policy.doors.has(op.door), `unknown door "${op.door}"`);
      // A remote open is a momentary release, refused like a REX while an interlocked door holds.
      const release = requestToExit(policy, state, op.door, now);
      out.changes.push(...release.changes);
      out.events.push(...release.events);
      record(op.door);
      break;
    }
    case 'clear-fire':
      out.changes.push({ op: 'fire', zone: op.zone, active: false });
      record(op.zone);
      break;
    default: {
      const never: never = op;
      throw new RangeError(`unknown operator action ${JSON.stringify(never)}`);
    }
  }
  return out;
}

/**
 * The fire panel reports a zone active or back to normal. Activation unlocks the zone's egress doors
 * (fail-safe) and raises the fire alarm. The panel going back to normal does not relock anything:
 * the doors stay unlocked until an operator clears the fire (R-ACC-15, `clear-fire`).
 */
export function fireInput(policy: Policy, zone: string, active: boolean, now: number): Outcome {
  if (!active)
    return {
      events: [{ type: 'operator', at: now, action: 'fire-panel-normal', target: zone }],
      changes: [],
    };
  return {
    changes: [{ op: 'fire', zone, active: true }],
    events: [
      {
        type: 'alarm',
        at: now,
        alarm: 'fire',
        zone,
        detail: `${policy.fireZoneAreas.get(zone)?.length ?? 0} area(s)`,
      },
    ],
  };
}
