// A transferred body file (contracts/transfer.ts) read as a stream: checked against its manifest's
// size and SHA-256 first, read in slices, then decompressed a slice at a time and handed on line by
// line — never the whole compressed file, never the whole decompressed text, never one string per
// body. A 2,000,000-cardholder snapshot is ~0.5 GB of text: gunzipSync of it, or its people as
// objects, would alone go past the controller's memory target (DESIGN.md §7: 500 MB).
//
// Two readers of the same shape: synchronous (a controller loading its stored policy at start, in
// its constructor) and asynchronous (a transfer just received: the doors keep deciding between
// slices).

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants, createGunzip } from 'node:zlib';
import type { SnapshotManifest } from '../contracts/messages.ts';

/** Compressed bytes read at a time. */
const SLICE = 1 << 20;

/** Told each line of the decompressed body (without its newline), as bytes of `data`. */
export type LineSink = (data: Buffer, start: number, end: number) => void;

/** Throws unless the file is exactly the compressed body the manifest names (size, SHA-256). */
export function checkBodyFile(path: string, manifest: SnapshotManifest): void {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).size !== manifest.size) throw new Error('transfer size differs from its manifest');
    const hash = createHash('sha256');
    const slice = Buffer.allocUnsafe(SLICE);
    let at = 0;
    for (;;) {
      const n = readSync(fd, slice, 0, SLICE, at);
      if (n === 0) break;
      hash.update(slice.subarray(0, n));
      at += n;
    }
    if (at !== manifest.size) throw new Error('transfer size differs from its manifest');
    if (hash.digest('hex') !== manifest.sha256) throw new Error('transfer hash differs from its manifest');
  } finally {
    closeSync(fd);
  }
}

/**
 * Splits decompressed pieces into lines, counting bytes against the manifest's raw size (a lying
 * manifest cannot make it inflate without bound).
 */
class LineSplitter {
  private size = 0;
  private pending: Buffer[] = [];

  constructor(
    private readonly rawSize: number,
    private readonly sink: LineSink,
  ) {}

  push(data: Buffer): void {
    this.size += data.length;
    if (this.size > this.rawSize) throw new Error('transfer body size differs from its manifest');
    let at = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, at)) {
      if (this.pending.length === 0) this.sink(data, at, nl);
      else {
        const line = Buffer.concat([...this.pending, data.subarray(at, nl)]);
        this.pending = [];
        this.sink(line, 0, line.length);
      }
      at = nl + 1;
    }
    // Copied: the decompressor may reuse its output buffer.
    if (at < data.length) this.pending.push(Buffer.from(data.subarray(at)));
  }

  end(): void {
    if (this.size !== this.rawSize) throw new Error('transfer body size differs from its manifest');
    if (this.pending.length > 0) throw new Error('transfer body does not end with a whole line');
  }
}

/** What a zlib stream is underneath (node:zlib's own synchronous path drives it the same way). */
interface ZlibInternals {
  _handle: {
    writeSync(
      flush: number,
      input: Uint8Array,
      inOff: number,
      inLen: number,
      out: Uint8Array,
      outOff: number,
      outLen: number,
    ): void;
  } | null;
  _writeState: Uint32Array;
}

/** Output bytes produced at a time. */
const OUT = 1 << 18;

/**
 * Decompresses a gzip body a piece at a time, synchronously. zlib has no public synchronous stream
 * (gunzipSync takes and gives one whole buffer, and closes its stream after one call): this drives
 * a Gunzip stream's native handle step by step exactly as node:zlib's synchronous path does
 * (processChunkSync), without closing it between pieces.
 */
class SyncGunzip {
  private readonly stream = createGunzip();
  private readonly z = this.stream as unknown as ZlibInternals;

  constructor() {
    this.stream.on('error', () => {}); // reported synchronously below; not again as an event
  }

  /** One output buffer, used again for every piece: a restart at 2,000,000 inflates ~0.5 GB. */
  private readonly buffer = Buffer.allocUnsafe(OUT);

  /**
   * Feeds `input`; calls `out` with each piece of output — a view of one buffer used again after
   * `out` returns, so `out` must copy what it keeps (LineSplitter does).
   */
  write(input: Uint8Array, last: boolean, out: (data: Buffer) => void): void {
    const handle = this.z._handle;
    if (handle === null) throw new Error('transfer body does not decompress');
    const flush = last ? constants.Z_FINISH : constants.Z_NO_FLUSH;
    const buffer = this.buffer;
    let inOff = 0;
    let inLen = input.length;
    for (;;) {
      handle.writeSync(flush, input, inOff, inLen, buffer, 0, OUT);
      if (this.stream.destroyed) throw new Error('transfer body does not decompress');
      const outLeft = this.z._writeState[0]!;
      const inLeft = this.z._writeState[1]!;
      if (OUT - outLeft > 0) out(buffer.subarray(0, OUT - outLeft));
      inOff += inLen - inLeft;
      inLen = inLeft;
      // Output space left over: all the input it could take is taken.
      if (outLeft !== 0) return;
    }
  }

  close(): void {
    this.stream.close();
  }
}

/**
 * The lines of a checked body file, synchronously, holding one slice of compressed input and one
 * piece of output at a time.
 */
export function readBodyLinesSync(path: string, manifest: SnapshotManifest, sink: LineSink): void {
  checkBodyFile(path, manifest);
  const lines = new LineSplitter(manifest.rawSize, sink);
  const gunzip = new SyncGunzip();
  const fd = openSync(path, 'r');
  try {
    const slice = Buffer.allocUnsafe(SLICE);
    let at = 0;
    while (at < manifest.size) {
      const n = readSync(fd, slice, 0, Math.min(SLICE, manifest.size - at), at);
      if (n === 0) throw new Error('transfer size differs from its manifest');
      at += n;
      gunzip.write(slice.subarray(0, n), at >= manifest.size, (data) => lines.push(data));
    }
    lines.end();
  } finally {
    closeSync(fd);
    gunzip.close();
  }
}

/** The same, asynchronously: decompressed on libuv's pool, lines handed on between slices. */
export async function readBodyLines(path: string, manifest: SnapshotManifest, sink: LineSink): Promise<void> {
  checkBodyFile(path, manifest);
  const lines = new LineSplitter(manifest.rawSize, sink);
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  const fd = openSync(path, 'r');
  try {
    const done = new Promise<void>((resolve, reject) => {
      gunzip.on('data', (data: Buffer) => {
        try {
          lines.push(data);
        } catch (error) {
          gunzip.destroy();
          reject(error);
        }
      });
      gunzip.once('end', resolve);
      gunzip.once('error', () => reject(new Error('transfer body does not decompress')));
    });
    done.catch(() => {});
    // One slice, used again once the decompressor has taken it (its write callback).
    const slice = Buffer.allocUnsafe(SLICE);
    let at = 0;
    while (at < manifest.size && !gunzip.destroyed) {
      const n = readSync(fd, slice, 0, Math.min(SLICE, manifest.size - at), at);
      if (n === 0) throw new Error('transfer size differs from its manifest');
      at += n;
      await Promise.race([new Promise((resolve) => gunzip.write(slice.subarray(0, n), resolve)), done]);
    }
    gunzip.end();
    await done;
    lines.end();
  } finally {
    closeSync(fd);
    gunzip.destroy();
  }
}
