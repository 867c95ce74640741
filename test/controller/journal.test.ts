// The event journal keeps every acknowledged-to-the-door event through crashes: appends are on disk
// when append() returns, sequences never repeat, a torn tail is cut off, acknowledged segments go.
// The crash test kills a real writer process with SIGKILL mid-stream 20 times: 0 lost, 0 duplicated.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/controller/journal.ts';

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
