// People and credentials of a compiled policy, stored compactly enough for a controller holding
// 2,000,000 cardholders in well under 500 MB (DESIGN.md §7, issue 11): structs of typed arrays
// indexed by person and credential number, strings packed in one byte pool (strings.ts), level and
// group lists in one CSR array, and two open-addressing hash tables over typed arrays (person id →
// person, `TYPE:ID` → credential). Nothing here allocates an object per person.
//
// A `People` is immutable to its users. Policies derived by a people delta (`withPeopleDelta`) share
// the store of the policy they came from: the delta appends the new people to the same arrays and
// marks the replaced and removed ones with the version that removed them, so the older `People`
// still sees exactly what it saw (it reads only below its own counts, and a removal is visible only
// to versions at or after it). Only the newest version of a store is extended in place; a delta on
// an older one, or one that would leave too many removed people behind, rebuilds a fresh store.
// Person numbers stay the same through an in-place delta, so runtime state carries over cheaply.

import type { CredentialDef, CredentialState, CredentialType, PersonDef } from './model.ts';
import { PolicyError, type PolicyPath } from './policy-error.ts';
import { hashText, StringPool } from './strings.ts';
import { parseLocalDateTime } from './time/civil.ts';
import type { TimeZone } from './time/zone.ts';

/** Credential types by code (the order is part of the stored form). */
export const CREDENTIAL_TYPE_CODE: readonly CredentialType[] = ['card', 'pin', 'mobile', 'key', 'biometric'];
/** Credential states by code; 0 is active. */
export const CREDENTIAL_STATE_CODE: readonly CredentialState[] = ['active', 'suspended', 'lost', 'revoked'];
export const TYPE_PIN = 1;

const TYPE_SEED = 0x9e3779b9;
const ACTIVE = 1;

/** How a credential's safe reference is formed (never from PIN digits). */
const REF_KEY = 0; // `TYPE:ID`, the lookup key itself
const REF_PIN_HOLDER = 1; // `pin#PERSON/ORDINAL`: a PIN-only credential without an id
const REF_PIN_ID = 2; // `pin:ID`: a PIN-only credential with an id beside its digits

/** Type code of a `TYPE:ID` string, or -1. Its id starts after `TYPE_LENGTH[code] + 1`. */
export function credentialTypeOf(key: string): number {
  switch (key.charCodeAt(0)) {
    case 99: // c
      return key.startsWith('card:') ? 0 : -1;
    case 112: // p
      return key.startsWith('pin:') ? 1 : -1;
    case 109: // m
      return key.startsWith('mobile:') ? 2 : -1;
    case 107: // k
      return key.startsWith('key:') ? 3 : -1;
    case 98: // b
      return key.startsWith('biometric:') ? 4 : -1;
    default:
      return -1;
  }
}
const TYPE_LENGTH = CREDENTIAL_TYPE_CODE.map((t) => t.length);

/** The lookup key of a credential: `TYPE:ID`, or `pin:DIGITS` for a PIN-only one. */
export function credentialKey(
  type: CredentialType,
  def: Pick<CredentialDef, 'id' | 'pin'>,
): string | undefined {
  const id = type === 'pin' ? (def.pin ?? def.id) : def.id;
  return id === undefined ? undefined : `${type}:${id}`;
}

/** What compiling a person needs from the rest of the policy. */
export interface PeopleContext {
  zone: TimeZone;
  groupIndex: ReadonlyMap<string, number>;
  levelIndex: ReadonlyMap<string, number>;
}

/** A person compiled but not yet stored. */
interface PersonRow {
  id: string;
  hash: number;
  active: boolean;
  groups: number[];
  levels: number[];
  credentials: CredentialRow[];
}

interface CredentialRow {
  type: number;
  hash: number;
  state: number;
  ref: number;
  ordinal: number;
  /** the id part of the key (PIN digits for a PIN-only credential) */
  idText: string;
  pin: string | undefined;
  duressPin: string | undefined;
  refId: string | undefined;
  validFrom: number;
  validUntil: number;
  maxUses: number;
  /** ms from the first grant (Infinity: no such limit) */
  validForMs: number;
  /** the credential's own level indices (a time-limited key), undefined: its holder's */
  levels: number[] | undefined;
}

function nonNegative(value: number | undefined, path: PolicyPath): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) throw new PolicyError(path, 'must be a number ≥ 0');
  return value;
}

/**
 * Instants of validity bounds already converted, per zone: many credentials share a few dates (the
 * end of a contract, of a term), and converting one takes ~20 µs. Bounded; a pure memo.
 */
const BOUNDS = new WeakMap<TimeZone, Map<string, number>>();
const MAX_BOUNDS = 4096;

function validityBound(text: string | undefined, zone: TimeZone, fallback: number, path: PolicyPath): number {
  if (text === undefined) return fallback;
  let known = BOUNDS.get(zone);
  const hit = known?.get(text);
  if (hit !== undefined) return hit;
  const wall = parseLocalDateTime(text);
  if (wall === undefined)
    throw new PolicyError(path, `"${text}" is not a local date-time YYYY-MM-DDTHH:MM[:SS]`);
  const instant = zone.toInstant(wall);
  if (known === undefined) {
    known = new Map();
    BOUNDS.set(zone, known);
  }
  if (known.size >= MAX_BOUNDS) known.clear();
  known.set(text, instant);
  return instant;
}

/** The error for a credential someone else holds; never names PIN digits. */
function takenMessage(type: number, idText: string): string {
  return `credential ${type === TYPE_PIN ? 'PIN' : `${CREDENTIAL_TYPE_CODE[type]}:${idText}`} is already held by someone`;
}

/**
 * Whether a credential gets a row of rare fields in the store (`append`: validity, uses, duress PIN,
 * a PIN-only credential's own id, own levels) — for sizing a store before it fills.
 */
