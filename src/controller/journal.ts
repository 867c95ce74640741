// The controller's event journal (R-CTL-2): every event is written durably (fsync) before it is
// acknowledged, numbered with a sequence that never repeats across restarts, and kept until the
// server has acknowledged it. Segment files; each record is framed and checksummed, so a torn write
// at a crash is recognised and cut off at the next open.
//
// Record: length u32 LE (of the payload) | crc32 u32 LE (of seq + payload) | seq u64 LE | payload
// Files:  DIR/segment-<first seq, 16 digits>.log, and DIR/acked (the acknowledged sequence).

import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

const HEADER = 16;
const MAX_RECORD = 1024 * 1024;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface JournalEntry {
  seq: number;
  payload: Uint8Array;
}

export interface JournalOptions {
  /** start a new segment after this many bytes */
  segmentBytes?: number;
  /** fsync each append (default); tests of throughput may batch with appendMany instead */
  sync?: boolean;
}

export class Journal {
  private fd: number | undefined;
  private segmentStart = 0;
  private segmentSize = 0;
  private nextSeq = 1;
  private ackedSeq = 0;
  private readonly segmentBytes: number;
  /** records cut off at open because a crash tore them */
  readonly repaired: number;

  private constructor(
    private readonly dir: string,
    options: JournalOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    mkdirSync(dir, { recursive: true });
    this.ackedSeq = this.readAcked();
    this.repaired = this.recover();
  }

  static open(dir: string, options: JournalOptions = {}): Journal {
    return new Journal(dir, options);
  }

  /** The sequence the next append will get. */
  get next(): number {
    return this.nextSeq;
  }

  get acknowledged(): number {
    return this.ackedSeq;
  }

  /** Appends one event and returns its sequence once it is on disk. */
  append(payload: Uint8Array): number {
    return this.appendMany([payload])[0]!;
  }

  /** Appends several events with one write and one fsync (group commit). */
  appendMany(payloads: readonly Uint8Array[]): number[] {
    const total = payloads.reduce((n, p) => n + HEADER + p.length, 0);
    const buffer = new Uint8Array(total);
    const view = new DataView(buffer.buffer);
    const seqs: number[] = [];
    let offset = 0;
    for (const payload of payloads) {
      if (payload.length > MAX_RECORD) throw new RangeError(`an event is at most ${MAX_RECORD} bytes`);
      const seq = this.nextSeq++;
      view.setUint32(offset, payload.length, true);
      view.setBigUint64(offset + 8, BigInt(seq), true);
      buffer.set(payload, offset + HEADER);
      view.setUint32(offset + 4, crc32(buffer, offset + 8, offset + HEADER + payload.length), true);
      offset += HEADER + payload.length;
      seqs.push(seq);
    }
    if (this.fd === undefined || this.segmentSize >= this.segmentBytes) this.startSegment(seqs[0]!);
    writeSync(this.fd!, buffer, 0, buffer.length);
    fdatasyncSync(this.fd!);
    this.segmentSize += buffer.length;
    return seqs;
  }

  /** Events not yet acknowledged by the server, in order, for replay after a reconnect. */
  *unacknowledged(): Generator<JournalEntry> {
    for (const file of this.segments()) {
      for (const entry of this.readSegment(join(this.dir, file)).entries)
        if (entry.seq > this.ackedSeq) yield entry;
    }
  }

  /** The server has every event up to `seq`: remember it durably and drop whole segments below it. */
  acknowledge(seq: number): void {
    if (seq <= this.ackedSeq) return;
    if (seq >= this.nextSeq)
      throw new RangeError(`cannot acknowledge ${seq}: the journal ends at ${this.nextSeq - 1}`);
    const tmp = join(this.dir, 'acked.tmp');
    writeFileSync(tmp, String(seq));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, 'acked'));
    this.syncDir();
    this.ackedSeq = seq;
    const files = this.segments();
    for (let i = 0; i + 1 < files.length; i++) {
      // A segment can go when the next one starts at or below the acknowledged sequence + 1.
      if (segmentFirst(files[i + 1]!) <= seq + 1 && join(this.dir, files[i]!) !== this.currentPath())
        rmSync(join(this.dir, files[i]!));
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private currentPath(): string {
    return join(this.dir, segmentName(this.segmentStart));
  }

  private startSegment(firstSeq: number): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.segmentStart = firstSeq;
    this.fd = openSync(this.currentPath(), 'a');
    this.segmentSize = statSync(this.currentPath()).size;
    this.syncDir();
  }

  private segments(): string[] {
    return readdirSync(this.dir)
      .filter((f) => /^segment-\d{16}\.log$/.test(f))
      .sort();
  }

  private readAcked(): number {
    try {
      const value = Number(readFileSync(join(this.dir, 'acked'), 'utf8'));
      return Number.isSafeInteger(value) && value >= 0 ? value : 0;
    } catch {
      return 0;
    }
  }

  private readSegment(path: string): { entries: JournalEntry[]; validBytes: number } {
    const bytes = new Uint8Array(readFileSync(path));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const entries: JournalEntry[] = [];
    let offset = 0;
    while (offset + HEADER <= bytes.length) {
      const length = view.getUint32(offset, true);
      if (length > MAX_RECORD || offset + HEADER + length > bytes.length) break;
      if (view.getUint32(offset + 4, true) !== crc32(bytes, offset + 8, offset + HEADER + length)) break;
      entries.push({
        seq: Number(view.getBigUint64(offset + 8, true)),
        payload: bytes.slice(offset + HEADER, offset + HEADER + length),
      });
      offset += HEADER + length;
    }
    return { entries, validBytes: offset };
  }

  /** Finds the last sequence and cuts a torn tail off the last segment. */
  private recover(): number {
    const files = this.segments();
    let repaired = 0;
    let last = this.ackedSeq;
    for (const [i, file] of files.entries()) {
      const path = join(this.dir, file);
      const { entries, validBytes } = this.readSegment(path);
      if (entries.length > 0) last = Math.max(last, entries[entries.length - 1]!.seq);
      const size = statSync(path).size;
      if (validBytes < size) {
        if (i !== files.length - 1) throw new Error(`journal segment ${file} is damaged before its end`);
        // Only the last segment can have a torn tail (a crash in the middle of a write): cut it off.
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, validBytes);
        fsyncSync(fd);
        closeSync(fd);
        repaired++;
      }
    }
    this.nextSeq = last + 1;
    const current = files.at(-1);
    if (current) {
      this.segmentStart = segmentFirst(current);
      this.fd = openSync(join(this.dir, current), 'a');
      this.segmentSize = statSync(join(this.dir, current)).size;
    }
    return repaired;
  }

  private syncDir(): void {
    // A new or renamed file is durable only once its directory entry is.
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function segmentName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(16, '0')}.log`;
}

function segmentFirst(name: string): number {
  return Number(name.slice(8, 24));
}
