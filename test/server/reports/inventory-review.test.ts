// Rule: the 棚卸 lists credentials unused for N days (from the doors they actually opened), people
// marked as left who still hold active credentials, expired guest keys, and operators and API tokens
// unused for N days (that section needs operators:read); the access review lists who can enter an
// area or door, through which level or group and since when, and a review checkpoint makes the next
// "changes" list exactly what was added or removed since. Each is JSON and CSV, and audited.
// The data: three working days simulated through real agents and the ingest.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../../src/server/audit/store.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { sha256Hex } from '../../../src/server/auth/secrets.ts';
import { createApiToken, createOperator } from '../../../src/server/auth/store.ts';
import { parseCsv } from '../../../src/server/csv/rfc4180.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { type ReportSite, startReportSite } from '../../support/report-site.ts';
import { KEY } from '../api/support.ts';

let site: ReportSite;
beforeAll(async () => {
  site = await startReportSite();
  await site.days('2026-04-01', '2026-04-03');
}, 180_000);
afterAll(() => site.close());

const DAY = 86_400_000;

describe('stale-credential inventory (棚卸)', () => {
  it('lists active credentials unused for N days, from the doors they opened', async () => {
    const now = site.api.now;
    const cutoff = now - DAY;
    const lastGrant = new Map<string, number>();
    for (const l of site.log) if (l.result === 'grant') lastGrant.set(l.person, l.at);
    const expected = site.people
      .filter((p) => p.active !== false && !p.expiredKey)
      .filter((p) => (lastGrant.get(p.id) ?? 0) < cutoff)
      .map((p) => `${p.id}-card`);
    const body = (await site.api.get('auditor', '/api/reports/inventory/unused?days=1')).json();
    expect(body.credentials.map((c: { credentialId: string }) => c.credentialId).sort()).toEqual(
      // The expired key was never used either; it counts as unused too (and as expired, below).
      [...expected, 'V001-card'].sort(),
    );
    const all = (await site.api.get('auditor', '/api/reports/inventory/unused?days=30')).json();
    expect(all.credentials).toEqual([]);
    const used = (await site.api.get('auditor', '/api/reports/inventory/unused?days=1')).json().credentials;
    for (const c of used.filter((x: { personId: string }) => lastGrant.has(x.personId)))
      expect(Date.parse(c.lastUsedAt)).toBe(lastGrant.get(c.personId));
  });

  it('lists people who left with active credentials, and expired keys', async () => {
    const left = (await site.api.get('auditor', '/api/reports/inventory/left')).json();
    expect(left.credentials).toEqual([
      expect.objectContaining({ credentialId: 'E099-card', credential: 'card:C-1099', personActive: false }),
    ]);
    expect(left.credentials[0].leftAt).not.toBeNull();
    const expired = (await site.api.get('auditor', '/api/reports/inventory/expired')).json();
    expect(expired.credentials).toEqual([
      expect.objectContaining({ credentialId: 'V001-card', type: 'key', credential: 'key:K-9001' }),
    ]);
    const csv = await site.api.get('auditor', '/api/reports/inventory/left/csv?encoding=shift_jis&header=ja');
    const rows = parseCsv(iconv.decode(csv.rawPayload, 'cp932')).map((r) => r.fields);
    expect(rows[0]![0]).toBe('認証情報ID');
    expect(rows[1]!.slice(0, 6)).toEqual(['E099-card', 'card:C-1099', 'card', 'active', 'E099', '退職 太郎']);
  });

  it('lists operators who have not logged in for N days and unused API tokens, for those who may see them', async () => {
    const db = securityDb(site.api.store.db);
    const now = site.api.now;
    const stale = await createOperator(
      db,
      { username: 'stale-op', role: 'operator', passwordHash: 'x' },
      now - 40 * DAY,
    );
    const active = await createOperator(
      db,
      { username: 'busy-op', role: 'operator', passwordHash: 'x' },
      now - 40 * DAY,
    );
    await recordAudit(site.api.store.db, chainKeys(KEY).audit, {
      at: now - DAY,
      actor: active.id,
      source: '127.0.0.1',
      action: 'login.success',
      target: `operator:${active.id}`,
      detail: {},
    });
    await createApiToken(db, {
      name: 'old integration',
      tokenHash: sha256Hex('mbn_test-old'),
      createdBy: active.id,
      role: 'auditor',
      permissions: ['events:read'],
      scope: 'all',
      createdAt: now - 40 * DAY,
      expiresAt: null,
    });
    const body = (await site.api.get('auditor', '/api/reports/inventory/operators?days=30')).json();
    const ids = body.operators.map((o: { kind: string; name: string }) => `${o.kind}:${o.name}`);
    expect(ids).toContain('operator:stale-op');
    expect(ids).not.toContain('operator:busy-op');
    expect(ids).toContain('token:old integration');
    expect(stale.id).toBeDefined();
    expect((await site.api.get('salesOp', '/api/reports/inventory/operators')).statusCode).toBe(403);
    expect((await site.api.get('salesOp', '/api/reports/inventory/left')).json().credentials).toEqual([]);
    expect((await site.api.get('maintainer', '/api/reports/inventory/left')).statusCode).toBe(403);
    expect((await site.api.get('auditor', '/api/reports/inventory/nothing')).statusCode).toBe(400);
  });
});

