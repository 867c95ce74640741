// Rule: presence history — written at ingest, and fitted in correctly when a controller reports
// days late — answers the incident investigation (everyone inside a zone during a window, including
// those who entered before it, with completeness evidence), the occupancy series per area, and the
// muster (inside now, and who left since the alarm; printable).
// The data: three working days simulated through real agents and the ingest, the secure controller
// offline from the server until the end (its events arrive after the front controller's newer ones).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReportSite, startReportSite } from '../../support/report-site.ts';
import { at } from '../../support/sites.ts';

let site: ReportSite;
beforeAll(async () => {
  site = await startReportSite();
  site.held.add('ctl-secure');
  await site.days('2026-04-01', '2026-04-03');
  await site.release('ctl-secure');
}, 180_000);
afterAll(() => site.close());

/** Stays in a zone from the simulation's own log: entered by `into` side in, left by side out. */
function expectedStays(door: string) {
  const stays: { person: string; in: number; out: number | null }[] = [];
  for (const l of site.log) {
    if (l.result !== 'grant' || l.door !== door) continue;
    if (l.side === 'in') stays.push({ person: l.person, in: l.at, out: null });
    else {
      const open = stays.findLast((s) => s.person === l.person && s.out === null);
      if (open) open.out = l.at;
    }
  }
  return stays;
}

const q = (from: number, until: number) =>
  `from=${encodeURIComponent(new Date(from).toISOString())}&until=${encodeURIComponent(new Date(until).toISOString())}`;

