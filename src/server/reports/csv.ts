// Report CSV files, streamed a page at a time (a year of events never sits in memory, and the first
// bytes leave at once, so no proxy times out). Two encodings: UTF-8 with a byte order mark (Excel
// opens it as UTF-8), and Shift_JIS as Windows writes it (CP932), for attendance systems and older
// tools; a character CP932 has no code for becomes '?'. Records end in CRLF; cells a spreadsheet
// would run as formulas are prefixed with an apostrophe, as in every export of the server.

import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import iconv from 'iconv-lite';
import { formulaSafe } from '../csv/export.ts';
import { formatRecord } from '../csv/rfc4180.ts';
import type { ReportEncoding } from './common.ts';

export type Cell = string | number | boolean | null | undefined;

const text = (cell: Cell): string => (cell === null || cell === undefined ? '' : String(cell));

/** One CSV record (CRLF-terminated), formula-safe. */
export function csvRecord(cells: readonly Cell[]): string {
  return `${formatRecord(cells.map((c) => formulaSafe(text(c))))}\r\n`;
}

/** The header, then each batch of rows, as text chunks. */
export async function* csvText(
  header: readonly string[],
  batches: AsyncIterable<readonly (readonly Cell[])[]>,
): AsyncGenerator<string> {
  yield csvRecord(header);
  for await (const rows of batches) if (rows.length > 0) yield rows.map(csvRecord).join('');
}

/** Text chunks as bytes in the encoding (UTF-8: the byte order mark first). */
export async function* encoded(
  chunks: AsyncIterable<string>,
  encoding: ReportEncoding,
): AsyncGenerator<Buffer> {
  if (encoding === 'utf-8') yield Buffer.from([0xef, 0xbb, 0xbf]);
  for await (const chunk of chunks)
    yield encoding === 'utf-8' ? Buffer.from(chunk, 'utf8') : iconv.encode(chunk, 'cp932');
}

/** Sends the CSV as a download; the handler returns what this returns. */
export function sendCsv(
  reply: FastifyReply,
  filename: string,
  encoding: ReportEncoding,
  header: readonly string[],
  batches: AsyncIterable<readonly (readonly Cell[])[]>,
): never {
  reply
    .type(`text/csv; charset=${encoding === 'utf-8' ? 'utf-8' : 'shift_jis'}`)
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store');
  return Readable.from(encoded(csvText(header, batches), encoding)) as never;
}

/** Pages of a cursor-paginated reader as batches of rows. */
export async function* pagesOf<T>(
  read: (cursor: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
  row: (item: T) => readonly Cell[],
): AsyncGenerator<readonly (readonly Cell[])[]> {
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    yield page.items.map(row);
    cursor = page.next;
  } while (cursor !== undefined);
}
