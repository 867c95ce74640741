// One focused test per access rule (R-ACC-1 … R-ACC-16), through the real engine. The scenario
// library covers the same rules end to end; these pin down the decision objects themselves.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.ts';
import { SiteEngine } from '../../src/core/engine.ts';
import type { PersonDef, SiteDef } from '../../src/core/model.ts';
import { isDoorUnlocked, musterList } from '../../src/core/queries.ts';
import { whoIsInside } from '../../src/core/state.ts';
import { at, site } from '../support/sites.ts';

const T0 = at('2026-01-05T09:00'); // a Monday
const sec = (n: number) => T0 + n * 1000;

function person(id: string, extra: Partial<PersonDef> = {}): PersonDef {
  return { id, levels: ['all'], credentials: [{ type: 'card', id: `C-${id}`, pin: '1234' }], ...extra };
}

function engine(parts: Partial<SiteDef>, people: PersonDef[] = [person('alice'), person('bob')]): SiteEngine {
  const doors = parts.doors ?? [{ id: 'D1', from: 'outside', to: 'room' }];
  return new SiteEngine(
    site({
      areas: [{ id: 'room' }],
      levels: [{ id: 'all', doors: doors.map((d) => d.id) }],
      people,
      ...parts,
      doors,
    }),
    T0,
  );
}

const card = (who: string) => `card:C-${who}`;

describe('R-ACC-1 credentials', () => {
  it('denies an unknown credential without naming a person', () => {
    const d = engine({}).present({ door: 'D1', side: 'in', credential: 'card:nope' }, T0);
    expect(d).toMatchObject({ result: 'deny', reason: 'unknown_credential' });
    expect(d.person).toBeUndefined();
  });

  it('denies suspended, lost and revoked credentials and inactive people', () => {
    const e = engine({}, [
      person('s', { credentials: [{ type: 'card', id: 'C-s', state: 'suspended' }] }),
      person('l', { credentials: [{ type: 'card', id: 'C-l', state: 'lost' }] }),
      person('gone', { active: false }),
    ]);
    expect(e.present({ door: 'D1', side: 'in', credential: card('s') }, T0).reason).toBe(
      'credential_inactive',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: card('l') }, T0).reason).toBe(
      'credential_inactive',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: card('gone') }, T0).reason).toBe(
      'person_inactive',
    );
  });

  it('honours validFrom (inclusive) and validUntil (exclusive)', () => {
    const e = engine({}, [
      person('g', {
        credentials: [
          { type: 'key', id: 'K-1', validFrom: '2026-01-05T09:00', validUntil: '2026-01-05T10:00' },
        ],
      }),
    ]);
    expect(e.present({ door: 'D1', side: 'in', credential: 'key:K-1' }, T0 - 1).reason).toBe(
      'outside_validity',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: 'key:K-1' }, T0).result).toBe('grant');
    expect(e.present({ door: 'D1', side: 'out', credential: 'key:K-1' }, at('2026-01-05T10:00')).reason).toBe(
      'outside_validity',
    );
  });

  it('uses up a use only on grants', () => {
    const e = engine({ doors: [{ id: 'D1', from: 'outside', to: 'room', mode: 'card+pin' }] }, [
      person('u', { credentials: [{ type: 'card', id: 'C-u', pin: '1111', maxUses: 1 }] }),
    ]);
    expect(e.present({ door: 'D1', side: 'in', credential: card('u'), pin: '0000' }, T0).reason).toBe(
      'wrong_pin',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: card('u'), pin: '1111' }, sec(1)).result).toBe(
      'grant',
    );
    expect(e.present({ door: 'D1', side: 'out', credential: card('u'), pin: '1111' }, sec(2)).reason).toBe(
      'uses_exhausted',
    );
  });

  it('looks PIN-only credentials up by their digits and never puts the digits in the decision', () => {
    const e = engine({ doors: [{ id: 'D1', from: 'outside', to: 'room', mode: 'pin' }] }, [
      person('p', { credentials: [{ type: 'pin', pin: '4321' }] }),
    ]);
    const d = e.present({ door: 'D1', side: 'in', credential: 'pin:4321' }, T0);
    expect(d.result).toBe('grant');
    expect(JSON.stringify(d)).not.toContain('4321');
    expect(e.present({ door: 'D1', side: 'in', credential: 'pin:9999' }, T0).reason).toBe(
      'unknown_credential',
    );
  });

  it('revocation by an operator takes effect at once', () => {
    const e = engine({});
    e.operator({ action: 'revoke-credential', person: 'alice', credential: card('alice') }, T0);
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0).reason).toBe(
      'credential_inactive',
    );
  });
});

