// Rule: CSV over HTTP follows the same all-or-nothing rule as the command line: a bad file answers
// 400 CSV_INVALID listing each row and column, with nothing written; a good one reports what it did
// and notifies one change per row for the audit log. Exports are attachments, never with PINs.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './support.ts';

describe('CSV endpoints', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  const upload = (url: string, body: string | Buffer, who: 'admin' | 'salesOp' = 'admin') =>
    api.request(who, 'POST', url, body, { 'content-type': 'text/csv' });

  it('imports a Shift_JIS upload and notifies each row', async () => {
    const file = iconv.encode('社員番号,氏名,部署\r\nH1,小林 一茶,sales\r\nH2,松尾 芭蕉,sales\r\n', 'cp932');
    const response = await upload('/api/csv/people', file);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      ok: true,
      kind: 'people',
      encoding: 'shift_jis',
      rows: 2,
      created: 2,
      updated: 0,
      dryRun: false,
    });
    expect(api.events.map((p) => p.event).filter((e) => e.type.startsWith('person.'))).toEqual([
      { type: 'person.created', person: 'H1' },
      { type: 'person.created', person: 'H2' },
    ]);
    expect((await api.get('salesOp', '/api/people/H1')).json().name).toBe('小林 一茶');
  });

  it('answers 400 CSV_INVALID with every bad row, writes nothing, echoes no PIN', async () => {
    const before = await api.snapshot();
    const response = await upload(
      '/api/csv/credentials',
      'id,personId,type,identifier,pin\r\nK1,H1,card,C1,86420\r\nK2,H2,card,C2,86x20\r\nK3,ghost,card,C3,\r\n',
    );
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('CSV_INVALID');
    expect(error.rows).toEqual([
      { row: 3, line: 3, column: 'pin', reason: 'must be 4 to 12 digits' },
      { row: 4, line: 4, column: 'personId', reason: "no person 'ghost'" },
    ]);
    expect(response.body).not.toContain('86x20');
    expect(response.body).not.toContain('86420');
    expect(await api.snapshot()).toBe(before);
    const dry = await api.request(
      'admin',
      'POST',
      '/api/csv/credentials?dryRun=true',
      'id,personId,type,identifier\r\nK1,H1,card,C1\r\n',
      { 'content-type': 'text/csv' },
    );
    expect(dry.json()).toMatchObject({ ok: true, dryRun: true, created: 1 });
    expect(await api.snapshot()).toBe(before);
  });

  it('exports CSV as an attachment, for Excel on request', async () => {
    const response = await api.get('admin', '/api/csv/people?bom=true');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="people.csv"');
    expect(response.body.startsWith('\uFEFFid,name')).toBe(true);
    const json = await api.request('admin', 'POST', '/api/csv/people', { a: 1 });
    expect(json.statusCode).toBe(415);
    expect((await upload('/api/csv/people?encoding=ebcdic', 'id,name\r\n')).json().error.field).toBe(
      'query.encoding',
    );
  });
});