export function hasRareFields(c: CredentialDef): boolean {
  return (
    c.duressPin !== undefined ||
    (c.type === 'pin' && c.id !== undefined && c.pin !== undefined) ||
    c.maxUses !== undefined ||
    c.validFrom !== undefined ||
    c.validUntil !== undefined ||
    c.validForMinutes !== undefined ||
    c.levels !== undefined
  );
}

/**
 * Validates one person definition against the policy; errors name the field under `path`. Runs once
 * per person of a 2,000,000-person snapshot, so it allocates only what it keeps (paths are built
 * only for an error).
 */
function compilePerson(def: PersonDef, path: PolicyPath, ctx: PeopleContext): PersonRow {
  if (typeof def.id !== 'string' || def.id.length === 0)
    throw new PolicyError([...path, 'id'], 'a person needs an id');
  const groups: number[] = [];
  const groupIds = def.groups ?? [];
  for (let i = 0; i < groupIds.length; i++) {
    const index = ctx.groupIndex.get(groupIds[i]!);
    if (index === undefined) throw new PolicyError([...path, 'groups', i], `unknown group "${groupIds[i]}"`);
    if (!groups.includes(index)) groups.push(index);
  }
  const levels: number[] = [];
  const levelIds = def.levels ?? [];
  for (let i = 0; i < levelIds.length; i++) {
    const index = ctx.levelIndex.get(levelIds[i]!);
    if (index === undefined) throw new PolicyError([...path, 'levels', i], `unknown level "${levelIds[i]}"`);
    if (!levels.includes(index)) levels.push(index);
  }
  const defs = def.credentials ?? [];
  if (groups.length > MAX_PER_PERSON || levels.length > MAX_PER_PERSON || defs.length > 0xffffff)
    throw new PolicyError(path, `a person may have at most ${MAX_PER_PERSON} groups and levels each`);
  const credentials: CredentialRow[] = [];
  for (let i = 0; i < defs.length; i++) {
    const c = defs[i]!;
    const type = CREDENTIAL_TYPE_CODE.indexOf(c.type);
    const isPin = type === TYPE_PIN;
    const idText = isPin ? (c.pin ?? c.id) : c.id;
    if (type < 0 || idText === undefined || idText === '') {
      throw new PolicyError(
        [...path, 'credentials', i],
        type < 0
          ? `unknown credential type "${c.type}"`
          : isPin
            ? 'a PIN credential needs its `pin` digits'
            : `a ${c.type} credential needs an \`id\``,
      );
    }
    for (const other of credentials)
      if (other.type === type && other.idText === idText)
        throw new PolicyError([...path, 'credentials', i], takenMessage(type, idText));
    let ownLevels: number[] | undefined;
    if (c.levels !== undefined) {
      ownLevels = [];
      for (let j = 0; j < c.levels.length; j++) {
        const index = ctx.levelIndex.get(c.levels[j]!);
        if (index === undefined)
          throw new PolicyError([...path, 'credentials', i, 'levels', j], `unknown level "${c.levels[j]}"`);
        if (!ownLevels.includes(index)) ownLevels.push(index);
      }
      if (ownLevels.length > MAX_PER_PERSON)
        throw new PolicyError([...path, 'credentials', i, 'levels'], `at most ${MAX_PER_PERSON} levels`);
    }
    const state = c.state === undefined ? 0 : CREDENTIAL_STATE_CODE.indexOf(c.state);
    if (state < 0)
      throw new PolicyError([...path, 'credentials', i, 'state'], `unknown credential state "${c.state}"`);
    credentials.push({
      type,
      hash: hashText(idText, 0, type * TYPE_SEED),
      state,
      ref: !isPin
        ? REF_KEY
        : c.id === undefined
          ? REF_PIN_HOLDER
          : c.pin !== undefined
            ? REF_PIN_ID
            : REF_KEY,
      ordinal: i,
      idText,
      pin: c.pin,
      duressPin: c.duressPin,
      refId: isPin && c.id !== undefined && c.pin !== undefined ? c.id : undefined,
      validFrom:
        c.validFrom === undefined
          ? Number.NEGATIVE_INFINITY
          : validityBound(c.validFrom, ctx.zone, 0, [...path, 'credentials', i, 'validFrom']),
      validUntil:
        c.validUntil === undefined
          ? Number.POSITIVE_INFINITY
          : validityBound(c.validUntil, ctx.zone, 0, [...path, 'credentials', i, 'validUntil']),
      maxUses:
        c.maxUses === undefined
          ? Number.POSITIVE_INFINITY
          : nonNegative(c.maxUses, [...path, 'credentials', i, 'maxUses'])!,
      validForMs:
        c.validForMinutes === undefined
          ? Number.POSITIVE_INFINITY
          : nonNegative(c.validForMinutes, [...path, 'credentials', i, 'validForMinutes'])! * 60_000,
      levels: ownLevels,
    });
  }
  return {
    id: def.id,
    hash: hashText(def.id, 0, 0),
    active: def.active ?? true,
    groups,
    levels,
    credentials,
  };
}

// Row layouts. Everything a decision reads about a credential and its holder sits in one 32-byte
// credential row, so the common path touches one cache line there instead of one per field (the
// holder's hot fields are copied into each of their credentials' rows; both are written once and
// never change, except the version that removed them).
/** credential row: pool offset of the id (the key after `TYPE:`) */
export const C_ID = 0;
/**
 * credential row: type (3 bits) | state << 3 (2) | ref form << 5 (2) | holder active << 7 |
 * holder's group count << 8 (12) | holder's direct level count << 20 (12)
 */
