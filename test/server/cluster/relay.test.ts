// Rule: what one server instance tells the others reaches them once each, in order, and a message
// written into the database by someone without the installation key is never acted on (it could
// otherwise have an instance sign and send a command to a controller). PostgreSQL only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRelay, type RelayMessage } from '../../../src/server/cluster/relay.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { waitFor } from '../../support/fleet.ts';
import { backends } from '../storage/backends.ts';

const postgres = backends.find((b) => b.name === 'PostgreSQL');
const KEY = new Uint8Array(32).fill(5);

describe.skipIf(!postgres)('the relay between server instances on PostgreSQL', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await postgres!.open());
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('delivers each message once to the others, and ignores one forged in the database', async () => {
    const heard: RelayMessage[] = [];
    const errors: string[] = [];
    const relay = (instanceId: string) =>
      new ClusterRelay({
        db: store.db,
        installationKey: KEY,
        instanceId,
        url: process.env.MONBAN_TEST_DATABASE_URL!,
        now: Date.now,
        handle: async (m) => {
          if (instanceId === 'b') heard.push(m);
        },
        onError: (e) => errors.push((e as Error).message),
        pollMs: 100,
      });
    const a = relay('a');
    const b = relay('b');
    await a.start();
    await b.start();
    try {
      await a.publish('send', 'ctl-1', { kind: 'command', command: 'restart', reason: 'test' });
      await a.publish('presence', 'ctl-2', { controllerId: 'ctl-2', moves: [] });
      // Someone with database access only: no MAC, and a MAC of their own making.
      await store.db
        .insertInto('cluster_messages')
        .values({
          origin: 'x',
          kind: 'send',
          controller_id: 'ctl-1',
          body: '{"kind":"command","command":"restart"}',
          created_at: Date.now(),
        })
        .execute();
      await store.db
        .insertInto('cluster_messages')
        .values({
          origin: 'x',
          kind: 'send',
          controller_id: 'ctl-1',
          body: '{}',
          created_at: Date.now(),
          mac: 'f'.repeat(64),
        })
        .execute();
      await waitFor('both forged rows to be refused', () => errors.length >= 2, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(heard.map((m) => [m.origin, m.kind, m.controllerId])).toEqual([
        ['a', 'send', 'ctl-1'],
        ['a', 'presence', 'ctl-2'],
      ]);
      expect(heard[0]?.body).toEqual({ kind: 'command', command: 'restart', reason: 'test' });
      expect(errors.every((e) => /MAC does not hold/.test(e))).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
