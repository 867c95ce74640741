// Rule: the rule-change preview built of the changed level's holders alone (service.ts, O(change))
// answers exactly as the whole rebuild does — the same people gaining and losing, at the same doors
// and instants, the same count checked — on a generated site stored in a real SQLite file, for
// generated changes to levels (doors, schedule, threat limit) and to schedules (weekly intervals).
// On a real SQLite file, and on the local PostgreSQL when MONBAN_TEST_DATABASE_URL is set.
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load } from '../../../bench/site-export.ts';
import type { SiteSize } from '../../../bench/site-generator.ts';
import { DomainBus } from '../../../src/server/domain/bus.ts';
import { ExplainService, type ProposedChange } from '../../../src/server/explain/service.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { backends } from '../storage/backends.ts';

const T0 = Date.parse('2026-04-01T01:00:00Z'); // Wednesday 10:00 in Tokyo
const SIZE: SiteSize = { people: 400, doors: 24, levels: 30, groups: 12, areas: 20 };
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

describe.each(backends)('rule-change preview: holders only, as the whole rebuild ($name)', (backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  let store: Store;
  let service: ExplainService;
  let levels: string[];
  let schedules: string[];
  let doors: string[];

  beforeAll(async () => {
    const opened = await backend.open();
    store = opened.store;
    cleanup = opened.cleanup;
    const key = new Uint8Array(32).fill(9);
    await load(store, SIZE, key);
    service = new ExplainService({
      store,
      installationKey: key,
      bus: new DomainBus(pino({ level: 'silent' })),
      clock: { now: () => T0 },
    });
    levels = (await store.db.selectFrom('access_levels').select('id').orderBy('id').execute()).map(
      (r) => r.id,
    );
    schedules = (await store.db.selectFrom('schedules').select('id').orderBy('id').execute()).map(
      (r) => r.id,
    );
    doors = (await store.db.selectFrom('doors').select('id').orderBy('id').execute()).map((r) => r.id);
  }, 120_000);

  afterAll(async () => {
    service?.close();
    await store?.close();
    await cleanup?.();
  });

  const interval = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 1, max: 24 }))
    .filter(([a, b]) => a < b)
    .map(([a, b]) => `${String(a).padStart(2, '0')}:00-${String(b).padStart(2, '0')}:00`);

  const change = (): fc.Arbitrary<ProposedChange> =>
    fc.oneof(
      fc.record({
        resource: fc.constant('access_level' as const),
        id: fc.constantFrom(...levels),
        patch: fc.record(
          {
            doors: fc.uniqueArray(fc.constantFrom(...doors), { maxLength: 8 }),
            scheduleId: fc.option(fc.constantFrom(...schedules), { nil: null }),
            maxThreatLevel: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
          },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        resource: fc.constant('schedule' as const),
        id: fc.constantFrom(...schedules),
        patch: fc.record({
          weekly: fc.dictionary(fc.constantFrom(...DAYS), fc.array(interval, { minLength: 1, maxLength: 1 })),
        }),
      }),
    );

  it('gives the same answer for generated changes', async () => {
    let differing = 0;
    let fastMs = 0;
    let wholeMs = 0;
    await fc.assert(
      fc.asyncProperty(change(), async (proposed) => {
        let start = performance.now();
        const fast = await service.preview(proposed, 'all');
        fastMs += performance.now() - start;
        start = performance.now();
        const whole = await service.preview(proposed, 'all', undefined, { exhaustive: true });
        wholeMs += performance.now() - start;
        expect(fast).toEqual(whole);
        if (whole.counts.gain + whole.counts.lose > 0) differing++;
      }),
      // Six runs on both engines: each run is two previews of the whole week, slow on a loaded CI machine.
      { numRuns: 6, seed: 12 },
    );
    // The generated changes do change decisions: the comparison is not between two empty answers.
    expect(differing).toBeGreaterThan(0);
    console.log(`preview: holders only ${fastMs.toFixed(0)} ms, whole ${wholeMs.toFixed(0)} ms`);
  }, 480_000);

  it('refuses an invalid change the same way, saving nothing', async () => {
    const level = levels[0]!;
    const before = await store.db
      .selectFrom('access_level_doors')
      .select('door_id')
      .where('level_id', '=', level)
      .orderBy('door_id')
      .execute();
    await expect(
      service.preview({ resource: 'access_level', id: level, patch: { doors: ['nope'] } }, 'all'),
    ).rejects.toMatchObject({ kind: 'unknown_reference', field: 'doors[0]' }); // the endpoint's 400
    await service.preview({ resource: 'access_level', id: level, patch: { doors: [] } }, 'all');
    const after = await store.db
      .selectFrom('access_level_doors')
      .select('door_id')
      .where('level_id', '=', level)
      .orderBy('door_id')
      .execute();
    expect(after).toEqual(before);
  });
});
