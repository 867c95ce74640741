// The policy a controller holds, compiled straight from what the server sent — a transferred body
// read line by line (snapshot-lines.ts), or a snapshot in one message — with the stored deltas since
// applied on the way. What is kept is the snapshot's header (version, age, fallback, the site without
// its people), the compiled policy (core/people.ts: typed arrays and a string pool, no object per
// person), the device keys of mobile credentials, and a digest of the people for the configuration
// hash. No person object outlives its line: 2,000,000 cardholders fit in the controller's 500 MB
// (DESIGN.md §7), where the snapshot's people as objects took about 1 GB alone.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { canonicalJson, type Json } from '../contracts/canonical.ts';
import {
  parseMessage,
  type Snapshot,
  type SnapshotDelta,
  type SnapshotManifest,
} from '../contracts/messages.ts';
import { canonicalSha256, openTransferredSync } from '../contracts/transfer.ts';
import type { PersonDef } from '../core/model.ts';
import { hasRareFields } from '../core/people.ts';
import {
  type Policy,
  PolicyBuilder,
  type SiteStructure,
  withPeopleDelta,
  withStructure,
} from '../core/policy.ts';
import { formatPath, PolicyError } from '../core/policy-error.ts';
import { copyPerson, PersonLineParser } from './person-line.ts';
import { readBodyLines, readBodyLinesSync } from './snapshot-lines.ts';
import { applyDelta, changesStructure } from './snapshot-store.ts';

/** The policy in force, as the agent holds it. */
export interface HeldPolicy {
  /** the snapshot in force (after its deltas), its site without people (`site.people` is empty) */
  header: Snapshot;
  /** compiled from the snapshot as sent: no offline fallback, no doors locked for a lost server */
  policy: Policy;
  /** device public keys of mobile credentials, by keyed hash */
  mobileKeys: Map<string, string>;
  /** whose they are: person id → keyed hashes */
  mobileOf: Map<string, string[]>;
  /** the people's digest (order-independent), by person number of `policy.people` */
  digest: PeopleDigest;
}

/** A snapshot body kept as a file (a verified transfer) or as a message. */
export type SnapshotBase =
  | { kind: 'message'; snapshot: Snapshot }
  | { kind: 'file'; path: string; manifest: SnapshotManifest };

// ------------------------------------------------------------------ people digest

/**
 * An order-independent digest of the people: each person's canonical JSON (a line of a transfer is
 * exactly that) hashed to 64 bits, kept by person number, and summed lane by lane modulo 2³² — so a
 * delta takes out what it replaces and adds what it brings, and the same people give the same digest
 * however they arrived. A fingerprint for the configuration baseline, not a signature (the policy
 * itself is signed by the server and checked on arrival).
 */
export class PeopleDigest {
  private words: Uint32Array;
  private sum0 = 0;
  private sum1 = 0;
  count = 0;

  constructor(expected = 0) {
    this.words = new Uint32Array(Math.max(2, expected * 2));
  }

