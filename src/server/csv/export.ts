// CSV export of people and credentials, a page at a time, in the columns the import reads (so an
// export can be edited and imported back). UTF-8; `bom` adds the byte order mark Excel needs to open
// UTF-8. Cells that a spreadsheet would run as formulas (=, +, -, @, tab, CR) are always prefixed
// with an apostrophe, whoever opens the file (an apostrophe already there gets one more), and the
// import takes exactly one off again. Shift_JIS output for older tools. PINs are never exported.

import { TimeZone } from '../../core/time/zone.ts';
import type { Repositories } from '../storage/index.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { CREDENTIAL_COLUMNS } from './credentials.ts';
import { PEOPLE_COLUMNS } from './people.ts';
import { formatRecord } from './rfc4180.ts';
import { formatCsvTime } from './times.ts';

export interface ExportOptions {
  /** UTF-8 byte order mark, for Excel (cells are formula-safe either way) */
  bom?: boolean;
  timezone?: string;
  scope?: ScopeFilter;
  eol?: '\r\n' | '\n';
}

const FORMULA = /^'*[=+\-@\t\r]/;

export function formulaSafe(value: string): string {
  return FORMULA.test(value) ? `'${value}` : value;
}

async function* exportRows(
  header: string[],
  pages: (cursor: string | undefined) => Promise<{ rows: string[][]; next: string | undefined }>,
  options: ExportOptions,
): AsyncGenerator<string> {
  const eol = options.eol ?? '\r\n';
  const cell = formulaSafe;
  yield (options.bom ? '\uFEFF' : '') + formatRecord(header) + eol;
  let cursor: string | undefined;
  do {
    const page = await pages(cursor);
    if (page.rows.length > 0) yield page.rows.map((r) => formatRecord(r.map(cell)) + eol).join('');
    cursor = page.next;
  } while (cursor !== undefined);
}

export function exportPeople(repos: Repositories, options: ExportOptions = {}): AsyncGenerator<string> {
  const zone = new TimeZone(options.timezone ?? 'Asia/Tokyo');
  return exportRows(
    PEOPLE_COLUMNS.map((c) => c.name),
    async (cursor) => {
      const page = await repos.people.list({ cursor, limit: 1000, scope: options.scope });
      return {
        rows: page.items.map((p) => [
          p.id,
          p.name,
          p.department ?? '',
          p.site ?? '',
          String(p.active),
          p.groups.join(';'),
          p.levels.join(';'),
          p.leftAt === null ? '' : formatCsvTime(p.leftAt, zone),
        ]),
        next: page.next,
      };
    },
    options,
  );
}

export function exportCredentials(repos: Repositories, options: ExportOptions = {}): AsyncGenerator<string> {
  const zone = new TimeZone(options.timezone ?? 'Asia/Tokyo');
  const time = (ms: number | null) => (ms === null ? '' : formatCsvTime(ms, zone));
  return exportRows(
    CREDENTIAL_COLUMNS.map((c) => c.name),
    async (cursor) => {
      const page = await repos.credentials.list({ cursor, limit: 1000, scope: options.scope });
      return {
        rows: page.items.map((c) => [
          c.id,
          c.personId,
          c.type,
          c.identifier ?? '',
          '', // pin: write-only
          '', // duressPin: write-only
          c.state,
          time(c.validFrom),
          time(c.validUntil),
          c.maxUses === null ? '' : String(c.maxUses),
          c.label ?? '',
          String(c.uses),
          String(c.hasPin),
        ]),
        next: page.next,
      };
    },
    options,
  );
}

export async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}
