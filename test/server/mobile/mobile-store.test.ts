// The mobile key store on every backend (SQLite always, PostgreSQL with MONBAN_TEST_DATABASE_URL):
// an invitation registers one device, even with two takers at once; a challenge opens once, and a
// second answer is told apart (a replay) from an unknown or expired one; a device asking for many
// challenges keeps only the newest few; device keys are found by the hash controllers know them by.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendNumbered, MOBILE_EVENT_SOURCE } from '../../../src/server/mobile/events.ts';
import { CHALLENGES_PER_DEVICE, MobileStore } from '../../../src/server/mobile/store.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { EventStore } from '../../../src/server/storage/events.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import { backends } from '../storage/backends.ts';

const KEY = new Uint8Array(32).fill(3);
const JWK = { kty: 'EC' as const, crv: 'P-256' as const, x: 'x'.repeat(43), y: 'y'.repeat(43) };

for (const backend of backends)
  describe(`mobile store on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let mobile: MobileStore;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      mobile = new MobileStore(store.db);
      const repos = repositories(store.db, KEY);
      await repos.people.create({ id: 'alice', name: 'Alice' }, 1);
      await repos.credentials.create(
        {
          id: 'md-aaaaaaaaaaaaaaaaaaaaaa',
          personId: 'alice',
          type: 'mobile',
          identifier: 'md-aaaaaaaaaaaaaaaaaaaaaa',
        },
        1,
      );
    }, 60_000);
    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('registers one device per invitation, also with two takers at once', async () => {
      await mobile.createInvitation({
        id: 'mi-1',
        tokenHash: 'h'.repeat(64),
        personId: 'alice',
        createdBy: 'admin',
        label: null,
        expiresAt: 10_000,
        now: 1,
      });
      expect(await mobile.openInvitation('h'.repeat(64), 9_999)).toBe('mi-1');
      expect(await mobile.openInvitation('h'.repeat(64), 10_000)).toBeUndefined();
      const takers = await Promise.all([
        mobile.consumeInvitation('h'.repeat(64), 5),
        mobile.consumeInvitation('h'.repeat(64), 5),
      ]);
      expect(takers.filter((t) => t !== undefined)).toEqual([{ id: 'mi-1', personId: 'alice', label: null }]);
      expect(await mobile.consumeInvitation('h'.repeat(64), 6)).toBeUndefined();

      await mobile.addDevice({
        credentialId: 'md-aaaaaaaaaaaaaaaaaaaaaa',
        personId: 'alice',
        refHash: 'r'.repeat(64),
        publicKey: JWK,
        deviceName: 'Pixel',
        invitationId: 'mi-1',
        now: 7,
      });
      expect(await mobile.devicesOf('alice')).toEqual([
        expect.objectContaining({
          id: 'md-aaaaaaaaaaaaaaaaaaaaaa',
          deviceName: 'Pixel',
          state: 'active',
          publicKey: JWK,
        }),
      ]);
      expect(await mobile.publicKeysByHash(['r'.repeat(64), 's'.repeat(64)])).toEqual(
        new Map([['r'.repeat(64), JWK]]),
      );
    });

    it('opens a challenge once, and knows a second answer for a replay', async () => {
      const device = 'md-aaaaaaaaaaaaaaaaaaaaaa';
      await mobile.addChallenge({
        nonce: 'n1',
        credential_id: device,
        door: 'D1',
        issued_at: 100,
        expires_at: 200,
        used_at: null,
      });
      const expect1 = { credentialId: device, door: 'D1', issuedAt: 100 };
      expect(await mobile.consumeChallenge('n1', { ...expect1, door: 'D2' }, 150)).toBe('gone');
      expect(await mobile.consumeChallenge('n1', { ...expect1, issuedAt: 101 }, 150)).toBe('gone');
      const both = await Promise.all([
        mobile.consumeChallenge('n1', expect1, 150),
        mobile.consumeChallenge('n1', expect1, 150),
      ]);
      expect(both.sort()).toEqual(['ok', 'replayed']);
      expect(await mobile.consumeChallenge('n1', expect1, 160)).toBe('replayed');
      await mobile.addChallenge({
        nonce: 'n2',
        credential_id: device,
        door: 'D1',
        issued_at: 300,
        expires_at: 400,
        used_at: null,
      });
      expect(await mobile.consumeChallenge('n2', { ...expect1, issuedAt: 300 }, 400)).toBe('gone');
      expect(await mobile.consumeChallenge('unknown', expect1, 150)).toBe('gone');
    });

    it('forgets everything of a deleted person: devices, invitations, challenges', async () => {
      const repos = repositories(store.db, KEY);
      await repos.people.create({ id: 'dave', name: 'Dave' }, 1);
      await mobile.createInvitation({
        id: 'mi-d',
        tokenHash: 'd'.repeat(64),
        personId: 'dave',
        createdBy: 'admin',
        label: null,
        expiresAt: 10_000,
        now: 1,
      });
      await mobile.addDevice({
        credentialId: 'md-dddddddddddddddddddddd',
        personId: 'dave',
        refHash: 'e'.repeat(64),
        publicKey: JWK,
        deviceName: 'Dave phone',
        invitationId: 'mi-d',
        now: 2,
      });
      await mobile.addChallenge({
        nonce: 'dn',
        credential_id: 'md-dddddddddddddddddddddd',
        door: 'D1',
        issued_at: 3,
        expires_at: 9e9,
        used_at: null,
      });
      // The person and their credentials are gone first (the deletion's write); then this.
      await repos.people.remove('dave');
      await mobile.forgetPerson('dave');
      const left = await Promise.all(
        (['mobile_devices', 'mobile_invitations'] as const).map((t) =>
          mobile.db.selectFrom(t).select('person_id').where('person_id', '=', 'dave').execute(),
        ),
      );
      expect(left.flat()).toEqual([]);
      expect(
        await mobile.db.selectFrom('mobile_challenges').select('nonce').where('nonce', '=', 'dn').execute(),
      ).toEqual([]);
      expect(await mobile.devicesOf('alice')).toHaveLength(1);
    });

    it('numbers an online open past a number another server took, and keeps both', async () => {
      const events = new EventStore(store.db, chainKeys(KEY).events);
      const open = { at: 5, type: 'access', door: 'D1', personId: 'alice', detail: { result: 'grant' } };
      expect(await appendNumbered(events, open, 5000)).toBe(5000);
      expect(await appendNumbered(events, { ...open, detail: { result: 'deny' } }, 5000)).toBe(5001);
      const stored = await events.search({ personId: 'alice', limit: 10 });
      expect(stored.items.filter((e) => e.controllerId === MOBILE_EVENT_SOURCE)).toHaveLength(2);
      const chain = (await events.verify()).find((v) => v.chain.includes(MOBILE_EVENT_SOURCE));
      expect(chain).toMatchObject({ records: 2, spans: [] });
    });

    it('keeps only the newest challenges a device asked for', async () => {
      const device = 'md-aaaaaaaaaaaaaaaaaaaaaa';
      for (let i = 0; i < CHALLENGES_PER_DEVICE + 5; i++)
        await mobile.addChallenge({
          nonce: `c${i}`,
          credential_id: device,
          door: 'D1',
          issued_at: 1000 + i,
          expires_at: 9e9,
          used_at: null,
        });
      const live = await mobile.db
        .selectFrom('mobile_challenges')
        .select('nonce')
        .where('credential_id', '=', device)
        .where('used_at', 'is', null)
        .execute();
      expect(live).toHaveLength(CHALLENGES_PER_DEVICE);
      expect(live.map((r) => r.nonce)).toContain(`c${CHALLENGES_PER_DEVICE + 4}`);
      expect(live.map((r) => r.nonce)).not.toContain('c0');
    });
  });
