// One person line of a snapshot body (contracts/transfer.ts: a person's canonical JSON) read straight
// from the decompressed bytes, without JSON.parse. At 2,000,000 cardholders JSON.parse of each line
// was about a third of the compile: it makes a string of the whole line, then a fresh object, array
// and string for every field, though most of them (group and level ids, credential types, states,
// dates) are the same few values again and again. Here those come from a small cache, the fields
// land in one scratch person reused line after line (the core's compiler keeps none of its objects,
// only the strings), and only ids, PINs and keys become new strings.
//
// The parser knows the shape the server sends (core/model.ts PersonDef, CredentialDef) and nothing
// else: an escape in a string, a number that is not a plain integer, null, a field it does not know,
// whitespace it does not expect — anything at all outside that shape — and it gives up (undefined),
// and the caller reads the line with JSON.parse as before. So it never refuses what JSON.parse would
// take nor takes what JSON.parse would refuse, and what it gives is the same person JSON.parse gives,
// except that absent fields are present as undefined (the compiler reads both alike).

import type { PersonDef } from '../core/model.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Thrown inside the parser when the line is outside what it reads; never leaves it. */
const GIVE_UP = Symbol('give up');

// Field names, as numbers (a field name is matched by its bytes, never made a string).
const F_ID = 1;
const F_GROUPS = 2;
const F_LEVELS = 3;
const F_ACTIVE = 4;
const F_CREDENTIALS = 5;
const F_TYPE = 6;
const F_PIN = 7;
const F_DURESS_PIN = 8;
const F_VALID_FROM = 9;
const F_VALID_UNTIL = 10;
const F_MAX_USES = 11;
const F_VALID_FOR_MINUTES = 12;
const F_STATE = 13;
const F_PUBLIC_KEY = 14;

const FIELDS: readonly [string, number][] = [
  ['id', F_ID],
  ['groups', F_GROUPS],
  ['levels', F_LEVELS],
  ['active', F_ACTIVE],
  ['credentials', F_CREDENTIALS],
  ['type', F_TYPE],
  ['pin', F_PIN],
  ['duressPin', F_DURESS_PIN],
  ['validFrom', F_VALID_FROM],
  ['validUntil', F_VALID_UNTIL],
  ['maxUses', F_MAX_USES],
  ['validForMinutes', F_VALID_FOR_MINUTES],
  ['state', F_STATE],
  ['publicKey', F_PUBLIC_KEY],
];
const PERSON_FIELDS = new Set([F_ID, F_GROUPS, F_LEVELS, F_ACTIVE, F_CREDENTIALS]);

