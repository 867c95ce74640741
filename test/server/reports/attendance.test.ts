// Rule: attendance gives, per person and local day in the site's time zone, the first entry into the
// areas that count as at work and the last exit from them (moving between rooms inside is no exit),
// with monthly totals, as JSON pages and as CSV for attendance-system import in UTF-8 with a BOM or
// in Shift_JIS; a scoped operator sees only people in their scope; each report read is audited.
// The data: eight working days simulated through real controller agents and the server's ingest.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/server/csv/rfc4180.ts';
import { type ReportSite, startReportSite } from '../../support/report-site.ts';

let site: ReportSite;
let days: string[];
beforeAll(async () => {
  site = await startReportSite();
  days = await site.days('2026-04-01', '2026-04-10');
}, 180_000);
afterAll(() => site.close());

const tokyoDate = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 10);
const hhmm = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(11, 16);

/** From what the simulation did: first gate entry and last gate exit per person and day. */
function expectedDays(door = 'gate') {
  const out = new Map<string, { firstIn: number; lastOut: number | null }>();
  for (const l of site.log) {
    if (l.result !== 'grant' || l.door !== door) continue;
    const key = `${l.person}|${tokyoDate(l.at)}`;
    const row = out.get(key);
    if (l.side === 'in' && !row) out.set(key, { firstIn: l.at, lastOut: null });
    if (l.side === 'out' && row) row.lastOut = l.at;
  }
  return out;
}

