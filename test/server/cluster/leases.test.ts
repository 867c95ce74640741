// Rule: every controller's coordinator is owned by at most one server instance at a time — of two
// instances reaching for the same controllers at once each controller goes to exactly one — the
// controllers are shared out evenly, and a dead instance's are taken over once its leases run out.
// On PostgreSQL (the only engine several instances share); skipped without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseTable } from '../../../src/server/cluster/leases.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { backends } from '../storage/backends.ts';

const postgres = backends.find((b) => b.name === 'PostgreSQL');
const CONTROLLERS = ['c1', 'c2', 'c3', 'c4', 'c5'];

describe.skipIf(!postgres)('coordinator leases on PostgreSQL', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await postgres!.open());
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('gives each controller to exactly one of two instances racing, shares evenly, and takes over a dead one’s', async () => {
    const a = new LeaseTable(store.db, { instanceId: 'a', leaseMs: 2_000 });
    const b = new LeaseTable(store.db, { instanceId: 'b', leaseMs: 2_000 });
    // Both reach for everything at once: no controller is owned twice.
    await Promise.all([a.round(CONTROLLERS), b.round(CONTROLLERS)]);
    for (const c of CONTROLLERS) expect(Number(a.owns(c)) + Number(b.owns(c))).toBeLessThanOrEqual(1);
    // A few rounds: all owned, two or three each.
    for (let i = 0; i < 3; i++) {
      await a.round(CONTROLLERS);
      await b.round(CONTROLLERS);
    }
    const owners = await a.owners();
    expect(owners.size).toBe(5);
    expect([a.owned.size, b.owned.size].sort()).toEqual([2, 3]);
    for (const c of CONTROLLERS) expect(Number(a.owns(c)) + Number(b.owns(c))).toBe(1);
    // a stops renewing (it died): once its leases run out, b takes everything, each lease changing hands.
    const aHad = [...a.owned];
    await new Promise((r) => setTimeout(r, 1_200));
    await b.round(CONTROLLERS); // b keeps renewing, a does not
    await new Promise((r) => setTimeout(r, 1_200));
    const changes = await b.round(CONTROLLERS);
    expect(changes.acquired.sort()).toEqual(aHad.sort());
    expect(b.owned.size).toBe(5);
    expect(a.owns(aHad[0]!)).toBe(false); // its own view ran out too
    const after = await b.owners();
    for (const c of aHad) expect(after.get(c)).toMatchObject({ owner: 'b', epoch: 2 });
    // A clean stop gives everything back at once.
    await b.releaseAll();
    expect((await a.owners()).size).toBe(0);
  });
});
