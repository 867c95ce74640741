// Rule: a snapshot delta carries exactly what changed — people, and the site's other lists (doors,
// schedules, levels, …) entry by entry, and its other fields (the time zone). Applied by the
// controller to the snapshot it holds, it gives the same site as the whole new snapshot would (each
// list in any order); when most of the site changed, the whole snapshot goes instead.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type Json } from '../../../src/contracts/canonical.ts';
import type { Snapshot, SnapshotDelta } from '../../../src/contracts/messages.ts';
import { applyDelta, changesStructure } from '../../../src/controller/snapshot-store.ts';
import { siteDelta } from '../../../src/server/controllers/snapshot-delta.ts';

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const personArb = fc.record({
  id: fc.constantFrom(...ids),
  active: fc.boolean(),
  levels: fc.subarray(['l1', 'l2', 'l3']),
  credentials: fc.array(fc.record({ type: fc.constant('card'), id: fc.constantFrom('C-1', 'C-2', 'C-3') }), {
    maxLength: 2,
  }),
});
const doorArb = fc.record({ id: fc.constantFrom('D1', 'D2', 'D3'), mode: fc.constantFrom('card', 'locked') });
const levelArb = fc.record({ id: fc.constantFrom('l1', 'l2', 'l3'), doors: fc.subarray(['D1', 'D2', 'D3']) });
const scheduleArb = fc.record({
  id: fc.constantFrom('s1', 's2'),
  weekly: fc.subarray(['mon', 'tue', 'sat']),
});

const siteArb = fc.record({
  timezone: fc.constantFrom('Asia/Tokyo', 'Asia/Singapore'),
  doors: fc.uniqueArray(doorArb, { selector: (d) => d.id }),
  levels: fc.uniqueArray(levelArb, { selector: (l) => l.id }),
  schedules: fc.uniqueArray(scheduleArb, { selector: (s) => s.id }),
  people: fc.uniqueArray(personArb, { selector: (p) => p.id, maxLength: 8 }),
});

/** A few edits to a site, as between two snapshots of a real one. */
const editArb = fc.oneof(
  fc.record({ list: fc.constant('people'), op: fc.constantFrom('upsert', 'remove'), entry: personArb }),
  fc.record({ list: fc.constant('doors'), op: fc.constantFrom('upsert', 'remove'), entry: doorArb }),
  fc.record({ list: fc.constant('levels'), op: fc.constantFrom('upsert', 'remove'), entry: levelArb }),
  fc.record({ list: fc.constant('schedules'), op: fc.constantFrom('upsert', 'remove'), entry: scheduleArb }),
  fc.record({ list: fc.constant('timezone'), op: fc.constant('set'), entry: fc.constant('Europe/Paris') }),
);

function edited(site: Record<string, Json>, edits: { list: string; op: string; entry: Json }[]) {
  const next: Record<string, Json> = { ...site };
  for (const { list, op, entry } of edits) {
    if (op === 'set') {
      next[list] = entry;
      continue;
    }
    const id = (entry as { id: string }).id;
    const rest = (next[list] as { id: string }[]).filter((e) => e.id !== id);
    next[list] = (op === 'upsert' ? [...rest, entry] : rest) as Json;
  }
  return next;
}

function snapshot(site: Record<string, Json>): Snapshot {
  return {
    kind: 'snapshot',
    version: 1,
    issuedAt: 0,
    maxAgeMinutes: 60,
    fallback: 'emergency_only',
    emergency: [],
    offlineDeny: [],
    site,
  };
}

/** A site with each list sorted by id: two sites that differ only in order compare equal. */
const normal = (site: Record<string, Json>) =>
  canonicalJson(
    Object.fromEntries(
      Object.entries(site).map(([k, v]) => [
        k,
        Array.isArray(v) ? [...(v as { id: string }[])].sort((a, b) => (a.id < b.id ? -1 : 1)) : v,
      ]),
    ) as Json,
  );

function asMessage(delta: NonNullable<Awaited<ReturnType<typeof siteDelta>>>): SnapshotDelta {
  return {
    kind: 'snapshot-delta',
    base: 1,
    version: 2,
    issuedAt: 5,
    emergency: [],
    upsert: delta.upsert as Record<string, Json>[],
    remove: delta.remove,
    ...(Object.keys(delta.changes).length > 0 && { changes: delta.changes as SnapshotDelta['changes'] }),
    ...(Object.keys(delta.set).length > 0 && { set: delta.set }),
  };
}

describe('snapshot deltas', () => {
  it('rebuild exactly the new site on the controller, whatever changed', async () => {
    let used = 0;
    let structural = 0;
    await fc.assert(
      fc.asyncProperty(siteArb, fc.array(editArb, { maxLength: 4 }), async (site, edits) => {
        const before = site as unknown as Record<string, Json>;
        const after = edited(before, edits as { list: string; op: string; entry: Json }[]);
        const delta = await siteDelta(before, after);
        if (delta === undefined) return; // too much changed: the whole snapshot goes instead
        used++;
        const message = asMessage(delta);
        if (changesStructure(message)) structural++;
        const applied = applyDelta(snapshot(before), message);
        expect(normal(applied.site)).toBe(normal(after));
        expect(applied.version).toBe(2);
        // Nothing that did not change is sent.
        const sent =
          delta.upsert.length + Object.values(delta.changes).reduce((n, c) => n + c.upsert.length, 0);
        expect(sent).toBeLessThanOrEqual(edits.length);
      }),
      { numRuns: 400 },
    );
    // The property was exercised, not skipped, and not only on people.
    expect(used).toBeGreaterThan(100);
    expect(structural).toBeGreaterThan(50);
  });

  it('are not used when most of the site changed, or a field went away', async () => {
    const people = [{ id: 'a' }, { id: 'b' }, { id: 'c' }] as Json[];
    expect(await siteDelta({ people }, { people: [{ id: 'x' }, { id: 'y' }] })).toBeUndefined();
    expect(await siteDelta({ people, timezone: 'Asia/Tokyo' }, { people })).toBeUndefined();
    expect(await siteDelta({ people }, { people: [...people, { id: 'd' }] })).toEqual({
      upsert: [{ id: 'd' }],
      remove: [],
      changes: {},
      set: {},
    });
    const doors = [{ id: 'D1', mode: 'card' }] as Json[];
    expect(await siteDelta({ people, doors }, { people, doors: [{ id: 'D1', mode: 'locked' }] })).toEqual({
      upsert: [],
      remove: [],
      changes: { doors: { upsert: [{ id: 'D1', mode: 'locked' }], remove: [] } },
      set: {},
    });
  });
});