/** Field names by length, then first byte: at most a couple of byte comparisons per name. */
const FIELD_TABLE: { bytes: Uint8Array; code: number }[][] = [];
for (const [name, code] of FIELDS) {
  const bytes = Buffer.from(name, 'latin1');
  const same = FIELD_TABLE[bytes.length] ?? [];
  same.push({ bytes, code });
  FIELD_TABLE[bytes.length] = same;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Values kept for reuse (group and level ids, types, states, dates): a site has few of them. */
const CACHE_LIMIT = 4096;
/** Longer values are not looked up (they are ids or keys, different on every line). */
const CACHE_LONGEST = 48;

/** A credential as the parser fills it: every field present, so all share one shape. */
interface ScratchCredential {
  type: string | undefined;
  id: string | undefined;
  pin: string | undefined;
  duressPin: string | undefined;
  validFrom: string | undefined;
  validUntil: string | undefined;
  maxUses: number | undefined;
  validForMinutes: number | undefined;
  levels: string[] | undefined;
  state: string | undefined;
  publicKey: string | undefined;
}

interface ScratchPerson {
  id: string | undefined;
  groups: string[] | undefined;
  levels: string[] | undefined;
  active: boolean | undefined;
  credentials: ScratchCredential[] | undefined;
}

const newCredential = (): ScratchCredential => ({
  type: undefined,
  id: undefined,
  pin: undefined,
  duressPin: undefined,
  validFrom: undefined,
  validUntil: undefined,
  maxUses: undefined,
  validForMinutes: undefined,
  levels: undefined,
  state: undefined,
  publicKey: undefined,
});

/**
 * Reads person lines into one scratch person. The person `parse` returns is valid until the next
 * call: whoever keeps it must copy it (copyPerson).
 */
export class PersonLineParser {
  private data: Buffer = Buffer.alloc(0);
  private at = 0;
  private end = 0;
  private readonly person: ScratchPerson = {
    id: undefined,
    groups: undefined,
    levels: undefined,
    active: undefined,
    credentials: undefined,
  };
  private readonly groups: string[] = [];
  private readonly levels: string[] = [];
  private readonly credentials: ScratchCredential[] = [];
  private readonly spare: ScratchCredential[] = [];
  /** the arrays the spare credentials' `levels` point to when present */
  private readonly spareLevels: string[][] = [];
  private readonly cache = new Map<number, string>();

  /** The person on `data[start, end)`, or undefined when the line is not one the parser reads. */
  parse(data: Buffer, start: number, end: number): PersonDef | undefined {
    this.data = data;
    this.at = start;
    this.end = end;
    try {
      this.readPerson();
      if (this.at !== end || this.person.id === undefined) return undefined;
      return this.person as unknown as PersonDef;
    } catch (error) {
      if (error === GIVE_UP) return undefined;
      throw error;
    }
  }

  /** The byte at the position, and the position past it; gives up at the end of the line. */
  private next(): number {
    if (this.at >= this.end) throw GIVE_UP;
    return this.data[this.at++]!;
  }

  private expect(byte: number): void {
    if (this.next() !== byte) throw GIVE_UP;
  }

  private readPerson(): void {
    const p = this.person;
    p.id = undefined;
    p.groups = undefined;
    p.levels = undefined;
    p.active = undefined;
    p.credentials = undefined;
    this.expect(OPEN_OBJECT);
    if (this.peek() === CLOSE_OBJECT) throw GIVE_UP; // no id: JSON.parse's object is refused as today
    for (;;) {
      const field = this.readName();
      if (!PERSON_FIELDS.has(field)) throw GIVE_UP;
      this.expect(COLON);
      switch (field) {
        case F_ID:
          p.id = this.readString(false);
          break;
        case F_GROUPS:
          p.groups = this.readStrings(this.groups);
          break;
        case F_LEVELS:
          p.levels = this.readStrings(this.levels);
          break;
        case F_ACTIVE:
          p.active = this.readBoolean();
          break;
        default:
          p.credentials = this.readCredentials();
      }
      const b = this.next();
      if (b === CLOSE_OBJECT) return;
      if (b !== COMMA) throw GIVE_UP;
    }
  }

  private peek(): number {
    if (this.at >= this.end) throw GIVE_UP;
    return this.data[this.at]!;
  }

  /** A field name (then the position is at its colon). */
  private readName(): number {
    this.expect(QUOTE);
    const data = this.data;
    const start = this.at;
    const close = data.indexOf(QUOTE, start);
    if (close < 0 || close >= this.end) throw GIVE_UP;
    const candidates = FIELD_TABLE[close - start];
    if (candidates !== undefined)
      for (const { bytes, code } of candidates) {
        let i = 0;
        while (i < bytes.length && data[start + i] === bytes[i]) i++;
        if (i === bytes.length) {
          this.at = close + 1;
          return code;
        }
      }
    throw GIVE_UP;
  }

  /**
   * A string of printable characters without escapes (then the position is past its closing quote):
   * ASCII as latin1 (the same code units), anything else decoded as UTF-8 as JSON.parse's input
   * would have been. `shared`: a value many lines repeat, taken from the cache.
   */
  private readString(shared: boolean): string {
    this.expect(QUOTE);
    const data = this.data;
    const end = this.end;
    const start = this.at;
    let i = start;
    let ascii = true;
    for (;;) {
      if (i >= end) throw GIVE_UP;
      const b = data[i]!;
      if (b === QUOTE) break;
      if (b === BACKSLASH || b < 0x20) throw GIVE_UP;
      if (b >= 0x80) ascii = false;
      i++;
    }
    this.at = i + 1;
    if (!ascii) return data.toString('utf8', start, i);
    if (!shared || i - start > CACHE_LONGEST) return data.toString('latin1', start, i);
    let hash = FNV_OFFSET ^ (i - start);
    for (let k = start; k < i; k++) hash = Math.imul(hash ^ data[k]!, FNV_PRIME);
    const key = hash >>> 0;
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.length === i - start) {
      let k = 0;
      while (k < cached.length && cached.charCodeAt(k) === data[start + k]) k++;
      if (k === cached.length) return cached;
    }
    const value = data.toString('latin1', start, i);
    if (cached === undefined && this.cache.size < CACHE_LIMIT) this.cache.set(key, value);
    return value;
  }

  /** An array of strings into `into` (emptied first), shared values. */
  private readStrings(into: string[]): string[] {
    this.expect(OPEN_ARRAY);
    into.length = 0;
    if (this.peek() === CLOSE_ARRAY) {
      this.at++;
      return into;
    }
    for (;;) {
      into.push(this.readString(true));
      const b = this.next();
      if (b === CLOSE_ARRAY) return into;
      if (b !== COMMA) throw GIVE_UP;
    }
  }

  private readBoolean(): boolean {
    const data = this.data;
    const at = this.at;
    if (
      at + 4 <= this.end &&
      data[at] === 0x74 &&
      data[at + 1] === 0x72 &&
      data[at + 2] === 0x75 &&
      data[at + 3] === 0x65
    ) {
      this.at = at + 4;
      return true;
    }
    if (
      at + 5 <= this.end &&
      data[at] === 0x66 &&
      data[at + 1] === 0x61 &&
      data[at + 2] === 0x6c &&
      data[at + 3] === 0x73 &&
      data[at + 4] === 0x65
    ) {
      this.at = at + 5;
      return false;
    }
    throw GIVE_UP;
  }

  /** A non-negative integer written plainly (0, or 1–15 digits without a leading zero). */
  private readInteger(): number {
    const data = this.data;
    let i = this.at;
    let value = 0;
    let digits = 0;
    while (i < this.end) {
      const d = data[i]! - 0x30;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 15 || (digits > 1 && data[this.at] === 0x30)) throw GIVE_UP;
    // A fraction or an exponent (1.5, 1e3): JSON.parse's number, not ours.
    if (i < this.end && (data[i] === 0x2e || data[i] === 0x65 || data[i] === 0x45)) throw GIVE_UP;
    this.at = i;
    return value;
  }

  private readCredentials(): ScratchCredential[] {
    this.expect(OPEN_ARRAY);
    const list = this.credentials;
    // Scratch credentials are kept in `spare` and handed out in order, line after line.
    list.length = 0;
    if (this.peek() === CLOSE_ARRAY) {
      this.at++;
      return list;
    }
    for (;;) {
      let c = this.spare[list.length];
      if (c === undefined) {
        c = newCredential();
        this.spare.push(c);
        this.spareLevels.push([]);
      }
      this.readCredential(c, this.spareLevels[list.length]!);
      list.push(c);
      const b = this.next();
      if (b === CLOSE_ARRAY) return list;
      if (b !== COMMA) throw GIVE_UP;
    }
  }

  private readCredential(c: ScratchCredential, levels: string[]): void {
    c.type = undefined;
    c.id = undefined;
    c.pin = undefined;
    c.duressPin = undefined;
    c.validFrom = undefined;
    c.validUntil = undefined;
    c.maxUses = undefined;
    c.validForMinutes = undefined;
    c.levels = undefined;
    c.state = undefined;
    c.publicKey = undefined;
    this.expect(OPEN_OBJECT);
    if (this.peek() === CLOSE_OBJECT) {
      this.at++;
      return;
    }
    for (;;) {
      const field = this.readName();
      this.expect(COLON);
      switch (field) {
        case F_TYPE:
          c.type = this.readString(true);
          break;
        case F_ID:
          c.id = this.readString(false);
          break;
        case F_PIN:
          c.pin = this.readString(false);
          break;
        case F_DURESS_PIN:
          c.duressPin = this.readString(false);
          break;
        case F_VALID_FROM:
          c.validFrom = this.readString(true);
          break;
        case F_VALID_UNTIL:
          c.validUntil = this.readString(true);
          break;
        case F_MAX_USES:
          c.maxUses = this.readInteger();
          break;
        case F_VALID_FOR_MINUTES:
          c.validForMinutes = this.readInteger();
          break;
        case F_LEVELS:
          c.levels = this.readStrings(levels);
          break;
        case F_STATE:
          c.state = this.readString(true);
          break;
        case F_PUBLIC_KEY:
          c.publicKey = this.readString(false);
          break;
        default:
          throw GIVE_UP;
      }
      const b = this.next();
      if (b === CLOSE_OBJECT) return;
      if (b !== COMMA) throw GIVE_UP;
    }
  }
}

/**
 * A person the parser gave, as an object of its own (to keep past the next line): what JSON.parse of
 * the line gives (JSON drops the fields left undefined).
 */
export function copyPerson(person: PersonDef): PersonDef {
  return JSON.parse(JSON.stringify(person)) as PersonDef;
}
