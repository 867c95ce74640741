// Rule (property): however a controller's journal is delivered — batches in any order, resent,
// overlapping, a sequence twice in one batch, several controllers in one call, some deliveries
// failing inside their transaction and sent again — the event store keeps each (controller,
// sequence) exactly once, says each is new exactly once across all deliveries, and every
// controller's chain verifies with one position per stored event, on every backend.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { inTransaction, type Store } from '../../../src/server/storage/db.ts';
import { EventStore, type StoredEvent } from '../../../src/server/storage/events.ts';
import { backends } from './backends.ts';

const KEY = chainKeys(new Uint8Array(32).fill(5)).events;
const T0 = Date.parse('2026-05-11T08:00:00Z');

/** One delivery: some sequences of some of the run's controllers; `fails`: rolled back after storing. */
const delivery = fc.record({
  picks: fc.array(
    fc.record({ controller: fc.integer({ min: 0, max: 2 }), seq: fc.integer({ min: 1, max: 40 }) }),
    {
      minLength: 1,
      maxLength: 60,
    },
  ),
  fails: fc.boolean(),
});

let runs = 0;

describe.each(backends)('event append, whatever the deliveries, on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('stores and reports each (controller, sequence) once, on chains that verify', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(delivery, { minLength: 1, maxLength: 8 }), async (deliveries) => {
        const run = runs++;
        const events = new EventStore(store.db, KEY);
        const controller = (c: number) => `prop-${run}-${c}`;
        const event = (c: number, seq: number): StoredEvent => ({
          controllerId: controller(c),
          seq,
          at: T0 + seq * 1000,
          type: 'access',
          door: `door-${seq % 4}`,
          personId: `p-${seq % 6}`,
          detail: { result: 'grant', seq },
        });
        const reported = new Map<string, number>();
        const expected = new Set<string>();
        for (const { picks, fails } of deliveries) {
          const batch = picks.map((p) => event(p.controller, p.seq));
          if (fails) {
            // Stored, then the transaction fails (the process died before the commit): nothing stays.
            await expect(
              inTransaction(store.db, async (tx) => {
                await new EventStore(tx, KEY).appendNew(batch);
                throw new Error('crash before commit');
              }),
            ).rejects.toThrow('crash before commit');
            continue;
          }
          for (const e of await events.appendNew(batch)) {
            const key = `${e.controllerId}:${e.seq}`;
            reported.set(key, (reported.get(key) ?? 0) + 1);
          }
          for (const e of batch) expected.add(`${e.controllerId}:${e.seq}`);
        }
        // Each stored event was reported new exactly once, and only those were.
        expect([...reported.values()].every((n) => n === 1)).toBe(true);
        expect(new Set(reported.keys())).toEqual(expected);
        const rows = await store.db
          .selectFrom('events')
          .select(['controller_id', 'seq'])
          .where('controller_id', 'like', `prop-${run}-%`)
          .execute();
        const keys = rows.map((r) => `${r.controller_id}:${Number(r.seq)}`);
        expect(keys.length).toBe(new Set(keys).size);
        expect(new Set(keys)).toEqual(expected);
        const verdicts = (await events.verify()).filter((v) => v.chain.startsWith(`events:prop-${run}-`));
        for (const v of verdicts) {
          const stored = keys.filter((k) => `events:${k.slice(0, k.lastIndexOf(':'))}` === v.chain).length;
          expect(v).toMatchObject({ records: stored, head: stored, spans: [] });
        }
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