  /** Sets person `p`'s digest from the UTF-8 bytes of their canonical JSON. */
  set(p: number, data: Uint8Array, start: number, end: number): void {
    // Two 32-bit lanes, four bytes a step (murmur-style mixing): ~1 ns a byte, 0.5 GB at 2,000,000.
    let h0 = 0x811c9dc5 ^ (end - start);
    let h1 = 0x9747b28c;
    let i = start;
    for (; i + 4 <= end; i += 4) {
      const w = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
      h0 = Math.imul(h0 ^ w, 0xcc9e2d51);
      h0 ^= h0 >>> 15;
      h1 = Math.imul(h1 ^ w, 0x5bd1e995);
      h1 ^= h1 >>> 13;
    }
    for (; i < end; i++) {
      h0 = Math.imul(h0 ^ data[i]!, 0x01000193);
      h1 = Math.imul(h1 ^ data[i]!, 0x5bd1e995);
    }
    h0 = Math.imul(h0 ^ (h0 >>> 16), 0x85ebca6b);
    h0 ^= h0 >>> 13;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0xc2b2ae35);
    h1 ^= h1 >>> 16;
    if (2 * p + 1 >= this.words.length) {
      const grown = new Uint32Array(Math.max(2 * p + 2, Math.ceil(this.words.length * 1.25)));
      grown.set(this.words);
      this.words = grown;
    }
    this.words[2 * p] = h0 >>> 0;
    this.words[2 * p + 1] = h1 >>> 0;
    this.sum0 = (this.sum0 + (h0 >>> 0)) >>> 0;
    this.sum1 = (this.sum1 + (h1 >>> 0)) >>> 0;
    this.count++;
  }

  /** The same for a person given as an object (a delta's upsert). */
  setPerson(p: number, person: Json): void {
    const bytes = Buffer.from(canonicalJson(person), 'utf8');
    this.set(p, bytes, 0, bytes.length);
  }

  /** Takes person `p` out. */
  clear(p: number): void {
    this.sum0 = (this.sum0 - this.words[2 * p]!) >>> 0;
    this.sum1 = (this.sum1 - this.words[2 * p + 1]!) >>> 0;
    this.words[2 * p] = 0;
    this.words[2 * p + 1] = 0;
    this.count--;
  }

  /** A digest of the same people under other person numbers (`remap(p)`: the new number, or -1). */
  remapped(length: number, remap: (p: number) => number, oldLength: number): PeopleDigest {
    const next = new PeopleDigest(length);
    for (let p = 0; p < oldLength; p++) {
      const q = remap(p);
      if (q < 0 || 2 * p + 1 >= this.words.length) continue;
      next.words[2 * q] = this.words[2 * p]!;
      next.words[2 * q + 1] = this.words[2 * p + 1]!;
    }
    next.sum0 = this.sum0;
    next.sum1 = this.sum1;
    next.count = this.count;
    return next;
  }

  /** Gives back slack left by estimating the number of people too high. */
  trim(length: number): void {
    if (this.words.length > 2 * length + Math.max(512, length >> 4))
      this.words = this.words.slice(0, 2 * length);
  }

  get value(): string {
    return `${this.count}:${this.sum0.toString(16)}:${this.sum1.toString(16)}`;
  }
}

/** The configuration hash's policy part: the site's structure (lists sorted by id) and the people. */
export function heldHash(held: HeldPolicy): string {
  const site: Record<string, Json> = { ...held.header.site };
  delete site.people;
  for (const [key, value] of Object.entries(site))
    if (Array.isArray(value) && value.every((e) => typeof (e as { id?: unknown })?.id === 'string'))
      site[key] = [...(value as { id: string }[])].sort((a, b) => (a.id < b.id ? -1 : 1)) as unknown as Json;
  return canonicalSha256({ site, people: held.digest.value });
}

// ------------------------------------------------------------------ store sizes

/**
 * How big a body's compiled store is, as its last compile counted — kept beside the body file
 * (`<body>.sizes`) so that a restart sizes the store exactly instead of from a sample of the first
 * people. A store sized from the sample is a little over or under: over, it carries slack; under,
 * an array grows by copying (both copies held until a collection). A hint only, never trusted for
 * anything but sizes: missing, unreadable, for another body or out of bounds, it is not used.
 */
export interface StoreSizes {
  people: number;
  credentials: number;
  entries: number;
  extras: number;
}

const SIZES_SUFFIX = '.sizes';
export const sizesPath = (body: string): string => `${body}${SIZES_SUFFIX}`;

