// The event journal keeps every acknowledged-to-the-door event through crashes: appends are on disk
// when append() returns, sequences never repeat, a torn tail is cut off, acknowledged segments go.
// A full disk (ENOSPC, short writes, a failed fsync) leaves no half record and uses up no sequence.
// The crash test kills a real writer process with SIGKILL mid-stream 20 times: 0 lost, 0 duplicated.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, JournalWriteError } from '../../src/controller/journal.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'monban-journal-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

describe('journal', () => {
  it('numbers events, replays the unacknowledged ones and continues numbering after a reopen', () => {
    const dir = tempDir();
    const journal = Journal.open(dir);
    expect(journal.append(text('a'))).toBe(1);
    expect(journal.appendMany([text('b'), text('c')])).toEqual([2, 3]);
    journal.acknowledge(1);
    expect([...journal.unacknowledged()].map((e) => [e.seq, decode(e.payload)])).toEqual([
      [2, 'b'],
      [3, 'c'],
    ]);
    journal.close();
    const reopened = Journal.open(dir);
    expect(reopened.acknowledged).toBe(1);
    expect(reopened.append(text('d'))).toBe(4);
    expect([...reopened.unacknowledged()].map((e) => e.seq)).toEqual([2, 3, 4]);
    reopened.close();
  });

  it('cuts off a torn record at the end and keeps everything before it', () => {
    const dir = tempDir();
    const journal = Journal.open(dir);
    journal.appendMany([text('one'), text('two')]);
    journal.close();
    const segment = join(dir, readdirSync(dir).find((f) => f.startsWith('segment-'))!);
    appendFileSync(segment, Uint8Array.of(9, 0, 0, 0, 1, 2, 3)); // half a record, as a crash leaves it
    const reopened = Journal.open(dir);
    expect(reopened.repaired).toBe(1);
    expect([...reopened.unacknowledged()].map((e) => decode(e.payload))).toEqual(['one', 'two']);
    expect(reopened.append(text('three'))).toBe(3);
    reopened.close();
  });

  it('rotates segments and deletes the acknowledged ones', () => {
    const dir = tempDir();
    const journal = Journal.open(dir, { segmentBytes: 200 });
    for (let i = 0; i < 50; i++) journal.append(text(`event-${i}`));
    const before = readdirSync(dir).filter((f) => f.startsWith('segment-')).length;
    expect(before).toBeGreaterThan(3);
    journal.acknowledge(45);
    const after = readdirSync(dir).filter((f) => f.startsWith('segment-')).length;
    expect(after).toBeLessThan(before);
    expect([...journal.unacknowledged()].map((e) => e.seq)).toEqual([46, 47, 48, 49, 50]);
    expect(() => journal.acknowledge(99)).toThrow(/ends at 50/);
    journal.close();
  });

  it('loses and duplicates nothing when the writer is killed with SIGKILL, 20 times', async () => {
    const dir = tempDir();
    const durable: number[] = [];
    for (let round = 0; round < 20; round++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', new URL('../support/journal-writer.ts', import.meta.url).pathname, dir],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let buffered = '';
      let written = 0;
      await new Promise<void>((resolve) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          for (const line of lines) {
            if (line.startsWith('ready')) continue;
            durable.push(Number(line));
            // Kill after a varying number of durable appends, mid-stream.
            if (++written === 20 + round * 7) {
              child.kill('SIGKILL');
              resolve();
            }
          }
        });
      });
      await exited;
    }
    const journal = Journal.open(dir);
    const seqs = [...journal.unacknowledged()].map((e) => e.seq);
    journal.close();
    // Every event reported durable is there…
    const present = new Set(seqs);
    expect(durable.filter((s) => !present.has(s))).toEqual([]);
    // …exactly once, numbered without gaps or repeats.
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(new Set(durable).size).toBe(durable.length);
  }, 120_000);
});

/**
 * node:fs with a disk of `room` bytes for segment writes: a write takes what still fits (a short
 * write) and the next one fails with ENOSPC, as on a full file system. `failSync`/`failTruncate`
 * make the next fdatasync or ftruncate fail once.
 */
function smallDisk(room: number) {
  const disk = {
    room,
    failSync: false,
    failTruncate: false,
    fs: {
      ...fs,
      writeSync: ((fd: number, buffer: Uint8Array, offset: number, length: number) => {
        if (disk.room <= 0)
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        const n = fs.writeSync(fd, buffer, offset, Math.min(length, disk.room));
        disk.room -= n;
        return n;
      }) as typeof fs.writeSync,
      fdatasyncSync: (fd: number) => {
        if (disk.failSync) {
          disk.failSync = false;
          throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
        }
        fs.fdatasyncSync(fd);
      },
      ftruncateSync: (fd: number, len?: number) => {
        if (disk.failTruncate) {
          disk.failTruncate = false;
          throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
        }
        fs.ftruncateSync(fd, len);
      },
      writeFileSync: ((...args: Parameters<typeof fs.writeFileSync>) => {
        if (disk.room <= 0)
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        fs.writeFileSync(...args);
      }) as typeof fs.writeFileSync,
    },
  };
  return disk;
}

