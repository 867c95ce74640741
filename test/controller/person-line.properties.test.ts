// The byte-level person-line parser (controller/person-line.ts) against JSON.parse, the reader it
// stands in for: for any person record the server may send (unicode, escapes, empty and long lists,
// every credential type and field) and for lines mutated byte by byte, it gives exactly the person
// JSON.parse gives, or gives up (undefined) and leaves the line to JSON.parse — never a different
// person, never one where JSON.parse refuses the line. And a body compiled through it is the policy
// the people as objects compile to, or refused naming the line, without the line's text.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, type Json } from '../../src/contracts/canonical.ts';
import type { Snapshot, SnapshotManifest } from '../../src/contracts/messages.ts';
import { prepareTransfer, sha256Hex } from '../../src/contracts/transfer.ts';
import { copyPerson, PersonLineParser } from '../../src/controller/person-line.ts';
import { compileBaseSync, compileMessage, heldHash } from '../../src/controller/snapshot-source.ts';
import type { SiteDef } from '../../src/core/model.ts';
import { site } from '../support/sites.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-person-line-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Text of every kind: plain ids, hex hashes, unicode, and characters JSON must escape. */
const textArb = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/) },
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/) },
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('', '"', '\\', '\n', '\u0000', '\u007f', 'é', '\u2028', '😀', 'a"b', '\ud800'),
); // weighted: mostly what the server sends, some of anything
const GROUPS = ['staff', 'night', 'visitors'];
const LEVELS = ['front', 'lab', 'nights'];
/** Ids the site knows, mostly, and some it does not. */
const listArb = (known: string[]) =>
  fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: textArb }), {
    maxLength: 6,
  });
const numberArb = fc.oneof(
  fc.nat({ max: 10 }),
  fc.nat(),
  fc.integer({ min: -5, max: -1 }),
  fc.constantFrom(0, 1_000_000, 2 ** 53 - 1, 1e21, 0.5, -0),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

const credentialArb = fc.record(
  {
    type: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('card', 'pin', 'mobile', 'key', 'biometric') },
      { weight: 1, arbitrary: textArb },
    ),
    id: optional(textArb),
    pin: optional(textArb),
    duressPin: optional(textArb),
    validFrom: optional(fc.constantFrom('2026-01-05T08:00', '2027-03-31T00:00', 'not a time')),
    validUntil: optional(fc.constantFrom('2026-01-05T08:00', '2027-03-31T00:00', '2026-13-01T00:00')),
    maxUses: optional(numberArb),
    validForMinutes: optional(numberArb),
    levels: optional(listArb(LEVELS)),
    state: optional(fc.oneof(fc.constantFrom('active', 'suspended', 'lost', 'revoked'), textArb)),
    publicKey: optional(textArb),
  },
  { requiredKeys: ['type'] },
);

/** A person as the server sends them, sometimes with a field of the wrong type or an unknown one. */
const personArb: fc.Arbitrary<Record<string, Json>> = fc
  .record(
    {
      id: textArb,
      groups: listArb(GROUPS),
      levels: listArb(LEVELS),
      active: fc.boolean(),
      credentials: fc.array(credentialArb, { maxLength: 4 }),
    },
    { requiredKeys: ['id'] },
  )
  .chain((p) =>
    fc
      .option(
        fc.tuple(
          fc.constantFrom('name', 'groups', 'active', 'credentials', 'id'),
          fc.oneof(fc.constant(null), fc.nat(), textArb, fc.constant([1, 2]), fc.constant({})),
        ),
        { freq: 8 },
      )
      .map((odd) => (odd === null ? p : { ...p, [odd[0]]: odd[1] }) as unknown as Record<string, Json>),
  );

/** What JSON.parse makes of the line (as the compiler reads it: the line's UTF-8 text). */
function reference(bytes: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** The parser's person, or `gave up`; the person copied as JSON (its undefined fields dropped). */
function parsed(parser: PersonLineParser, bytes: Buffer, pad: number): unknown {
  // Inside a larger buffer, as lines come: the parser must keep to [start, end).
  const padded = Buffer.concat([Buffer.from('x"{]'.repeat(pad)), bytes, Buffer.from('"}],'.repeat(pad))]);
  const person = parser.parse(padded, 4 * pad, 4 * pad + bytes.length);
  return person === undefined ? 'gave up' : copyPerson(person);
}

const INTERESTING = [
  0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x20, 0x30, 0x2d, 0x2e, 0x65, 0x00, 0x1f, 0x7f, 0x80, 0xc3,
  0xff, 0x6e,
];
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.constantFrom(...INTERESTING) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), byte: fc.constantFrom(...INTERESTING) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Buffer, mutations: Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
    else if (m.kind === 'insert')
      out = Buffer.concat([out.subarray(0, at), Buffer.from([m.byte]), out.subarray(at)]);
    else if (m.kind === 'replace' && out.length > 0) out[at] = m.byte;
    else if (m.kind === 'truncate') out = out.subarray(0, at);
  }
  // A line never holds its newline.
  return Buffer.from(out.filter((b) => b !== 10));
}