describe('R-ACC-2/3 levels and schedules', () => {
  it('grants through a group and denies a door outside every level', () => {
    const e = new SiteEngine(
      site({
        areas: [{ id: 'a' }, { id: 'b' }],
        doors: [
          { id: 'D1', from: 'outside', to: 'a' },
          { id: 'D2', from: 'outside', to: 'b' },
        ],
        levels: [{ id: 'L1', doors: ['D1'] }],
        groups: [{ id: 'staff', levels: ['L1'] }],
        people: [{ id: 'x', groups: ['staff'], credentials: [{ type: 'card', id: 'X' }] }],
      }),
      T0,
    );
    expect(e.present({ door: 'D1', side: 'in', credential: 'card:X' }, T0).result).toBe('grant');
    expect(e.present({ door: 'D2', side: 'in', credential: 'card:X' }, T0).reason).toBe('no_access');
  });

  it('denies outside the schedule and follows scheduled door modes', () => {
    const e = engine({
      schedules: [
        { id: 'office', weekly: { mon: ['09:00-18:00'] } },
        { id: 'night', weekly: { mon: ['18:00-24:00'] } },
      ],
      doors: [
        { id: 'D1', from: 'outside', to: 'room', scheduledModes: [{ schedule: 'night', mode: 'card+pin' }] },
      ],
      levels: [{ id: 'all', doors: ['D1'], schedule: 'office' }],
    });
    expect(
      e.present({ door: 'D1', side: 'in', credential: card('alice') }, at('2026-01-05T08:00')).reason,
    ).toBe('outside_schedule');
    const night = engine({
      schedules: [{ id: 'night', weekly: { mon: ['18:00-24:00'] } }],
      doors: [
        { id: 'D1', from: 'outside', to: 'room', scheduledModes: [{ schedule: 'night', mode: 'card+pin' }] },
      ],
    });
    expect(
      night.present({ door: 'D1', side: 'in', credential: card('alice') }, at('2026-01-05T19:00')).reason,
    ).toBe('pin_required');
    expect(
      night.present({ door: 'D1', side: 'in', credential: card('alice') }, at('2026-01-05T17:00')).result,
    ).toBe('grant');
  });

  it('drops levels above the threat level', () => {
    const e = engine({ levels: [{ id: 'all', doors: ['D1'], maxThreatLevel: 1 }] });
    e.operator({ action: 'set-threat-level', level: 2 }, T0);
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0).reason).toBe('no_access');
  });
});

