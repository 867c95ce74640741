// CSV bytes to text. UTF-8 with or without a byte order mark, and Shift_JIS as Japanese Excel writes
// it (really Windows code page 932, which adds NEC and IBM characters such as ①, ㈱ and 髙). `auto`
// takes UTF-8 when the bytes are valid UTF-8 and CP932 otherwise: a CP932 file of Japanese text is
// practically never valid UTF-8, and one of plain ASCII reads the same either way.

import iconv from 'iconv-lite';

export const CSV_ENCODINGS = ['auto', 'utf-8', 'shift_jis'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

export class CsvEncodingError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CsvEncodingError';
  }
}

export interface DecodedCsv {
  text: string;
  /** what was read: utf-8 (with or without BOM) or shift_jis (CP932) */
  encoding: 'utf-8' | 'shift_jis';
  bom: boolean;
}

/** Accepts common spellings: utf8, UTF-8, sjis, Shift-JIS, cp932, windows-31j. */
export function normaliseEncoding(name: string): CsvEncoding | undefined {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (n === 'auto') return 'auto';
  if (n === 'utf8' || n === 'utf8bom') return 'utf-8';
  if (['shiftjis', 'sjis', 'cp932', 'windows31j', 'ms932', 'mskanji'].includes(n)) return 'shift_jis';
  return undefined;
}

export function decodeCsv(bytes: Uint8Array, encoding: CsvEncoding = 'auto'): DecodedCsv {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff))
    throw new CsvEncodingError(
      'the file is UTF-16 ("Unicode text"); save it as "CSV UTF-8" or "CSV" instead',
    );
  const bom = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
  if (bom || encoding === 'utf-8') {
    try {
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buffer);
      return { text, encoding: 'utf-8', bom };
    } catch {
      throw new CsvEncodingError(
        bom
          ? 'the file starts like UTF-8 but is not valid UTF-8'
          : 'the file is not valid UTF-8 (try --encoding shift_jis)',
      );
    }
  }
  if (encoding === 'auto') {
    try {
      return {
        text: new TextDecoder('utf-8', { fatal: true }).decode(buffer),
        encoding: 'utf-8',
        bom: false,
      };
    } catch {
      // not UTF-8: Shift_JIS below
    }
  }
  return { text: iconv.decode(buffer, 'cp932'), encoding: 'shift_jis', bom: false };
}

export function encodeCsv(text: string, encoding: 'utf-8' | 'shift_jis'): Buffer {
  return encoding === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'cp932');
}
