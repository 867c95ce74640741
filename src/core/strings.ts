// Strings of a compiled policy packed into byte pages instead of millions of JavaScript strings (a
// controller holds 2,000,000 cardholders, DESIGN.md §7). An entry is named by a 32-bit offset: page
// number × 1 MiB + position. Lowercase hexadecimal of even length — the keyed hashes that snapshots
// carry as credential ids and PINs (contracts/credential-key.ts) — is stored two characters to the
// byte; anything else as UTF-8. Pages are filled one after another and never move (only the last,
// while it is smaller than a page, grows by copying), so growing never copies the whole pool, and at
// most one page is partly empty. Entries are never changed or removed, so a policy derived from
// another may share the pool and append to it (see people.ts).
//
// Entry layout: a varint header `bytes << 1 | hex`, then the payload: `bytes` bytes, two hex digits
// each or UTF-8. An entry never spans two pages; a 64-hex hash takes 33 bytes.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the UTF-16 code units of `text` from `from` on; the same for a stored entry. */
export function hashText(text: string, from: number, seed: number): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = from; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** character code → its value as a lowercase hex digit, -1 when it is not one */
const NIBBLE = Int8Array.from({ length: 128 }, (_, c) =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1,
);

const HEX_CHARS = '0123456789abcdef';
const HEX_CODES = Array.from(HEX_CHARS, (c) => c.charCodeAt(0));
const BYTE_HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => HEX_CHARS[b >> 4]! + HEX_CHARS[b & 15]!,
);

const PAGE_BITS = 20;
const PAGE = 1 << PAGE_BITS;
const POSITION = PAGE - 1;
/** the longest string a policy may hold, in bytes (ids and hashes are far shorter) */
export const MAX_STRING_BYTES = 1 << 16;

export class StringPool {
  /** pages of entries; all but the last are full-size */
  private readonly pages: Uint8Array[];
  /** the last page and the position of the next entry in it */
  private page: Uint8Array;
  private position = 0;

  constructor(capacity = 1 << 12) {
    this.page = new Uint8Array(Math.min(PAGE, Math.max(256, capacity)));
    this.pages = [this.page];
  }

  /** Offset of the next entry; entries below it never change. */
  get used(): number {
    return (this.pages.length - 1) * PAGE + this.position;
  }

  /** Bytes allocated for the pool. */
  get allocated(): number {
    return (this.pages.length - 1) * PAGE + this.page.length;
  }

  /** Makes room for `extra` bytes on the last page (a new page when it would not fit). */
  private reserve(extra: number): void {
    if (extra > MAX_STRING_BYTES + 8) throw new RangeError('a string of a policy may not exceed 64 KiB');
    if (this.position + extra <= this.page.length) return;
    if (this.page.length < PAGE) {
      let size = this.page.length;
      while (size < this.position + extra) size *= 2;
      const grown = new Uint8Array(Math.min(PAGE, size));
      grown.set(this.page.subarray(0, this.position));
      this.page = grown;
      this.pages[this.pages.length - 1] = grown;
      if (this.position + extra <= grown.length) return;
    }
    this.page = new Uint8Array(PAGE);
    this.pages.push(this.page);
    this.position = 0;
  }

  private bytesAt(offset: number): Uint8Array {
    return this.pages[offset >>> PAGE_BITS]!;
  }