async function allDays(query: string, who: 'admin' | 'salesOp' = 'admin') {
  const rows: { personId: string; date: string; firstIn: string; lastOut: string | null; minutes: number }[] =
    [];
  let cursor: string | null = null;
  do {
    const res = await site.api.get(
      who,
      `/api/reports/attendance?${query}&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    rows.push(...body.days);
    cursor = body.next;
  } while (cursor);
  return rows;
}

describe('attendance report', () => {
  it('gives first in and last out per person and day, paged by person', async () => {
    expect(days).toHaveLength(8);
    const rows = await allDays('from=2026-04-01&to=2026-04-10');
    const expected = expectedDays();
    expect(rows.length).toBe(expected.size);
    for (const r of rows) {
      const e = expected.get(`${r.personId}|${r.date}`);
      expect(e, `${r.personId} ${r.date}`).toBeDefined();
      expect(Date.parse(r.firstIn)).toBe(e!.firstIn);
      expect(r.lastOut === null ? null : Date.parse(r.lastOut)).toBe(e!.lastOut);
      expect(r.minutes).toBe(Math.round((e!.lastOut! - e!.firstIn) / 60_000));
    }
    // Nobody who has left, and no expired guest, is ever at work.
    expect(rows.some((r) => r.personId === 'E099' || r.personId === 'V001')).toBe(false);
  });

  it('counts only the areas named as at work, and keeps the setting', async () => {
    const office = await allDays('from=2026-04-01&to=2026-04-10&areas=office');
    const expected = expectedDays('office-door');
    expect(office.length).toBe(expected.size);
    for (const r of office)
      expect(Date.parse(r.firstIn)).toBe(expected.get(`${r.personId}|${r.date}`)!.firstIn);
    // The My Number room is inside the office: going in and out of it is no exit from work.
    const e001 = office.find((r) => r.personId === 'E001')!;
    expect(e001.lastOut).not.toBeNull();

    expect(
      (await site.api.post('auditor', '/api/reports/attendance/settings', { workAreas: ['office'] }))
        .statusCode,
    ).toBe(403);
    const bad = await site.api.post('admin', '/api/reports/attendance/settings', { workAreas: ['nowhere'] });
    expect(bad.json().error.code).toBe('UNKNOWN_REFERENCE');
    const set = await site.api.post('admin', '/api/reports/attendance/settings', { workAreas: ['office'] });
    expect(set.json()).toEqual({ workAreas: ['office'] });
    expect((await allDays('from=2026-04-01&to=2026-04-10')).length).toBe(expected.size);
    await site.api.post('admin', '/api/reports/attendance/settings', { workAreas: [] });
  });

  it('totals per month', async () => {
    const res = await site.api.get(
      'admin',
      '/api/reports/attendance?from=2026-04-01&to=2026-04-30&view=monthly&limit=100',
    );
    const months = res.json().months as {
      personId: string;
      month: string;
      daysPresent: number;
      minutes: number;
    }[];
    const expected = expectedDays();
    for (const m of months) {
      const mine = [...expected.keys()].filter((k) => k.split('|')[0] === m.personId);
      expect(m.month).toBe('2026-04');
      expect(m.daysPresent).toBe(mine.length);
    }
    expect(months.length).toBe(new Set([...expected.keys()].map((k) => k.split('|')[0])).size);
  });

  it('exports CSV for attendance systems in UTF-8 with BOM and in Shift_JIS', async () => {
    const utf8 = await site.api.get(
      'admin',
      '/api/reports/attendance/csv?from=2026-04-01&to=2026-04-10&header=ja',
    );
    expect(utf8.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect([...utf8.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = utf8.rawPayload.subarray(3).toString('utf8');
    const records = parseCsv(text).map((r) => r.fields);
    expect(records[0]).toEqual([
      '社員番号',
      '氏名',
      '所属',
      '日付',
      '出勤時刻',
      '退勤日付',
      '退勤時刻',
      '在館時間(分)',
      '入室扉',
      '退室扉',
    ]);
    const expected = expectedDays();
    expect(records.length - 1).toBe(expected.size);
    const e001 = records.find((r) => r[0] === 'E001' && r[3] === '2026/04/01')!;
    const e = expected.get('E001|2026-04-01')!;
    expect(e001[1]).toBe('社員 1号');
    expect(e001[4]).toBe(hhmm(e.firstIn));
    expect(e001[6]).toBe(hhmm(e.lastOut!));
    expect(text.includes('\r\n')).toBe(true);

    const sjis = await site.api.get(
      'admin',
      '/api/reports/attendance/csv?from=2026-04-01&to=2026-04-10&header=ja&encoding=shift_jis',
    );
    expect(sjis.headers['content-type']).toBe('text/csv; charset=shift_jis');
    expect(sjis.rawPayload[0]).not.toBe(0xef);
    expect(iconv.decode(sjis.rawPayload, 'cp932')).toBe(text);

    const monthly = await site.api.get(
      'admin',
      '/api/reports/attendance/csv?from=2026-04-01&to=2026-04-30&view=monthly',
    );
    expect(parseCsv(monthly.rawPayload.subarray(3).toString('utf8'))[0]!.fields[0]).toBe('employee_code');
  });

  it('shows a scoped operator only their people, refuses others, and audits each read', async () => {
    expect(await allDays('from=2026-04-01&to=2026-04-10', 'salesOp')).toEqual([]);
    expect(
      (await site.api.get('maintainer', '/api/reports/attendance?from=2026-04-01&to=2026-04-10')).statusCode,
    ).toBe(403);
    expect(
      (await site.api.get('nobody', '/api/reports/attendance?from=2026-04-01&to=2026-04-10')).statusCode,
    ).toBe(401);
    const bad = await site.api.get('admin', '/api/reports/attendance?from=2026-04-10&to=2026-04-01');
    expect(bad.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'query.to' });
    expect(
      (await site.api.get('admin', '/api/reports/attendance?from=2026-13-01&to=2026-04-01')).statusCode,
    ).toBe(400);
    const audit = await site.api.store.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'detail'])
      .where('action', '=', 'report.attendance')
      .execute();
    expect(audit.length).toBeGreaterThanOrEqual(4);
    expect(audit.some((a) => a.actor === 'op-sales')).toBe(true);
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ from: '2026-04-01', to: '2026-04-10' });
  });
});
