// CSV as RFC 4180 says: fields separated by commas, records by CRLF (LF and lone CR accepted too),
// fields holding a comma, quote, CR or LF enclosed in double quotes with quotes doubled. The parser
// is strict about quotes (a stray quote is an error with its line, not a guess) and keeps the
// physical line where each record starts, so import errors can point at it.

export interface CsvRecord {
  /** 1-based physical line where the record starts */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly record: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'CsvSyntaxError';
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const n = text.length;
  // At the start of a record with nothing read yet: end of input there adds no record.
  let fresh = true;

  const endRecord = () => {
    fields.push(field);
    records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    fresh = true;
  };
  /** Consumes a line break at i (CRLF, LF or CR); true if there was one. */
  const lineBreak = (): boolean => {
    const c = text.charCodeAt(i);
    if (c === 13) {
      i += text.charCodeAt(i + 1) === 10 ? 2 : 1;
    } else if (c === 10) {
      i += 1;
    } else return false;
    line++;
    return true;
  };

  while (i < n) {
    if (fresh) {
      recordLine = line;
      fresh = false;
    }
    const c = text.charCodeAt(i);
    if (c === 34 && field === '' && (i === 0 || isFieldStart(text, i))) {
      // Quoted field: runs to the next quote that is not doubled.
      const startLine = line;
      i++;
      let closed = false;
      while (i < n) {
        const q = text.charCodeAt(i);
        if (q === 34) {
          if (text.charCodeAt(i + 1) === 34) {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        if (q === 13 || q === 10) {
          const before = i;
          lineBreak();
          field += text.slice(before, i);
          continue;
        }
        field += text[i];
        i++;
      }
      if (!closed) throw new CsvSyntaxError(startLine, records.length + 1, 'a quoted field is never closed');
      if (i < n) {
        const after = text.charCodeAt(i);
        if (after === 44) {
          fields.push(field);
          field = '';
          i++;
          // A comma at the very end still has an (empty) field after it.
          if (i >= n) endRecord();
          continue;
        }
        if (lineBreak()) {
          endRecord();
          continue;
        }
        throw new CsvSyntaxError(
          line,
          records.length + 1,
          'a closing quote must be followed by a comma or line end',
        );
      }
      endRecord();
      continue;
    }
    if (c === 44) {
      fields.push(field);
      field = '';
      i++;
      if (i >= n) endRecord();
      continue;
    }
    if (c === 13 || c === 10) {
      lineBreak();
      endRecord();
      continue;
    }
    if (c === 34) throw new CsvSyntaxError(line, records.length + 1, 'a quote inside an unquoted field');
    field += text[i];
    i++;
    if (i >= n) endRecord();
  }
  return records;
}

/** A quote opens a quoted field only at the start of a field. */
function isFieldStart(text: string, i: number): boolean {
  const prev = text.charCodeAt(i - 1);
  return prev === 44 || prev === 10 || prev === 13;
}

const NEEDS_QUOTES = /[",\r\n]/;

export function quoteField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export interface CsvWriteOptions {
  /** start with a UTF-8 byte order mark, so Excel opens the file as UTF-8 */
  bom?: boolean;
  eol?: '\r\n' | '\n';
}

export function formatRecord(fields: readonly string[]): string {
  // A record of one empty field would be an empty line, which readers skip: quote it.
  if (fields.length === 1 && fields[0] === '') return '""';
  return fields.map(quoteField).join(',');
}

/** Serialises records, each ended by the line break (CRLF by default, as RFC 4180 says). */
export function formatCsv(rows: readonly (readonly string[])[], options: CsvWriteOptions = {}): string {
  const eol = options.eol ?? '\r\n';
  return (options.bom ? '\uFEFF' : '') + rows.map((r) => formatRecord(r) + eol).join('');
}