/** The sizes kept for this body, or undefined (none, or not believable for its raw size). */
export function readSizes(path: string, manifest: SnapshotManifest): StoreSizes | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(sizesPath(path), 'utf8'));
  } catch {
    return undefined;
  }
  const v = value as Partial<StoreSizes> & { sha256?: unknown };
  if (v === null || typeof v !== 'object' || v.sha256 !== manifest.sha256) return undefined;
  const raw = manifest.rawSize;
  // Bounds from the body's size (a person line is at least `{"id":"x"}` and its newline, a
  // credential at least `{"type":"key"}` and a comma, an entry `"x"`): a file edited to absurd
  // counts cannot make the store allocate past a few times the body. (Whoever can write the data
  // directory can stop the controller anyway, by deleting its policy; the snapshot itself is signed.)
  const fits = (n: unknown, most: number): n is number =>
    typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= most;
  if (
    !fits(v.people, raw / 11) ||
    !fits(v.credentials, raw / 15) ||
    !fits(v.entries, raw / 3) ||
    !fits(v.extras, v.credentials)
  )
    return undefined;
  return { people: v.people, credentials: v.credentials, entries: v.entries, extras: v.extras };
}

/** Keeps the sizes of the policy compiled from this body alone (no deltas), best effort. */
export function writeSizes(path: string, manifest: SnapshotManifest, policy: Policy): void {
  const store = policy.people.store;
  const sizes = {
    sha256: manifest.sha256,
    people: store.people,
    credentials: store.credentials,
    entries: store.entryCount,
    extras: store.extras,
  };
  try {
    writeFileSync(`${sizesPath(path)}.tmp`, JSON.stringify(sizes), { mode: 0o600 });
    renameSync(`${sizesPath(path)}.tmp`, sizesPath(path));
  } catch {
    // A hint: without it the next start sizes the store from a sample, as the first one did.
  }
}

// ------------------------------------------------------------------ compiling

const isEntry = (value: unknown): value is { id: string } & Record<string, Json> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as { id?: unknown }).id === 'string';

/** The snapshot header after a delta (people stay out: they are applied to the compiled policy). */
function headerAfter(header: Snapshot, delta: SnapshotDelta): Snapshot {
  const next = applyDelta(header, { ...delta, upsert: [], remove: [] });
  return { ...next, site: { ...next.site, people: [] } };
}

/** People read before the builder is made: enough to estimate how many there will be. */
const SAMPLE = 1024;

/** Why a line is refused, naming the line (1: the header) but none of its text (it holds PIN hashes). */
function lineError(line: number, error: unknown): Error {
  // A PolicyError names the person by number (people[n]): the line says which one already.
  const problem =
    error instanceof SyntaxError
      ? 'not valid JSON'
      : error instanceof PolicyError
        ? error.path.length > 2
          ? `${formatPath(error.path.slice(2))}: ${error.problem}`
          : error.problem
        : error instanceof Error
          ? error.message
          : String(error);
  return new Error(`transfer body line ${line}: ${problem}`, { cause: error });
}

/** A person kept from the first lines until the builder is made. */
interface Sampled {
  def: PersonDef;
  line: Buffer;
  /** its line in the body (0: from a message or a delta) */
  at: number;
}

/**
 * Compiles a snapshot as it is read — its header first, then its people one at a time — with
 * deltas applied: the header gets their structure, a person they replace or remove is skipped, and
 * what they add or replace comes last. Throws (naming the body's line, or a PolicyError for a
 * snapshot in one message) on anything the agent would refuse.
 */
export class SnapshotCompiler {
  private header: Snapshot | undefined;
  private builder: PolicyBuilder | undefined;
  private digest: PeopleDigest | undefined;
  private readonly sample: Sampled[] = [];
  private sampleBytes = 0;
  private sampleCredentials = 0;
  private sampleEntries = 0;
  private sampleExtras = 0;
  private bytesRead = 0;
  /** lines read so far (the header is line 1) */
  private lines = 0;
  private readonly parser = new PersonLineParser();
  /** person id → what the deltas leave of them (null: removed) */
  private readonly changes = new Map<string, (Record<string, Json> & { id: string }) | null>();
  private readonly mobileKeys = new Map<string, string>();
  private readonly mobileOf = new Map<string, string[]>();