const segmentBytes = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('segment-'))
    .reduce((n, f) => n + fs.statSync(join(dir, f)).size, 0);

describe('journal on a full disk', () => {
  it('takes an append whole or not at all: a short write then ENOSPC leaves nothing, and the sequence is given again', () => {
    const dir = tempDir();
    const disk = smallDisk(40); // room for one 20-byte record and half of the next
    const journal = Journal.open(dir, { fs: disk.fs });
    expect(journal.append(text('aaaa'))).toBe(1);
    const before = segmentBytes(dir);
    let error: unknown;
    try {
      journal.appendMany([text('bbbbbbbbbbbb'), text('cccc')]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JournalWriteError);
    expect((error as JournalWriteError).code).toBe('ENOSPC');
    expect((error as Error).message).not.toContain('bbbb');
    expect(segmentBytes(dir)).toBe(before); // the half record was cut back off
    expect(journal.next).toBe(2);
    disk.room = Number.POSITIVE_INFINITY; // space freed
    expect(journal.appendMany([text('bbbbbbbbbbbb'), text('cccc')])).toEqual([2, 3]);
    journal.close();
    const reopened = Journal.open(dir);
    expect(reopened.repaired).toBe(0);
    expect([...reopened.unacknowledged()].map((e) => [e.seq, decode(e.payload)])).toEqual([
      [1, 'aaaa'],
      [2, 'bbbbbbbbbbbb'],
      [3, 'cccc'],
    ]);
    reopened.close();
  });

  it('finishes a write the file system took in pieces', () => {
    const dir = tempDir();
    const pieces = {
      ...fs,
      writeSync: ((fd: number, buffer: Uint8Array, offset: number, length: number) =>
        fs.writeSync(fd, buffer, offset, Math.min(length, 7))) as typeof fs.writeSync,
    };
    const journal = Journal.open(dir, { fs: pieces });
    expect(journal.appendMany([text('one'), text('two and more')])).toEqual([1, 2]);
    journal.close();
    const reopened = Journal.open(dir);
    expect([...reopened.unacknowledged()].map((e) => decode(e.payload))).toEqual(['one', 'two and more']);
    reopened.close();
  });

  it('undoes an append whose fsync failed, and one it could not cut back before the next append', () => {
    const dir = tempDir();
    const disk = smallDisk(Number.POSITIVE_INFINITY);
    const journal = Journal.open(dir, { fs: disk.fs });
    journal.append(text('first'));
    disk.failSync = true;
    expect(() => journal.append(text('lost in the cache'))).toThrow(JournalWriteError);
    // The append fails, and so does cutting it back: nothing more is taken until the cut works.
    disk.failSync = true;
    disk.failTruncate = true;
    expect(() => journal.append(text('torn'))).toThrow(JournalWriteError);
    expect(journal.next).toBe(2);
    expect(journal.append(text('second'))).toBe(2);
    journal.close();
    const reopened = Journal.open(dir);
    expect(reopened.repaired).toBe(0);
    expect([...reopened.unacknowledged()].map((e) => decode(e.payload))).toEqual(['first', 'second']);
    reopened.close();
  });

  it('keeps an acknowledgement it could not write in memory and writes it with the next', () => {
    const dir = tempDir();
    const disk = smallDisk(Number.POSITIVE_INFINITY);
    const journal = Journal.open(dir, { fs: disk.fs });
    journal.appendMany([text('a'), text('b'), text('c')]);
    disk.room = 0;
    expect(journal.acknowledge(2)).toBe(false);
    expect(journal.acknowledged).toBe(2);
    expect([...journal.unacknowledged()].map((e) => e.seq)).toEqual([3]);
    expect(fs.existsSync(join(dir, 'acked.tmp'))).toBe(false);
    disk.room = Number.POSITIVE_INFINITY;
    expect(journal.acknowledge(2)).toBe(true); // the same sequence again: now written
    journal.close();
    expect(Journal.open(dir).acknowledged).toBe(2);
  });

  it('never gives a sequence again after restarting on an empty segment', () => {
    const dir = tempDir();
    const journal = Journal.open(dir, { segmentBytes: 40 });
    journal.appendMany([text('aaaa'), text('bbbb')]); // 40 bytes: the next append starts segment 3
    const disk = smallDisk(0);
    journal.close();
    // The next segment is created, its write fails: an empty segment named for sequence 3.
    const full = Journal.open(dir, { segmentBytes: 40, fs: disk.fs });
    expect(() => full.append(text('cccc'))).toThrow(JournalWriteError);
    disk.room = Number.POSITIVE_INFINITY;
    full.acknowledge(2); // the first segment goes
    expect(readdirSync(dir).filter((f) => f.startsWith('segment-'))).toEqual([
      'segment-0000000000000003.log',
    ]);
    full.close();
    fs.rmSync(join(dir, 'acked')); // an acknowledged file older than the segments it let go
    const reopened = Journal.open(dir);
    expect(reopened.next).toBe(3);
    reopened.close();
  });
});
