// Rule: a snapshot delta carries exactly what changed among the people. Applied by the controller to
// the snapshot it holds, it gives the same people as the whole new snapshot would (in any order), and
// anything but people changing means the whole snapshot goes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type Json } from '../../../src/contracts/canonical.ts';
import type { Snapshot } from '../../../src/contracts/messages.ts';
import { applyDelta } from '../../../src/controller/snapshot-store.ts';
import { peopleDelta } from '../../../src/server/controllers/snapshot-delta.ts';

const personArb = fc.record({
  id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
  active: fc.boolean(),
  levels: fc.subarray(['l1', 'l2', 'l3']),
  credentials: fc.array(fc.record({ type: fc.constant('card'), id: fc.constantFrom('C-1', 'C-2', 'C-3') }), {
    maxLength: 2,
  }),
});
const peopleArb = fc.uniqueArray(personArb, { selector: (p) => p.id, maxLength: 8 });
const editsArb = fc.array(fc.record({ op: fc.constantFrom('upsert', 'remove'), person: personArb }), {
  maxLength: 3,
});

function snapshot(people: Json[]): Snapshot {
  return {
    kind: 'snapshot',
    version: 1,
    issuedAt: 0,
    maxAgeMinutes: 60,
    fallback: 'emergency_only',
    emergency: [],
    offlineDeny: [],
    site: { timezone: 'Asia/Tokyo', doors: [{ id: 'D1' }], people },
  };
}

const byId = (people: Json[]) =>
  (people as { id: string }[])
    .map((p) => canonicalJson(p as unknown as Json))
    .sort()
    .join('\n');

describe('snapshot deltas', () => {
  it('rebuild exactly the new people on the controller', () => {
    let used = 0;
    fc.assert(
      fc.property(peopleArb, editsArb, (before, edits) => {
        // A few people added, changed or removed, as between two snapshots of a real site.
        let after = [...before];
        for (const edit of edits) {
          after = after.filter((p) => p.id !== edit.person.id);
          if (edit.op === 'upsert') after.push(edit.person);
        }
        const old = snapshot(before as unknown as Json[]);
        const next = snapshot(after as unknown as Json[]);
        const delta = peopleDelta(old.site, next.site);
        if (delta === undefined) return; // too much changed: the whole snapshot goes instead
        used++;
        const applied = applyDelta(old, {
          kind: 'snapshot-delta',
          base: 1,
          version: 2,
          issuedAt: 5,
          emergency: [],
          upsert: delta.upsert as Record<string, Json>[],
          remove: delta.remove,
        });
        expect(byId(applied.site.people as Json[])).toBe(byId(after as unknown as Json[]));
        expect(applied.version).toBe(2);
        expect(applied.site.doors).toEqual(old.site.doors);
      }),
      { numRuns: 300 },
    );
    expect(used).toBeGreaterThan(30); // the property was exercised, not skipped
  });

  it('are not used when anything but people changed, or most of the people', () => {
    const people = [{ id: 'a' }, { id: 'b' }, { id: 'c' }] as Json[];
    expect(peopleDelta({ doors: [1], people }, { doors: [2], people })).toBeUndefined();
    expect(peopleDelta({ people }, { people: [{ id: 'x' }, { id: 'y' }] })).toBeUndefined();
    expect(peopleDelta({ people }, { people: [...people, { id: 'd' }] })).toEqual({
      upsert: [{ id: 'd' }],
      remove: [],
    });
  });
});
