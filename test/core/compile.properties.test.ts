// The compiled people store answers exactly as the people definitions do, however it was built
// (fast-check, random sites of hundreds of people with ids and hashes that crowd the hash tables):
// - every person and credential is found as a plain map of the definitions finds it, and nothing
//   else is: compiled whole, added one by one into a builder that grows from empty (rehashing many
//   times), or reached through a chain of people deltas (appended in place, rehashed, rebuilt);
// - all of them decide every credential at every door exactly as the whole compile does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.ts';
import type { CredentialDef, PersonDef, SiteDef } from '../../src/core/model.ts';
import { compilePolicy, type Policy, PolicyBuilder, withPeopleDelta } from '../../src/core/policy.ts';
import { createState } from '../../src/core/state.ts';
import { at, site } from '../support/sites.ts';

const T0 = at('2026-01-05T09:00');
const DOORS = ['F', 'L', 'K'];

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
/** Ids as snapshots carry them (64-hex hashes) and as scenarios do (short text, some non-ASCII). */
const idArb = fc.oneof(hex(64), hex(8), fc.stringMatching(/^[A-Za-z0-9é-]{1,10}$/));

const credentialArb: fc.Arbitrary<CredentialDef> = fc
  .record({
    type: fc.constantFrom(
      'card' as const,
      'card' as const,
      'mobile' as const,
      'key' as const,
      'pin' as const,
    ),
    id: idArb,
    pin: fc.option(fc.oneof(hex(64), fc.constantFrom('1111', '2222')), { nil: undefined }),
    state: fc.constantFrom('active' as const, 'active' as const, 'active' as const, 'lost' as const),
    maxUses: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    validUntil: fc.option(fc.constantFrom('2026-01-05T08:00', '2026-02-01T00:00'), { nil: undefined }),
  })
  .map(({ type, id, pin, state, maxUses, validUntil }) => ({
    ...(type === 'pin' ? { type, pin: `p${id}` } : { type, id, ...(pin !== undefined && { pin }) }),
    state,
    ...(maxUses !== undefined && { maxUses }),
    ...(validUntil !== undefined && { validUntil }),
  }));

const keyOf = (c: CredentialDef) => (c.type === 'pin' ? `pin:${c.pin}` : `${c.type}:${c.id}`);

/** People with unique ids, and credentials nobody else holds (a site that compiles). */
const peopleArb = (min: number, max: number): fc.Arbitrary<PersonDef[]> =>
  fc
    .uniqueArray(
      fc.record({
        id: idArb,
        active: fc.constantFrom(true, true, true, false),
        groups: fc.subarray(['staff', 'night']),
        levels: fc.subarray(['front', 'lab']),
        credentials: fc.array(credentialArb, { maxLength: 3, size: 'max' }),
      }),
      { minLength: min, maxLength: max, size: 'max', selector: (p) => p.id },
    )
    .map((people) => {
      const taken = new Set<string>();
      return people.map((p) => ({
        ...p,
        credentials: p.credentials.filter((c) => {
          const key = keyOf(c);
          if (taken.has(key)) return false;
          taken.add(key);
          return true;
        }),
      }));
    });

function siteWith(people: PersonDef[]): SiteDef {
  return site({
    areas: [{ id: 'room' }, { id: 'lab', parent: 'room' }],
    doors: [
      { id: 'F', from: 'outside', to: 'room' },
      { id: 'L', from: 'room', to: 'lab', mode: 'card+pin' },
      { id: 'K', from: 'outside', to: 'room', mode: 'pin' },
    ],
    schedules: [{ id: 'day', weekly: { mon: ['08:00-18:00'] } }],
    levels: [
      { id: 'front', doors: ['F', 'K'] },
      { id: 'lab', doors: ['L'], schedule: 'day' },
      { id: 'nights', doors: ['F', 'L'] },
    ],
    groups: [
      { id: 'staff', levels: ['front', 'lab'] },
      { id: 'night', levels: ['nights'] },
    ],
    people,
  });
}

