// The storage of single sign-on on SQLite and PostgreSQL: an identity is linked to at most one
// operator; a pending sign-in is taken exactly once, even by two callbacks at the same time; e-mail
// lookup ignores letter case.
import { afterEach, describe, expect, it } from 'vitest';
import { securityDb } from '../../../src/server/auth/context.ts';
import {
  deleteOidcLink,
  findOperatorByOidcLink,
  findOperatorsByEmail,
  getOidcLink,
  putPendingOidcLogin,
  setOidcLink,
  takePendingOidcLogin,
} from '../../../src/server/auth/oidc-store.ts';
import { createOperator, updateOperator } from '../../../src/server/auth/store.ts';
import { backends } from '../storage/backends.ts';

const ISSUER = 'https://idp.example.jp';
const NOW = Date.parse('2026-12-02T09:00:00Z');

for (const backend of backends) {
  describe(`single sign-on storage on ${backend.name}`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => cleanup?.());

    async function open() {
      const opened = await backend.open();
      cleanup = async () => {
        await opened.store.close();
        await opened.cleanup();
      };
      const db = securityDb(opened.store.db);
      const make = (username: string) =>
        createOperator(db, { username, role: 'admin', passwordHash: 'x' }, NOW);
      return { db, make };
    }

    it('links an identity to one operator only, and finds the operator by it', async () => {
      const { db, make } = await open();
      const a = await make('a');
      const b = await make('b');
      await setOidcLink(db, a.id, { issuer: ISSUER, subject: 's-1' }, NOW);
      expect((await findOperatorByOidcLink(db, ISSUER, 's-1'))?.id).toBe(a.id);
      expect(await findOperatorByOidcLink(db, 'https://other.example', 's-1')).toBeUndefined();
      await expect(setOidcLink(db, b.id, { issuer: ISSUER, subject: 's-1' }, NOW)).rejects.toMatchObject({
        code: 'OIDC_LINK_TAKEN',
      });
      // Re-linking replaces the operator's own link.
      await setOidcLink(db, a.id, { issuer: ISSUER, subject: 's-2' }, NOW);
      expect(await getOidcLink(db, a.id)).toMatchObject({ subject: 's-2' });
      expect(await findOperatorByOidcLink(db, ISSUER, 's-1')).toBeUndefined();
      expect(await deleteOidcLink(db, a.id)).toBe(true);
      expect(await deleteOidcLink(db, a.id)).toBe(false);
    });

    it('takes a pending sign-in exactly once, also when two callbacks race', async () => {
      const { db } = await open();
      const pending = { state: 'st', nonce: 'no', verifierEnc: 've', expiresAt: NOW + 60_000 };
      await putPendingOidcLogin(db, 'h1', pending, NOW);
      const taken = await Promise.all([takePendingOidcLogin(db, 'h1'), takePendingOidcLogin(db, 'h1')]);
      expect(taken.filter(Boolean)).toEqual([pending]);
      expect(await takePendingOidcLogin(db, 'h1')).toBeUndefined();
    });

    it('clears expired pending sign-ins when a new one starts', async () => {
      const { db } = await open();
      await putPendingOidcLogin(
        db,
        'old',
        { state: 's', nonce: 'n', verifierEnc: 'v', expiresAt: NOW + 1 },
        NOW,
      );
      await putPendingOidcLogin(
        db,
        'new',
        { state: 's', nonce: 'n', verifierEnc: 'v', expiresAt: NOW + 99 },
        NOW + 2,
      );
      expect(await takePendingOidcLogin(db, 'old')).toBeUndefined();
      expect(await takePendingOidcLogin(db, 'new')).toBeDefined();
    });

    it('finds operators by e-mail whatever its letter case', async () => {
      const { db, make } = await open();
      const a = await make('mail-a');
      await updateOperator(db, a.id, { email: 'Mail.A@Example.JP' }, NOW);
      expect((await findOperatorsByEmail(db, 'mail.a@example.jp')).map((o) => o.id)).toEqual([a.id]);
      expect(await findOperatorsByEmail(db, 'nobody@example.jp')).toEqual([]);
    });
  });
}
