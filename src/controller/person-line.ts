// One person line of a snapshot body (contracts/transfer.ts: a person's canonical JSON) read without
// JSON.parse. JSON.parse of each line makes a string of the whole line, then a fresh object, array
// and string for every field, though most of them (group and level ids, credential types, states,
// dates) are the same few values line after line. Here those come from a small cache, the
// credentials land in scratch objects used again line after line (the core's compiler keeps none of
// its input objects, only strings), and only ids, PINs and keys are new strings (slices of the line).
// Compiling 200,000 people, the process then holds ~30 MB less (RSS 150–158 MB, was 178–189).
//
// The parser knows the shape the server sends (core/model.ts PersonDef, CredentialDef), in ASCII,
// and nothing else: an escape, a character that is not printable ASCII, a number that is not a plain
// integer, null, a field it does not know, whitespace — anything outside that shape — and it gives up
// (undefined), and the caller reads the line with JSON.parse as before. So it never refuses what
// JSON.parse would take nor takes what JSON.parse would refuse, and what it gives is the person
// JSON.parse gives, except that absent fields are present as undefined (the compiler reads both
// alike) (test/controller/person-line.properties.test.ts).

import type { PersonDef } from '../core/model.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

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

/** Field names by length: at most three comparisons per name. */
const FIELD_TABLE: { name: string; code: number }[][] = [];
for (const [name, code] of FIELDS) {
  const same = FIELD_TABLE[name.length] ?? [];
  same.push({ name, code });
  FIELD_TABLE[name.length] = same;
}

/**
 * What the parser leaves to JSON.parse wherever it is in a line: anything but printable ASCII (a
 * control character, DEL, non-ASCII) and the backslash (an escape).
 */
const OUTSIDE = /[^\x20-\x5b\x5d-\x7e]/;

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

/** Buffer's own latin1 decoder (what `toString('latin1', …)` calls after checking its arguments). */
const latin1 = (data: Buffer, start: number, end: number): string =>
  (data as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);

/** The code of the field name at text[start, end), or 0 when it is not one the parser knows. */
function fieldAt(text: string, start: number, end: number): number {
  const candidates = FIELD_TABLE[end - start];
  if (candidates !== undefined)
    for (let c = 0; c < candidates.length; c++) {
      const field = candidates[c]!;
      if (text.startsWith(field.name, start)) return field.code;
    }
  return 0;
}

/**
 * Reads person lines. The person `parse` returns is valid until the next call (its credential
 * objects are used again): whoever keeps it must copy it (copyPerson).
 *
 * The line is made one latin1 string (one call into the runtime, where a string per field would be
 * four or five), checked for anything left to JSON.parse in one native scan, and read by character
 * code with the position in a local variable; every string then ends at its next quote. Ids and
 * hashes are slices of the line. A slice keeps its line alive, which is no matter for what the
 * compiler reads and drops (the store copies strings into its pool), but the agent keeps a mobile
 * credential's id and public key, and its holder's id: those are made strings of their own, and so
 * is every value in the cache.
 */
export class PersonLineParser {
  private data: Buffer = Buffer.alloc(0);
  /** where the line starts in `data` */
  private base = 0;
  /** the position after the last list or credential read */
  private at = 0;
  /** credential objects handed out in order, line after line */
  private readonly spare: ScratchCredential[] = [];
  private readonly person: ScratchPerson = {
    id: undefined,
    groups: undefined,
    levels: undefined,
    active: undefined,
    credentials: undefined,
  };
  private readonly cache = new Map<number, string>();
  private anyMobile = false;

