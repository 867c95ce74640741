// Invariants of time-limited keys in the core (R-KEY-1), on random sites and timelines (fast-check):
// - a credential with its own levels decides exactly as a card of a person holding only those levels
//   would, whatever its own holder's groups and levels are — also after a people delta rebuilt the
//   store the key lives in;
// - a key valid for N minutes from its first use is never granted at or after first grant + N, and
//   its clock starts at its first grant, not at a denied presentation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.ts';
import type { LevelDef, PersonDef, ScheduleDef, SiteDef } from '../../src/core/model.ts';
import { compilePolicy, withPeopleDelta } from '../../src/core/policy.ts';
import { applyChanges, createState } from '../../src/core/state.ts';
import { at, site } from '../support/sites.ts';

const T0 = at('2026-01-05T00:00'); // a Monday
const DOORS = ['A', 'B', 'C', 'D'];
const HOUR = 3_600_000;

const windowArb = fc
  .tuple(fc.integer({ min: 0, max: 22 }), fc.integer({ min: 1, max: 6 }))
  .map(([start, length]) => {
    const end = Math.min(24, start + length);
    const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    return `${hh(start)}-${end === 24 ? '00:00' : hh(end)}`;
  });

const scheduleArb: fc.Arbitrary<ScheduleDef> = fc
  .record({
    days: fc.subarray(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const, { minLength: 1 }),
    windows: fc.array(windowArb, { minLength: 1, maxLength: 2 }),
  })
  .map(({ days, windows }) => ({
    id: 'key-window',
    weekly: Object.fromEntries(days.map((d) => [d, windows])),
  }));

const keySiteArb = fc
  .record({
    keyDoors: fc.subarray(DOORS, { minLength: 1 }),
    holderDoors: fc.subarray(DOORS),
    schedule: fc.option(scheduleArb, { nil: undefined }),
    from: fc.integer({ min: 0, max: 48 }),
    length: fc.integer({ min: 1, max: 24 * 7 }),
    maxUses: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  })
  .map(({ keyDoors, holderDoors, schedule, from, length, maxUses }) => {
    const local = (ms: number) => new Date(ms + 9 * HOUR).toISOString().slice(0, 16);
    const validity = {
      validFrom: local(T0 + from * HOUR),
      validUntil: local(T0 + (from + length) * HOUR),
      ...(maxUses !== undefined && { maxUses }),
    };
    const levels: LevelDef[] = [
      { id: 'key-level', doors: keyDoors, ...(schedule && { schedule: schedule.id }) },
      { id: 'holder-level', doors: holderDoors },
    ];
    // The key holder has their own levels; the reference person holds only the key's level.
    const people: PersonDef[] = [
      {
        id: 'holder',
        levels: ['holder-level'],
        credentials: [
          { type: 'card', id: 'HOLDER-CARD' },
          { type: 'key', id: 'K', levels: ['key-level'], ...validity },
        ],
      },
      {
        id: 'reference',
        levels: ['key-level'],
        credentials: [{ type: 'card', id: 'REF', ...validity }],
      },
    ];
    return site({
      areas: DOORS.map((d) => ({ id: `room-${d}` })),
      doors: DOORS.map((d) => ({ id: d, from: 'outside', to: `room-${d}` })),
      schedules: schedule ? [schedule] : [],
      levels,
      people,
    });
  });

const presentationsArb = fc.array(
  fc.record({
    door: fc.constantFrom(...DOORS),
    side: fc.constantFrom('in' as const, 'out' as const),
    hour: fc.integer({ min: 0, max: 24 * 9 }),
    minute: fc.integer({ min: 0, max: 59 }),
  }),
  { minLength: 1, maxLength: 25 },
);

describe('time-limited keys in the core', () => {
  it('a key with its own levels decides as a card holding only those levels would', () => {
    fc.assert(
      fc.property(keySiteArb, presentationsArb, fc.boolean(), (def: SiteDef, presentations, rebuilt) => {
        let policy = compilePolicy(def);
        if (rebuilt) {
          // A people delta that rebuilds the store (the policy is not the newest version) must keep
          // the key's own levels and validity.
          const older = policy;
          withPeopleDelta(older, { upsert: [], remove: [] });
          policy = withPeopleDelta(older, { upsert: [def.people[0]!], remove: [] });
        }
        const keyState = createState(policy, T0);
        const refState = createState(policy, T0);
        const sorted = [...presentations].sort((a, b) => a.hour * 60 + a.minute - (b.hour * 60 + b.minute));
        for (const p of sorted) {
          const now = T0 + p.hour * HOUR + p.minute * 60_000;
          const key = decide(policy, keyState, { door: p.door, side: p.side, credential: 'key:K' }, now);
          const ref = decide(policy, refState, { door: p.door, side: p.side, credential: 'card:REF' }, now);
          expect([key.result, key.reason]).toEqual([ref.result, ref.reason]);
          // Only the uses of the key and of the reference card differ by name; the rest is the same.
          applyChanges(keyState, policy, key.changes);
          applyChanges(refState, policy, ref.changes);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never grants a key at or after its first grant plus its time from first use', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.integer({ min: 0, max: 3 * 24 * 60 }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom('A', 'B'),
        (minutes, times, firstDoor) => {
          const policy = compilePolicy(
            site({
              areas: [{ id: 'room-A' }, { id: 'room-B' }],
              doors: [
                { id: 'A', from: 'outside', to: 'room-A' },
                { id: 'B', from: 'outside', to: 'room-B' },
              ],
              levels: [{ id: 'a-only', doors: ['A'] }],
              people: [
                {
                  id: 'guest:g',
                  credentials: [{ type: 'key', id: 'K', levels: ['a-only'], validForMinutes: minutes }],
                },
              ],
            }),
          );
          const state = createState(policy, T0);
          let first: number | undefined;
          const sorted = [...times].sort((a, b) => a - b);
          sorted.forEach((m, i) => {
            const now = T0 + m * 60_000;
            const door = i === 0 ? firstDoor : 'A';
            const d = decide(
              policy,
              state,
              { door, side: i % 2 === 0 ? 'in' : 'out', credential: 'key:K' },
              now,
            );
            if (d.result === 'grant') {
              first ??= now;
              expect(now).toBeLessThan(first + minutes * 60_000);
            } else if (first !== undefined && now >= first + minutes * 60_000) {
              expect(d.reason).toBe('outside_validity');
            } else {
              // Denied only for its door before the clock ran out (B is not in its level).
              expect(d.reason).toBe('no_access');
            }
            applyChanges(state, policy, d.changes);
            expect(state.firstUse.get('key:K')).toBe(first);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