  constructor(
    private readonly deltas: readonly SnapshotDelta[] = [],
    /** the body's size, to size the store before it fills (0: unknown) */
    private readonly rawSize = 0,
    /** the body's store as counted before (readSizes): no sample then */
    private readonly sizes?: StoreSizes,
  ) {}

  /**
   * One line of a body in lines: the header, then one person each — read by the byte parser
   * (person-line.ts), or by JSON.parse when it is a line the parser does not read.
   */
  readonly line = (data: Buffer, start: number, end: number): void => {
    this.bytesRead += end - start + 1;
    const at = ++this.lines;
    if (this.header === undefined) {
      let value: unknown;
      try {
        value = JSON.parse(data.toString('utf8', start, end)) as unknown;
      } catch (error) {
        throw lineError(at, error);
      }
      const site = (value as { site?: { people?: unknown } } | null)?.site;
      if (!Array.isArray(site?.people) || site.people.length > 0)
        throw new Error('transfer body is not a snapshot in lines');
      this.start(value);
      return;
    }
    let value: unknown = this.parser.parse(data, start, end);
    let scratch = true;
    if (value === undefined) {
      scratch = false;
      try {
        value = JSON.parse(data.toString('utf8', start, end)) as unknown;
      } catch (error) {
        throw lineError(at, error);
      }
    }
    if (!isEntry(value)) throw lineError(at, new Error('a person is an object with an id'));
    this.take(value as unknown as PersonDef, scratch, data, start, end, at);
  };

  /** The snapshot's header (its site's people, if any, are not read here). */
  start(value: unknown, expectedPeople?: number): void {
    const parsed = parseMessage(value);
    if (!parsed.ok) throw new Error(parsed.error);
    if (parsed.message.kind !== 'snapshot') throw new Error('not a snapshot');
    let header: Snapshot = { ...parsed.message, site: { ...parsed.message.site, people: [] } };
    for (const delta of this.deltas) {
      if (delta.base !== header.version) throw new Error('broken delta chain');
      header = headerAfter(header, delta);
      for (const id of delta.remove) this.changes.set(id, null);
      for (const person of delta.upsert as (Record<string, Json> & { id: string })[])
        this.changes.set(String(person.id), person);
    }
    this.header = header;
    if (expectedPeople !== undefined) this.makeBuilder(expectedPeople + this.changes.size);
    else if (this.sizes !== undefined) {
      const extra = this.changes.size;
      this.makeBuilder(this.sizes.people + extra, {
        expectedCredentials: this.sizes.credentials + 4 * extra,
        expectedEntries: this.sizes.entries + 8 * extra,
        expectedExtras: this.sizes.extras + 4 * extra,
      });
    }
  }

  /** One person of a snapshot in one message. */
  person(value: unknown): void {
    if (!isEntry(value)) throw new Error('a person is an object with an id');
    const line = Buffer.from(canonicalJson(value), 'utf8');
    this.take(value as unknown as PersonDef, false, line, 0, line.length, 0);
  }

  /**
   * One person; `data[start, end)` is their canonical JSON (a line of a transfer is exactly that),
   * for the digest. `scratch`: `def` is the parser's, good only until the next line.
   */
  private take(def: PersonDef, scratch: boolean, data: Buffer, start: number, end: number, at: number): void {
    if (this.changes.has(def.id)) return;
    if (this.builder === undefined) {
      const credentials: unknown = def.credentials;
      const creds = Array.isArray(credentials) ? (credentials as PersonDef['credentials']) : [];
      this.sampleCredentials += creds.length;
      this.sampleEntries += (def.groups?.length ?? 0) + (def.levels?.length ?? 0);
      for (const c of creds) {
        this.sampleEntries += Array.isArray(c?.levels) ? c.levels.length : 0;
        if (typeof c === 'object' && c !== null && hasRareFields(c)) this.sampleExtras++;
      }
      this.sample.push({
        def: scratch ? copyPerson(def) : def,
        line: Buffer.from(data.subarray(start, end)),
        at,
      });
      this.sampleBytes += end - start + 1;
      if (this.sample.length >= SAMPLE) this.flushSample();
      return;
    }
    this.add(def, data, start, end, at);
  }