  /** The person on `data[start, end)`, or undefined when the line is not one the parser reads. */
  parse(data: Buffer, start: number, end: number): PersonDef | undefined {
    const t = latin1(data, start, end);
    // Escapes, control characters, anything not ASCII: JSON.parse's line. Below, a string ends at
    // its next quote, and is as JSON.parse reads it.
    if (OUTSIDE.test(t)) return undefined;
    this.data = data;
    this.base = start;
    this.anyMobile = false;
    const p = this.person;
    p.id = undefined;
    p.groups = undefined;
    p.levels = undefined;
    p.active = undefined;
    p.credentials = undefined;
    let idStart = 0;
    let idEnd = 0;
    // A character code past the end is NaN: it matches nothing, and the parser gives up.
    if (t.charCodeAt(0) !== OPEN_OBJECT || t.charCodeAt(1) === CLOSE_OBJECT) return undefined;
    let i = 1;
    for (;;) {
      if (t.charCodeAt(i) !== QUOTE) return undefined;
      let j = t.indexOf('"', i + 1);
      if (j < 0) return undefined;
      const field = fieldAt(t, i + 1, j);
      i = j + 1;
      if (t.charCodeAt(i++) !== COLON) return undefined;
      switch (field) {
        case F_ID:
          if (t.charCodeAt(i) !== QUOTE) return undefined;
          j = t.indexOf('"', i + 1);
          if (j < 0) return undefined;
          idStart = i + 1;
          idEnd = j;
          p.id = t.slice(idStart, idEnd);
          i = j + 1;
          break;
        case F_GROUPS:
        case F_LEVELS: {
          const list = this.strings(t, i);
          if (list === undefined) return undefined;
          if (field === F_GROUPS) p.groups = list;
          else p.levels = list;
          i = this.at;
          break;
        }
        case F_ACTIVE:
          if (t.startsWith('true', i)) {
            p.active = true;
            i += 4;
          } else if (t.startsWith('false', i)) {
            p.active = false;
            i += 5;
          } else return undefined;
          break;
        case F_CREDENTIALS: {
          const list = this.credentials(t, i);
          if (list === undefined) return undefined;
          p.credentials = list;
          i = this.at;
          break;
        }
        default:
          return undefined;
      }
      const c = t.charCodeAt(i++);
      if (c === CLOSE_OBJECT) break;
      if (c !== COMMA) return undefined;
    }
    if (i !== t.length || p.id === undefined) return undefined;
    if (this.anyMobile) p.id = this.own(idStart, idEnd);
    return p as unknown as PersonDef;
  }

  /** The string at [start, end) of the line as one of its own, not a slice holding the line. */
  private own(start: number, end: number): string {
    return latin1(this.data, this.base + start, this.base + end);
  }

