// Rule: areas designated My Number 管理区域 / 取扱区域 (an area attribute set through the API) have a
// zone access report with every entry and exit (person, credential safe reference, door, time),
// every denial, every forced or held-open door, and evidence that the record is complete: no
// sequence gaps per controller and an intact event chain — and when an event is removed or changed
// afterwards, the evidence says so. Auditors and admins only; each read is audited.
// The data: a month (April 2026) of working days simulated through real agents and the ingest.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/server/csv/rfc4180.ts';
import { type ReportSite, startReportSite } from '../../support/report-site.ts';

let site: ReportSite;
let days: string[];
beforeAll(async () => {
  site = await startReportSite();
  days = await site.days('2026-04-01', '2026-04-30');
}, 300_000);
afterAll(() => site.close());

const MONTH = 'from=2026-04-01T00:00:00%2B09:00&until=2026-05-01T00:00:00%2B09:00';
const ZONE_DOORS = new Set(['mn-door', 'desk-door']);

type Item = {
  kind: string;
  personId: string | null;
  credential: string | null;
  door: string;
  reason: string | null;
  at: string;
};

async function everyItem(query: string): Promise<{ items: Item[]; first: Record<string, unknown> }> {
  const items: Item[] = [];
  let cursor: string | null = null;
  let first: Record<string, unknown> | undefined;
  do {
    const res = await site.api.get(
      'auditor',
      `/api/reports/my-number/access?${query}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    first ??= body;
    items.push(...body.items);
    cursor = body.next;
  } while (cursor);
  return { items, first: first! };
}

describe('My Number zones', () => {
  it('lists the areas designated 管理区域 and 取扱区域, set through the area API', async () => {
    expect(days.length).toBe(22);
    const res = await site.api.get('nobody', '/api/reports/my-number/zones');
    expect(res.statusCode).toBe(401);
    const zones = (await site.api.get('auditor', '/api/reports/my-number/zones')).json().items;
    expect(zones.map((z: { id: string; myNumberZone: string }) => [z.id, z.myNumberZone])).toEqual([
      ['mn-desk', 'handling'],
      ['mn-room', 'management'],
    ]);
    expect(zones.find((z: { id: string }) => z.id === 'mn-room').doors).toEqual(['mn-door']);
    const area = (await site.api.get('admin', '/api/areas/mn-room')).json();
    expect(area.myNumberZone).toBe('management');
    const bad = await site.api.patch('admin', '/api/areas/office', { myNumberZone: 'secret' });
    expect(bad.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'body.myNumberZone' });
  });

  it('reports every entry, exit, denial and door alarm of the month, with credentials', async () => {
    const { items, first } = await everyItem(MONTH);
    const log = site.log.filter((l) => ZONE_DOORS.has(l.door));
    const grantsIn = log.filter((l) => l.result === 'grant' && l.side === 'in');
    const grantsOut = log.filter((l) => l.result === 'grant' && l.side === 'out');
    const denials = log.filter((l) => l.result === 'deny');
    expect(items.filter((i) => i.kind === 'entry')).toHaveLength(grantsIn.length);
    expect(items.filter((i) => i.kind === 'exit')).toHaveLength(grantsOut.length);
    expect(items.filter((i) => i.kind === 'denial')).toHaveLength(denials.length);
    expect(denials.some((d) => d.reason === 'wrong_pin')).toBe(true);
    // E010 holds no level for these doors: the controller's snapshot does not even name them.
    expect(denials.some((d) => d.person === 'E010' && d.reason === 'unknown_credential')).toBe(true);
    const wrongPin = items.find((i) => i.kind === 'denial' && i.reason === 'wrong_pin')!;
    expect(wrongPin.credential).toMatch(/^card:C-100[1-4]$/);
    // …and the report still names the card presented (the server resolves the controller's hash).
    const intruder = items.filter((i) => i.kind === 'denial' && i.credential === 'card:C-1010');
    expect(intruder.length).toBe(22);
    expect(intruder.every((i) => i.reason === 'unknown_credential')).toBe(true);
    const entry = items.find((i) => i.kind === 'entry' && i.personId === 'E002')!;
    expect(entry).toMatchObject({ credential: 'card:C-1002' });
    const alarms = items.filter((i) => i.kind === 'door_alarm');
    expect(
      alarms.filter((a) => a.reason === 'forced_open' && a.door === 'mn-door').length,
    ).toBeGreaterThanOrEqual(4);
    expect(alarms.some((a) => a.reason === 'held_open' && a.door === 'desk-door')).toBe(true);
    expect(first.summary).toMatchObject({
      entry: grantsIn.length,
      exit: grantsOut.length,
      denial: denials.length,
      door_alarm: alarms.length,
    });
    // Only the zones' doors.
    expect(items.every((i) => ZONE_DOORS.has(i.door))).toBe(true);
    // One zone alone.
    const room = await everyItem(`${MONTH}&zones=mn-room`);
    expect(room.items.every((i) => i.door === 'mn-door')).toBe(true);
  });

  it('proves the record complete: no sequence gaps, every chain intact', async () => {
    const { first } = await everyItem(MONTH);
    const evidence = first.completeness as {
      complete: boolean;
      controllers: {
        controllerId: string;
        events: number;
        gaps: unknown[];
        chain: { checked: number; problems: unknown[] };
      }[];
    };
    expect(evidence.complete).toBe(true);
    expect(evidence.controllers.map((c) => c.controllerId)).toEqual(['ctl-secure']);
    expect(evidence.controllers[0]!.events).toBeGreaterThan(500);
    expect(evidence.controllers[0]!.chain.checked).toBeGreaterThanOrEqual(evidence.controllers[0]!.events);
  });

  it('exports the zone access CSV in Shift_JIS and UTF-8 with BOM', async () => {
    const sjis = await site.api.get(
      'auditor',
      `/api/reports/my-number/access/csv?${MONTH}&encoding=shift_jis&header=ja`,
    );
    expect(sjis.headers['content-type']).toBe('text/csv; charset=shift_jis');
    const rows = parseCsv(iconv.decode(sjis.rawPayload, 'cp932')).map((r) => r.fields);
    expect(rows[0]).toEqual([
      '日時',
      '区分',
      '区域',
      '利用者ID',
      '氏名',
      '認証情報',
      '扉ID',
      '扉名',
      '理由',
      '制御装置',
      '連番',
    ]);
    const { items } = await everyItem(MONTH);
    expect(rows.length - 1).toBe(items.length);
    expect(rows.some((r) => r[4] === '社員 1号' && r[1] === 'entry' && r[7] === 'mn-door 扉')).toBe(true);
    const utf8 = await site.api.get('auditor', `/api/reports/my-number/access/csv?${MONTH}`);
    expect([...utf8.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(parseCsv(utf8.rawPayload.subarray(3).toString('utf8')).length).toBe(rows.length);
  });

  it('is for auditors and admins, and every read is audited', async () => {
    for (const who of ['salesOp', 'maintainer'] as const)
      expect((await site.api.get(who, `/api/reports/my-number/access?${MONTH}`)).statusCode).toBe(403);
    expect(
      (await site.api.get('admin', `/api/reports/my-number/access?${MONTH}&zones=nowhere`)).json().error.code,
    ).toBe('AREA_NOT_FOUND');
    const audit = await site.api.store.db
      .selectFrom('audit_log')
      .select(['actor', 'target', 'detail'])
      .where('action', '=', 'report.zone_access')
      .execute();
    expect(audit.length).toBeGreaterThanOrEqual(3);
    expect(audit[0]).toMatchObject({ actor: 'aud-1', target: 'zones:mn-desk,mn-room' });
    expect(audit.some((a) => JSON.parse(a.detail).format === 'csv/shift_jis')).toBe(true);
  });

  it('shows an event removed from the middle, or changed, after it was stored', async () => {
    const db = site.api.store.db;
    const victim = await db
      .selectFrom('events')
      .select(['id', 'seq', 'chain_index'])
      .where('controller_id', '=', 'ctl-secure')
      .where('door', '=', 'mn-door')
      .where('type', '=', 'access')
      .orderBy('id')
      .offset(40)
      .limit(1)
      .executeTakeFirstOrThrow();
    await db.deleteFrom('events').where('id', '=', victim.id).execute();
    const changed = await db
      .selectFrom('events')
      .select(['id', 'chain_index'])
      .where('controller_id', '=', 'ctl-secure')
      .where('type', '=', 'access')
      .orderBy('id')
      .offset(200)
      .limit(1)
      .executeTakeFirstOrThrow();
    await db.updateTable('events').set({ person_id: 'E010' }).where('id', '=', changed.id).execute();
    const { first } = await everyItem(MONTH);
    const evidence = first.completeness as {
      complete: boolean;
      controllers: {
        gaps: { from: number; to: number }[];
        chain: { problems: { from: number; problem: string }[] };
      }[];
    };
    expect(evidence.complete).toBe(false);
    const c = evidence.controllers[0]!;
    expect(c.gaps).toEqual([{ from: Number(victim.seq), to: Number(victim.seq) }]);
    expect(c.chain.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: Number(victim.chain_index), problem: 'missing' }),
        expect.objectContaining({ from: Number(changed.chain_index), problem: 'changed' }),
      ]),
    );
  });
});