export const C_BITS = 1;
/** credential row: holder's person number */
export const C_PERSON = 2;
/** credential row: version that removed the holder (0: never) */
export const C_REMOVED = 3;
/** credential row: pool offset + 1 of the card's own PIN (0: none) */
export const C_PIN = 4;
/** credential row: extras row + 1 (0: none: no validity window, use count, duress PIN or separate id) */
export const C_EXTRA = 5;
/** credential row: holder's first entry (their groups, then their direct levels) */
export const C_RUN = 6;
/** credential row: pool offset of the holder's id */
export const C_PERSON_ID = 7;
export const CRED_STRIDE = 8;
export const C_ACTIVE_BIT = 1 << 7;
/** at most this many groups, and this many direct levels, per person */
export const MAX_PER_PERSON = 0xfff;

/** person row: pool offset of the id */
const P_ID = 0;
/** person row: first entry */
const P_RUN = 1;
/** person row: group count | direct level count << 16 */
const P_COUNTS = 2;
/** person row: first credential number */
const P_CRED_FIRST = 3;
/** person row: active (bit 0) | credential count << 8 */
const P_BITS = 4;
/** person row: version that removed the person (0: never) */
const P_REMOVED = 5;
const PERSON_STRIDE = 6;

type Numbers = Uint32Array | Int32Array | Float64Array | Uint8Array;

function grown<T extends Numbers>(array: T, need: number): T {
  if (need <= array.length) return array;
  let size = Math.max(64, array.length);
  while (size < need) size = Math.ceil(size * 1.5);
  const copy = new (array.constructor as new (n: number) => T)(size);
  copy.set(array);
  return copy;
}

/**
 * Gives back what growing over-allocated, keeping some room for deltas to append to. Slack of up to
 * an eighth is kept as it is: the copy would hold the array twice until the next collection (24 MB
 * of garbage at 2,000,000 people for a store sized 2.6 % over its entries), for a saving that small.
 */
function shrunk<T extends Numbers>(array: T, used: number): T {
  if (array.length - used <= Math.max(256, used >> 3)) return array;
  return array.slice(0, used + Math.max(256, used >> 6)) as T;
}

/** Open-addressing tables are sized for at most 60 % load and grow past 75 %. */
function tableSize(entries: number): number {
  let size = 16;
  while (size * 0.6 < entries) size *= 2;
  return size;
}
const tableFull = (fill: number, size: number) => fill > size * 0.75;

/**
 * Puts number `n` (person or credential) into an open-addressing table at its hash's slot. An entry
 * is `n + 1` in the bits below the table's mask and the hash's own bits above it, so a probe passes
 * over other entries without reading their rows; `n + 1` is always below the table's size.
 */
function tableInsert(table: Int32Array, n: number, hash: number): void {
  const mask = table.length - 1;
  let slot = hash & mask;
  while (table[slot] !== 0) slot = (slot + 1) & mask;
  table[slot] = (hash & ~mask) | (n + 1);
}

/**
 * The arrays behind one or more `People` versions. Append-only, except the `removed` words of person
 * and credential rows, which record the version that removed a person (0: never).
 */
export class PeopleStore {
  readonly pool: StringPool;
  /** person rows, PERSON_STRIDE words each */
  personRows = new Uint32Array(0);
  /** credential rows, CRED_STRIDE words each */
  credRows = new Uint32Array(0);
  /** per person: group indices, then direct level indices */
  entries = new Int32Array(0);
  // Rare fields, kept apart so that most credentials pay nothing for them.
  extraValidFrom = new Float64Array(0);
  extraValidUntil = new Float64Array(0);
  extraMaxUses = new Float64Array(0);
  /** pool offset + 1 of a duress PIN, 0: none */
  extraDuress = new Uint32Array(0);
  /** pool offset + 1 of a PIN-only credential's own id, 0: none */
  extraRefId = new Uint32Array(0);
  /** ms a credential stays valid from its first grant (Infinity: no such limit) */
  extraValidFor = new Float64Array(0);
  /** 1: the credential's row names its own levels, not its holder's (a time-limited key) */
  extraOwnLevels = new Uint8Array(0);

  people = 0;
  credentials = 0;
  entryCount = 0;
  extras = 0;
  /** the newest version built on this store */
  version = 1;
  /** a store derived by `onlyActive`: its rows are copies, it is never extended in place */
  frozen = false;
  /** open-addressing tables of the newest version: slot → number + 1, 0 = empty */
  personTable: Int32Array;
  credTable: Int32Array;
  personTableFill = 0;
  credTableFill = 0;

  constructor(
    expectedPeople = 0,
    expectedCredentials = expectedPeople,
    poolBytes = 1 << 12,
    expectedEntries = expectedPeople * 3,
    /** credentials with a rare field (validity, uses, duress PIN, PIN id, own levels) */
    expectedExtras = 0,
  ) {
    this.pool = new StringPool(poolBytes);
    // Sized up front like the rows: grown from nothing they copy themselves over and over (~30 MB of
    // garbage at 2,000,000 people with 250,000 such credentials).
    if (expectedExtras > 0) {
      this.extraValidFrom = new Float64Array(expectedExtras);
      this.extraValidUntil = new Float64Array(expectedExtras);
      this.extraMaxUses = new Float64Array(expectedExtras);
      this.extraDuress = new Uint32Array(expectedExtras);
      this.extraRefId = new Uint32Array(expectedExtras);
      this.extraValidFor = new Float64Array(expectedExtras);
      this.extraOwnLevels = new Uint8Array(expectedExtras);
    }
    this.personTable = new Int32Array(tableSize(expectedPeople));
    this.credTable = new Int32Array(tableSize(expectedCredentials));
    this.personRows = new Uint32Array(expectedPeople * PERSON_STRIDE);
    this.credRows = new Uint32Array(expectedCredentials * CRED_STRIDE);
    this.entries = new Int32Array(expectedEntries);
  }