  private flushSample(): void {
    const n = Math.max(1, this.sample.length);
    const rest = this.rawSize > this.bytesRead ? (this.rawSize - this.bytesRead) / (this.sampleBytes / n) : 0;
    // Sized from the sample, a little over: a store that grows copies its arrays (twice the memory).
    const scale = ((this.sample.length + rest) * 1.01) / n;
    const extra = this.changes.size;
    this.makeBuilder(Math.ceil(n * scale) + extra, {
      expectedCredentials: Math.ceil(this.sampleCredentials * scale) + 4 * extra,
      expectedEntries: Math.ceil(this.sampleEntries * scale) + 8 * extra,
      // Few in a sample (one credential in eight at the bench's 2,000,000), so counted with more
      // margin: an under-count grows all seven arrays by copying, 5 % over costs ~0.5 MB there.
      expectedExtras: Math.ceil(this.sampleExtras * scale * 1.05) + 4 * extra,
    });
    for (const { def, line, at } of this.sample.splice(0)) this.add(def, line, 0, line.length, at);
  }

  private makeBuilder(
    expected: number,
    sizes: { expectedCredentials?: number; expectedEntries?: number; expectedExtras?: number } = {},
  ): void {
    const header = this.header!;
    this.builder = new PolicyBuilder(header.site as unknown as SiteStructure, {
      expectedPeople: expected,
      ...sizes,
    });
    this.digest = new PeopleDigest(expected);
  }

  /** `at`: the person's line in the body, named in the error when they are refused (0: none). */
  private add(def: PersonDef, line: Uint8Array, start: number, end: number, at: number): void {
    const builder = this.builder!;
    const p = builder.count;
    if (at === 0) builder.addPerson(def);
    else
      try {
        builder.addPerson(def);
      } catch (error) {
        throw lineError(at, error);
      }
    this.digest!.set(p, line, start, end);
    const credentials = (def as { credentials?: unknown }).credentials;
    if (Array.isArray(credentials))
      for (const c of credentials as PersonDef['credentials'])
        if (c?.type === 'mobile' && typeof c.id === 'string' && typeof c.publicKey === 'string') {
          this.mobileKeys.set(c.id, c.publicKey);
          const mine = this.mobileOf.get(def.id) ?? [];
          mine.push(c.id);
          this.mobileOf.set(def.id, mine);
        }
  }

  /** Everything is read: the deltas' people are added, and the policy built. */
  end(): HeldPolicy {
    if (this.header === undefined) throw new Error('transfer body is not a snapshot in lines');
    if (this.builder === undefined) {
      this.makeBuilder(this.sample.length + this.changes.size);
      for (const { def, line, at } of this.sample.splice(0)) this.add(def, line, 0, line.length, at);
    }
    for (const person of this.changes.values()) {
      if (person === null) continue;
      const line = Buffer.from(canonicalJson(person), 'utf8');
      this.add(person as unknown as PersonDef, line, 0, line.length, 0);
    }
    const policy = this.builder!.build();
    this.digest!.trim(policy.people.length);
    return {
      header: this.header,
      policy,
      mobileKeys: this.mobileKeys,
      mobileOf: this.mobileOf,
      digest: this.digest!,
    };
  }
}

