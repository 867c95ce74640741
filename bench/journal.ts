// Controller journal benchmark: durable appends per second (fsync per event, and group commit of
// 1,000 events per fsync), and holding 1,000,000 events while offline, replayed in full.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../src/controller/journal.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';

export interface JournalBenchReport {
  single: { perSecond: number; latency: LatencyStats };
  grouped: { perSecond: number; batch: number };
  offline: { events: number; replayed: number; appendSeconds: number; replaySeconds: number };
}

const payload = (seq: number) =>
  new TextEncoder().encode(
    JSON.stringify({
      type: 'access',
      door: `door-${seq % 1000}`,
      person: `person-${seq % 100000}`,
      result: 'grant',
      at: 1767571200000 + seq,
    }),
  );

export async function runJournalBench(progress: Progress): Promise<JournalBenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'monban-journal-bench-'));
  try {
    progress('journal: 2,000 appends with an fsync each…');
    const journal = Journal.open(join(dir, 'single'));
    const samples = new Float64Array(2000);
    const t0 = performance.now();
    for (let i = 0; i < samples.length; i++) {
      const s = performance.now();
      journal.append(payload(i));
      samples[i] = (performance.now() - s) * 1000;
    }
    const single = {
      perSecond: samples.length / ((performance.now() - t0) / 1000),
      latency: latencyStats(samples),
    };
    journal.close();

    progress('journal: 1,000,000 events offline in batches of 1,000, then a full replay…');
    const offline = Journal.open(join(dir, 'offline'));
    const batch = 1000;
    const t1 = performance.now();
    for (let i = 0; i < 1_000_000; i += batch)
      offline.appendMany(Array.from({ length: batch }, (_, j) => payload(i + j)));
    const appendSeconds = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    let replayed = 0;
    for (const _ of offline.unacknowledged()) replayed++;
    const replaySeconds = (performance.now() - t2) / 1000;
    offline.close();
    return {
      single,
      grouped: { perSecond: 1_000_000 / appendSeconds, batch },
      offline: { events: 1_000_000, replayed, appendSeconds, replaySeconds },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
