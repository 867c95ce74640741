// The settled meanings of DESIGN.md §6.2 that are invariants, checked on random inputs (fast-check).
// The scenario library shows each meaning on a worked example (scenarios/r*-…); these check that it
// holds everywhere:
// - schedules: `24:00`, overnight intervals that belong to the day they start, holidays that
//   suppress them, and merged intervals, against a plain reading of the rules;
// - every duration is half-open: at exactly start + N it is over;
// - wall times in a daylight-saving gap mean the instant the clock jumps to, in an overlap the first;
// - an unlocked door decides a presentation exactly as a `card` door would;
// - a presentation becomes pending (two-person) exactly when two_person_pending is its reason;
// - occupancy never exceeds its maximum, pairs included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.ts';
import { localMoment } from '../../src/core/door-mode.ts';
import { SiteEngine } from '../../src/core/engine.ts';
import type { ScheduleDef, SiteDef, Weekday } from '../../src/core/model.ts';
import { WEEKDAYS } from '../../src/core/model.ts';
import { compilePolicy } from '../../src/core/policy.ts';
import { activeIntervalStart, isScheduleActive } from '../../src/core/schedule.ts';
import { daysFromCivil, MS_PER_DAY, parseLocalDateTime, weekdayOfDays } from '../../src/core/time/civil.ts';
import { TimeZone } from '../../src/core/time/zone.ts';
import { at, site } from '../support/sites.ts';

const pad = (n: number) => String(n).padStart(2, '0');
const hhmm = (minutes: number) => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;

/** An interval text: start 00:00-23:45, end 00:00-24:00 in quarter hours (end ≤ start: overnight). */
const intervalArb = fc
  .tuple(fc.integer({ min: 0, max: 95 }), fc.integer({ min: 0, max: 96 }))
  .map(([s, e]) => [s * 15, e * 15] as const);

const FIRST_DAY = daysFromCivil(2026, 1, 5); // a Monday
const DAYS = 14;

const scheduleArb = fc.record({
  weekly: fc.dictionary(fc.constantFrom(...WEEKDAYS), fc.array(intervalArb, { maxLength: 3 })),
  holiday: fc.array(intervalArb, { maxLength: 2 }),
  holidays: fc.uniqueArray(fc.integer({ min: 0, max: DAYS - 1 }), { maxLength: 5 }),
});

type Raw = typeof scheduleArb extends fc.Arbitrary<infer T> ? T : never;

function toDef(raw: Raw): ScheduleDef {
  const texts = (list: readonly (readonly [number, number])[]) =>
    list.map(([s, e]) => `${hhmm(s)}-${hhmm(e)}`);
  const weekly: Partial<Record<Weekday, string[]>> = {};
  for (const [day, list] of Object.entries(raw.weekly)) weekly[day as Weekday] = texts(list);
  const date = (offset: number) => {
    const d = new Date((FIRST_DAY + offset) * MS_PER_DAY);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  };
  return { id: 's', weekly, holiday: texts(raw.holiday), holidays: raw.holidays.map(date) };
}

/** The rules read plainly, minute by minute: what DESIGN.md §6.2 says, without any compilation. */
function referenceActive(raw: Raw, dayOffset: number, minute: number): boolean {
  const kind = (offset: number) =>
    raw.holidays.includes(offset)
      ? raw.holiday
      : (raw.weekly[WEEKDAYS[weekdayOfDays(FIRST_DAY + offset)]!] ?? []);
  const own = kind(dayOffset).some(([s, e]) => minute >= s && minute < (e > s ? e : 24 * 60));
  const morning = kind(dayOffset - 1).some(([s, e]) => e <= s && minute < e);
  return own || morning;
}

