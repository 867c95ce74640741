// Chunked snapshot transfer (issue 11 §1), the part both ends share: how a message body becomes a
// signed manifest and chunks, and how the receiver checks them. The body's text — a snapshot as
// lines, one per person (transferText), anything else its canonical JSON — is gzip-compressed
// piece by piece and cut into chunks of a bounded size (well under any broker's message limit);
// the manifest, signed in its envelope like every message, holds the SHA-256 of each chunk and of
// the whole compressed body, so a chunk is checked on arrival (and asked again when it fails) and
// the whole once more before it is decompressed. Nothing unverified is ever parsed.

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createGunzip, createGzip, gunzipSync } from 'node:zlib';
import { canonicalJson, canonicalParts, type Json } from './canonical.ts';
import { MAX_TRANSFER_CHUNKS, type SnapshotManifest } from './messages.ts';

/** Chunks of 256 KiB: about 350 KB a message in base64, far below broker limits (Mosquitto: 256 MB). */
export const DEFAULT_CHUNK_SIZE = 256 * 1024;

export const sha256Hex = (data: Uint8Array | string): string =>
  createHash('sha256').update(data).digest('hex');

export interface PreparedTransfer {
  manifest: SnapshotManifest;
  chunks: Buffer[];
}

/** Text handed to the compressor at a time (pieces are gathered up to this, never one whole body). */
const BATCH = 1 << 16;

/**
 * The raw (uncompressed) text of a transferred body, in pieces. A snapshot goes as lines: first the
 * canonical JSON of the body with `site.people` empty, then one line per person (its canonical JSON),
 * each line ended by a newline (canonical JSON has none inside). A 2,000,000-person snapshot is more
 * than one JavaScript string may hold (~512 MiB): as lines, neither end ever needs it as one string,
 * and the controller parses it person by person. Anything else (a delta) goes as its canonical JSON.
 */
export function* transferText(body: Record<string, Json>, format: TransferFormat): Generator<string> {
  if (format === 'json') {
    yield* canonicalParts(body);
    return;
  }
  const site = body.site as Record<string, Json>;
  const people = site.people as Json[];
  yield `${canonicalJson({ ...body, site: { ...site, people: [] } })}\n`;
  for (const person of people) yield `${canonicalJson(person)}\n`;
}

export type TransferFormat = 'json' | 'lines';

/** How a body goes as a transfer: a snapshot with a people list as lines, anything else as JSON. */
export function transferFormat(body: Record<string, Json>): TransferFormat {
  const site = body.site;
  return body.kind === 'snapshot' &&
    typeof site === 'object' &&
    site !== null &&
    !Array.isArray(site) &&
    Array.isArray(site.people)
    ? 'lines'
    : 'json';
}

/** SHA-256 (hex) of `canonicalJson(value)`, computed piece by piece (for values of any size). */
export function canonicalSha256(value: Json): string {
  const hash = createHash('sha256');
  for (const batch of canonicalBatches(value)) hash.update(batch);
  return hash.digest('hex');
}

/**
 * The same hash, awaiting `pause` after each batch of text: a server hashing a 100,000-person
 * snapshot lets its event loop turn meanwhile (server/turns.ts).
 */
export async function canonicalSha256InTurns(value: Json, pause: () => Promise<void>): Promise<string> {
  const hash = createHash('sha256');
  for (const batch of canonicalBatches(value)) {
    hash.update(batch);
    await pause();
  }
  return hash.digest('hex');
}

/** canonicalJson(value) in batches of about BATCH characters. */
function* canonicalBatches(value: Json): Generator<string> {
  let batch = '';
  for (const piece of canonicalParts(value)) {
    batch += piece;
    if (batch.length >= BATCH) {
      yield batch;
      batch = '';
    }
  }
  yield batch;
}

/** Whether `canonicalJson(value)` takes at most `limit` UTF-8 bytes; stops counting past it. */
export function canonicalFits(value: Json, limit: number): boolean {
  let bytes = 0;
  for (const piece of canonicalParts(value)) {
    bytes += Buffer.byteLength(piece);
    if (bytes > limit) return false;
  }
  return true;
}

/**
 * A snapshot or delta body as a manifest and its chunks. The text is made and compressed piece by
 * piece (compression runs on libuv's thread pool, so the server keeps serving while a large snapshot
 * is packed); only the compressed body is ever held whole.
 */
