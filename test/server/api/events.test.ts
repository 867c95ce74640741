// Rule: events are read-only and searchable by person, door, area, type and time range, in a stable
// (time, id) order with cursors that neither repeat nor skip an event while new ones arrive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi, T0 } from './support.ts';

describe('events API', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
    await api.repos.events.append(
      Array.from({ length: 40 }, (_, i) => ({
        controllerId: 'ctl-1',
        seq: i + 1,
        at: T0 + Math.floor(i / 4) * 60_000, // four events share each minute
        type: i % 10 === 0 ? 'alarm' : 'access',
        door: i % 2 ? 'D1' : 'D2',
        area: 'lab',
        ...(i % 10 !== 0 && { personId: i % 3 ? 'alice' : 'bob' }),
        detail: i % 10 === 0 ? { alarm: 'forced_open' } : { result: 'grant', reason: 'granted' },
      })),
    );
  });
  afterAll(() => api.close());

  it('pages in time order without repeats or gaps, even when events arrive meanwhile', async () => {
    const seen: number[] = [];
    let next: string | null = null;
    let seq = 1000;
    do {
      const url: string = `/api/events?limit=6${next ? `&cursor=${encodeURIComponent(next)}` : ''}`;
      const page = (await api.get('auditor', url)).json();
      seen.push(...page.items.map((e: { seq: number }) => e.seq));
      next = page.next;
      // A new event arrives between pages.
      await api.repos.events.append([
        { controllerId: 'ctl-2', seq: seq++, at: T0 + 999_999_999, type: 'access', detail: {} },
      ]);
    } while (next && seen.length < 200);
    expect(new Set(seen).size).toBe(seen.length);
    for (let s = 1; s <= 40; s++) expect(seen).toContain(s);
  });

  it('filters by person, door, type and time range', async () => {
    const q = async (query: string) =>
      (await api.get('auditor', `/api/events?limit=1000&${query}`)).json().items;
    expect((await q('person=bob')).every((e: { personId: string }) => e.personId === 'bob')).toBe(true);
    expect(
      (await q('door=D1&type=access')).every(
        (e: { door: string; type: string }) => e.door === 'D1' && e.type === 'access',
      ),
    ).toBe(true);
    expect(await q('type=alarm')).toHaveLength(4);
    expect((await q('type=alarm'))[0]).toMatchObject({ alarm: 'forced_open', personId: null });
    const from = new Date(T0 + 60_000).toISOString();
    const until = new Date(T0 + 3 * 60_000).toISOString();
    const range = await q(`from=${from}&until=${until}&area=lab`);
    expect(range).toHaveLength(8);
    expect(range[0].at).toBe(from);
  });

  it('refuses a bad time, an unknown cursor, and writes', async () => {
    const bad = await api.get('auditor', '/api/events?from=yesterday');
    expect(bad.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'query.from' });
    for (const [query, field] of [
      ['type=forced_open', 'query.type'],
      ['persn=alice', 'query.persn'],
    ])
      expect((await api.get('auditor', `/api/events?${query}`)).json().error).toMatchObject({
        code: 'INVALID_INPUT',
        field,
      });
    expect((await api.get('auditor', '/api/events?cursor=WzEsMl0')).statusCode).toBe(200);
    expect((await api.get('auditor', '/api/events?cursor=bad')).json().error.code).toBe('INVALID_CURSOR');
    expect((await api.post('admin', '/api/events', {})).statusCode).toBe(404);
  });
});
