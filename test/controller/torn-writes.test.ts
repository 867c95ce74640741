// Power loss at any byte (issue 16 §2): a controller's journal and stored policy are cut at every byte
// offset of a recorded run, as a power cut in the middle of a write leaves them, and reopened. The
// journal must give back exactly the records that were whole at the cut (nothing invented, nothing
// reordered), continue numbering after them without reusing a sequence it had returned, and stay
// readable after the next append; a policy file replaced mid-write must load the old policy or be
// refused with a reason — never half of one.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sealer } from '../../src/contracts/envelope.ts';
import { Journal } from '../../src/controller/journal.ts';
import { SnapshotStore } from '../../src/controller/snapshot-store.ts';

const root = mkdtempSync(join(tmpdir(), 'monban-torn-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;
const fresh = () => {
  const dir = join(root, String(runs++));
  mkdirSync(dir);
  return dir;
};

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** A recorded run: events of varied sizes over several segments, as the bytes landed on disk. */
function recordRun(): { files: { name: string; bytes: Buffer }[]; payloads: string[] } {
  const dir = fresh();
  const journal = Journal.open(dir, { segmentBytes: 160 });
  const payloads: string[] = [];
  for (let i = 0; i < 14; i++) {
    const batch = Array.from({ length: 1 + (i % 3) }, (_, j) => `e${i}.${j}:${'x'.repeat((i * 7 + j) % 23)}`);
    journal.appendMany(batch.map(text));
    payloads.push(...batch);
  }
  journal.close();
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('segment-'))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
  return { files, payloads };
}

describe('power loss at every byte offset', () => {
  const run = recordRun();
  const total = run.files.reduce((n, f) => n + f.bytes.length, 0);

  it('the recorded run spans several segments', () => {
    expect(run.files.length).toBeGreaterThan(3);
    expect(run.payloads.length).toBeGreaterThan(20);
  });

  /** The journal directory as a power cut at byte `cut` of the run leaves it (zero-filled or not). */
  function cutAt(cut: number, zeroFill: boolean): { dir: string; whole: number } {
    const dir = fresh();
    let offset = 0;
    let whole = 0;
    for (const file of run.files) {
      if (offset >= cut && offset > 0) break; // this segment was never created
      const keep = Math.min(file.bytes.length, cut - offset);
      let bytes = file.bytes.subarray(0, keep);
      // Some file systems extend a file before its data lands: the tail then reads as zeros.
      if (zeroFill && keep < file.bytes.length) bytes = Buffer.concat([bytes, Buffer.alloc(7)]);
      writeFileSync(join(dir, file.name), bytes);
      whole += countWhole(file.bytes, keep);
      offset += file.bytes.length;
    }
    return { dir, whole };
  }

  for (const zeroFill of [false, true]) {
    it(`keeps exactly the whole records at each of the run's offsets${zeroFill ? ', tail zero-filled' : ''}`, () => {
      let checked = 0;
      for (let cut = 0; cut <= total; cut++) {
        const { dir, whole } = cutAt(cut, zeroFill);
        const journal = Journal.open(dir, { segmentBytes: 160 });
        const kept = [...journal.unacknowledged()];
        expect(
          kept.map((e) => decode(e.payload)),
          `cut at ${cut}`,
        ).toEqual(run.payloads.slice(0, whole));
        expect(
          kept.map((e) => e.seq),
          `cut at ${cut}`,
        ).toEqual(kept.map((_, i) => i + 1));
        // The next event continues the numbering and survives the next restart with the rest.
        expect(journal.append(text('after'))).toBe(whole + 1);
        journal.close();
        const again = Journal.open(dir, { segmentBytes: 160 });
        expect(again.repaired).toBe(0);
        expect([...again.unacknowledged()].map((e) => decode(e.payload))).toEqual([
          ...run.payloads.slice(0, whole),
          'after',
        ]);
        again.close();
        rmSync(dir, { recursive: true });
        checked++;
      }
      expect(checked).toBe(total + 1);
    }, 180_000); // ~2,000 reopens with fsync: seconds on an idle disk, more on a loaded machine
  }

  it('an acknowledgement is never half-written: a torn acked.tmp leaves the last one', () => {
    const dir = fresh();
    const journal = Journal.open(dir);
    journal.appendMany(['a', 'b', 'c'].map(text));
    journal.acknowledge(2);
    journal.close();
    for (const torn of ['', '3', '1']) {
      writeFileSync(join(dir, 'acked.tmp'), torn); // the rename never happened
      const reopened = Journal.open(dir);
      expect(reopened.acknowledged).toBe(2);
      expect([...reopened.unacknowledged()].map((e) => decode(e.payload))).toEqual(['c']);
      reopened.close();
    }
  });
});

describe('the stored policy under power loss', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const sealer = new Sealer('server', privateKey);
  const snapshot = (version: number, people: number) => ({
    kind: 'snapshot',
    version,
    issuedAt: 1_764_000_000_000 + version,
    maxAgeMinutes: 60,
    fallback: 'emergency_only',
    emergency: [],
    site: {
      version: 1,
      timezone: 'Asia/Tokyo',
      areas: [{ id: 'outside' }, { id: 'lobby', parent: 'outside' }],
      doors: [{ id: 'front', from: 'outside', to: 'lobby' }],
      levels: [{ id: 'staff', doors: ['front'] }],
      people: Array.from({ length: people }, (_, i) => ({
        id: `p${i}`,
        levels: ['staff'],
        credentials: [{ type: 'card', id: `C-${i}` }],
      })),
    },
  });
  const seal = (version: number, people: number) =>
    sealer.seal(
      'monban/main/server/commands/ctl-1',
      JSON.parse(JSON.stringify(snapshot(version, people))),
      1_764_000_000_000 + version,
    );

  it('a replacement cut at any offset leaves the old policy; a cut file itself is refused', () => {
    const dir = fresh();
    const store = new SnapshotStore(dir, publicKey);
    store.saveWhole(seal(1, 3));
    expect(store.load()?.version).toBe(1);
    const next = Buffer.from(JSON.stringify({ base: seal(2, 4), deltas: [] }), 'utf8');
    const whole = readFileSync(join(dir, 'snapshot.json'));
    for (let cut = 0; cut < next.length; cut += 1) {
      // The write goes to snapshot.json.tmp and is renamed only after an fsync: a cut leaves it behind.
      writeFileSync(join(dir, 'snapshot.json.tmp'), next.subarray(0, cut));
      expect(new SnapshotStore(dir, publicKey).load()?.version, `tmp cut at ${cut}`).toBe(1);
    }
    // Were the policy file itself cut (a disk fault, not a power cut), it is refused, never half-used.
    for (let cut = 0; cut < whole.length; cut += 1) {
      writeFileSync(join(dir, 'snapshot.json'), whole.subarray(0, cut));
      expect(() => new SnapshotStore(dir, publicKey).load(), `file cut at ${cut}`).toThrow();
    }
  });
});

/** How many whole records the first `keep` bytes of a segment hold. */
function countWhole(segment: Buffer, keep: number): number {
  let offset = 0;
  let n = 0;
  while (offset + 16 <= keep) {
    const length = segment.readUInt32LE(offset);
    if (offset + 16 + length > keep) break;
    offset += 16 + length;
    n++;
  }
  return n;
}
