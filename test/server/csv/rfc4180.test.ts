// Rule: the CSV reader and writer agree with RFC 4180 and with each other. Whatever the fields hold
// (quotes, commas, CR, LF, Japanese text, emoji, empty strings), writing records and reading them
// back gives the same records; malformed quoting is an error that names the line, never a guess.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, formatCsv, parseCsv } from '../../../src/server/csv/rfc4180.ts';

const tricky = fc.constantFrom(
  '"',
  ',',
  '\r',
  '\n',
  '\r\n',
  ' ',
  '""',
  '山田',
  '太郎',
  '髙橋',
  '①',
  '㈱',
  '😀',
  'a',
  '',
  "'",
);
const field = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.array(tricky, { maxLength: 6 }).map((parts) => parts.join('')),
);
const table = fc
  .integer({ min: 1, max: 6 })
  .chain((width) => fc.array(fc.array(field, { minLength: width, maxLength: width }), { maxLength: 8 }));

describe('RFC 4180', () => {
  it('round-trips any records (CRLF and LF line ends, with and without BOM)', () => {
    fc.assert(
      fc.property(table, fc.constantFrom<'\r\n' | '\n'>('\r\n', '\n'), (rows, eol) => {
        const text = formatCsv(rows, { eol });
        expect(parseCsv(text).map((r) => r.fields)).toEqual(rows);
        const withBom = formatCsv(rows, { eol, bom: true });
        expect(withBom.startsWith('\uFEFF')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('reads the RFC examples and Excel output', () => {
    expect(parseCsv('aaa,bbb,ccc\r\nzzz,yyy,xxx\r\n').map((r) => r.fields)).toEqual([
      ['aaa', 'bbb', 'ccc'],
      ['zzz', 'yyy', 'xxx'],
    ]);
    expect(parseCsv('aaa,bbb,ccc').map((r) => r.fields)).toEqual([['aaa', 'bbb', 'ccc']]);
    expect(parseCsv('"aaa","b\r\nbb","ccc"\r\nzzz,yyy,xxx').map((r) => r.fields)).toEqual([
      ['aaa', 'b\r\nbb', 'ccc'],
      ['zzz', 'yyy', 'xxx'],
    ]);
    expect(parseCsv('"aaa","b""bb","ccc"').map((r) => r.fields)).toEqual([['aaa', 'b"bb', 'ccc']]);
    expect(parseCsv('a,,\n,b,').map((r) => r.fields)).toEqual([
      ['a', '', ''],
      ['', 'b', ''],
    ]);
    expect(parseCsv('a\rb\r').map((r) => r.fields)).toEqual([['a'], ['b']]);
    expect(parseCsv('')).toEqual([]);
  });

  it('keeps the physical line where each record starts', () => {
    const records = parseCsv('id,note\r\n1,"two\r\nlines"\r\n2,x\r\n');
    expect(records.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it.each([
    ['an unclosed quote', 'a,b\r\n1,"open\r\n2,x\r\n', 2],
    ['text after a closing quote', 'a,b\r\n"x"y,z\r\n', 2],
    ['a quote inside an unquoted field', 'a,b\r\n1,2\r\nab"c,d\r\n', 3],
  ])('names the line of %s', (_what, text, line) => {
    try {
      parseCsv(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CsvSyntaxError);
      expect((error as CsvSyntaxError).line).toBe(line);
    }
  });
});