describe('R-ACC-4 multi-factor and duress', () => {
  const pinDoor = { doors: [{ id: 'D1', from: 'outside', to: 'room', mode: 'card+pin' as const }] };
  it('asks for the PIN, rejects a wrong one, accepts the right one', () => {
    const e = engine(pinDoor);
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0).reason).toBe('pin_required');
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice'), pin: '9999' }, T0).reason).toBe(
      'wrong_pin',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice'), pin: '1234' }, T0).result).toBe(
      'grant',
    );
  });

  it('opens on the duress PIN with a warning and a silent alarm', () => {
    const e = engine(pinDoor, [
      person('d', { credentials: [{ type: 'card', id: 'C-d', pin: '1234', duressPin: '1235' }] }),
    ]);
    const d = e.present({ door: 'D1', side: 'in', credential: card('d'), pin: '1235' }, T0);
    expect(d).toMatchObject({ result: 'grant', warnings: ['duress'] });
    expect(d.events).toContainEqual(expect.objectContaining({ type: 'alarm', alarm: 'duress', person: 'd' }));
    expect(JSON.stringify(d)).not.toContain('1235');
  });

  it('requires the biometric match on card+biometric doors', () => {
    const e = engine({ doors: [{ id: 'D1', from: 'outside', to: 'room', mode: 'card+biometric' }] });
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0).reason).toBe(
      'factor_required',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice'), biometric: true }, T0).result).toBe(
      'grant',
    );
  });
});

describe('R-ACC-5 anti-passback', () => {
  const apb = (mode: 'hard' | 'soft', extra = {}) => ({
    areas: [{ id: 'room', antipassback: { mode, ...extra } }],
    doors: [
      { id: 'IN', from: 'outside', to: 'room' },
      { id: 'OUT', from: 'room', to: 'outside' },
    ],
  });

  it('hard: denies entering twice and leaving without entering', () => {
    const e = engine(apb('hard'));
    expect(e.present({ door: 'OUT', side: 'in', credential: card('alice') }, T0).reason).toBe('antipassback');
    expect(e.present({ door: 'IN', side: 'in', credential: card('alice') }, T0).result).toBe('grant');
    expect(e.present({ door: 'IN', side: 'in', credential: card('alice') }, sec(1)).reason).toBe(
      'antipassback',
    );
  });

  it('soft: grants with a warning and an alarm', () => {
    const e = engine(apb('soft'));
    const d = e.present({ door: 'OUT', side: 'in', credential: card('alice') }, T0);
    expect(d).toMatchObject({ result: 'grant', warnings: ['antipassback_soft'] });
    expect(d.events.some((ev) => ev.type === 'alarm' && ev.alarm === 'antipassback_violation')).toBe(true);
  });

  it('timed: no re-entry within N minutes even after leaving', () => {
    const e = engine(apb('hard', { reentryMinutes: 10 }));
    e.present({ door: 'IN', side: 'in', credential: card('alice') }, T0);
    e.present({ door: 'OUT', side: 'in', credential: card('alice') }, sec(60));
    expect(e.present({ door: 'IN', side: 'in', credential: card('alice') }, sec(120)).reason).toBe(
      'antipassback',
    );
    expect(e.present({ door: 'IN', side: 'in', credential: card('alice') }, sec(600)).result).toBe('grant');
  });

  it('forgive and reset make presence unknown so the next move passes', () => {
    const e = engine(apb('hard'));
    e.present({ door: 'IN', side: 'in', credential: card('alice') }, T0);
    e.operator({ action: 'forgive-antipassback', person: 'alice' }, sec(1));
    expect(e.present({ door: 'IN', side: 'in', credential: card('alice') }, sec(2)).result).toBe('grant');
    e.present({ door: 'IN', side: 'in', credential: card('bob') }, sec(3));
    e.operator({ action: 'reset-area', area: 'room' }, sec(4));
    expect(whoIsInside(e.state, e.policy, 'room')).toEqual([]);
    expect(e.present({ door: 'IN', side: 'in', credential: card('bob') }, sec(5)).result).toBe('grant');
  });

  it('local door anti-passback alternates in, out, in starting with in', () => {
    const e = engine({ doors: [{ id: 'D1', from: 'outside', to: 'room', antipassback: 'local' }] });
    expect(e.present({ door: 'D1', side: 'out', credential: card('alice') }, T0).reason).toBe('antipassback');
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, sec(1)).result).toBe('grant');
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, sec(2)).reason).toBe(
      'antipassback',
    );
    expect(e.present({ door: 'D1', side: 'out', credential: card('alice') }, sec(3)).result).toBe('grant');
  });

  it('scheduled reset runs at its local time', () => {
    const e = engine(apb('hard', { resetAt: '03:00' }));
    e.present({ door: 'IN', side: 'in', credential: card('alice') }, T0);
    e.advance(at('2026-01-06T02:59'));
    expect(whoIsInside(e.state, e.policy, 'room')).toEqual(['alice']);
    e.advance(at('2026-01-06T03:00'));
    expect(whoIsInside(e.state, e.policy, 'room')).toEqual([]);
  });
});