export async function prepareTransfer(
  body: Record<string, Json>,
  chunkSize = DEFAULT_CHUNK_SIZE,
): Promise<PreparedTransfer> {
  const { kind, version, base } = body;
  if ((kind !== 'snapshot' && kind !== 'snapshot-delta') || typeof version !== 'number')
    throw new TypeError('only snapshots and snapshot deltas go as transfers');
  const format = transferFormat(body);
  const gzip = createGzip();
  const out: Buffer[] = [];
  gzip.on('data', (data: Buffer) => out.push(data));
  const ended = new Promise<void>((resolve, reject) => {
    gzip.once('end', resolve);
    gzip.once('error', reject);
  });
  let rawSize = 0;
  let batch = '';
  const flush = async () => {
    const bytes = Buffer.from(batch, 'utf8');
    batch = '';
    rawSize += bytes.length;
    if (!gzip.write(bytes)) await once(gzip, 'drain');
  };
  for (const piece of transferText(body, format)) {
    batch += piece;
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  gzip.end();
  await ended;
  const compressed = Buffer.concat(out);
  const chunks: Buffer[] = [];
  for (let at = 0; at < compressed.length; at += chunkSize)
    chunks.push(compressed.subarray(at, at + chunkSize));
  if (chunks.length > MAX_TRANSFER_CHUNKS) throw new RangeError('snapshot too large for one transfer');
  const sha256 = sha256Hex(compressed);
  const manifest: SnapshotManifest = {
    kind: 'snapshot-manifest',
    // Names this body: the same version sent again as a delta or whole is another transfer.
    transfer: `${kind === 'snapshot' ? 's' : 'd'}-${version}-${sha256.slice(0, 16)}`,
    payload: kind,
    version,
    ...(kind === 'snapshot-delta' && typeof base === 'number' && { base }),
    encoding: 'gzip',
    ...(format === 'lines' && { format }),
    size: compressed.length,
    rawSize,
    chunkSize,
    sha256,
    chunks: chunks.map(sha256Hex),
  };
  return { manifest, chunks };
}

/** Where chunk `index` lies in the compressed body. */
export function chunkBounds(manifest: SnapshotManifest, index: number): { start: number; end: number } {
  const start = index * manifest.chunkSize;
  return { start, end: Math.min(start + manifest.chunkSize, manifest.size) };
}

/** Whether `data` is exactly chunk `index` of the manifest's body. */
export function chunkMatches(manifest: SnapshotManifest, index: number, data: Uint8Array): boolean {
  if (index < 0 || index >= manifest.chunks.length) return false;
  const { start, end } = chunkBounds(manifest, index);
  return data.length === end - start && sha256Hex(data) === manifest.chunks[index];
}

/**
 * The body the manifest announced, from the whole compressed bytes: checked against the whole
 * hash first, decompressed as a stream no further than the announced size (a lying manifest cannot
 * make it inflate without bound), and parsed — a body in lines line by line, so it is never one
 * string, nor held decompressed whole. Throws naming what failed; never echoes content.
 */
export async function openTransferred(manifest: SnapshotManifest, compressed: Uint8Array): Promise<unknown> {
  checkWhole(manifest, compressed);
  const reader = new BodyReader(manifest);
  const gunzip = createGunzip();
  const done = new Promise<void>((resolve, reject) => {
    gunzip.on('data', (data: Buffer) => {
      try {
        reader.push(data);
      } catch (error) {
        gunzip.destroy();
        reject(error);
      }
    });
    gunzip.once('end', resolve);
    gunzip.once('error', () => reject(new Error('transfer body does not decompress')));
  });
  // In slices, so that the stream is fed as it drains rather than all at once.
  for (let at = 0; at < compressed.length && !gunzip.destroyed; at += BATCH * 16)
    if (!gunzip.write(compressed.subarray(at, at + BATCH * 16)))
      await Promise.race([once(gunzip, 'drain'), done]);
  gunzip.end();
  await done;
  return reader.end();
}

/** The same, synchronously: for a controller loading its stored policy at start. */
export function openTransferredSync(manifest: SnapshotManifest, compressed: Uint8Array): unknown {
  checkWhole(manifest, compressed);
  const reader = new BodyReader(manifest);
  reader.push(gunzipSync(compressed, { maxOutputLength: manifest.rawSize }));
  return reader.end();
}

function checkWhole(manifest: SnapshotManifest, compressed: Uint8Array): void {
  if (compressed.length !== manifest.size) throw new Error('transfer size differs from its manifest');
  if (sha256Hex(compressed) !== manifest.sha256) throw new Error('transfer hash differs from its manifest');
}

/**
 * Parses a decompressed body as it comes, in pieces of any size: JSON kept until the end, or lines
 * parsed one at a time (the people of a snapshot, put into the header's `site.people`).
 */
class BodyReader {
  private size = 0;
  /** JSON: every piece; lines: the start of a line not yet ended */
  private pending: Buffer[] = [];
  private header: Record<string, unknown> | undefined;
  private readonly people: unknown[] = [];

  constructor(private readonly manifest: SnapshotManifest) {}

  push(data: Buffer): void {
    this.size += data.length;
    if (this.size > this.manifest.rawSize) throw new Error('transfer body size differs from its manifest');
    if (this.manifest.format !== 'lines') {
      this.pending.push(data);
      return;
    }
    let at = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, at)) {
      const line =
        this.pending.length === 0
          ? data.toString('utf8', at, nl)
          : Buffer.concat([...this.pending, data.subarray(at, nl)]).toString('utf8');
      this.pending = [];
      this.line(line);
      at = nl + 1;
    }
    if (at < data.length) this.pending.push(data.subarray(at));
  }

  private line(text: string): void {
    const value = JSON.parse(text) as unknown;
    if (this.header !== undefined) {
      this.people.push(value);
      return;
    }
    const site = (value as { site?: unknown } | null)?.site as Record<string, unknown> | undefined;
    if (typeof site !== 'object' || site === null || !Array.isArray(site.people) || site.people.length > 0)
      throw new Error('transfer body is not a snapshot in lines');
    this.header = value as Record<string, unknown>;
  }

  end(): unknown {
    if (this.size !== this.manifest.rawSize) throw new Error('transfer body size differs from its manifest');
    let body: Record<string, unknown>;
    if (this.manifest.format === 'lines') {
      if (this.pending.length > 0 || this.header === undefined)
        throw new Error('transfer body does not end with a whole line');
      body = this.header;
      (body.site as Record<string, unknown>).people = this.people;
    } else {
      body = JSON.parse(Buffer.concat(this.pending).toString('utf8')) as Record<string, unknown>;
    }
    if (
      body.kind !== this.manifest.payload ||
      body.version !== this.manifest.version ||
      body.base !== this.manifest.base
    )
      throw new Error('transfer body is not what its manifest names');
    return body;
  }
}