describe('incident investigation', () => {
  it('lists everyone inside the zone during the window, those already inside included', async () => {
    const all = expectedStays('mn-door');
    const day2 = all.filter((s) => s.in >= at('2026-04-02T00:00:00') && s.in < at('2026-04-03T00:00:00'));
    expect(day2.length).toBeGreaterThan(1);
    const from = day2[0]!.in + 60_000; // the first of the day is already inside
    const until = from + 45 * 60_000;
    const expected = all.filter((s) => s.in < until && (s.out === null || s.out > from));
    const res = await site.api.get('auditor', `/api/reports/incident?zone=mn-room&${q(from, until)}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(
      body.stays.map((s: { personId: string; enteredAt: string }) => [s.personId, Date.parse(s.enteredAt)]),
    ).toEqual(expected.sort((a, b) => a.in - b.in).map((s) => [s.person, s.in]));
    const firstStay = body.stays[0];
    expect(firstStay).toMatchObject({ insideAtStart: true, enteredDoor: 'mn-door', areas: ['mn-room'] });
    expect(firstStay.credential).toBe(`card:${site.person(firstStay.personId).card}`);
    expect(Date.parse(firstStay.leftAt)).toBe(expected[0]!.out);
    expect(body.completeness.complete).toBe(true);
    expect(Date.parse(body.evidenceFrom)).toBe(expected[0]!.in);
  });

  it('covers a zone with everything inside it, and pages', async () => {
    const from = at('2026-04-02T00:00:00');
    const until = at('2026-04-03T00:00:00');
    // The office floor holds the My Number room: one stay per visit to the office, not one per room.
    const office = expectedStays('office-door').filter(
      (s) => s.in < until && (s.out === null || s.out > from),
    );
    const stays: { personId: string; areas: string[] }[] = [];
    let cursor: string | null = null;
    do {
      const res = await site.api.get(
        'auditor',
        `/api/reports/incident?zone=office&${q(from, until)}&limit=7${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const body = res.json();
      stays.push(...body.stays);
      cursor = body.next;
    } while (cursor);
    expect(stays.length).toBe(office.length);
    expect(stays.some((s) => s.areas.includes('mn-room') && s.areas[0] === 'office')).toBe(true);
    const csv = await site.api.get('auditor', `/api/reports/incident/csv?zone=office&${q(from, until)}`);
    expect(csv.rawPayload.subarray(3).toString('utf8').trim().split('\r\n').length).toBe(office.length + 1);
    expect(
      (await site.api.get('salesOp', `/api/reports/incident?zone=office&${q(from, until)}`)).statusCode,
    ).toBe(403);
  });
});

describe('occupancy', () => {
  it('counts people inside an area (and its sub-areas) per step', async () => {
    const from = at('2026-04-02T07:00:00');
    const until = at('2026-04-02T21:00:00');
    const res = await site.api.get(
      'maintainer',
      `/api/reports/occupancy?areas=office,mn-room&${q(from, until)}&step=60`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const [office, room] = res.json().series;
    expect(office.points).toHaveLength(14);
    const inside = (door: string, t: number) =>
      expectedStays(door).filter((s) => s.in <= t && (s.out === null || s.out > t)).length;
    for (const p of office.points) expect(p.inside, p.at).toBe(inside('office-door', Date.parse(p.at)));
    for (const p of room.points) expect(p.inside, p.at).toBe(inside('mn-door', Date.parse(p.at)));
    expect(Math.max(...office.points.map((p: { peak: number }) => p.peak))).toBeGreaterThan(8);
    const tooMany = await site.api.get(
      'admin',
      `/api/reports/occupancy?areas=office&${q(from, until + 365 * 86_400_000)}&step=1`,
    );
    expect(tooMany.json().error).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('muster', () => {
  it('lists who is inside now and who left since the alarm, printable', async () => {
    const t = (hhmm: string) => at(`2026-04-06T${hhmm}:00`);
    site.present(t('09:00'), 'E001', 'gate', 'in');
    site.present(t('09:01'), 'E001', 'office-door', 'in');
    site.present(t('09:02'), 'E002', 'gate', 'in');
    site.present(t('09:03'), 'E002', 'office-door', 'in');
    site.present(t('09:04'), 'E003', 'gate', 'in');
    site.present(t('09:05'), 'E003', 'office-door', 'in');
    site.present(t('09:30'), 'E003', 'mn-door', 'in', site.person('E003').pin);
    site.present(t('09:40'), 'E005', 'gate', 'in');
    site.clock.now = t('10:00');
    await site.flush();
    const alarm = await site.api.server.alarms.raise({
      type: 'fire',
      source: 'panel',
      message: 'fire zone east',
    });
    site.present(t('10:02'), 'E002', 'office-door', 'out');
    site.present(t('10:03'), 'E002', 'gate', 'out');
    site.present(t('10:04'), 'E005', 'gate', 'out');
    await site.flush();

    const res = await site.api.get('admin', `/api/reports/muster?alarm=${alarm.id}&areas=office`);
    expect(res.statusCode, res.body).toBe(200);
    const m = res.json();
    expect(m.inside.map((e: { personId: string; area: string }) => [e.personId, e.area])).toEqual([
      ['E003', 'mn-room'],
      ['E001', 'office'],
    ]);
    expect(m.left.map((e: { personId: string; door: string }) => [e.personId, e.door])).toEqual([
      ['E002', 'office-door'],
    ]);
    expect(m.areas.find((a: { id: string }) => a.id === 'office').inside).toBe(1);

    const everywhere = (await site.api.get('admin', `/api/reports/muster?alarm=${alarm.id}`)).json();
    expect(everywhere.left.map((e: { personId: string }) => e.personId).sort()).toEqual(['E002', 'E005']);

    const print = await site.api.get('admin', `/api/reports/muster/print?alarm=${alarm.id}`);
    expect(print.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(print.body).toContain('社員 1号');
    expect(print.body).toContain('発報後に退出');
    expect(print.body).not.toContain('<script');
    const csv = await site.api.get('admin', `/api/reports/muster/csv?alarm=${alarm.id}&encoding=shift_jis`);
    expect(csv.headers['content-type']).toBe('text/csv; charset=shift_jis');
    expect((await site.api.get('admin', '/api/reports/muster?alarm=nope')).statusCode).toBe(404);
    expect((await site.api.get('maintainer', '/api/reports/muster')).statusCode).toBe(403);
  });
});