describe('R-ACC-6 two-person rule', () => {
  const vault = (rule: object) => ({ areas: [{ id: 'room', twoPerson: { withinSeconds: 30, ...rule } }] });
  it('opens for two distinct people within the window, not for one', () => {
    const e = engine(vault({}));
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0).reason).toBe(
      'two_person_pending',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, sec(5)).reason).toBe(
      'two_person_pending',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: card('bob') }, sec(10)).result).toBe('grant');
    expect(whoIsInside(e.state, e.policy, 'room')).toEqual(['alice', 'bob']);
  });
  it('forgets a pending person after the window', () => {
    const e = engine(vault({}));
    e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0);
    expect(e.present({ door: 'D1', side: 'in', credential: card('bob') }, sec(31)).reason).toBe(
      'two_person_pending',
    );
  });
  it('needs one of the pair in the required group; one is enough while N are inside', () => {
    const people = [person('alice', { groups: ['sup'] }), person('bob'), person('carol')];
    const e = engine(
      { ...vault({ requireGroup: 'sup', enoughWhenInside: 2 }), groups: [{ id: 'sup' }] },
      people,
    );
    e.present({ door: 'D1', side: 'in', credential: card('bob') }, T0);
    expect(e.present({ door: 'D1', side: 'in', credential: card('carol') }, sec(1)).reason).toBe(
      'two_person_pending',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, sec(2)).result).toBe('grant');
    expect(whoIsInside(e.state, e.policy, 'room')).toEqual(['alice', 'carol']);
    expect(e.present({ door: 'D1', side: 'in', credential: card('bob') }, sec(3)).result).toBe('grant');
  });
});

describe('R-ACC-7 interlock and R-ACC-14 door supervision', () => {
  const mantrap = {
    areas: [{ id: 'room' }, { id: 'inner', parent: 'room' }],
    doors: [
      { id: 'A', from: 'outside', to: 'room', interlock: 'm' },
      { id: 'B', from: 'room', to: 'inner', interlock: 'm', strikeSeconds: 5 },
    ],
  };
  it('denies a door while its pair is released or open, frees it after open+close or strike expiry', () => {
    const e = engine(mantrap);
    expect(e.present({ door: 'A', side: 'in', credential: card('alice') }, T0).result).toBe('grant');
    expect(e.present({ door: 'B', side: 'in', credential: card('alice') }, sec(1)).reason).toBe('interlock');
    e.doorSensor('A', true, sec(2));
    e.doorSensor('A', false, sec(3));
    expect(e.present({ door: 'B', side: 'in', credential: card('alice') }, sec(4)).result).toBe('grant');
    e.advance(sec(9));
    expect(e.present({ door: 'A', side: 'in', credential: card('bob') }, sec(10)).result).toBe('grant');
  });
  it('raises forced_open without a grant, held_open at the limit, nothing on a REX exit', () => {
    const e = engine({ doors: [{ id: 'D1', from: 'outside', to: 'room', heldOpenSeconds: 30 }] });
    expect(e.doorSensor('D1', true, T0).map((x) => x.type === 'alarm' && x.alarm)).toContain('forced_open');
    e.doorSensor('D1', false, sec(1));
    e.requestToExit('D1', sec(2));
    expect(e.doorSensor('D1', true, sec(3)).filter((x) => x.type === 'alarm')).toEqual([]);
    expect(e.advance(sec(32)).filter((x) => x.type === 'alarm')).toEqual([]);
    expect(e.advance(sec(33)).map((x) => x.type === 'alarm' && x.alarm)).toContain('held_open');
    expect(e.advance(sec(60)).filter((x) => x.type === 'alarm')).toEqual([]); // raised once
  });
  it('relocks after the strike time', () => {
    const e = engine({ doors: [{ id: 'D1', from: 'outside', to: 'room', strikeSeconds: 5 }] });
    e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0);
    expect(isDoorUnlocked(e.policy, e.state, 'D1', sec(4))).toBe(true);
    e.advance(sec(5));
    expect(isDoorUnlocked(e.policy, e.state, 'D1', sec(5))).toBe(false);
  });
});

