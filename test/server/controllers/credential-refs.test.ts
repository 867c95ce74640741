// Rule: at ingest every credential a controller names by keyed hash becomes its safe reference —
// a card `card:C-…` with its credential id, a PIN-only credential `pin#<id>` (never digits), a
// time-limited key `key#<id>`, a card stored before ref hashes existed once its hash is backfilled,
// and a hash no one holds `card:#<first 8 hex>` — on every backend, for batches larger than any
// statement's chunk, and an event naming no hash passes unchanged. A credential written in a
// transaction still open elsewhere (and then rolled back) is never what an event is named after.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialIdHash, pinHash } from '../../../src/contracts/credential-key.ts';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { resolveCredentialRefs } from '../../../src/server/controllers/credential-refs.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { backends } from '../storage/backends.ts';

const KEY = new Uint8Array(32).fill(5);
const T = Date.parse('2026-11-02T09:00:00Z');
const CARDS = 700;

const access = (seq: number, credential: string): ControllerEvent =>
  ({
    seq,
    at: T + seq,
    type: 'access',
    door: 'door-1',
    detail: { result: 'grant', reason: 'granted', credential },
  }) as ControllerEvent;

const credentialRow = (id: string, type: string, identifier: string, refHash: string | null) => ({
  id,
  person_id: 'p-1',
  type,
  identifier,
  pin_hash: null,
  duress_pin_hash: null,
  state: 'active',
  valid_from: null,
  valid_until: null,
  max_uses: null,
  uses: 0,
  label: null,
  ref_hash: refHash,
  created_at: T,
  updated_at: null,
});

describe.each(backends)('credential references at ingest on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const pin = pinHash(KEY, '4711');

  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
    await store.db
      .insertInto('people')
      .values({
        id: 'p-1',
        name: 'P 1',
        department: null,
        site: null,
        active: 1,
        left_at: null,
        created_at: T,
        updated_at: T,
      })
      .execute();
    const cards = Array.from({ length: CARDS }, (_, i) =>
      credentialRow(`cred-${i}`, 'card', `C-${i}`, credentialIdHash(KEY, 'card', `C-${i}`)),
    );
    for (let i = 0; i < cards.length; i += 200)
      await store.db
        .insertInto('credentials')
        .values(cards.slice(i, i + 200))
        .execute();
    await store.db
      .insertInto('credentials')
      .values([
        credentialRow('cred-pin', 'pin', pin, null),
        // stored before ref hashes existed: resolved once backfilled
        credentialRow('cred-legacy', 'card', 'L-1', null),
      ])
      .execute();
    await sql`INSERT INTO access_keys (id, kind, holder_kind, holder_id, sponsor, label, doors, areas,
        valid_from, valid_until, weekdays, windows, max_uses, valid_for_minutes, first_used_at, state,
        ref_hash, reservation_id, recipient_person_id, created_at, updated_at, revoked_at)
      VALUES ('key-1', 'visitor', 'person', 'p-1', 'op', null, '[]', '[]', ${T}, ${T + 86_400_000},
        '[]', '[]', null, null, null, 'active', ${credentialIdHash(KEY, 'key', 'K-1')}, null, null,
        ${T}, ${T}, null)`.execute(store.db);
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('resolves cards, a PIN-only credential, a key, a legacy card and an unknown hash in one large batch', async () => {
    const unknown = credentialIdHash(KEY, 'card', 'nobody');
    const batch = [
      ...Array.from({ length: CARDS }, (_, i) =>
        access(i + 1, `card:${credentialIdHash(KEY, 'card', `C-${i}`)}`),
      ),
      access(1001, `pin:${pin}`),
      access(1002, `key:${credentialIdHash(KEY, 'key', 'K-1')}`),
      access(1003, `card:${credentialIdHash(KEY, 'card', 'L-1')}`),
      access(1004, `card:${unknown}`),
      { seq: 1005, at: T, type: 'door', door: 'door-1', detail: { state: 'open' } } as ControllerEvent,
    ];
    const out = await resolveCredentialRefs(store.db, KEY, batch);
    expect(out).toHaveLength(batch.length);
    for (let i = 0; i < CARDS; i++)
      expect(out[i]!.detail).toMatchObject({ credential: `card:C-${i}`, credentialId: `cred-${i}` });
    const bySeq = new Map(out.map((e) => [e.seq, e.detail]));
    expect(bySeq.get(1001)).toMatchObject({ credential: 'pin#cred-pin', credentialId: 'cred-pin' });
    expect(bySeq.get(1002)).toMatchObject({ credential: 'key#key-1', keyId: 'key-1' });
    expect(bySeq.get(1002)).not.toHaveProperty('credentialId');
    expect(bySeq.get(1003)).toMatchObject({ credential: 'card:L-1', credentialId: 'cred-legacy' });
    expect(bySeq.get(1004)).toEqual({
      result: 'grant',
      reason: 'granted',
      credential: `card:#${unknown.slice(0, 8)}`,
    });
    expect(bySeq.get(1005)).toEqual({ state: 'open' });
    expect(JSON.stringify(out)).not.toContain('4711');
    // the legacy card's hash is stored now
    const legacy = await store.db
      .selectFrom('credentials')
      .select('ref_hash')
      .where('id', '=', 'cred-legacy')
      .executeTakeFirstOrThrow();
    expect(legacy.ref_hash).toBe(credentialIdHash(KEY, 'card', 'L-1'));
  });

  it('leaves a batch without hashes as it is, and without the key keeps legacy cards unresolved', async () => {
    const plain = [access(1, 'card:C-1'), access(2, 'pin#cred-pin')];
    expect(await resolveCredentialRefs(store.db, KEY, plain)).toEqual(plain);
    const [again] = await resolveCredentialRefs(store.db, undefined, [
      access(3, `card:${credentialIdHash(KEY, 'card', 'C-3')}`),
    ]);
    expect(again!.detail).toMatchObject({ credential: 'card:C-3', credentialId: 'cred-3' });
  });

  it('never reads a credential from a transaction still open elsewhere', async () => {
    const hash = credentialIdHash(KEY, 'card', 'U-1');
    let inserted!: () => void;
    let release!: () => void;
    const written = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const open = store.db
      .transaction()
      .execute(async (tx) => {
        await tx
          .insertInto('credentials')
          .values(credentialRow('cred-u', 'card', 'U-1', hash))
          .execute();
        inserted();
        await gate;
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await written;
    const resolving = resolveCredentialRefs(store.db, KEY, [access(1, `card:${hash}`)]);
    release();
    await open;
    const [event] = await resolving;
    expect(event!.detail.credential).toBe(`card:#${hash.slice(0, 8)}`);
    expect(event!.detail).not.toHaveProperty('credentialId');
  });
});
