// Rule: the event search export takes every filter of the event search and more (controller, result,
// reason, alarm, credential, several doors), pages in (time, id) order, and downloads as one CSV in
// UTF-8 with a BOM or in Shift_JIS, formula-safe; a scoped operator sees their people's events and
// events of no one; bad filters answer 400 and each export is audited.
// The data: two working days simulated through real agents and the ingest.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/server/csv/rfc4180.ts';
import { type ReportSite, startReportSite } from '../../support/report-site.ts';

let site: ReportSite;
beforeAll(async () => {
  site = await startReportSite();
  await site.days('2026-04-01', '2026-04-02');
}, 180_000);
afterAll(() => site.close());

type Event = {
  id: number;
  at: string;
  type: string;
  result: string;
  reason: string;
  door: string;
  personId: string | null;
  credential: string | null;
  controllerId: string;
  alarm: string | null;
};

async function all(query: string, who: 'auditor' | 'tokyoOp' | 'salesOp' = 'auditor'): Promise<Event[]> {
  const out: Event[] = [];
  let cursor: string | null = null;
  do {
    const res = await site.api.get(
      who,
      `/api/reports/events?${query}&limit=50${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    out.push(...res.json().items);
    cursor = res.json().next;
  } while (cursor);
  return out;
}

describe('event search export', () => {
  it('filters by result, reason, several doors, credential, controller and alarm', async () => {
    const log = site.log;
    const denied = await all('result=deny&door=mn-door,desk-door');
    expect(denied.length).toBe(
      log.filter((l) => l.result === 'deny' && ['mn-door', 'desk-door'].includes(l.door)).length,
    );
    expect(denied.every((e) => e.result === 'deny')).toBe(true);
    const wrongPin = await all('reason=wrong_pin');
    expect(wrongPin.length).toBe(log.filter((l) => l.reason === 'wrong_pin').length);
    const card = await all('credential=card:C-1003&type=access');
    expect(card.length).toBe(log.filter((l) => l.person === 'E003').length);
    expect(card.every((e) => e.credential === 'card:C-1003')).toBe(true);
    const front = await all('controller=ctl-front&result=grant');
    expect(front.length).toBe(
      log.filter((l) => l.result === 'grant' && ['gate', 'office-door'].includes(l.door)).length,
    );
    const forced = await all('type=alarm&alarm=forced_open');
    expect(forced.every((e) => e.alarm === 'forced_open' && e.door === 'mn-door')).toBe(true);
    const sorted = [...front].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id - b.id);
    expect(front.map((e) => e.id)).toEqual(sorted.map((e) => e.id));
  });

  it('downloads the same events as CSV, UTF-8 with BOM or Shift_JIS', async () => {
    const events = await all('result=grant&door=gate');
    const res = await site.api.get('auditor', '/api/reports/events/csv?result=grant&door=gate');
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = res.rawPayload.subarray(3).toString('utf8');
    const rows = parseCsv(text).map((r) => r.fields);
    expect(rows[0]!.slice(0, 4)).toEqual(['time', 'type', 'result', 'reason']);
    expect(rows.length - 1).toBe(events.length);
    expect(rows[1]![0]).toMatch(/^2026-04-01T\d\d:\d\d:\d\d\+09:00$/);
    expect(rows[1]![7]).toMatch(/^社員 \d+号$/);
    const sjis = await site.api.get(
      'auditor',
      '/api/reports/events/csv?result=grant&door=gate&encoding=shift_jis',
    );
    expect(iconv.decode(sjis.rawPayload, 'cp932')).toBe(text);
  });

  it('keeps a scoped operator to their people and refuses bad filters', async () => {
    // Nobody here works in 'sales' (departments are Japanese): only events of no one remain.
    const scoped = await all('', 'salesOp');
    expect(scoped.length).toBeGreaterThan(0);
    expect(scoped.every((e) => e.personId === null)).toBe(true);
    for (const [query, field] of [
      ['reason=sleepy', 'query.reason'],
      ['credential=%25', 'query.credential'],
      ['door=a%20b', 'query.door'],
      ['from=yesterday', 'query.from'],
    ])
      expect((await site.api.get('auditor', `/api/reports/events?${query}`)).json().error).toMatchObject({
        code: 'INVALID_INPUT',
        field,
      });
    expect((await site.api.get('auditor', '/api/reports/events?cursor=bad')).json().error.code).toBe(
      'INVALID_CURSOR',
    );
    const audited = await site.api.store.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'report.events')
      .execute();
    expect(audited.some((a) => JSON.parse(a.detail).reason === 'wrong_pin')).toBe(true);
  });
});