describe('schedules', () => {
  it('are active exactly when a plain reading of the intervals, overnight parts and holidays says', () => {
    fc.assert(
      fc.property(
        scheduleArb,
        fc.integer({ min: 1, max: DAYS - 1 }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        (raw, day, minute) => {
          const policy = compilePolicy(site({ schedules: [toDef(raw)] }));
          const instant = at('2026-01-05T00:00') + day * MS_PER_DAY + minute * 60_000;
          const active = isScheduleActive(policy.schedules.get('s')!, localMoment(policy, instant));
          expect(active).toBe(referenceActive(raw, day, minute));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('give one interval (one start) to every moment of a run of active minutes within a day', () => {
    fc.assert(
      fc.property(
        scheduleArb,
        fc.integer({ min: 1, max: DAYS - 1 }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        (raw, day, m1, m2) => {
          const [from, to] = m1 <= m2 ? [m1, m2] : [m2, m1];
          for (let m = from; m <= to; m++) if (!referenceActive(raw, day, m)) return;
          const policy = compilePolicy(site({ schedules: [toDef(raw)] }));
          const schedule = policy.schedules.get('s')!;
          const startAt = (minute: number) =>
            activeIntervalStart(
              schedule,
              localMoment(policy, at('2026-01-05T00:00') + day * MS_PER_DAY + minute * 60_000),
            );
          expect(startAt(from)).toBeDefined();
          expect(startAt(to)).toBe(startAt(from));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('durations are half-open', () => {
  const T0 = at('2026-01-05T10:00');
  const delta = fc.integer({ min: -3000, max: 3000 });

  it('re-entry waits end at exactly reentryMinutes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 180 }), delta, (minutes, d) => {
        const e = new SiteEngine(
          site({
            areas: [{ id: 'gym', antipassback: { mode: 'hard', reentryMinutes: minutes } }],
            doors: [{ id: 'D', from: 'outside', to: 'gym' }],
            levels: [{ id: 'l', doors: ['D'] }],
            people: [{ id: 'p', levels: ['l'], credentials: [{ type: 'card', id: 'C' }] }],
          }),
          T0,
        );
        e.present({ door: 'D', side: 'in', credential: 'card:C' }, T0);
        e.present({ door: 'D', side: 'out', credential: 'card:C' }, T0 + 1);
        const again = T0 + minutes * 60_000 + d;
        e.advance(again);
        const result = e.present({ door: 'D', side: 'in', credential: 'card:C' }, again).result;
        expect(result).toBe(d >= 0 ? 'grant' : 'deny');
      }),
    );
  });

  it('a two-person partner pairs only strictly within withinSeconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 600 }), delta, (seconds, d) => {
        const e = new SiteEngine(
          site({
            areas: [{ id: 'vault', twoPerson: { withinSeconds: seconds } }],
            doors: [{ id: 'D', from: 'outside', to: 'vault' }],
            levels: [{ id: 'l', doors: ['D'] }],
            people: ['a', 'b'].map((id) => ({
              id,
              levels: ['l'],
              credentials: [{ type: 'card' as const, id }],
            })),
          }),
          T0,
        );
        e.present({ door: 'D', side: 'in', credential: 'card:a' }, T0);
        const later = T0 + seconds * 1000 + d;
        e.advance(later);
        expect(e.present({ door: 'D', side: 'in', credential: 'card:b' }, later).result).toBe(
          d < 0 ? 'grant' : 'deny',
        );
      }),
    );
  });

  it('overrides, strike times and held-open times end at exactly their length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 240 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 120 }),
        delta,
        (minutes, strike, held, d) => {
          const def = site({
            areas: [{ id: 'room' }],
            doors: [{ id: 'D', from: 'outside', to: 'room', strikeSeconds: strike, heldOpenSeconds: held }],
            levels: [{ id: 'l', doors: ['D'] }],
            people: [{ id: 'p', levels: ['l'], credentials: [{ type: 'card', id: 'C' }] }],
          });
          const lock = new SiteEngine(def, T0);
          lock.operator({ action: 'override-door', door: 'D', mode: 'locked', minutes }, T0);
          const end = T0 + minutes * 60_000 + d;
          lock.advance(end);
          expect(lock.present({ door: 'D', side: 'in', credential: 'card:C' }, end).reason).toBe(
            d >= 0 ? 'granted' : 'door_locked',
          );

          const strikeEngine = new SiteEngine(def, T0);
          strikeEngine.present({ door: 'D', side: 'in', credential: 'card:C' }, T0);
          const opened = T0 + strike * 1000 + d;
          strikeEngine.advance(opened);
          const alarms = strikeEngine
            .doorSensor('D', true, opened)
            .flatMap((x) => (x.type === 'alarm' ? [x.alarm] : []));
          expect(alarms.includes('forced_open')).toBe(d >= 0);

          const heldEngine = new SiteEngine(def, T0);
          heldEngine.present({ door: 'D', side: 'in', credential: 'card:C' }, T0);
          heldEngine.doorSensor('D', true, T0 + 1);
          const check = T0 + 1 + held * 1000 + d;
          const raised = heldEngine.advance(check).some((x) => x.type === 'alarm' && x.alarm === 'held_open');
          expect(raised).toBe(d >= 0);
        },
      ),
    );
  });
});

describe('daylight-saving gaps and overlaps', () => {
  it('read a skipped wall time as the jump and a repeated one as its first occurrence', () => {
    const zones = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'America/Santiago'].map(
      (z) => new TimeZone(z),
    );
    const base = parseLocalDateTime('2026-01-01T00:00')!;
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 365 * 24 * 60 - 1 }),
        (zone, minute) => {
          const wall = base + minute * 60_000;
          const instant = zone.toInstant(wall);
          if (zone.toWall(instant) === wall) {
            // It exists: no earlier instant shows the same wall time (the first occurrence).
            for (let back = 15; back <= 180; back += 15)
              expect(zone.toWall(instant - back * 60_000)).not.toBe(wall);
          } else {
            // A gap: the instant is a jump from before the wall time to after it.
            expect(zone.toWall(instant)).toBeGreaterThan(wall);
            expect(zone.toWall(instant - 1)).toBeLessThan(wall);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

// A small site where the rules meet: hard and soft anti-passback, two-person with a group and an
// occupancy limit, a route, a card+PIN door.
const PEOPLE = ['a', 'b', 'c', 'd', 'e'];
const ruleSite = (max: number, enough?: number): SiteDef =>
  site({
    areas: [
      { id: 'hall', antipassback: { mode: 'soft' } },
      {
        id: 'vault',
        parent: 'hall',
        maxOccupancy: max,
        twoPerson: {
          withinSeconds: 20,
          requireGroup: 'sup',
          ...(enough !== undefined && { enoughWhenInside: enough }),
        },
      },
      { id: 'lab', antipassback: { mode: 'hard' }, route: { requires: 'hall' }, maxOccupancy: max },
    ],
    doors: [
      { id: 'H', from: 'outside', to: 'hall' },
      { id: 'V1', from: 'hall', to: 'vault' },
      { id: 'V2', from: 'outside', to: 'vault' },
      { id: 'L', from: 'hall', to: 'lab', mode: 'card+pin' },
      { id: 'LX', from: 'outside', to: 'lab' },
    ],
    groups: [{ id: 'sup' }],
    levels: [{ id: 'all', doors: ['H', 'V1', 'V2', 'L', 'LX'] }],
    people: PEOPLE.map((id, i) => ({
      id,
      levels: ['all'],
      groups: i % 2 === 0 ? ['sup'] : [],
      credentials: [{ type: 'card' as const, id, pin: '1111' }],
    })),
  });

const DOORS = ['H', 'V1', 'V2', 'L', 'LX'];
const stepArb = fc.record({
  person: fc.integer({ min: 0, max: PEOPLE.length - 1 }),
  door: fc.constantFrom(...DOORS),
  side: fc.constantFrom('in' as const, 'out' as const),
  pin: fc.constantFrom('1111', '1111', undefined),
  wait: fc.integer({ min: 0, max: 15_000 }),
  forgive: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
});

describe('decisions', () => {
  it('decide at an unlocked door exactly as at the same door in `card` mode', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(stepArb, { maxLength: 40 }),
        stepArb,
        (max, steps, probe) => {
          const e = new SiteEngine(ruleSite(max), at('2026-01-05T09:00'));
          let now = at('2026-01-05T09:00');
          for (const s of steps) {
            now += s.wait;
            e.advance(now);
            const credential = `card:${PEOPLE[s.person]}`;
            e.present({ door: s.door, side: s.side, credential, ...(s.pin && { pin: s.pin }) }, now);
          }
          now += 1;
          e.advance(now);
          // Only doors whose own mode is `card`: an unlocked card+PIN door is a card door.
          const door = probe.door === 'L' ? 'H' : probe.door;
          const request = { door, side: probe.side, credential: `card:${PEOPLE[probe.person]}` };
          const asCard = decide(e.policy, e.state, request, now);
          e.operator({ action: 'override-door', door, mode: 'unlocked', minutes: 5 }, now);
          const unlocked = decide(e.policy, e.state, request, now);
          expect([unlocked.result, unlocked.reason, unlocked.warnings]).toEqual([
            asCard.result,
            asCard.reason,
            asCard.warnings,
          ]);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('make a presentation pending exactly when two_person_pending is its reason, and never overfill', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        fc.array(stepArb, { maxLength: 60 }),
        (max, enough, steps) => {
          const e = new SiteEngine(ruleSite(max, enough), at('2026-01-05T09:00'));
          let now = at('2026-01-05T09:00');
          const vault = e.policy.areas.get('vault')!;
          const lab = e.policy.areas.get('lab')!;
          for (const s of steps) {
            now += s.wait;
            e.advance(now);
            if (s.forgive) {
              e.operator({ action: 'forgive-antipassback', person: PEOPLE[s.person]! }, now);
              continue;
            }
            const credential = `card:${PEOPLE[s.person]}`;
            const d = e.present(
              { door: s.door, side: s.side, credential, ...(s.pin && { pin: s.pin }) },
              now,
            );
            const pending = d.changes.some((c) => c.op === 'pendingPair' && c.pending !== null);
            expect(pending).toBe(d.reason === 'two_person_pending');
            expect(e.state.occupancy[vault.index]!).toBeLessThanOrEqual(max);
            expect(e.state.occupancy[lab.index]!).toBeLessThanOrEqual(max);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