  /**
   * A store that shares everything with this one but its person and credential rows, which are
   * copies (their active bits may then differ: an offline fallback). Frozen: a delta rebuilds.
   */
  derive(): PeopleStore {
    const copy = Object.create(PeopleStore.prototype) as PeopleStore;
    Object.assign(copy, this);
    copy.personRows = this.personRows.slice(0, this.people * PERSON_STRIDE);
    copy.credRows = this.credRows.slice(0, this.credentials * CRED_STRIDE);
    copy.frozen = true;
    return copy;
  }

  /** Clears the active bit of person `p` and of their credentials' rows (a derived store only). */
  deactivate(p: number): void {
    this.personRows[p * PERSON_STRIDE + P_BITS]! &= ~ACTIVE;
    const first = this.personCredFirst(p);
    const end = first + this.personCredCount(p);
    for (let c = first; c < end; c++) this.credRows[c * CRED_STRIDE + C_BITS]! &= ~C_ACTIVE_BIT;
  }

  /** Gives back what growing over-allocated (a built policy of millions would carry it as slack). */
  trim(): void {
    this.personRows = shrunk(this.personRows, this.people * PERSON_STRIDE);
    this.credRows = shrunk(this.credRows, this.credentials * CRED_STRIDE);
    this.entries = shrunk(this.entries, this.entryCount);
    this.extraValidFrom = shrunk(this.extraValidFrom, this.extras);
    this.extraValidUntil = shrunk(this.extraValidUntil, this.extras);
    this.extraMaxUses = shrunk(this.extraMaxUses, this.extras);
    this.extraDuress = shrunk(this.extraDuress, this.extras);
    this.extraRefId = shrunk(this.extraRefId, this.extras);
    this.extraValidFor = shrunk(this.extraValidFor, this.extras);
    this.extraOwnLevels = shrunk(this.extraOwnLevels, this.extras);
  }

  /** Bytes held by the rows, tables and string pool. */
  get allocatedBytes(): number {
    const arrays: Numbers[] = [
      this.personRows,
      this.credRows,
      this.entries,
      this.extraValidFrom,
      this.extraValidUntil,
      this.extraMaxUses,
      this.extraDuress,
      this.extraRefId,
      this.extraValidFor,
      this.extraOwnLevels,
      this.personTable,
      this.credTable,
    ];
    return arrays.reduce((n, a) => n + a.byteLength, 0) + this.pool.allocated;
  }

  // Field reads, for this module and the decision (decide.ts reads the rows directly).
  personIdOffset(p: number): number {
    return this.personRows[p * PERSON_STRIDE + P_ID]!;
  }
  personRun(p: number): number {
    return this.personRows[p * PERSON_STRIDE + P_RUN]!;
  }
  personGroupCount(p: number): number {
    return this.personRows[p * PERSON_STRIDE + P_COUNTS]! & 0xffff;
  }
  personLevelCount(p: number): number {
    return this.personRows[p * PERSON_STRIDE + P_COUNTS]! >>> 16;
  }
  personCredFirst(p: number): number {
    return this.personRows[p * PERSON_STRIDE + P_CRED_FIRST]!;
  }
  personCredCount(p: number): number {
    return this.personRows[p * PERSON_STRIDE + P_BITS]! >>> 8;
  }
  personActive(p: number): boolean {
    return (this.personRows[p * PERSON_STRIDE + P_BITS]! & ACTIVE) !== 0;
  }
  credPerson(c: number): number {
    return this.credRows[c * CRED_STRIDE + C_PERSON]!;
  }
  credType(c: number): number {
    return this.credRows[c * CRED_STRIDE + C_BITS]! & 7;
  }
  credState(c: number): number {
    return (this.credRows[c * CRED_STRIDE + C_BITS]! >>> 3) & 3;
  }
  credRefForm(c: number): number {
    return (this.credRows[c * CRED_STRIDE + C_BITS]! >>> 5) & 3;
  }
  /** position of credential `c` among its holder's credentials */
  credOrdinal(c: number): number {
    return c - this.personCredFirst(this.credPerson(c));
  }
  credIdOffset(c: number): number {
    return this.credRows[c * CRED_STRIDE + C_ID]!;
  }
  /** pool offset + 1 of the PIN, 0: none */
  credPin(c: number): number {
    return this.credRows[c * CRED_STRIDE + C_PIN]!;
  }
  /** extras row, -1: none */
  credExtra(c: number): number {
    return this.credRows[c * CRED_STRIDE + C_EXTRA]! - 1;
  }

  /** Whether person `p` exists in version `version`. */
  alive(p: number, version: number): boolean {
    const removed = this.personRows[p * PERSON_STRIDE + P_REMOVED]!;
    return removed === 0 || removed > version;
  }

  /** Marks person `p` (and their credentials) removed from version `version` on. */
  remove(p: number, version: number): void {
    this.personRows[p * PERSON_STRIDE + P_REMOVED] = version;
    const first = this.personCredFirst(p);
    const end = first + this.personCredCount(p);
    for (let c = first; c < end; c++) this.credRows[c * CRED_STRIDE + C_REMOVED] = version;
  }