/** What a plain map of the definitions says: person ids, and each credential key's holder. */
function reference(people: readonly PersonDef[]) {
  const holders = new Map<string, string>();
  for (const p of people) for (const c of p.credentials) holders.set(keyOf(c), p.id);
  return { ids: new Set(people.map((p) => p.id)), holders };
}

function expectFinds(policy: Policy, people: readonly PersonDef[], strangers: readonly string[]): void {
  const { ids, holders } = reference(people);
  expect(policy.people.size).toBe(ids.size);
  for (const id of ids) expect(policy.people.id(policy.people.indexOf(id))).toBe(id);
  for (const [key, holder] of holders) expect(policy.credentials.get(key)?.personId).toBe(holder);
  for (const s of strangers) {
    if (!ids.has(s)) expect(policy.people.indexOf(s)).toBe(-1);
    for (const type of ['card', 'mobile', 'pin'])
      if (!holders.has(`${type}:${s}`)) expect(policy.credentials.has(`${type}:${s}`)).toBe(false);
  }
}

/** Every credential (and some strangers) at every door, on a fresh state. */
function decisions(policy: Policy, people: readonly PersonDef[], strangers: readonly string[]): unknown[] {
  const state = createState(policy, T0);
  const out: unknown[] = [];
  const keys = [...people.flatMap((p) => p.credentials.map(keyOf)), ...strangers.map((s) => `card:${s}`)];
  const pins = people.flatMap((p) => p.credentials.flatMap((c) => (c.pin ? [c.pin] : [])));
  for (const door of DOORS)
    for (const credential of keys) {
      const d = decide(policy, state, { door, side: 'in', credential, pin: pins[0] ?? '1111' }, T0);
      out.push([d.result, d.reason, d.person, d.credential, d.trace]);
    }
  return out;
}

describe('compiled people', () => {
  it('are found and decide exactly as the definitions say, compiled whole or grown from empty', () => {
    fc.assert(
      fc.property(peopleArb(1, 400), fc.array(idArb, { maxLength: 30 }), (people, strangers) => {
        const def = siteWith(people);
        const whole = compilePolicy(def);
        const builder = new PolicyBuilder(def); // no size given: its tables grow and rehash
        for (const p of people) builder.addPerson(p);
        const grown = builder.build();
        expectFinds(whole, people, strangers);
        expectFinds(grown, people, strangers);
        expect(decisions(grown, people, strangers)).toEqual(decisions(whole, people, strangers));
      }),
      { numRuns: 60 },
    );
  });

  it('are found and decide the same after a chain of deltas as compiled afresh', () => {
    fc.assert(
      fc.property(
        peopleArb(2, 300),
        fc.array(fc.record({ cut: fc.nat(), removeEvery: fc.integer({ min: 2, max: 6 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        (people, steps) => {
          // Start from the first part of the people; each step adds the next part and removes some.
          let present: PersonDef[] = people.slice(0, Math.ceil(people.length / 3));
          let policy = compilePolicy(siteWith(present));
          let next = present.length;
          for (const { cut, removeEvery } of steps) {
            const upsert = people.slice(next, next + 1 + (cut % 80));
            next += upsert.length;
            const remove = present.filter((_, i) => i % removeEvery === 0).map((p) => p.id);
            policy = withPeopleDelta(policy, { upsert, remove });
            present = [...present.filter((p) => !remove.includes(p.id)), ...upsert];
          }
          const fresh = compilePolicy(siteWith(present));
          const gone = people.filter((p) => !present.includes(p)).map((p) => p.id);
          expectFinds(policy, present, gone);
          const held = new Set(present.flatMap((p) => p.credentials.map(keyOf)));
          for (const p of people)
            for (const c of p.credentials)
              if (!held.has(keyOf(c))) expect(policy.credentials.has(keyOf(c))).toBe(false);
          expect(decisions(policy, present, gone)).toEqual(decisions(fresh, present, gone));
        },
      ),
      { numRuns: 60 },
    );
  });
});
