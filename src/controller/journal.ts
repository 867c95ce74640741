// The controller's event journal (R-CTL-2): every event is written durably (fsync) before it is
// acknowledged, numbered with a sequence that never repeats across restarts, and kept until the
// server has acknowledged it. Segment files; each record is framed and checksummed, so a torn write
// at a crash is recognised and cut off at the next open.
//
// Record: length u32 LE (of the payload) | crc32 u32 LE (of seq + payload) | seq u64 LE | payload
// Files:  DIR/segment-<first seq, 16 digits>.log, and DIR/acked (the acknowledged sequence).
//
// An append is all or nothing: a write that fails or comes up short (a full disk: ENOSPC) is cut
// back off the segment, its sequences are given again by the next append, and the caller gets a
// JournalWriteError. Without that a half record would sit in the middle of the segment once later
// appends succeed, and the next open would cut off everything after it.

import * as nodeFs from 'node:fs';
import { join } from 'node:path';

/** The file operations the journal uses: node:fs, or a test's wrapper that fails some of them. */
export type JournalFs = Pick<
  typeof nodeFs,
  | 'closeSync'
  | 'fdatasyncSync'
  | 'fsyncSync'
  | 'ftruncateSync'
  | 'mkdirSync'
  | 'openSync'
  | 'readdirSync'
  | 'readFileSync'
  | 'renameSync'
  | 'rmSync'
  | 'statSync'
  | 'writeFileSync'
  | 'writeSync'
>;

/** An append that did not reach the disk (nothing of it is in the journal); `code` is the errno code. */
export class JournalWriteError extends Error {
  readonly code: string;
  constructor(cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code ?? 'EIO';
    super(`journal write failed: ${code}`, { cause });
    this.name = 'JournalWriteError';
    this.code = code;
  }
}

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
  /** the file operations (default node:fs): tests inject full disks and short writes */
  fs?: JournalFs;
}

export class Journal {
  private fd: number | undefined;
  private segmentStart = 0;
  private segmentSize = 0;
  private nextSeq = 1;
  private ackedSeq = 0;
  private readonly segmentBytes: number;
  private readonly fs: JournalFs;
  /** the acknowledged sequence is newer than the `acked` file (its write failed; retried) */
  private ackedDirty = false;
  /** a failed append could not be cut back: the segment ends in bytes that are not a record */
  private torn = false;
  /** records cut off at open because a crash tore them */
  readonly repaired: number;