describe('person lines read byte by byte', () => {
  it('gives what JSON.parse gives for any person record, and takes the canonical ones itself', () => {
    const parser = new PersonLineParser();
    let fast = 0;
    let canonical = 0;
    fc.assert(
      fc.property(personArb, fc.boolean(), fc.nat({ max: 2 }), (person, sorted, pad) => {
        const text = sorted ? canonicalJson(person) : JSON.stringify(person);
        const bytes = Buffer.from(text, 'utf8');
        const expected = reference(bytes);
        const got = parsed(parser, bytes, pad);
        if (got === 'gave up') return; // JSON.parse reads it, as before
        fast++;
        expect(expected.ok).toBe(true);
        expect(got).toStrictEqual((expected as { value: unknown }).value);
        if (sorted) canonical++;
      }),
      { numRuns: 3000 },
    );
    // Most records are in the parser's shape: it did read them, not only give up.
    expect(fast).toBeGreaterThan(120);
    expect(canonical).toBeGreaterThan(50);
  });

  it('takes plain canonical lines itself (ids, hashes, every field), and gives them as JSON.parse does', () => {
    const parser = new PersonLineParser();
    const plain = fc.stringMatching(/^[A-Za-z0-9:_-]{1,20}$/);
    fc.assert(
      fc.property(
        fc.record(
          {
            id: plain,
            groups: fc.array(fc.constantFrom(...GROUPS), { maxLength: 40 }),
            levels: fc.array(plain, { maxLength: 3 }),
            active: fc.boolean(),
            credentials: fc.array(
              fc.record(
                {
                  type: fc.constantFrom('card', 'pin', 'mobile', 'key', 'biometric'),
                  id: plain,
                  pin: plain,
                  duressPin: plain,
                  validFrom: plain,
                  validUntil: plain,
                  maxUses: fc.nat(),
                  validForMinutes: fc.nat(),
                  levels: fc.array(plain, { maxLength: 3 }),
                  state: fc.constantFrom('active', 'suspended', 'lost', 'revoked'),
                  publicKey: plain,
                },
                { requiredKeys: ['type'] },
              ),
              { maxLength: 5 },
            ),
          },
          { requiredKeys: ['id'] },
        ),
        (person) => {
          const bytes = Buffer.from(canonicalJson(person as unknown as Json), 'utf8');
          expect(parsed(parser, bytes, 1)).toStrictEqual(JSON.parse(bytes.toString('utf8')));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never gives a person for a line JSON.parse refuses, nor a different one (mutated lines)', () => {
    const parser = new PersonLineParser();
    let refused = 0;
    fc.assert(
      fc.property(personArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (person, mutations) => {
        const bytes = mutate(Buffer.from(canonicalJson(person), 'utf8'), mutations);
        const expected = reference(bytes);
        const got = parsed(parser, bytes, 1);
        if (!expected.ok) refused++;
        if (got === 'gave up') return;
        expect(expected.ok).toBe(true);
        expect(got).toStrictEqual((expected as { value: unknown }).value);
      }),
      { numRuns: 4000 },
    );
    expect(refused).toBeGreaterThan(1000);
  });

  it('hands each line its own person: nothing of the line before is left in the scratch person', () => {
    const parser = new PersonLineParser();
    const full = Buffer.from(
      canonicalJson({
        id: 'a',
        active: false,
        groups: ['staff'],
        levels: ['lab'],
        credentials: [
          { type: 'card', id: 'c1', pin: 'p', levels: ['front'], maxUses: 3, state: 'lost' },
          { type: 'mobile', id: 'm1', publicKey: 'k' },
        ],
      }),
    );
    const bare = Buffer.from(canonicalJson({ id: 'b', credentials: [{ type: 'pin', pin: '1234' }] }));
    expect(copyPerson(parser.parse(full, 0, full.length)!)).toStrictEqual(JSON.parse(full.toString()));
    expect(copyPerson(parser.parse(bare, 0, bare.length)!)).toStrictEqual({
      id: 'b',
      credentials: [{ type: 'pin', pin: '1234' }],
    });
  });
});

// ------------------------------------------------------------------ whole bodies

const siteWith = (people: unknown[]): SiteDef =>
  site({
    areas: [{ id: 'room' }],
    doors: [{ id: 'F', from: 'outside', to: 'room' }],
    levels: LEVELS.map((id) => ({ id, doors: ['F'] })),
    groups: GROUPS.map((id) => ({ id, levels: ['front'] })),
    people: people as SiteDef['people'],
  });

const snapshotOf = (people: unknown[]): Snapshot => ({
  kind: 'snapshot',
  version: 1,
  issuedAt: Date.parse('2026-01-05T00:00:00Z'),
  maxAgeMinutes: 60,
  fallback: 'keep_deciding',
  emergency: [],
  offlineDeny: [],
  site: siteWith(people) as unknown as Record<string, Json>,
});

let files = 0;
async function bodyOf(snapshot: Snapshot) {
  const { manifest, chunks } = await prepareTransfer(snapshot as unknown as Record<string, Json>, 4096);
  const path = join(dir, `body-${files++}.gz`);
  writeFileSync(path, Buffer.concat(chunks));
  return { kind: 'file' as const, path, manifest };
}

/** A body of lines for `text` (a header line and person lines), as a stored transfer. */
function bodyOfText(text: string, name: string) {
  const compressed = gzipSync(text);
  const path = join(dir, name);
  writeFileSync(path, compressed);
  const manifest: SnapshotManifest = {
    kind: 'snapshot-manifest',
    transfer: 's-1-0000000000000000',
    payload: 'snapshot',
    version: 1,
    encoding: 'gzip',
    format: 'lines',
    size: compressed.length,
    rawSize: Buffer.byteLength(text),
    chunkSize: compressed.length,
    sha256: sha256Hex(compressed),
    chunks: [sha256Hex(compressed)],
  };
  return { kind: 'file' as const, path, manifest };
}

const outcome = (compile: () => ReturnType<typeof compileMessage>) => {
  try {
    const held = compile();
    return { ok: true as const, hash: heldHash(held), people: held.policy.people.size };
  } catch (error) {
    return { ok: false as const, error: (error as Error).message };
  }
};

describe('a body compiled through the byte parser', () => {
  it('is the policy its people as objects compile to, or refused naming the first bad line', async () => {
    const plainPerson = fc.record({
      id: fc.stringMatching(/^[A-Za-z0-9é-]{1,10}$/),
      groups: fc.subarray(GROUPS),
      levels: fc.subarray(LEVELS),
      credentials: fc.array(
        fc.record({
          type: fc.constantFrom('card', 'mobile', 'key'),
          id: fc.stringMatching(/^[0-9a-f]{16}$/),
          pin: fc.stringMatching(/^[0-9a-f]{64}$/),
        }),
        { maxLength: 2 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.oneof({ weight: 6, arbitrary: plainPerson }, { weight: 1, arbitrary: personArb }), {
          maxLength: 1500,
          selector: (p) => p.id,
        }),
        async (people) => {
          const snapshot = snapshotOf(people);
          const lines = await bodyOf(snapshot);
          const got = outcome(() => compileBaseSync(lines));
          const expected = outcome(() => compileMessage(snapshot));
          expect(got.ok).toBe(expected.ok);
          if (got.ok && expected.ok) expect(got).toStrictEqual(expected);
          if (!got.ok) {
            // Named by its line (the header is line 1). Not always the first bad one: the first
            // 1,024 people are checked once the store is sized from them, after the lines they came in.
            const line = Number(/^transfer body line (\d+): /.exec(got.error)?.[1]);
            expect(line).toBeGreaterThanOrEqual(2);
            expect(line).toBeLessThanOrEqual(people.length + 1);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('refuses a line that is not JSON naming its number, without its text (it holds PIN hashes)', async () => {
    const secret = 'f'.repeat(64);
    const people = Array.from({ length: 1500 }, (_, i) => ({
      id: `E${i}`,
      credentials: [{ type: 'card', id: `c${i}`, pin: secret }],
    }));
    const lines = [
      canonicalJson({ ...snapshotOf([]) } as unknown as Json),
      ...people.map((p) => canonicalJson(p as unknown as Json)),
    ];
    for (const bad of [3, 1400]) {
      // Line `bad` broken: a colon missing (the parser gives up, JSON.parse refuses).
      const broken = lines.map((l, i) => (i === bad - 1 ? l.replace('"pin":', '"pin"') : l));
      const base = bodyOfText(`${broken.join('\n')}\n`, `broken-${bad}.gz`);
      let message = '';
      try {
        compileBaseSync(base);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(`transfer body line ${bad}: not valid JSON`);
    }
    // Out of contract (an unknown group): refused naming the line and the field.
    const odd = lines.map((l, i) =>
      i === 700 - 1 ? l.replace('"credentials"', '"groups":["nobody"],"credentials"') : l,
    );
    expect(() => compileBaseSync(bodyOfText(`${odd.join('\n')}\n`, 'odd.gz'))).toThrow(
      'transfer body line 700: groups[0]: unknown group "nobody"',
    );
  });
});
