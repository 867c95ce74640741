// Rule: a chunked transfer rebuilds exactly the body the server packed, whatever order and however
// often its chunks arrive, and nothing else passes: a chunk with one byte changed, cut short or put
// at another index fails its hash, and a whole body that differs from the manifest is refused before
// it is parsed. A snapshot goes as lines (its header, then one canonical-JSON line per person), so
// that neither end ever holds it as one string; canonical JSON measured and hashed in pieces is
// exactly canonical JSON.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalParts, type Json } from '../../src/contracts/canonical.ts';
import { parseMessage, type SnapshotManifest } from '../../src/contracts/messages.ts';
import {
  canonicalFits,
  canonicalSha256,
  chunkBounds,
  chunkMatches,
  openTransferred,
  openTransferredSync,
  prepareTransfer,
  sha256Hex,
} from '../../src/contracts/transfer.ts';

const personArb = fc.record({
  id: fc.string({ minLength: 1, maxLength: 12 }),
  active: fc.boolean(),
  credentials: fc.array(fc.record({ type: fc.constant('card'), id: fc.stringMatching(/^[0-9a-f]{64}$/) })),
});

const bodyArb = fc.record({
  kind: fc.constant('snapshot'),
  version: fc.integer({ min: 1, max: 2 ** 40 }),
  issuedAt: fc.nat(),
  site: fc.record({
    timezone: fc.constant('Asia/Tokyo'),
    people: fc.array(personArb, { minLength: 20, maxLength: 200 }),
  }),
});

