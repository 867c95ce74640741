// Rule: a use a controller granted offline, without a claim, is counted at the server exactly once
// — when its event is stored, in the same transaction — whatever the batch carries twice, however
// often it is resent, and even past the limit (what was granted offline was granted). Credentials
// and time-limited keys alike; a credential without a limit counts nothing. Both engines.

import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialIdHash } from '../../../src/contracts/credential-key.ts';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { AlarmService } from '../../../src/server/alarms/service.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { controllerAlarms } from '../../../src/server/controllers/controller-alarms.ts';
import type { EventIngest } from '../../../src/server/controllers/ingest.ts';
import type { KeyTables } from '../../../src/server/keys/tables.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import { standaloneIngest } from '../../support/event-ingest.ts';
import { backends } from '../storage/backends.ts';

const KEY = new Uint8Array(32).fill(5);
const CREDENTIAL_KEY = new Uint8Array(32).fill(6);
const T0 = Date.parse('2026-05-11T08:00:00Z');
const logger = pino({ level: 'silent' });
const cardHash = (identifier: string) => credentialIdHash(CREDENTIAL_KEY, 'card', identifier);
const KEY_HASH = 'ab'.repeat(32);

const use = (seq: number, credential: string, unclaimed = true): ControllerEvent => ({
  seq,
  at: T0 + seq,
  type: 'access',
  door: 'D1',
  detail: {
    result: 'grant',
    reason: 'granted',
    side: 'in',
    credential,
    ...(unclaimed && { unclaimedUse: true }),
  },
});

for (const backend of backends)
  describe(`uses granted offline, counted at ingest on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let ingest: EventIngest;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      const card = (id: string, identifier: string, maxUses: number | null) => ({
        id,
        person_id: 'person-1',
        type: 'card',
        identifier,
        pin_hash: null,
        duress_pin_hash: null,
        state: 'active',
        valid_from: null,
        valid_until: null,
        max_uses: maxUses,
        uses: 0,
        label: null,
        ref_hash: cardHash(identifier),
        created_at: T0,
        updated_at: null,
      });
      await store.db
        .insertInto('people')
        .values({
          id: 'person-1',
          name: 'Person 1',
          department: null,
          site: null,
          active: 1,
          left_at: null,
          created_at: T0,
          updated_at: T0,
        })
        .execute();
      await store.db
        .insertInto('credentials')
        .values([card('cred-limited', 'C-1', 3), card('cred-free', 'C-2', null)])
        .execute();
      await (store.db as unknown as Kysely<KeyTables>)
        .insertInto('access_keys')
        .values({
          id: 'key-1',
          kind: 'key',
          holder_kind: 'guest',
          holder_id: 'guest-1',
          sponsor: 'op-1',
          label: null,
          doors: '["D1"]',
          areas: '[]',
          valid_from: T0 - 1,
          valid_until: T0 + 86_400_000,
          weekdays: '[]',
          windows: '[]',
          max_uses: 2,
          valid_for_minutes: null,
          first_used_at: null,
          state: 'active',
          ref_hash: KEY_HASH,
          reservation_id: null,
          recipient_person_id: null,
          created_at: T0,
          updated_at: T0,
          revoked_at: null,
        })
        .execute();
      const repos = repositories(store.db, KEY);
      const raise = controllerAlarms(
        new AlarmService(securityDb(store.db), logger, { now: () => T0 }),
        'main',
        logger,
      );
      ingest = standaloneIngest(store.db, repos, raise, {
        credentialKey: CREDENTIAL_KEY,
        eventKey: chainKeys(KEY).events,
      });
    });
    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    const uses = async () => {
      const credentials = await store.db
        .selectFrom('credentials')
        .select(['id', 'uses'])
        .orderBy('id')
        .execute();
      const key = await (store.db as unknown as Kysely<KeyTables>)
        .selectFrom('access_keys')
        .select('uses')
        .where('id', '=', 'key-1')
        .executeTakeFirstOrThrow();
      return {
        ...Object.fromEntries(credentials.map((c) => [c.id, Number(c.uses)])),
        'key-1': Number(key.uses),
      };
    };

    it('counts each new use once, in the batch that stores it, whatever comes twice', async () => {
      const limited = `card:${cardHash('C-1')}`;
      const a = [
        use(1, limited),
        use(2, limited),
        use(1, limited), // the same sequence twice in one batch: one event, one use
        use(3, `card:${cardHash('C-2')}`), // no limit: nothing to count
        use(4, `key:${KEY_HASH}`),
        use(5, limited, false), // claimed online: counted by its claim, not here
      ];
      const b = [use(1, limited)];
      // Two controllers at once: their batches may share a group (one transaction).
      const [newA, newB] = await Promise.all([ingest.ingest('ctl-a', a), ingest.ingest('ctl-b', b)]);
      expect(newA.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(newB.map((e) => e.seq)).toEqual([1]);
      expect(await uses()).toEqual({ 'cred-free': 0, 'cred-limited': 3, 'key-1': 1 });
      // Resent (the acknowledgement was lost): stored already, counted already.
      await Promise.all([ingest.ingest('ctl-a', a), ingest.ingest('ctl-b', b)]);
      expect(await uses()).toEqual({ 'cred-free': 0, 'cred-limited': 3, 'key-1': 1 });
    });

    it('counts past the limit: a use granted offline was granted', async () => {
      await ingest.ingest('ctl-b', [use(2, `card:${cardHash('C-1')}`), use(3, `key:${KEY_HASH}`)]);
      await ingest.ingest('ctl-b', [use(4, `key:${KEY_HASH}`)]);
      expect(await uses()).toEqual({ 'cred-free': 0, 'cred-limited': 4, 'key-1': 3 });
    });
  });
