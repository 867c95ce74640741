// Rule: presence recorded outside a transaction is its own: on SQLite (one connection, lent to one
// transaction at a time) it waits for a transaction open elsewhere instead of joining it, so that
// transaction rolling back does not take the move with it, and reads never see what it had not
// committed. On every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/server/storage/db.ts';
import { PresenceStore } from '../../../src/server/storage/presence.ts';
import { backends } from './backends.ts';

const T = Date.parse('2026-11-02T09:00:00Z');

describe.each(backends)('presence outside a transaction on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('neither joins nor reads a transaction open elsewhere that rolls back', async () => {
    const presence = new PresenceStore(store.db);
    let started!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((resolve) => {
      started = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const open = store.db
      .transaction()
      .execute(async (tx) => {
        await new PresenceStore(tx).recordPassages([
          { person: 'p-other', expectedVersion: 0, area: 'lobby', at: T, controllerId: 'c-1', door: 'd-1' },
        ]);
        started();
        await gate;
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await inside;
    const lost = presence.recordPassages([
      { person: 'p-1', expectedVersion: 0, area: 'lab', at: T, controllerId: 'c-1', door: 'd-2' },
    ]);
    const seen = presence.passages(['p-other']);
    release();
    await open;
    expect(await lost).toEqual(new Set());
    expect((await seen).get('p-other')).toMatchObject({ area: 'outside', version: 0 });
    const after = await presence.passages(['p-1', 'p-other']);
    expect(after.get('p-1')).toMatchObject({ area: 'lab', version: 1, controllerId: 'c-1', door: 'd-2' });
    expect(after.get('p-other')).toMatchObject({ area: 'outside', version: 0 });
  });
});