describe('access review', () => {
  it('lists who can enter an area, through which level or group, since when', async () => {
    const res = await site.api.get('auditor', '/api/reports/access-review?area=mn-room');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.doors).toEqual(['mn-door']);
    expect(body.items.map((e: { personId: string; via: string }) => [e.personId, e.via])).toEqual(
      ['E001', 'E002', 'E003', 'E004'].map((p) => [p, 'group:mynumber-staff/level:mynumber']),
    );
    expect(body.items[0]).toMatchObject({ level: 'mynumber', group: 'mynumber-staff', schedule: 'business' });
    expect(Date.parse(body.items[0].since)).toBeLessThanOrEqual(Date.parse('2026-03-31T12:00:00+09:00'));
    // The office floor: its way in is the office door, which the whole staff group opens.
    const office = (await site.api.get('auditor', '/api/reports/access-review?area=office&limit=5')).json();
    expect(office.doors).toEqual(['office-door']);
    expect(office.total).toBe(site.people.length);
    expect(office.next).not.toBeNull();
    expect((await site.api.get('auditor', '/api/reports/access-review?door=nope')).json().error.code).toBe(
      'DOOR_NOT_FOUND',
    );
    expect((await site.api.get('auditor', '/api/reports/access-review')).statusCode).toBe(400);
  });

  it('records review checkpoints and lists the changes since the last one', async () => {
    expect(
      (await site.api.get('auditor', '/api/reports/access-review/changes?area=mn-room')).statusCode,
    ).toBe(404);
    const checkpoint = await site.api.post('auditor', '/api/reports/access-review/checkpoints', {
      area: 'mn-room',
      note: '2026年4月 定期レビュー',
    });
    expect(checkpoint.statusCode, checkpoint.body).toBe(201);
    expect(checkpoint.json()).toMatchObject({ subject: 'area:mn-room', entries: 4, actor: 'aud-1' });
    expect(
      (await site.api.post('salesOp', '/api/reports/access-review/checkpoints', { area: 'mn-room' }))
        .statusCode,
    ).toBe(403);

    site.api.now += DAY;
    const grantedAt = site.api.now;
    expect((await site.api.patch('admin', '/api/people/E010', { levels: ['mynumber'] })).statusCode).toBe(
      200,
    );
    expect((await site.api.patch('admin', '/api/people/E004', { groups: ['staff'] })).statusCode).toBe(200);

    const changes = (await site.api.get('auditor', '/api/reports/access-review/changes?area=mn-room')).json();
    expect(changes.checkpoint).toMatchObject({ id: checkpoint.json().id, note: '2026年4月 定期レビュー' });
    expect(changes.changes).toEqual([
      { change: 'added', personId: 'E010', name: '社員 10号', doorId: 'mn-door', via: 'level:mynumber' },
      {
        change: 'removed',
        personId: 'E004',
        name: '社員 4号',
        doorId: 'mn-door',
        via: 'group:mynumber-staff/level:mynumber',
      },
    ]);
    const now = (await site.api.get('auditor', '/api/reports/access-review?area=mn-room')).json().items;
    const e010 = now.find((e: { personId: string }) => e.personId === 'E010');
    expect(Date.parse(e010.since)).toBe(grantedAt);

    const list = (
      await site.api.get('auditor', '/api/reports/access-review/checkpoints?area=mn-room')
    ).json();
    expect(list.items).toHaveLength(1);
    const csv = await site.api.get('auditor', '/api/reports/access-review/changes/csv?area=mn-room');
    const rows = parseCsv(csv.rawPayload.subarray(3).toString('utf8')).map((r) => r.fields);
    expect(rows).toEqual([
      ['change', 'person_id', 'name', 'door_id', 'via'],
      ['added', 'E010', '社員 10号', 'mn-door', 'level:mynumber'],
      ['removed', 'E004', '社員 4号', 'mn-door', 'group:mynumber-staff/level:mynumber'],
    ]);
    const review = await site.api.get('auditor', '/api/reports/access-review/csv?door=mn-door&header=ja');
    expect(parseCsv(review.rawPayload.subarray(3).toString('utf8'))[0]!.fields[0]).toBe('利用者ID');

    const audit = await site.api.store.db
      .selectFrom('audit_log')
      .select(['action', 'target'])
      .where('action', 'like', 'report.access_review%')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'report.access_review',
        'report.access_review_checkpoint',
        'report.access_review_changes',
      ]),
    );
  });
});