  /** A value many lines repeat (a group or level id, a type, a state, a date), from the cache. */
  private shared(t: string, start: number, end: number): string {
    if (end - start > CACHE_LONGEST) return t.slice(start, end);
    let hash = FNV_OFFSET ^ (end - start);
    for (let k = start; k < end; k++) hash = Math.imul(hash ^ t.charCodeAt(k), FNV_PRIME);
    const key = hash >>> 0;
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.length === end - start && t.startsWith(cached, start)) return cached;
    const value = this.own(start, end);
    if (cached === undefined && this.cache.size < CACHE_LIMIT) this.cache.set(key, value);
    return value;
  }

  /** An array of strings at `i` (shared values); `at` is then past it. */
  private strings(t: string, i: number): string[] | undefined {
    if (t.charCodeAt(i++) !== OPEN_ARRAY) return undefined;
    // A new array each time: emptying one to reuse it is a runtime call, slower.
    const list: string[] = [];
    if (t.charCodeAt(i) === CLOSE_ARRAY) {
      this.at = i + 1;
      return list;
    }
    for (;;) {
      if (t.charCodeAt(i) !== QUOTE) return undefined;
      const j = t.indexOf('"', i + 1);
      if (j < 0) return undefined;
      list.push(this.shared(t, i + 1, j));
      i = j + 1;
      const c = t.charCodeAt(i++);
      if (c === CLOSE_ARRAY) break;
      if (c !== COMMA) return undefined;
    }
    this.at = i;
    return list;
  }

  /** An array of credentials at `i`; `at` is then past it. */
  private credentials(t: string, i: number): ScratchCredential[] | undefined {
    if (t.charCodeAt(i++) !== OPEN_ARRAY) return undefined;
    const list: ScratchCredential[] = [];
    if (t.charCodeAt(i) === CLOSE_ARRAY) {
      this.at = i + 1;
      return list;
    }
    for (;;) {
      let c = this.spare[list.length];
      if (c === undefined) {
        c = newCredential();
        this.spare.push(c);
      }
      if (!this.credential(t, i, c)) return undefined;
      list.push(c);
      i = this.at;
      const b = t.charCodeAt(i++);
      if (b === CLOSE_ARRAY) break;
      if (b !== COMMA) return undefined;
    }
    this.at = i;
    return list;
  }

  /** One credential at `i` into `c`; `at` is then past it. */
  private credential(t: string, i: number, c: ScratchCredential): boolean {
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
    if (t.charCodeAt(i++) !== OPEN_OBJECT) return false;
    if (t.charCodeAt(i) === CLOSE_OBJECT) {
      this.at = i + 1;
      return true;
    }
    let idStart = 0;
    let idEnd = 0;
    let keyStart = 0;
    let keyEnd = 0;
    for (;;) {
      if (t.charCodeAt(i) !== QUOTE) return false;
      let j = t.indexOf('"', i + 1);
      if (j < 0) return false;
      const field = fieldAt(t, i + 1, j);
      i = j + 1;
      if (t.charCodeAt(i++) !== COLON) return false;
      if (field === F_LEVELS) {
        const list = this.strings(t, i);
        if (list === undefined) return false;
        c.levels = list;
        i = this.at;
      } else if (field === F_MAX_USES || field === F_VALID_FOR_MINUTES) {
        // A non-negative integer written plainly (0, or 1–15 digits without a leading zero); a
        // fraction, an exponent or a sign is JSON.parse's.
        let value = 0;
        j = i;
        for (let d = t.charCodeAt(j) - 0x30; d >= 0 && d <= 9; d = t.charCodeAt(j) - 0x30) {
          value = value * 10 + d;
          j++;
        }
        const digits = j - i;
        if (digits === 0 || digits > 15 || (digits > 1 && t.charCodeAt(i) === 0x30)) return false;
        const after = t.charCodeAt(j);
        if (after === 0x2e || after === 0x65 || after === 0x45) return false;
        if (field === F_MAX_USES) c.maxUses = value;
        else c.validForMinutes = value;
        i = j;
      } else {
        if (t.charCodeAt(i) !== QUOTE) return false;
        j = t.indexOf('"', i + 1);
        if (j < 0) return false;
        const start = i + 1;
        i = j + 1;
        switch (field) {
          case F_ID:
            c.id = t.slice(start, j);
            idStart = start;
            idEnd = j;
            break;
          case F_PIN:
            c.pin = t.slice(start, j);
            break;
          case F_DURESS_PIN:
            c.duressPin = t.slice(start, j);
            break;
          case F_PUBLIC_KEY:
            c.publicKey = t.slice(start, j);
            keyStart = start;
            keyEnd = j;
            break;
          case F_TYPE:
            c.type = this.shared(t, start, j);
            break;
          case F_STATE:
            c.state = this.shared(t, start, j);
            break;
          case F_VALID_FROM:
            c.validFrom = this.shared(t, start, j);
            break;
          case F_VALID_UNTIL:
            c.validUntil = this.shared(t, start, j);
            break;
          default:
            return false;
        }
      }
      const b = t.charCodeAt(i++);
      if (b === CLOSE_OBJECT) break;
      if (b !== COMMA) return false;
    }
    // The agent keeps a mobile key's id and public key: strings of their own.
    if (c.type === 'mobile') {
      this.anyMobile = true;
      if (c.id !== undefined) c.id = this.own(idStart, idEnd);
      if (c.publicKey !== undefined) c.publicKey = this.own(keyStart, keyEnd);
    }
    this.at = i;
    return true;
  }
}

/**
 * A person the parser gave, as an object of its own (to keep past the next line): what JSON.parse of
 * the line gives (JSON drops the fields left undefined).
 */
export function copyPerson(person: PersonDef): PersonDef {
  return JSON.parse(JSON.stringify(person)) as PersonDef;
}