/** A snapshot in one message, compiled with deltas after it. */
export function compileMessage(snapshot: Snapshot, deltas: readonly SnapshotDelta[] = []): HeldPolicy {
  const compiler = new SnapshotCompiler(deltas);
  const people = (snapshot.site.people ?? []) as unknown[];
  compiler.start({ ...snapshot, site: { ...snapshot.site, people: [] } }, people.length);
  for (const person of people) compiler.person(person);
  return compiler.end();
}

/** A stored snapshot (and the deltas since), compiled synchronously (a controller starting). */
export function compileBaseSync(base: SnapshotBase, deltas: readonly SnapshotDelta[] = []): HeldPolicy {
  if (base.kind === 'message') return compileMessage(base.snapshot, deltas);
  if (base.manifest.format !== 'lines') {
    // A snapshot transferred as one JSON text (before snapshots went as lines): small, read whole.
    const parsed = parseMessage(openTransferredSync(base.manifest, readFileSync(base.path)));
    if (!parsed.ok) throw new Error(parsed.error);
    if (parsed.message.kind !== 'snapshot') throw new Error('not a snapshot');
    return compileMessage(parsed.message, deltas);
  }
  const sizes = readSizes(base.path, base.manifest);
  const compiler = new SnapshotCompiler(deltas, base.manifest.rawSize, sizes);
  readBodyLinesSync(base.path, base.manifest, compiler.line);
  const held = compiler.end();
  if (sizes === undefined && deltas.length === 0) writeSizes(base.path, base.manifest, held.policy);
  return held;
}

/** A snapshot transferred in lines, compiled as it is decompressed; the doors decide meanwhile. */
export async function compileLines(path: string, manifest: SnapshotManifest): Promise<HeldPolicy> {
  const compiler = new SnapshotCompiler([], manifest.rawSize);
  await readBodyLines(path, manifest, compiler.line);
  const held = compiler.end();
  writeSizes(path, manifest, held.policy);
  return held;
}

/**
 * The held policy after a delta, applied to the compiled policy: people changed in place
 * (core withPeopleDelta), a new site structure compiled with the same people when it keeps the
 * groups and levels (core withStructure). Otherwise `recompile` compiles it all again from what is
 * stored. Throws (nothing changed) when the delta does not compile.
 */
export function heldAfterDelta(
  held: HeldPolicy,
  delta: SnapshotDelta,
  recompile: () => HeldPolicy,
): HeldPolicy {
  const header = headerAfter(held.header, delta);
  let base = held.policy;
  if (changesStructure(delta)) {
    const same = withStructure(held.policy, header.site as unknown as SiteStructure);
    if (same === undefined) return recompile();
    base = same;
  }
  const upsert = delta.upsert as unknown as (PersonDef & Record<string, Json>)[];
  const policy = withPeopleDelta(base, { upsert, remove: delta.remove });
  // Compiled: now the keys and the digest follow.
  const before = base.people;
  const after = policy.people;
  const origin = after.origin;
  const inPlace = origin !== undefined && after.store === before.store;
  let digest = held.digest;
  const leaving = new Set([...delta.remove, ...upsert.map((u) => u.id)]);
  for (const id of leaving) {
    const p = before.indexOf(id);
    if (p >= 0) digest.clear(p);
    for (const hash of held.mobileOf.get(id) ?? []) held.mobileKeys.delete(hash);
    held.mobileOf.delete(id);
  }
  if (!inPlace && origin !== undefined) digest = digest.remapped(after.length, origin.remap, before.length);
  for (const person of upsert) {
    const q = after.indexOf(person.id);
    if (q >= 0) digest.setPerson(q, person as unknown as Json);
    for (const c of person.credentials ?? [])
      if (c.type === 'mobile' && c.id !== undefined && c.publicKey !== undefined) {
        held.mobileKeys.set(c.id, c.publicKey);
        held.mobileOf.set(person.id, [...(held.mobileOf.get(person.id) ?? []), c.id]);
      }
  }
  return { header, policy, mobileKeys: held.mobileKeys, mobileOf: held.mobileOf, digest };
}