describe('R-ACC-8/9 route, priority, escort', () => {
  it('route: lab only from inside the lobby', () => {
    const e = engine({
      areas: [{ id: 'lobby' }, { id: 'lab', route: { requires: 'lobby' } }],
      doors: [
        { id: 'L', from: 'outside', to: 'lobby' },
        { id: 'X', from: 'outside', to: 'lab' },
        { id: 'Y', from: 'lobby', to: 'lab' },
      ],
    });
    expect(e.present({ door: 'X', side: 'in', credential: card('alice') }, T0).reason).toBe('route');
    e.present({ door: 'L', side: 'in', credential: card('alice') }, sec(1));
    expect(e.present({ door: 'Y', side: 'in', credential: card('alice') }, sec(2)).result).toBe('grant');
  });
  it('priority: others enter only while a member is inside', () => {
    const e = engine({ areas: [{ id: 'room', priority: { group: 'mgr' } }], groups: [{ id: 'mgr' }] }, [
      person('boss', { groups: ['mgr'] }),
      person('bob'),
    ]);
    expect(e.present({ door: 'D1', side: 'in', credential: card('bob') }, T0).reason).toBe('priority_absent');
    expect(e.present({ door: 'D1', side: 'in', credential: card('boss') }, sec(1)).result).toBe('grant');
    expect(e.present({ door: 'D1', side: 'in', credential: card('bob') }, sec(2)).result).toBe('grant');
  });
  it('escort: a visitor needs an escort at the same door within the window, in either order', () => {
    const parts = {
      areas: [{ id: 'room', escort: { visitorGroup: 'v', escortGroup: 's', withinSeconds: 30 } }],
      groups: [{ id: 'v' }, { id: 's' }],
    };
    const people = [person('guest', { groups: ['v'] }), person('host', { groups: ['s'] })];
    const e = engine(parts, people);
    expect(e.present({ door: 'D1', side: 'in', credential: card('guest') }, T0).reason).toBe(
      'escort_required',
    );
    expect(e.present({ door: 'D1', side: 'in', credential: card('host') }, sec(10)).result).toBe('grant');
    expect(whoIsInside(e.state, e.policy, 'room')).toEqual(['guest', 'host']);
    const f = engine(parts, people);
    f.present({ door: 'D1', side: 'in', credential: card('host') }, T0);
    expect(f.present({ door: 'D1', side: 'in', credential: card('guest') }, sec(31)).reason).toBe(
      'escort_required',
    );
  });
});

