// The compact people store (src/core/people.ts, strings.ts): the string pool gives back exactly what
// it was given; a policy changed by a people delta decides exactly as one compiled afresh from the
// changed site, while the policy it came from goes on deciding as before; carry-over across a delta
// keeps presence; the builder and deltas reject bad people with the field named and change nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.ts';
import { SiteEngine } from '../../src/core/engine.ts';
import type { CredentialDef, PersonDef, SiteDef } from '../../src/core/model.ts';
import { compilePolicy, type Policy, PolicyBuilder, withPeopleDelta } from '../../src/core/policy.ts';
import { PolicyError } from '../../src/core/policy-error.ts';
import { createState, whoIsInside } from '../../src/core/state.ts';
import { hashText, StringPool } from '../../src/core/strings.ts';
import { at, site } from '../support/sites.ts';

const T0 = at('2026-01-05T09:00');

describe('string pool', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.stringMatching(/^[0-9a-f]{0,80}$/),
    fc.stringMatching(/^[0-9A-Fa-f]{1,12}$/),
  );

  it('reads back, compares and hashes every string as given, across pages', () => {
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 600 }),
        (texts, pad) => {
          const pool = new StringPool(64);
          // Filler first, so that the entries under test also land near and across page ends.
          const filler = 'x'.repeat(4000); // 600 of them fill two 1 MiB pages and more
          for (let i = 0; i < pad; i++) pool.add(filler);
          const offsets = texts.map((t) => pool.add(t));
          texts.forEach((t, i) => {
            const offset = offsets[i]!;
            expect(pool.read(offset)).toBe(t);
            expect(pool.equals(offset, t, 0)).toBe(true);
            expect(pool.equals(offset, `pre:${t}`, 4)).toBe(true);
            expect(pool.equals(offset, `${t}a`, 0)).toBe(false);
            if (t.length > 0) expect(pool.equals(offset, t.slice(1), 0)).toBe(t.slice(1) === t);
            expect(pool.hash(offset, 7)).toBe(hashText(t, 0, 7));
            expect(pool.isPackedHex(offset)).toBe(/^(?:[0-9a-f]{2})+$/.test(t));
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('stores a 64-hex hash in 33 bytes', () => {
    const pool = new StringPool();
    const before = pool.used;
    pool.add('ab'.repeat(32));
    expect(pool.used - before).toBe(33);
  });
});

// Small sites whose people a delta changes: everything a person can carry (groups, levels, states,
// validity, use counts, PINs, PIN-only credentials with and without ids) and every ref form.
const IDS = ['ann', 'bo', 'cy', 'di', 'ed', 'fay', 'gus'];
const credentialArb = (owner: string, k: number): fc.Arbitrary<CredentialDef> =>
  fc
    .record({
      type: fc.constantFrom('card' as const, 'mobile' as const, 'pin' as const, 'key' as const),
      version: fc.integer({ min: 0, max: 2 }),
      pin: fc.option(fc.constantFrom('1111', '2222'), { nil: undefined }),
      withId: fc.boolean(),
      state: fc.constantFrom('active' as const, 'active' as const, 'lost' as const),
      maxUses: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      validUntil: fc.option(fc.constantFrom('2026-01-05T08:00', '2026-02-01T00:00'), { nil: undefined }),
    })
    .map(({ type, version, pin, withId, state, maxUses, validUntil }) => {
      const id = `${owner}-${k}-${version}`;
      const base =
        type === 'pin'
          ? { type, pin: `9${IDS.indexOf(owner)}${k}${version}`, ...(withId && { id }) }
          : { type, id, ...(pin !== undefined && { pin }) };
      return {
        ...base,
        state,
        ...(maxUses !== undefined && { maxUses }),
        ...(validUntil !== undefined && { validUntil }),
      };
    });
const personArb = (id: string): fc.Arbitrary<PersonDef> =>
  fc.record({
    id: fc.constant(id),
    active: fc.constantFrom(true, true, false),
    groups: fc.subarray(['staff', 'night']),
    levels: fc.subarray(['front', 'lab']),
    credentials: fc
      .tuple(credentialArb(id, 0), credentialArb(id, 1))
      .chain(([a, b]) => fc.constantFrom([a], [a, b], [])),
  });
const peopleArb = fc
  .subarray(IDS, { minLength: 1 })
  .chain((ids) => fc.tuple(...ids.map((id) => personArb(id))));
const deltaArb = fc.record({
  upsert: fc.subarray(IDS).chain((ids) => fc.tuple(...ids.map((id) => personArb(id)))),
  remove: fc.subarray(IDS),
});

function siteWith(people: PersonDef[]): SiteDef {
  return site({
    areas: [
      { id: 'room', antipassback: { mode: 'hard' } },
      { id: 'lab', parent: 'room' },
    ],
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

/** The people of a site after a delta, as the controller's snapshot store computes them. */
function applied(
  people: readonly PersonDef[],
  delta: { upsert: PersonDef[]; remove: string[] },
): PersonDef[] {
  const gone = new Set([...delta.remove, ...delta.upsert.map((p) => p.id)]);
  return [...people.filter((p) => !gone.has(p.id)), ...delta.upsert];
}

function keysOf(people: readonly PersonDef[]): string[] {
  return people.flatMap((p) =>
    p.credentials.map((c) => (c.type === 'pin' ? `pin:${c.pin}` : `${c.type}:${c.id}`)),
  );
}

/** Every decision of a policy on a fresh state: all doors, both sides, every key, some unknown. */
function decisions(policy: Policy, keys: readonly string[]): unknown[] {
  const state = createState(policy, T0);
  const out: unknown[] = [];
  for (const door of ['F', 'L', 'K'])
    for (const side of ['in', 'out'] as const)
      for (const credential of [...keys, 'card:nobody', 'pin:0000'])
        for (const pin of [undefined, '1111']) {
          const d = decide(policy, state, { door, side, credential, ...(pin && { pin }) }, T0);
          out.push([d.result, d.reason, d.person, d.credential, d.trace, d.warnings]);
        }
  return out;
}

describe('people deltas', () => {
  it('decide exactly as a policy compiled from the changed site, and leave the old policy as it was', () => {
    fc.assert(
      fc.property(peopleArb, fc.array(deltaArb, { minLength: 1, maxLength: 3 }), (people, deltas) => {
        let defs: PersonDef[] = people;
        let policy = compilePolicy(siteWith(defs));
        const history: { policy: Policy; keys: string[]; expected: unknown[] }[] = [];
        for (const delta of deltas) {
          const keys = [...new Set([...keysOf(defs), ...keysOf(delta.upsert)])];
          history.push({ policy, keys, expected: decisions(policy, keys) });
          defs = applied(defs, delta);
          policy = withPeopleDelta(policy, delta);
          expect(decisions(policy, keys)).toEqual(decisions(compilePolicy(siteWith(defs)), keys));
          expect(policy.people.size).toBe(defs.length);
          for (const p of defs) expect(policy.people.get(p.id)?.id).toBe(p.id);
        }
        // Every earlier version still decides exactly as it did.
        for (const { policy: old, keys, expected } of history) expect(decisions(old, keys)).toEqual(expected);
        // A delta on an older version (a fork) works as well, from that version's people.
        const first = history[0]!;
        const fork = withPeopleDelta(first.policy, deltas[0]!);
        const forkDefs = applied(people, deltas[0]!);
        expect(decisions(fork, first.keys)).toEqual(decisions(compilePolicy(siteWith(forkDefs)), first.keys));
      }),
      { numRuns: 150 },
    );
  });

  it('carry presence and use counts over to the changed policy', () => {
    fc.assert(
      fc.property(peopleArb, deltaArb, fc.array(fc.nat(), { maxLength: 20 }), (people, delta, picks) => {
        const def = siteWith(people);
        const keys = keysOf(people);
        const engine = new SiteEngine(def, T0);
        picks.forEach((pick, i) => {
          if (keys.length === 0) return;
          const door = ['F', 'L', 'K'][pick % 3]!;
          engine.present(
            { door, side: pick % 2 ? 'out' : 'in', credential: keys[pick % keys.length]!, pin: '1111' },
            T0 + i,
          );
        });
        const later = T0 + 1000;
        const viaDelta = new SiteEngine(withPeopleDelta(engine.policy, delta), later, engine);
        const viaCompile = new SiteEngine(compilePolicy(siteWith(applied(people, delta))), later, engine);
        for (const area of ['room', 'lab'])
          expect(whoIsInside(viaDelta.state, viaDelta.policy, area)).toEqual(
            whoIsInside(viaCompile.state, viaCompile.policy, area),
          );
        expect([...viaDelta.state.uses]).toEqual([...viaCompile.state.uses]);
        expect([...viaDelta.state.occupancy]).toEqual([...viaCompile.state.occupancy]);
      }),
      { numRuns: 150 },
    );
  });

  it('rebuild the store when too many people would be left behind, deciding the same', () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({
      id: `p${i}`,
      levels: ['front'],
      credentials: [{ type: 'card' as const, id: `C${i}` }],
    }));
    const policy = compilePolicy(siteWith(many));
    const newcomer: PersonDef = {
      id: 'new',
      levels: ['front'],
      credentials: [{ type: 'card', id: 'C-new' }],
    };
    const next = withPeopleDelta(policy, {
      upsert: [newcomer],
      remove: many.slice(0, 2500).map((p) => p.id),
    });
    expect(next.people.store).not.toBe(policy.people.store);
    expect(next.people.length).toBe(501);
    const keys = ['card:C0', 'card:C2999', 'card:C-new'];
    expect(decisions(next, keys)).toEqual(
      decisions(compilePolicy(siteWith([...many.slice(2500), newcomer])), keys),
    );
    // The old policy is untouched.
    expect(policy.people.has('p0')).toBe(true);
    expect(policy.credentials.get('card:C-new')).toBeUndefined();
  });

  it('refuse a credential someone else keeps, naming the field, and change nothing', () => {
    const people: PersonDef[] = [
      { id: 'ann', levels: ['front'], credentials: [{ type: 'card', id: 'C-1' }] },
      { id: 'bo', levels: ['front'], credentials: [{ type: 'pin', pin: '4711' }] },
    ];
    const policy = compilePolicy(siteWith(people));
    const keys = ['card:C-1', 'pin:4711', 'card:C-2'];
    const before = decisions(policy, keys);
    const bad = (upsert: PersonDef[], remove: string[] = []) => {
      let error: unknown;
      try {
        withPeopleDelta(policy, { upsert, remove });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PolicyError);
      return (error as PolicyError).message;
    };
    expect(
      bad([
        {
          id: 'cy',
          credentials: [
            { type: 'card', id: 'C-2' },
            { type: 'card', id: 'C-1' },
          ],
        },
      ]),
    ).toBe('upsert[0].credentials[1]: credential card:C-1 is already held by someone');
    // The error never names PIN digits.
    expect(bad([{ id: 'cy', credentials: [{ type: 'pin', pin: '4711' }] }])).toBe(
      'upsert[0].credentials[0]: credential PIN is already held by someone',
    );
    expect(bad([{ id: 'cy', groups: ['ghosts'], credentials: [] }])).toBe(
      'upsert[0].groups[0]: unknown group "ghosts"',
    );
    expect(
      bad([
        { id: 'cy', credentials: [] },
        { id: 'cy', credentials: [] },
      ]),
    ).toMatch(/upsert\[1\]\.id: duplicate/);
    expect(decisions(policy, keys)).toEqual(before);
    // The same card moves to another person when its holder is replaced or removed in the same delta.
    const moved = withPeopleDelta(policy, {
      upsert: [{ id: 'cy', levels: ['front'], credentials: [{ type: 'card', id: 'C-1' }] }],
      remove: ['ann'],
    });
    expect(moved.credentials.get('card:C-1')?.personId).toBe('cy');
    expect(policy.credentials.get('card:C-1')?.personId).toBe('ann');
  });
});

describe('policy builder', () => {
  it('compiles people added one by one exactly as compilePolicy does', () => {
    fc.assert(
      fc.property(peopleArb, (people) => {
        const def = siteWith(people);
        const builder = new PolicyBuilder(def);
        for (const p of people) builder.addPerson(p);
        const keys = keysOf(people);
        expect(decisions(builder.build(), keys)).toEqual(decisions(compilePolicy(def), keys));
      }),
      { numRuns: 100 },
    );
  });

  it('names the person and field of an error by the order people were added', () => {
    const builder = new PolicyBuilder(siteWith([]));
    builder.addPerson({ id: 'ann', credentials: [{ type: 'card', id: 'C-1' }] });
    expect(() => builder.addPerson({ id: 'ann', credentials: [] })).toThrow(
      'people[1].id: duplicate people id "ann"',
    );
    expect(() => builder.addPerson({ id: 'bo', credentials: [{ type: 'card', id: 'C-1' }] })).toThrow(
      'people[1].credentials[0]: credential card:C-1 is already held by someone',
    );
    expect(() =>
      builder.addPerson({ id: 'bo', credentials: [{ type: 'key', id: 'K', validUntil: 'tomorrow' }] }),
    ).toThrow('people[1].credentials[0].validUntil');
    builder.addPerson({ id: 'bo', credentials: [{ type: 'mobile', id: 'C-1' }] });
    expect(builder.count).toBe(2);
    expect(builder.build().credentials.get('mobile:C-1')?.personId).toBe('bo');
  });

  it('keeps a store sized a little over as sized, and its rare fields never grow when sized', () => {
    // A copy to trim or grow holds the array twice until the next collection: at 2,000,000 people
    // that was ~40 MB of garbage in RSS right after a controller's restart.
    const people: PersonDef[] = Array.from({ length: 1000 }, (_, i) => ({
      id: `p${i}`,
      groups: ['staff'],
      credentials: [{ type: 'card', id: `c${i}`, ...(i % 4 === 0 && { maxUses: 3 }) }],
    }));
    const built = (expectedPeople: number, expectedExtras?: number) => {
      const builder = new PolicyBuilder(siteWith([]), {
        expectedPeople,
        expectedCredentials: expectedPeople,
        expectedEntries: expectedPeople,
        ...(expectedExtras !== undefined && { expectedExtras }),
      });
      for (const p of people) builder.addPerson(p);
      return builder.build().people.store;
    };
    const over = built(1100, 260);
    expect(over.personRows.length).toBe(1100 * 6);
    expect(over.entries.length).toBe(1100);
    expect(over.extras).toBe(250);
    expect(over.extraMaxUses.length).toBe(260);
    // Sized far over (or grown by half), the slack is given back.
    const far = built(3000);
    expect(far.personRows.length).toBeLessThan(3000 * 6);
    expect(far.entries.length).toBeLessThan(3000);
    expect(far.extraMaxUses.length).toBeGreaterThanOrEqual(250);
  });
});