  private constructor(
    private readonly dir: string,
    options: JournalOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.fs = options.fs ?? nodeFs;
    this.fs.mkdirSync(dir, { recursive: true });
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

  /**
   * Appends several events with one write and one fsync (group commit): all of them, or — with a
   * JournalWriteError — none (the sequences are not used up).
   */
  appendMany(payloads: readonly Uint8Array[]): number[] {
    if (payloads.length === 0) return [];
    for (const payload of payloads)
      if (payload.length > MAX_RECORD) throw new RangeError(`an event is at most ${MAX_RECORD} bytes`);
    const total = payloads.reduce((n, p) => n + HEADER + p.length, 0);
    const buffer = new Uint8Array(total);
    const view = new DataView(buffer.buffer);
    const seqs: number[] = [];
    let offset = 0;
    for (const payload of payloads) {
      const seq = this.nextSeq + seqs.length;
      view.setUint32(offset, payload.length, true);
      view.setBigUint64(offset + 8, BigInt(seq), true);
      buffer.set(payload, offset + HEADER);
      view.setUint32(offset + 4, crc32(buffer, offset + 8, offset + HEADER + payload.length), true);
      offset += HEADER + payload.length;
      seqs.push(seq);
    }
    // The segment still ends in what a failed append left: cut it first (never rotate past it).
    if (this.torn && this.fd !== undefined) this.cutBack(this.fd);
    if (this.torn) throw new JournalWriteError(Object.assign(new Error('torn'), { code: 'EIO' }));
    try {
      if (this.fd === undefined || this.segmentSize >= this.segmentBytes) this.startSegment(seqs[0]!);
    } catch (error) {
      throw new JournalWriteError(error);
    }
    const fd = this.fd!;
    try {
      // A write may take only part of the buffer (the disk filled up midway): the rest goes after it,
      // or the next write fails and the whole append is undone below.
      for (let written = 0; written < buffer.length; ) {
        const n = this.fs.writeSync(fd, buffer, written, buffer.length - written);
        if (n <= 0) throw Object.assign(new Error('the write took nothing'), { code: 'EIO' });
        written += n;
      }
      this.fs.fdatasyncSync(fd);
    } catch (error) {
      this.cutBack(fd);
      throw new JournalWriteError(error);
    }
    this.segmentSize += buffer.length;
    this.nextSeq += seqs.length;
    return seqs;
  }

  /**
   * Undoes a failed append: the segment back to its last whole record. Truncating frees space, so
   * it works on a full disk; should it fail anyway, the journal stops taking appends (the bytes
   * after the last record would hide every later one at the next open) until it succeeds.
   */
  private cutBack(fd: number): void {
    try {
      this.fs.ftruncateSync(fd, this.segmentSize);
      this.fs.fdatasyncSync(fd);
      this.torn = false;
    } catch {
      this.torn = true;
    }
  }

  /** Events not yet acknowledged by the server, in order, for replay after a reconnect. */
  *unacknowledged(): Generator<JournalEntry> {
    for (const file of this.segments()) {
      for (const entry of this.readSegment(join(this.dir, file)).entries)
        if (entry.seq > this.ackedSeq) yield entry;
    }
  }

  /**
   * The server has every event up to `seq`: remember it durably and drop whole segments below it.
   * Returns false when the `acked` file could not be written (a full disk): the acknowledgement holds
   * in memory and is written with the next one; after a restart meanwhile, the events after the
   * older file's sequence are sent again, which the server takes as the duplicates they are.
   */
  acknowledge(seq: number): boolean {
    if (seq <= this.ackedSeq && !this.ackedDirty) return true;
    if (seq >= this.nextSeq)
      throw new RangeError(`cannot acknowledge ${seq}: the journal ends at ${this.nextSeq - 1}`);
    const upTo = Math.max(seq, this.ackedSeq);
    this.ackedSeq = upTo;
    const fs = this.fs;
    const tmp = join(this.dir, 'acked.tmp');
    try {
      fs.writeFileSync(tmp, String(upTo));
      const fd = fs.openSync(tmp, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, join(this.dir, 'acked'));
      this.syncDir();
    } catch {
      this.ackedDirty = true;
      fs.rmSync(tmp, { force: true });
      return false;
    }
    this.ackedDirty = false;
    const files = this.segments();
    for (let i = 0; i + 1 < files.length; i++) {
      // A segment can go when the next one starts at or below the acknowledged sequence + 1.
      if (segmentFirst(files[i + 1]!) <= upTo + 1 && join(this.dir, files[i]!) !== this.currentPath())
        fs.rmSync(join(this.dir, files[i]!));
    }
    return true;
  }

  close(): void {
    if (this.fd !== undefined) this.fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private currentPath(): string {
    return join(this.dir, segmentName(this.segmentStart));
  }

  /** Opens the segment starting at `firstSeq`; the one before stays current if that fails. */
  private startSegment(firstSeq: number): void {
    const path = join(this.dir, segmentName(firstSeq));
    const fd = this.fs.openSync(path, 'a');
    let size: number;
    try {
      size = this.fs.statSync(path).size;
      this.syncDir();
    } catch (error) {
      this.fs.closeSync(fd);
      throw error;
    }
    if (this.fd !== undefined) this.fs.closeSync(this.fd);
    this.fd = fd;
    this.segmentStart = firstSeq;
    this.segmentSize = size;
  }

  private segments(): string[] {
    return this.fs
      .readdirSync(this.dir)
      .filter((f) => /^segment-\d{16}\.log$/.test(f))
      .sort();
  }

  private readAcked(): number {
    try {
      const value = Number(this.fs.readFileSync(join(this.dir, 'acked'), 'utf8'));
      return Number.isSafeInteger(value) && value >= 0 ? value : 0;
    } catch {
      return 0;
    }
  }

  private readSegment(path: string): { entries: JournalEntry[]; validBytes: number } {
    const bytes = new Uint8Array(this.fs.readFileSync(path));
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
      const size = this.fs.statSync(path).size;
      if (validBytes < size) {
        if (i !== files.length - 1) throw new Error(`journal segment ${file} is damaged before its end`);
        // Only the last segment can have a torn tail (a crash in the middle of a write): cut it off.
        const fd = this.fs.openSync(path, 'r+');
        this.fs.ftruncateSync(fd, validBytes);
        this.fs.fsyncSync(fd);
        this.fs.closeSync(fd);
        repaired++;
      }
    }
    const current = files.at(-1);
    // A segment is named for the sequence it starts at: even empty (an append into it failed, or
    // the acknowledged file is older than the segments it let go), nothing below that is given again.
    if (current) last = Math.max(last, segmentFirst(current) - 1);
    this.nextSeq = last + 1;
    if (current) {
      this.segmentStart = segmentFirst(current);
      this.fd = this.fs.openSync(join(this.dir, current), 'a');
      this.segmentSize = this.fs.statSync(join(this.dir, current)).size;
    }
    return repaired;
  }

  private syncDir(): void {
    // A new or renamed file is durable only once its directory entry is.
    const fd = this.fs.openSync(this.dir, 'r');
    try {
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
  }
}

function segmentName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(16, '0')}.log`;
}

function segmentFirst(name: string): number {
  return Number(name.slice(8, 24));
}