  /** Person number of `id` among the first `length` people of `version`, through `table`; or -1. */
  indexOf(id: string, length: number, version: number, table: Int32Array, hash = hashText(id, 0, 0)): number {
    const mask = table.length - 1;
    const tag = hash & ~mask;
    let slot = hash & mask;
    for (;;) {
      const entry = table[slot]!;
      if (entry === 0) return -1;
      if ((entry & ~mask) === tag) {
        const p = (entry & mask) - 1;
        if (p < length && this.alive(p, version) && this.pool.equals(this.personIdOffset(p), id, 0)) return p;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Credential number of a `TYPE:ID` key among the first `count` credentials of `version`; or -1. */
  findCredential(key: string, count: number, version: number, table: Int32Array): number {
    const type = credentialTypeOf(key);
    if (type < 0) return -1;
    const from = TYPE_LENGTH[type]! + 1;
    return this.findCredentialId(
      type,
      key,
      from,
      hashText(key, from, type * TYPE_SEED),
      count,
      version,
      table,
    );
  }

  /** The same, for type code `type` and the id `text.slice(from)` whose hash is `hash`. */
  findCredentialId(
    type: number,
    text: string,
    from: number,
    hash: number,
    count: number,
    version: number,
    table: Int32Array,
  ): number {
    const rows = this.credRows;
    const mask = table.length - 1;
    const tag = hash & ~mask;
    let slot = hash & mask;
    for (;;) {
      const entry = table[slot]!;
      if (entry === 0) return -1;
      // The entry's high bits are its hash's: most other entries are passed over without reading
      // their rows (a cache miss each, at millions of credentials).
      if ((entry & ~mask) === tag) {
        const c = (entry & mask) - 1;
        const row = c * CRED_STRIDE;
        const removed = rows[row + C_REMOVED]!;
        if (
          c < count &&
          (rows[row + C_BITS]! & 7) === type &&
          (removed === 0 || removed > version) &&
          this.pool.equals(rows[row + C_ID]!, text, from)
        )
          return c;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Appends a compiled person; returns its number. The caller has checked it for conflicts. */
  append(row: PersonRow): number {
    const p = this.people++;
    const run = this.entryCount;
    const n = row.groups.length + row.levels.length;
    this.entries = grown(this.entries, run + n);
    for (const g of row.groups) this.entries[this.entryCount++] = g;
    for (const l of row.levels) this.entries[this.entryCount++] = l;
    const counts = row.groups.length | (row.levels.length << 16);
    this.personRows = grown(this.personRows, this.people * PERSON_STRIDE);
    const pr = p * PERSON_STRIDE;
    const rows = this.personRows;
    const idOffset = this.pool.add(row.id);
    rows[pr + P_ID] = idOffset;
    rows[pr + P_RUN] = run;
    rows[pr + P_COUNTS] = counts;
    rows[pr + P_CRED_FIRST] = this.credentials;
    rows[pr + P_BITS] = (row.active ? ACTIVE : 0) | (row.credentials.length << 8);
    rows[pr + P_REMOVED] = 0;
    this.insertPerson(p, row.hash);
    for (const c of row.credentials) {
      const i = this.credentials++;
      this.credRows = grown(this.credRows, this.credentials * CRED_STRIDE);
      const cr = i * CRED_STRIDE;
      const creds = this.credRows;
      creds[cr + C_ID] = this.pool.add(c.idText);
      // A credential with its own levels points at its own run of them (no groups) instead of its
      // holder's: the decision reads the run from the credential row and needs no other branch.
      let credRun = run;
      if (c.levels !== undefined) {
        credRun = this.entryCount;
        this.entries = grown(this.entries, credRun + c.levels.length);
        for (const l of c.levels) this.entries[this.entryCount++] = l;
      }
      creds[cr + C_BITS] =
        (c.type |
          (c.state << 3) |
          (c.ref << 5) |
          (row.active ? C_ACTIVE_BIT : 0) |
          (c.levels !== undefined ? 0 : row.groups.length << 8) |
          ((c.levels ?? row.levels).length << 20)) >>>
        0;
      creds[cr + C_PERSON] = p;
      creds[cr + C_REMOVED] = 0;
      creds[cr + C_PIN] = c.pin === undefined ? 0 : this.pool.add(c.pin) + 1;
      creds[cr + C_RUN] = credRun;
      creds[cr + C_PERSON_ID] = idOffset;
      const rare =
        c.duressPin !== undefined ||
        c.refId !== undefined ||
        c.maxUses !== Number.POSITIVE_INFINITY ||
        c.validFrom !== Number.NEGATIVE_INFINITY ||
        c.validUntil !== Number.POSITIVE_INFINITY ||
        c.validForMs !== Number.POSITIVE_INFINITY ||
        c.levels !== undefined;
      if (rare) {
        const x = this.extras++;
        this.extraValidFrom = grown(this.extraValidFrom, this.extras);
        this.extraValidUntil = grown(this.extraValidUntil, this.extras);
        this.extraMaxUses = grown(this.extraMaxUses, this.extras);
        this.extraDuress = grown(this.extraDuress, this.extras);
        this.extraRefId = grown(this.extraRefId, this.extras);
        this.extraValidFor = grown(this.extraValidFor, this.extras);
        this.extraOwnLevels = grown(this.extraOwnLevels, this.extras);
        this.extraValidFor[x] = c.validForMs;
        this.extraOwnLevels[x] = c.levels !== undefined ? 1 : 0;
        this.extraValidFrom[x] = c.validFrom;
        this.extraValidUntil[x] = c.validUntil;
        this.extraMaxUses[x] = c.maxUses;
        this.extraDuress[x] = c.duressPin === undefined ? 0 : this.pool.add(c.duressPin) + 1;
        this.extraRefId[x] = c.refId === undefined ? 0 : this.pool.add(c.refId) + 1;
        creds[cr + C_EXTRA] = x + 1;
      } else {
        creds[cr + C_EXTRA] = 0;
      }
      this.insertCredential(i, c.hash);
    }
    return p;
  }

  private insertPerson(p: number, hash: number): void {
    // A rehash takes in every person written so far, this one too.
    if (tableFull(this.personTableFill + 1, this.personTable.length) || p + 1 >= this.personTable.length) {
      this.rehashPeople();
      return;
    }
    this.personTableFill++;
    tableInsert(this.personTable, p, hash);
  }

  private insertCredential(c: number, hash: number): void {
    if (tableFull(this.credTableFill + 1, this.credTable.length) || c + 1 >= this.credTable.length) {
      this.rehashCredentials();
      return;
    }
    this.credTableFill++;
    tableInsert(this.credTable, c, hash);
  }

  /** A larger table with the entries of people alive in the newest version (older ones keep theirs). */
  private rehashPeople(): void {
    let alive = 0;
    for (let p = 0; p < this.people; p++) if (this.alive(p, this.version)) alive++;
    // Numbers must fit below the table's mask (the bits above it hold hash bits).
    const table = new Int32Array(tableSize(Math.max((alive + 1) * 1.5, this.people + 2)));
    for (let p = 0; p < this.people; p++)
      if (this.alive(p, this.version)) tableInsert(table, p, this.pool.hash(this.personIdOffset(p), 0));
    this.personTable = table;
    this.personTableFill = alive;
  }

  private rehashCredentials(): void {
    let alive = 0;
    for (let c = 0; c < this.credentials; c++) if (this.alive(this.credPerson(c), this.version)) alive++;
    const table = new Int32Array(tableSize(Math.max((alive + 1) * 1.5, this.credentials + 2)));
    for (let c = 0; c < this.credentials; c++) {
      if (!this.alive(this.credPerson(c), this.version)) continue;
      tableInsert(table, c, this.pool.hash(this.credIdOffset(c), this.credType(c) * TYPE_SEED));
    }
    this.credTable = table;
    this.credTableFill = alive;
  }
}

/** A credential as read back from the store, for callers off the decision path. */
export interface CredentialView {
  index: number;
  key: string;
  /** safe for logs: never PIN digits */
  ref: string;
  type: CredentialType;
  state: CredentialState;
  personId: string;
  personIndex: number;
  pin: string | undefined;
  duressPin: string | undefined;
  validFrom: number;
  validUntil: number;
  maxUses: number;
  /** ms valid from the first grant (Infinity: no such limit) */
  validForMs: number;
  /** the credential's own level indices (a time-limited key); undefined: its holder's */
  levels: number[] | undefined;
}

/** A person as read back from the store, for callers off the decision path. */
export interface PersonView {
  id: string;
  index: number;
  active: boolean;
  groups: readonly string[];
  /** ids of the levels reachable directly or through groups, without repeats */
  levels: readonly string[];
}

/** The site-wide lists a `People` needs to answer in names rather than numbers. */
export interface PeopleNames {
  groupIds: readonly string[];
  levelIds: readonly string[];
  /** group index → its level indices (CSR: groupLevels[groupLevelStart[g] … groupLevelStart[g+1]]) */
  groupLevelStart: Int32Array;
  groupLevels: Int32Array;
}

/**
 * Where a version came from, when a delta derived it: `remap(p)` is the number here of person `p`
 * of `from`, or -1 when the delta removed them. Carry-over uses it to move runtime state across
 * without looking every person up by id.
 */
export interface PeopleOrigin {
  from: People;
  remap(p: number): number;
}

/** One version of a policy's people and credentials. */
export class People {
  readonly origin: PeopleOrigin | undefined;

  constructor(
    readonly store: PeopleStore,
    readonly names: PeopleNames,
    /** person numbers in use: 0 … length-1 (some may be removed in this version) */
    readonly length: number,
    readonly credentialCount: number,
    readonly version: number,
    /** people that exist in this version */
    readonly size: number,
    private readonly personTable: Int32Array,
    /** the credential table this version reads (decide.ts probes it directly) */
    readonly credTable: Int32Array,
    origin?: PeopleOrigin,
  ) {
    this.origin = origin;
  }

  alive(p: number): boolean {
    return this.store.alive(p, this.version);
  }

  /** The person table this version reads (a derived version shares it). */
  personTableOf(): Int32Array {
    return this.personTable;
  }

  /** The same people named against another site structure with the same groups and levels. */
  renamed(names: PeopleNames): People {
    return new People(
      this.store,
      names,
      this.length,
      this.credentialCount,
      this.version,
      this.size,
      this.personTable,
      this.credTable,
      { from: this, remap: (p) => p },
    );
  }

  /** Person number of an id, or -1. */
  indexOf(id: string): number {
    return this.store.indexOf(id, this.length, this.version, this.personTable);
  }

  has(id: string): boolean {
    return this.indexOf(id) >= 0;
  }

  /** The id of person `p`. */
  id(p: number): string {
    return this.store.pool.read(this.store.personIdOffset(p));
  }

  isActive(p: number): boolean {
    return this.store.personActive(p);
  }

  inGroup(p: number, group: number): boolean {
    const store = this.store;
    const start = store.personRun(p);
    const end = start + store.personGroupCount(p);
    for (let i = start; i < end; i++) if (store.entries[i] === group) return true;
    return false;
  }

  groupIndices(p: number): number[] {
    const store = this.store;
    const start = store.personRun(p);
    return Array.from(store.entries.subarray(start, start + store.personGroupCount(p)));
  }

  /** Every level reachable directly or through groups, without repeats, in decision order. */
  levelIndices(p: number): number[] {
    const store = this.store;
    const { groupLevelStart, groupLevels } = this.names;
    const out = new Set<number>();
    const start = store.personRun(p);
    const groupsEnd = start + store.personGroupCount(p);
    for (let i = start; i < groupsEnd; i++) {
      const g = store.entries[i]!;
      for (let j = groupLevelStart[g]!; j < groupLevelStart[g + 1]!; j++) out.add(groupLevels[j]!);
    }
    const end = groupsEnd + store.personLevelCount(p);
    for (let i = groupsEnd; i < end; i++) out.add(store.entries[i]!);
    return [...out];
  }

  credentialIndices(p: number): number[] {
    const first = this.store.personCredFirst(p);
    return Array.from({ length: this.store.personCredCount(p) }, (_, i) => first + i);
  }

  get(id: string): PersonView | undefined {
    const p = this.indexOf(id);
    return p < 0 ? undefined : this.person(p);
  }

  person(p: number): PersonView {
    return {
      id: this.id(p),
      index: p,
      active: this.isActive(p),
      groups: this.groupIndices(p).map((g) => this.names.groupIds[g]!),
      levels: this.levelIndices(p).map((l) => this.names.levelIds[l]!),
    };
  }

  /** Numbers of the people that exist in this version. */
  *indices(): IterableIterator<number> {
    for (let p = 0; p < this.length; p++) if (this.alive(p)) yield p;
  }

  /** Credential number of a `TYPE:ID` key, or -1 (also for a credential of a removed person). */
  findCredential(key: string): number {
    return this.store.findCredential(key, this.credentialCount, this.version, this.credTable);
  }

  /** The lookup key of credential `c` (may hold PIN digits: never log it). */
  credentialKey(c: number): string {
    return `${CREDENTIAL_TYPE_CODE[this.store.credType(c)]}:${this.store.pool.read(this.store.credIdOffset(c))}`;
  }

  /** The safe reference of credential `c`, for events and logs. `key` and `personId` save a read. */
  credentialRef(c: number, key?: string, personId?: string): string {
    const store = this.store;
    switch (store.credRefForm(c)) {
      case REF_PIN_HOLDER:
        return `pin#${personId ?? this.id(store.credPerson(c))}/${store.credOrdinal(c)}`;
      case REF_PIN_ID:
        return `pin:${store.pool.read(store.extraRefId[store.credExtra(c)]! - 1)}`;
      default:
        return key ?? this.credentialKey(c);
    }
  }

  maxUses(c: number): number {
    const x = this.store.credExtra(c);
    return x < 0 ? Number.POSITIVE_INFINITY : this.store.extraMaxUses[x]!;
  }

  credential(c: number): CredentialView {
    const store = this.store;
    const x = store.credExtra(c);
    const p = store.credPerson(c);
    const key = this.credentialKey(c);
    const personId = this.id(p);
    const pin = store.credPin(c);
    const duress = x < 0 ? 0 : store.extraDuress[x]!;
    return {
      index: c,
      key,
      ref: this.credentialRef(c, key, personId),
      type: CREDENTIAL_TYPE_CODE[store.credType(c)]!,
      state: CREDENTIAL_STATE_CODE[store.credState(c)]!,
      personId,
      personIndex: p,
      pin: pin === 0 ? undefined : store.pool.read(pin - 1),
      duressPin: duress === 0 ? undefined : store.pool.read(duress - 1),
      validFrom: x < 0 ? Number.NEGATIVE_INFINITY : store.extraValidFrom[x]!,
      validUntil: x < 0 ? Number.POSITIVE_INFINITY : store.extraValidUntil[x]!,
      maxUses: x < 0 ? Number.POSITIVE_INFINITY : store.extraMaxUses[x]!,
      validForMs: x < 0 ? Number.POSITIVE_INFINITY : store.extraValidFor[x]!,
      levels: x < 0 || store.extraOwnLevels[x] === 0 ? undefined : this.ownLevels(c),
    };
  }

  /** The level indices of a credential's own run (credentials with their own levels). */
  private ownLevels(c: number): number[] {
    const store = this.store;
    const row = c * CRED_STRIDE;
    const start = store.credRows[row + C_RUN]!;
    const count = store.credRows[row + C_BITS]! >>> 20;
    return Array.from(store.entries.subarray(start, start + count));
  }

  /** Every credential of the people that exist in this version. */
  *credentials(): IterableIterator<CredentialView> {
    for (let c = 0; c < this.credentialCount; c++)
      if (this.alive(this.store.credPerson(c))) yield this.credential(c);
  }

  /** Numbers of the credentials (of people in this version) whose id is not a packed hex hash. */
  *credentialsWithPlainIds(): IterableIterator<number> {
    const store = this.store;
    for (let c = 0; c < this.credentialCount; c++)
      if (!store.pool.isPackedHex(store.credIdOffset(c)) && this.alive(store.credPerson(c))) yield c;
  }

  /** Whether this is the newest version of its store (only that one may be extended in place). */
  get isNewest(): boolean {
    const store = this.store;
    return (
      !store.frozen &&
      store.version === this.version &&
      store.people === this.length &&
      store.credentials === this.credentialCount
    );
  }
}

/** Builds the people of a new policy one person at a time (a snapshot may arrive in chunks). */
export class PeopleBuilder {
  private readonly store: PeopleStore;

  constructor(
    private readonly ctx: PeopleContext,
    private readonly names: PeopleNames,
    expectedPeople = 0,
    /** sizes known or estimated up front (a store that grows copies its arrays, twice the memory) */
    expected: { credentials?: number; entries?: number; extras?: number } = {},
  ) {
    this.store = new PeopleStore(
      expectedPeople,
      expected.credentials ?? expectedPeople,
      expectedPeople * 80,
      expected.entries ?? expectedPeople * 3,
      expected.extras ?? 0,
    );
  }

  get count(): number {
    return this.store.people;
  }

  /** Adds one person; `path` names it in errors (e.g. `['people', 17]`). */
  add(def: PersonDef, path: PolicyPath): void {
    const row = compilePerson(def, path, this.ctx);
    const s = this.store;
    if (s.indexOf(row.id, s.people, s.version, s.personTable, row.hash) >= 0)
      throw new PolicyError([...path, 'id'], `duplicate people id "${row.id}"`);
    for (const c of row.credentials) {
      if (s.findCredentialId(c.type, c.idText, 0, c.hash, s.credentials, s.version, s.credTable) >= 0)
        throw new PolicyError([...path, 'credentials', c.ordinal], takenMessage(c.type, c.idText));
    }
    s.append(row);
  }

  build(): People {
    const s = this.store;
    s.trim();
    return new People(
      s,
      this.names,
      s.people,
      s.credentials,
      s.version,
      s.people,
      s.personTable,
      s.credTable,
    );
  }
}

/**
 * The same people with everyone not in `keep` inactive (a controller's offline fallback: only its
 * emergency list still gets in, everyone else is denied as inactive). The person and credential rows
 * are copied, everything else shared; person numbers stay, so runtime state maps one to one.
 */
export function onlyActive(people: People, keep: ReadonlySet<string>): People {
  const store = people.store.derive();
  const kept = new Uint8Array(people.length);
  for (const id of keep) {
    const p = people.indexOf(id);
    if (p >= 0) kept[p] = 1;
  }
  for (let p = 0; p < people.length; p++)
    if (kept[p] === 0 && people.alive(p) && store.personActive(p)) store.deactivate(p);
  return new People(
    store,
    people.names,
    people.length,
    people.credentialCount,
    people.version,
    people.size,
    people.personTableOf(),
    people.credTable,
    { from: people, remap: (p) => p },
  );
}

/** People to replace or add (by id) and ids to remove: what a controller's snapshot delta carries. */
export interface PeopleDelta {
  upsert: readonly PersonDef[];
  remove: readonly string[];
}

/** Above this share of removed people, a delta rebuilds the store instead of appending to it. */
const MAX_DEAD_SHARE = 0.25;

/**
 * The people of `people` with a delta applied. Everything is validated before anything is written:
 * on an error (a PolicyError naming `upsert[i]…`) nothing changes.
 */
export function applyPeopleDelta(people: People, delta: PeopleDelta, ctx: PeopleContext): People {
  const rows = delta.upsert.map((def, i) => compilePerson(def, ['upsert', i], ctx));
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    if (seen.has(row.id)) throw new PolicyError(['upsert', i, 'id'], `duplicate people id "${row.id}"`);
    seen.add(row.id);
  });
  // Everyone the delta replaces or removes: their credentials are free for the new rows.
  const leaving = new Set<number>();
  for (const id of [...delta.remove, ...seen]) {
    const p = people.indexOf(id);
    if (p >= 0) leaving.add(p);
  }
  const store = people.store;
  const keys = new Set<string>();
  rows.forEach((row, i) => {
    for (const c of row.credentials) {
      const key = `${c.type}:${c.idText}`;
      const holder = store.findCredentialId(
        c.type,
        c.idText,
        0,
        c.hash,
        people.credentialCount,
        people.version,
        people.credTable,
      );
      if (keys.has(key) || (holder >= 0 && !leaving.has(store.credPerson(holder))))
        throw new PolicyError(['upsert', i, 'credentials', c.ordinal], takenMessage(c.type, c.idText));
      keys.add(key);
    }
  });

  const dead = people.length - people.size + leaving.size;
  if (!people.isNewest || dead > MAX_DEAD_SHARE * (people.size + rows.length) + 1024)
    return rebuild(people, leaving, rows);

  const version = ++store.version;
  const moved = new Map<number, number>();
  for (const p of leaving) {
    store.remove(p, version);
    moved.set(p, -1);
  }
  for (const row of rows) {
    const before = people.indexOf(row.id);
    const p = store.append(row);
    if (before >= 0) moved.set(before, p);
  }
  return new People(
    store,
    people.names,
    store.people,
    store.credentials,
    version,
    people.size - leaving.size + rows.length,
    store.personTable,
    store.credTable,
    { from: people, remap: (p) => moved.get(p) ?? p },
  );
}

/** A fresh store with the people of `people` except `leaving`, then `rows`. */
function rebuild(people: People, leaving: ReadonlySet<number>, rows: readonly PersonRow[]): People {
  const old = people.store;
  const store = new PeopleStore(
    people.size + rows.length,
    people.credentialCount + rows.length,
    old.pool.used,
  );
  const remap = new Int32Array(people.length).fill(-1);
  for (let p = 0; p < people.length; p++) {
    if (!people.alive(p) || leaving.has(p)) continue;
    const run = old.personRun(p);
    const groups = old.personGroupCount(p);
    const row: PersonRow = {
      id: people.id(p),
      hash: 0,
      active: people.isActive(p),
      groups: Array.from(old.entries.subarray(run, run + groups)),
      levels: Array.from(old.entries.subarray(run + groups, run + groups + old.personLevelCount(p))),
      credentials: [],
    };
    row.hash = hashText(row.id, 0, 0);
    for (const c of people.credentialIndices(p)) {
      const view = people.credential(c);
      const x = old.credExtra(c);
      const type = old.credType(c);
      const idText = old.pool.read(old.credIdOffset(c));
      row.credentials.push({
        type,
        hash: hashText(idText, 0, type * TYPE_SEED),
        state: old.credState(c),
        ref: old.credRefForm(c),
        ordinal: old.credOrdinal(c),
        idText,
        pin: view.pin,
        duressPin: view.duressPin,
        refId: x >= 0 && old.extraRefId[x]! > 0 ? old.pool.read(old.extraRefId[x]! - 1) : undefined,
        validFrom: view.validFrom,
        validUntil: view.validUntil,
        maxUses: view.maxUses,
        validForMs: view.validForMs,
        levels: view.levels,
      });
    }
    remap[p] = store.append(row);
  }
  for (const row of rows) {
    const before = people.indexOf(row.id);
    const p = store.append(row);
    if (before >= 0) remap[before] = p;
  }
  store.trim();
  return new People(
    store,
    people.names,
    store.people,
    store.credentials,
    store.version,
    store.people,
    store.personTable,
    store.credTable,
    { from: people, remap: (p) => (p < remap.length ? remap[p]! : -1) },
  );
}