describe('R-ACC-10/11 overrides, lockdown, first-person-in', () => {
  it('a timed override reverts by itself', () => {
    const e = engine({});
    e.operator({ action: 'override-door', door: 'D1', mode: 'locked', minutes: 5 }, T0);
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, sec(299)).reason).toBe(
      'door_locked',
    );
    e.advance(sec(300));
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, sec(300)).result).toBe('grant');
  });
  it('lockdown lets only exempt groups pass', () => {
    const e = engine({ groups: [{ id: 'guards' }] }, [
      person('alice', { groups: ['guards'] }),
      person('bob'),
    ]);
    e.operator({ action: 'set-lockdown', active: true, exempt: ['guards'] }, T0);
    expect(e.present({ door: 'D1', side: 'in', credential: card('bob') }, T0).reason).toBe('door_locked');
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0).result).toBe('grant');
  });
  it('first-person-in: the scheduled unlock waits for an authorised person', () => {
    const e = engine({
      schedules: [{ id: 'office', weekly: { mon: ['09:00-18:00'] } }],
      doors: [
        {
          id: 'D1',
          from: 'outside',
          to: 'room',
          firstPersonIn: true,
          scheduledModes: [{ schedule: 'office', mode: 'unlocked' }],
        },
      ],
    });
    expect(isDoorUnlocked(e.policy, e.state, 'D1', sec(60))).toBe(false);
    e.present({ door: 'D1', side: 'in', credential: card('alice') }, sec(60));
    e.advance(sec(120));
    expect(isDoorUnlocked(e.policy, e.state, 'D1', sec(120))).toBe(true);
    expect(isDoorUnlocked(e.policy, e.state, 'D1', at('2026-01-06T09:30'))).toBe(false);
  });
});

describe('R-ACC-12/13/15 occupancy, tailgating, fire', () => {
  it('denies the (N+1)th person', () => {
    const e = engine({ areas: [{ id: 'room', maxOccupancy: 1 }] });
    expect(e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0).result).toBe('grant');
    expect(e.present({ door: 'D1', side: 'in', credential: card('bob') }, sec(1)).reason).toBe(
      'occupancy_full',
    );
  });
  it('raises tailgating when more people pass than were granted', () => {
    const e = engine({});
    e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0);
    expect(e.passage('D1', 1, sec(1))).toEqual([]);
    e.present({ door: 'D1', side: 'out', credential: card('alice') }, sec(2));
    expect(e.passage('D1', 2, sec(3)).map((x) => x.type === 'alarm' && x.alarm)).toEqual(['tailgating']);
  });
  it('fire unlocks the doors of the zone, lists who is inside, and clears by operator', () => {
    const e = engine({ areas: [{ id: 'room', fireZone: 'Z1' }] });
    e.present({ door: 'D1', side: 'in', credential: card('alice') }, T0);
    e.advance(sec(10));
    e.fire('Z1', true, sec(10));
    expect(isDoorUnlocked(e.policy, e.state, 'D1', sec(10))).toBe(true);
    expect(musterList(e.policy, e.state)).toEqual(['alice']);
    e.operator({ action: 'clear-fire', zone: 'Z1' }, sec(20));
    expect(isDoorUnlocked(e.policy, e.state, 'D1', sec(20))).toBe(false);
  });
});

describe('R-ACC-16 explainable decisions', () => {
  it('gives exactly one reason and a trace ending in the deciding rule', () => {
    const e = engine({ areas: [{ id: 'room', maxOccupancy: 0 }] });
    const d = decide(e.policy, e.state, { door: 'D1', side: 'in', credential: card('alice') }, T0);
    expect(d.reason).toBe('occupancy_full');
    expect(d.trace.at(-1)).toMatchObject({ rule: 'occupancy', result: 'fail' });
    expect(d.trace.map((t) => t.rule)).toEqual([
      'credential_state',
      'person',
      'validity',
      'door_mode',
      'access_level',
      'schedule',
      'factors',
      'occupancy',
    ]);
    expect(d.events[0]).toMatchObject({
      type: 'access',
      result: 'deny',
      reason: 'occupancy_full',
      person: 'alice',
    });
  });
  it('gives the first reason in precedence order when several apply', () => {
    const e = engine({}, [
      person('x', {
        active: false,
        credentials: [{ type: 'card', id: 'C-x', validUntil: '2026-01-01T00:00' }],
      }),
    ]);
    expect(e.present({ door: 'D1', side: 'in', credential: card('x') }, T0).reason).toBe('person_inactive');
  });
});
