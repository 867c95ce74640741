// Chunked snapshot transfer (issue 11 §1), the part both ends share: how a message body becomes a
// signed manifest and chunks, and how the receiver checks them. The body's canonical JSON is
// gzip-compressed and cut into chunks of a bounded size (well under any broker's message limit);
// the manifest, signed in its envelope like every message, holds the SHA-256 of each chunk and of
// the whole compressed body, so a chunk is checked on arrival (and asked again when it fails) and
// the whole once more before it is decompressed. Nothing unverified is ever parsed.

import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip } from 'node:zlib';
import { canonicalJson, type Json } from './canonical.ts';
import { MAX_TRANSFER_CHUNKS, type SnapshotManifest } from './messages.ts';

/** Chunks of 256 KiB: about 350 KB a message in base64, far below broker limits (Mosquitto: 256 MB). */
export const DEFAULT_CHUNK_SIZE = 256 * 1024;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export const sha256Hex = (data: Uint8Array | string): string =>
  createHash('sha256').update(data).digest('hex');

export interface PreparedTransfer {
  manifest: SnapshotManifest;
  chunks: Buffer[];
}

/**
 * A snapshot or delta body as a manifest and its chunks. Compression runs on libuv's thread pool,
 * so the server keeps serving while a 100,000-person snapshot is packed.
 */
export async function prepareTransfer(
  body: Record<string, Json>,
  chunkSize = DEFAULT_CHUNK_SIZE,
  /** the body's canonical JSON, when the caller has it already (it is hundreds of ms at 100,000 people) */
  canonical = canonicalJson(body),
): Promise<PreparedTransfer> {
  const { kind, version, base } = body;
  if ((kind !== 'snapshot' && kind !== 'snapshot-delta') || typeof version !== 'number')
    throw new TypeError('only snapshots and snapshot deltas go as transfers');
  const raw = Buffer.from(canonical, 'utf8');
  const compressed = await gzipAsync(raw);
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
    size: compressed.length,
    rawSize: raw.length,
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
 * hash first, decompressed no further than the announced size (a lying manifest cannot make it
 * inflate without bound), and parsed. Throws naming what failed; never echoes content.
 */
export async function openTransferred(manifest: SnapshotManifest, compressed: Uint8Array): Promise<unknown> {
  checkWhole(manifest, compressed);
  return parseBody(manifest, await gunzipAsync(compressed, { maxOutputLength: manifest.rawSize }));
}

/** The same, synchronously: for a controller loading its stored policy at start. */
export function openTransferredSync(manifest: SnapshotManifest, compressed: Uint8Array): unknown {
  checkWhole(manifest, compressed);
  return parseBody(manifest, gunzipSync(compressed, { maxOutputLength: manifest.rawSize }));
}

function checkWhole(manifest: SnapshotManifest, compressed: Uint8Array): void {
  if (compressed.length !== manifest.size) throw new Error('transfer size differs from its manifest');
  if (sha256Hex(compressed) !== manifest.sha256) throw new Error('transfer hash differs from its manifest');
}

function parseBody(manifest: SnapshotManifest, raw: Buffer): unknown {
  if (raw.length !== manifest.rawSize) throw new Error('transfer body size differs from its manifest');
  const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  if (body.kind !== manifest.payload || body.version !== manifest.version || body.base !== manifest.base)
    throw new Error('transfer body is not what its manifest names');
  return body;
}
