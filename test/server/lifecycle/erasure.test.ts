// A person's own data export and the erasure of a person, through the real server (composition root,
// SQLite file, SCIM for the directory attributes). Rules shown here:
// - the export holds everything about the person (JSON and CSV), is audited, and is scoped;
// - erasure deletes and revokes at once (person.deleted), pseudonymises every reference that stays,
//   and `audit verify` still finds both chains intact — with the pseudonym, not the person, in them;
// - the person's sealed directory attributes cannot be opened with any key left (crypto-shredding),
//   and neither the database file nor its write-ahead log holds their name any more;
// - the signed certificate verifies; a tampered one does not.
import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorKeys, verifyChains, writeCheckpoint } from '../../../src/server/audit/anchors.ts';
import { verifyCertificate } from '../../../src/server/lifecycle/certificate.ts';
import { lifecycleDb } from '../../../src/server/lifecycle/tables.ts';
import { openSealed } from '../../../src/server/lifecycle/vault.ts';
import { EventStore } from '../../../src/server/storage/events.ts';
import { type Api, KEY, startApi } from '../api/support.ts';

const NAME = 'Watanabe Kotoriko';
const MAIL = 'kotoriko.watanabe@example.com';

describe('a person’s data: export and erasure', () => {
  let api: Api;
  let personId = '';
  let anchorFile = '';
  let sealedBefore = '';
  const keys = anchorKeys(KEY);

  beforeAll(async () => {
    api = await startApi();
    anchorFile = join(api.dir, 'anchors', 'checkpoints.jsonl');
    const { token } = (await api.post('admin', '/api/directory/scim-token', undefined)).json();
    const scim = (
      await api.app.inject({
        method: 'POST',
        url: '/scim/v2/Users',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        payload: JSON.stringify({
          userName: MAIL,
          displayName: NAME,
          emails: [{ value: MAIL, type: 'work' }],
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'sales' },
        }),
      })
    ).json();
    personId = scim.id;
    expect(
      (
        await api.post('admin', '/api/credentials', {
          id: 'kotoriko-card',
          personId,
          type: 'card',
          identifier: 'C-424242',
        })
      ).statusCode,
    ).toBe(201);
    expect((await api.post('admin', '/api/people', { id: 'other', name: 'Someone Else' })).statusCode).toBe(
      201,
    );
    await new EventStore(api.store.db, keys.events).append(
      [1, 2, 3].map((seq) => ({
        controllerId: 'ctl-1',
        seq,
        at: api.now + seq,
        type: 'access.granted',
        door: 'D1',
        personId: seq === 2 ? 'other' : personId,
        detail: { credential: seq === 2 ? 'other-card' : 'kotoriko-card' },
      })),
    );
    const row = await lifecycleDb(api.store.db)
      .selectFrom('scim_users')
      .select('attributes')
      .where('person_id', '=', personId)
      .executeTakeFirstOrThrow();
    sealedBefore = row.attributes;
    await writeCheckpoint(api.store.db, keys, anchorFile, api.now);
  });
  afterAll(async () => {
    await api.close();
  });

  it('exports everything about the person as JSON and CSV, audited and scoped', async () => {
    const json = await api.get('admin', `/api/lifecycle/people/${personId}/export`);
    expect(json.statusCode).toBe(200);
    const data = json.json();
    expect(data.person).toMatchObject({ id: personId, name: NAME, department: 'sales' });
    expect(data.directory).toMatchObject({ userName: MAIL, emails: [{ value: MAIL, type: 'work' }] });
    expect(data.credentials).toEqual([
      expect.objectContaining({ id: 'kotoriko-card', type: 'card', identifier: '••••4242' }),
    ]);
    expect(data.events).toHaveLength(2);
    expect(data.audit.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining(['person.create', 'credential.create']),
    );
    const csv = await api.get('admin', `/api/lifecycle/people/${personId}/export.csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.startsWith('\uFEFFsection,at,what,value\r\n')).toBe(true);
    expect(csv.body).toContain(NAME);
    expect(csv.body.split('\r\n').filter((l) => l.startsWith('event,'))).toHaveLength(2);
    const exports = await api.store.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'person.export')
      .execute();
    expect(exports.map((e) => JSON.parse(e.detail).format)).toEqual(['json', 'csv']);
    // An operator of another department does not see the person.
    expect((await api.get('tokyoOp', `/api/lifecycle/people/${personId}/export`)).statusCode).toBe(404);
  });

  it('erases the person: revoked, pseudonymised, chains intact, certificate signed', async () => {
    expect((await api.post('salesOp', `/api/lifecycle/people/${personId}/erasure`, {})).statusCode).toBe(403);
    const published = api.events.length;
    const answer = await api.post('admin', `/api/lifecycle/people/${personId}/erasure`, {
      reason: 'left the company; request of 2026-04-01',
    });
    expect(answer.statusCode).toBe(201);
    const certificate = answer.json();
    expect(certificate).toMatchObject({
      kind: 'person',
      subject: expect.stringMatching(/^erased-[0-9a-f]{16}$/),
      by: { actor: 'admin-1' },
    });
    expect(
      Object.fromEntries(
        certificate.erased.map((e: { what: string; count: number }) => [e.what.split(' (')[0], e.count]),
      ),
    ).toMatchObject({
      'person record': 1,
      credentials: 1,
      'directory attributes': 1,
      'access events naming the person': 2,
    });
    // Revoked at once: the deletion was published for the revocation fan-out.
    expect(api.events.slice(published).map((p) => p.event)).toContainEqual({
      type: 'person.deleted',
      person: personId,
    });
    expect((await api.get('admin', `/api/people/${personId}`)).statusCode).toBe(404);

    // Nothing names the person any more; the pseudonym stands in, and the chains verify.
    const everything = JSON.stringify(
      await Promise.all(
        ['people', 'credentials', 'events', 'audit_log', 'presence', 'person_keys', 'scim_users'].map((t) =>
          api.store.db
            .selectFrom(t as 'people')
            .selectAll()
            .execute(),
        ),
      ),
    );
    for (const gone of [personId, NAME, MAIL, 'kotoriko-card', 'C-424242'])
      expect(everything).not.toContain(gone);
    expect(everything).toContain(certificate.subject);
    const pseudonymised = await api.store.db
      .selectFrom('events')
      .select('person_id')
      .orderBy('seq')
      .execute();
    expect(pseudonymised.map((e) => e.person_id)).toEqual([
      certificate.subject,
      'other',
      certificate.subject,
    ]);
    const report = await verifyChains(api.store.db, keys, anchorFile);
    expect(report.spans).toEqual([]);
    expect(report.ok).toBe(true);
    const erasure = await api.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'person.erase')
      .executeTakeFirstOrThrow();
    expect(erasure.target).toBe(`person:${certificate.subject}`);

    // A sealed record changed afterwards is still found.
    const sealed = await api.store.db
      .selectFrom('events')
      .select('id')
      .where('person_id', '=', certificate.subject)
      .limit(1)
      .executeTakeFirstOrThrow();
    await api.store.db.updateTable('events').set({ door: 'D9' }).where('id', '=', sealed.id).execute();
    expect((await verifyChains(api.store.db, keys, anchorFile)).spans).toEqual([
      expect.objectContaining({ problem: 'changed' }),
    ]);
    await api.store.db.updateTable('events').set({ door: 'D1' }).where('id', '=', sealed.id).execute();

    // The certificate verifies, is kept, and fails once tampered with.
    expect(verifyCertificate(certificate)).toMatchObject({ ok: true, signature: true });
    expect(verifyCertificate(certificate, certificate.key.fingerprint).keyMatches).toBe(true);
    expect((await api.get('auditor', '/api/lifecycle/certificates')).json().items).toEqual([certificate]);
    const tampered = structuredClone(certificate);
    tampered.erased[1].count = 0;
    expect(verifyCertificate(tampered)).toMatchObject({ ok: false, signature: false });
    expect(verifyCertificate({ ...certificate, at: '2020-01-01T00:00:00.000Z' }).ok).toBe(false);
    expect(verifyCertificate(certificate, 'ab'.repeat(32))).toMatchObject({ ok: false, keyMatches: false });
  });

  it('leaves the directory attributes unreadable with every key that is left', async () => {
    // The vault key (derived from the installation key) and every remaining person's data key.
    const remaining = await lifecycleDb(api.store.db).selectFrom('person_keys').selectAll().execute();
    const { hkdfSync } = await import('node:crypto');
    const vaultKey = Buffer.from(hkdfSync('sha256', KEY, 'monban', 'personal data vault key v1', 32));
    const candidates: Buffer[] = [vaultKey, Buffer.from(KEY) as Buffer];
    for (const row of remaining) {
      const key = openSealed(vaultKey, row.wrapped, `monban person key v1\0${row.person_id}`);
      if (key) candidates.push(key as Buffer);
    }
    expect(candidates.length).toBeGreaterThanOrEqual(2);
    for (const key of candidates)
      expect(openSealed(key, sealedBefore, `monban person data v1\0${personId}`)).toBeUndefined();
    // Brute force over the AAD would not help either: AES-GCM with a wrong key never authenticates.
    const [, iv, tag, body] = sealedBefore.split('.');
    for (const key of candidates) {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
      decipher.update(Buffer.from(body!, 'base64url'));
      expect(() => decipher.final()).toThrow();
    }
    // Neither the database file nor its write-ahead log still holds the name (secure_delete, WAL truncated).
    const bytes = (file: string) => {
      try {
        return readFileSync(join(api.dir, file)).toString('utf8');
      } catch {
        return '';
      }
    };
    expect(bytes('monban.db') + bytes('monban.db-wal')).not.toContain(NAME);
  });
});