describe('chunked transfer', () => {
  it('reassembles the body from its chunks in any order, with duplicates', async () => {
    let multi = 0;
    await fc.assert(
      fc.asyncProperty(
        bodyArb,
        fc.integer({ min: 1_024, max: 4_096 }),
        fc.nat(),
        async (body, chunkSize, seed) => {
          const { manifest, chunks } = await prepareTransfer(
            body as unknown as Record<string, Json>,
            chunkSize,
          );
          expect(parseMessage(manifest).ok).toBe(true); // what the server sends passes the schema
          expect(manifest.chunks).toHaveLength(Math.ceil(manifest.size / chunkSize));
          if (chunks.length > 2) multi++;
          // Chunks arrive shuffled, some twice; each is placed by its index, as the receiver does.
          const order = chunks
            .map((_, i) => i)
            .concat(chunks.map((_, i) => i).filter((i) => (i + seed) % 3 === 0));
          order.sort((a, b) => ((a * 7919 + seed) % 97) - ((b * 7919 + seed) % 97));
          const whole = Buffer.alloc(manifest.size);
          for (const i of order) {
            expect(chunkMatches(manifest, i, chunks[i]!)).toBe(true);
            chunks[i]!.copy(whole, chunkBounds(manifest, i).start);
          }
          expect(await openTransferred(manifest, whole)).toEqual(body);
          expect(openTransferredSync(manifest, whole)).toEqual(body);
        },
      ),
      { numRuns: 60 },
    );
    expect(multi).toBeGreaterThan(20); // exercised on bodies of many chunks, not only one
  });

  it('refuses a chunk with any byte changed, cut short or at another index', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb, fc.nat(), fc.integer({ min: 1, max: 255 }), async (body, at, flip) => {
        const { manifest, chunks } = await prepareTransfer(body as unknown as Record<string, Json>, 1_024);
        const i = at % chunks.length;
        const bad = Buffer.from(chunks[i]!);
        bad[at % bad.length]! ^= flip;
        expect(chunkMatches(manifest, i, bad)).toBe(false);
        expect(chunkMatches(manifest, i, chunks[i]!.subarray(0, chunks[i]!.length - 1))).toBe(false);
        if (chunks.length > 1)
          expect(chunkMatches(manifest, (i + 1) % chunks.length, chunks[i]!)).toBe(false);
        expect(chunkMatches(manifest, chunks.length, chunks[i]!)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a whole body that is not the one its manifest names', async () => {
    const body = { kind: 'snapshot', version: 7, site: { people: [{ id: 'a' }] } };
    const { manifest, chunks } = await prepareTransfer(body, 1_024);
    const whole = Buffer.concat(chunks);
    const flipped = Buffer.from(whole);
    flipped[flipped.length - 1]! ^= 1;
    await expect(openTransferred(manifest, flipped)).rejects.toThrow('hash differs');
    await expect(openTransferred(manifest, whole.subarray(1))).rejects.toThrow('size differs');
    // A manifest that lies about the version (or the kind) gets nothing parsed as what it claims.
    await expect(openTransferred({ ...manifest, version: 8 }, whole)).rejects.toThrow(
      'not what its manifest',
    );
    // Decompression stops at the announced size: a body cannot inflate past what was signed.
    await expect(openTransferred({ ...manifest, rawSize: manifest.rawSize - 1 }, whole)).rejects.toThrow();
  });

  it('names a delta by its base, and refuses to pack anything but snapshots and deltas', async () => {
    const delta = await prepareTransfer({ kind: 'snapshot-delta', base: 3, version: 4, upsert: [] });
    expect(delta.manifest).toMatchObject({ payload: 'snapshot-delta', base: 3, version: 4 });
    expect(delta.manifest.transfer).toMatch(/^d-4-[0-9a-f]{16}$/);
    await expect(prepareTransfer({ kind: 'command', version: 1 })).rejects.toThrow(TypeError);
    // The schema keeps the counts honest: one hash per chunk of the size, a base only for a delta.
    expect(
      parseMessage({ ...delta.manifest, chunks: [...delta.manifest.chunks, delta.manifest.sha256] }).ok,
    ).toBe(false);
    expect(parseMessage({ ...delta.manifest, payload: 'snapshot' }).ok).toBe(false);
  });
});

/** A manifest for a hand-made body text (what a server that packs wrongly would sign). */
function manifestFor(
  text: string,
  format: 'lines' | undefined,
): { manifest: SnapshotManifest; whole: Buffer } {
  const whole = gzipSync(Buffer.from(text, 'utf8'));
  const sha256 = sha256Hex(whole);
  return {
    whole,
    manifest: {
      kind: 'snapshot-manifest',
      transfer: `s-5-${sha256.slice(0, 16)}`,
      payload: 'snapshot',
      version: 5,
      encoding: 'gzip',
      ...(format && { format }),
      size: whole.length,
      rawSize: Buffer.byteLength(text),
      chunkSize: 1_024,
      sha256,
      chunks: [sha256],
    },
  };
}

describe('snapshots as lines', () => {
  it('measures and hashes canonical JSON in pieces exactly as canonical JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue() as fc.Arbitrary<Json>, fc.nat({ max: 400 }), (value, limit) => {
        const text = canonicalJson(value);
        expect([...canonicalParts(value)].join('')).toBe(text);
        expect(canonicalSha256(value)).toBe(createHash('sha256').update(text).digest('hex'));
        expect(canonicalFits(value, limit)).toBe(Buffer.byteLength(text) <= limit);
      }),
      { numRuns: 300 },
    );
  });

  it('packs a snapshot as its header and one canonical line per person, and reads it back', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb, async (body) => {
        const { manifest, chunks } = await prepareTransfer(body as unknown as Record<string, Json>, 1_024);
        expect(manifest.format).toBe('lines');
        const text = gunzipSync(Buffer.concat(chunks)).toString('utf8');
        expect(Buffer.byteLength(text)).toBe(manifest.rawSize);
        const lines = text.split('\n');
        expect(lines.pop()).toBe(''); // every line ends with a newline
        expect(lines[0]).toBe(canonicalJson({ ...body, site: { ...body.site, people: [] } } as Json));
        expect(lines.slice(1)).toEqual(body.site.people.map((p) => canonicalJson(p as unknown as Json)));
        expect(await openTransferred(manifest, Buffer.concat(chunks))).toEqual(body);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses a body in lines that is cut, or whose header is not a snapshot with its people apart', async () => {
    const header = canonicalJson({ kind: 'snapshot', version: 5, site: { people: [] } });
    const good = manifestFor(`${header}\n{"id":"a"}\n`, 'lines');
    expect(openTransferredSync(good.manifest, good.whole)).toEqual({
      kind: 'snapshot',
      version: 5,
      site: { people: [{ id: 'a' }] },
    });
    const bad = [
      `${header}\n{"id":"a"}`, // the last line cut
      `${header}\n{"id":"a"\n`, // a line that is not JSON
      `${canonicalJson({ kind: 'snapshot', version: 5, site: { people: [{ id: 'a' }] } })}\n`, // people inside
      `${canonicalJson({ kind: 'snapshot', version: 5 })}\n`, // no site
      `${canonicalJson({ kind: 'snapshot', version: 6, site: { people: [] } })}\n`, // another version
    ];
    for (const text of bad) {
      const { manifest, whole } = manifestFor(text, 'lines');
      await expect(openTransferred(manifest, whole)).rejects.toThrow();
      expect(() => openTransferredSync(manifest, whole)).toThrow();
    }
    // Lines read as one JSON body are refused too: the format is part of what was signed.
    await expect(openTransferred({ ...good.manifest, format: undefined }, good.whole)).rejects.toThrow();
  });

  it('lets only a snapshot in lines be larger than one string may hold', () => {
    const { manifest } = manifestFor('{}', 'lines');
    const big = { ...manifest, rawSize: 0x2000_0000 + 1 };
    expect(parseMessage(big).ok).toBe(true);
    expect(parseMessage({ ...big, format: undefined }).ok).toBe(false);
    expect(parseMessage({ ...manifest, payload: 'snapshot-delta', base: 4 }).ok).toBe(false);
  });
});