  /** Appends `text` and returns its offset. */
  add(text: string): number {
    const n = text.length;
    if (n > 0 && n % 2 === 0) {
      // Try the packed form; fall back to text at the first character that is not lowercase hex.
      this.reserve(5 + n / 2);
      const bytes = this.page;
      let u = this.writeHeader(this.position, n + 1); // (n / 2 bytes) << 1 | hex
      let i = 0;
      for (; i < n; i += 2) {
        const hi = NIBBLE[text.charCodeAt(i)] ?? -1;
        const lo = NIBBLE[text.charCodeAt(i + 1)] ?? -1;
        if ((hi | lo) < 0) break;
        bytes[u++] = (hi << 4) | lo;
      }
      if (i === n) return this.commit(u);
    }
    let ascii = true;
    for (let i = 0; i < n; i++) if (text.charCodeAt(i) >= 0x80) ascii = false;
    if (ascii) {
      this.reserve(5 + n);
      const bytes = this.page;
      let u = this.writeHeader(this.position, n * 2);
      for (let i = 0; i < n; i++) bytes[u++] = text.charCodeAt(i);
      return this.commit(u);
    }
    // UTF-8: at most 4 bytes per code point.
    const utf8: number[] = [];
    for (let i = 0; i < n; i++) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      if (c < 0x80) utf8.push(c);
      else if (c < 0x800) utf8.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) utf8.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else utf8.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    this.reserve(5 + utf8.length);
    const u = this.writeHeader(this.position, utf8.length * 2);
    this.page.set(utf8, u);
    return this.commit(u + utf8.length);
  }

  /** Ends the entry being written at the current position; returns its offset. */
  private commit(end: number): number {
    const offset = (this.pages.length - 1) * PAGE + this.position;
    this.position = end;
    return offset;
  }

  /** Writes a varint header at `at` of the last page (space reserved); returns the position after. */
  private writeHeader(at: number, value: number): number {
    const bytes = this.page;
    while (value >= 0x80) {
      bytes[at++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    bytes[at++] = value;
    return at;
  }

  /** Whether the entry at `offset` equals `text.slice(from)`, without building a string. */
  equals(offset: number, text: string, from: number): boolean {
    const bytes = this.bytesAt(offset);
    let header = 0;
    let shift = 1;
    let p = offset & POSITION;
    for (;;) {
      const b = bytes[p++]!;
      header += (b & 0x7f) * shift;
      if (b < 0x80) break;
      shift *= 128;
    }
    const length = Math.floor(header / 2);
    const n = text.length - from;
    if (header % 2 === 1) {
      if (n !== length * 2) return false;
      for (let i = 0; i < n; i += 2) {
        const b = bytes[p++]!;
        if (
          text.charCodeAt(from + i) !== HEX_CODES[b >> 4] ||
          text.charCodeAt(from + i + 1) !== HEX_CODES[b & 15]
        )
          return false;
      }
      return true;
    }
    // UTF-8: compare byte by byte, encoding `text` as we go.
    const end = p + length;
    for (let i = from; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        if (p >= end || bytes[p++] !== c) return false;
        continue;
      }
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      const encoded =
        c < 0x800
          ? [0xc0 | (c >> 6), 0x80 | (c & 63)]
          : c < 0x10000
            ? [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)]
            : [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
      for (const e of encoded) if (p >= end || bytes[p++] !== e) return false;
    }
    return p === end;
  }

  /** Whether the entry at `offset` is stored in the packed hex form. */
  isPackedHex(offset: number): boolean {
    return (this.bytesAt(offset)[offset & POSITION]! & 1) === 1;
  }

  /** hashText of the entry at `offset`, computed from the stored bytes. */
  hash(offset: number, seed: number): number {
    const text = this.read(offset);
    return hashText(text, 0, seed);
  }

  /** The entry at `offset` as a string. */
  read(offset: number): string {
    const bytes = this.bytesAt(offset);
    let header = 0;
    let shift = 1;
    let p = offset & POSITION;
    for (;;) {
      const b = bytes[p++]!;
      header += (b & 0x7f) * shift;
      if (b < 0x80) break;
      shift *= 128;
    }
    const length = Math.floor(header / 2);
    if (header % 2 === 1) {
      let out = '';
      for (let i = 0; i < length; i++) out += BYTE_HEX[bytes[p++]!]!;
      return out;
    }
    const end = p + length;
    let ascii = true;
    for (let i = p; i < end; i++) if (bytes[i]! >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(p, end) as unknown as number[]);
    let out = '';
    while (p < end) {
      const b = bytes[p++]!;
      let c: number;
      if (b < 0x80) c = b;
      else if (b < 0xe0) c = ((b & 31) << 6) | (bytes[p++]! & 63);
      else if (b < 0xf0) c = ((b & 15) << 12) | ((bytes[p++]! & 63) << 6) | (bytes[p++]! & 63);
      else c = ((b & 7) << 18) | ((bytes[p++]! & 63) << 12) | ((bytes[p++]! & 63) << 6) | (bytes[p++]! & 63);
      out += String.fromCodePoint(c);
    }
    return out;
  }
}
