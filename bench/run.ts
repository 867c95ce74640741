// `npm run bench`: every benchmark, with medians, p99 and ratios against baselines run in the same
// process. Progress goes to stderr; the report to stdout. `--json FILE` also writes the raw figures.

import { writeFileSync } from 'node:fs';
import { formatControllerReport, memoryJournalAvailable, runControllerBench } from './controller.ts';
import { runCoreBench } from './core.ts';
import { runJournalBench } from './journal.ts';
import { runOsdpBench } from './osdp.ts';
import { runRevocationBench } from './revocation.ts';
import { runServerPathsBench } from './server-paths.ts';
import { fmt, table, verdict } from './stats.ts';

const progress = (message: string) => process.stderr.write(`… ${message}\n`);

async function main(): Promise<void> {
  const jsonAt = process.argv.indexOf('--json');
  const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString() };

  const core = await runCoreBench(progress);
  results.core = core;
  const ratioCasbin = core.monban.perSecond / core.casbin.perSecond;
  const ratioBaseline = core.monban.latency.p50 / core.baseline.latency.p50;
  console.log(
    `\nAccess decisions — ${core.size.people.toLocaleString()} people, ${core.size.doors.toLocaleString()} doors, ${core.size.levels.toLocaleString()} levels, every rule in use (policy compiled in ${fmt(core.compileMs, 0)} ms)\n`,
  );
  console.log(
    table([
      ['engine', 'decisions/s', 'p50 µs', 'p99 µs', 'p99.9 µs', 'samples'],
      [
        'Monban (decide + apply)',
        fmt(core.monban.perSecond, 0),
        fmt(core.monban.latency.p50),
        fmt(core.monban.latency.p99),
        fmt(core.monban.latency.p999),
        String(core.monban.latency.samples),
      ],
      [
        'bare baseline (hash + bit test)',
        fmt(core.baseline.perSecond, 0),
        fmt(core.baseline.latency.p50),
        fmt(core.baseline.latency.p99),
        fmt(core.baseline.latency.p999),
        String(core.baseline.latency.samples),
      ],
      [
        'node-casbin (RBAC + schedule)',
        fmt(core.casbin.perSecond, 0),
        fmt(core.casbin.latency.p50),
        fmt(core.casbin.latency.p99),
        fmt(core.casbin.latency.p999),
        String(core.casbin.requests),
      ],
    ]),
  );
  console.log(
    `\n  grants ${core.monban.grants}, denies ${core.monban.denies} per pass; casbin load ${fmt(core.casbin.loadMs, 0)} ms`,
  );
  console.log(
    `  target p99 ≤ 20 µs: ${fmt(core.monban.latency.p99)} µs — ${verdict(core.monban.latency.p99 <= 20)}`,
  );
  console.log(
    `  target ≥ 100,000 decisions/s: ${fmt(core.monban.perSecond, 0)} — ${verdict(core.monban.perSecond >= 100_000)}`,
  );
  console.log(`  target ≥ 10× node-casbin: ${fmt(ratioCasbin, 0)}× — ${verdict(ratioCasbin >= 10)}`);
  console.log(
    `  target within 5× of the bare baseline (p50): ${fmt(ratioBaseline, 1)}× — ${verdict(ratioBaseline <= 5)}`,
  );

  const osdp = await runOsdpBench(progress);
  results.osdp = osdp;
  const card = osdp.cardRead;
  console.log('\nOSDP — Secure Channel round trips through the real control panel and reader (in memory)\n');
  console.log(
    table([
      ['link', 'round trips/s', 'p50 µs', 'p99 µs', 'samples'],
      [
        'Secure Channel (AES MAC + encryption)',
        fmt(osdp.secure.perSecond, 0),
        fmt(osdp.secure.latency.p50),
        fmt(osdp.secure.latency.p99),
        String(osdp.secure.latency.samples),
      ],
      [
        'plaintext (baseline)',
        fmt(osdp.plaintext.perSecond, 0),
        fmt(osdp.plaintext.latency.p50),
        fmt(osdp.plaintext.latency.p99),
        String(osdp.plaintext.latency.samples),
      ],
    ]),
  );
  console.log(
    `\n  secure / plaintext throughput: ${fmt(osdp.secure.perSecond / osdp.plaintext.perSecond, 2)}×`,
  );
  console.log(
    `\nOSDP — a card read over a simulated ${card.baud}-baud line (POLL → RAW, Secure Channel), ${card.totalMs.samples} reads\n`,
  );
  console.log(
    table([
      ['', 'p50 ms', 'p99 ms', 'max ms'],
      [
        'wire time of the two frames',
        fmt(card.wireMs.p50, 3),
        fmt(card.wireMs.p99, 3),
        fmt(card.wireMs.max, 3),
      ],
      [
        'software added (PD + CP)',
        fmt(card.overheadMs.p50, 3),
        fmt(card.overheadMs.p99, 3),
        fmt(card.overheadMs.max, 3),
      ],
      ['total', fmt(card.totalMs.p50, 3), fmt(card.totalMs.p99, 3), fmt(card.totalMs.max, 3)],
    ]),
  );
  console.log(
    `\n  target p99 ≤ wire time + 2 ms: ${fmt(card.totalMs.p99, 3)} ms vs ${fmt(card.wireMs.p99 + 2, 3)} ms — ${verdict(card.totalMs.p99 <= card.wireMs.p99 + 2)}`,
  );

  results.controller = [];
  for (const journal of memoryJournalAvailable() ? (['disk', 'memory'] as const) : (['disk'] as const)) {
    const controller = await runControllerBench(progress, { journal });
    (results.controller as unknown[]).push(controller);
    console.log(`\n${formatControllerReport(controller)}`);
  }

  const journal = await runJournalBench(progress);
  results.journal = journal;
  console.log('\nController journal — durable event appends (fsync before acknowledging)\n');
  console.log(
    table([
      ['mode', 'events/s', 'p50 µs', 'p99 µs'],
      [
        'one fsync per event',
        fmt(journal.single.perSecond, 0),
        fmt(journal.single.latency.p50),
        fmt(journal.single.latency.p99),
      ],
      [`group commit (${journal.grouped.batch} per fsync)`, fmt(journal.grouped.perSecond, 0), '', ''],
    ]),
  );
  console.log(
    `\n  offline capacity: ${journal.offline.events.toLocaleString()} events written in ${fmt(journal.offline.appendSeconds, 1)} s, ` +
      `${journal.offline.replayed.toLocaleString()} replayed in ${fmt(journal.offline.replaySeconds, 1)} s — ${verdict(journal.offline.replayed === journal.offline.events)}`,
  );

  const revocation = await runRevocationBench(progress);
  results.revocation = revocation;
  const r = revocation.latencyMs;
  console.log(
    `\nRevocation — signed command from the server to ${revocation.controllers} controllers through the embedded broker over TLS, ${revocation.rounds} rounds\n`,
  );
  console.log(
    table([
      ['', 'p50 ms', 'p99 ms', 'max ms', 'applied'],
      [
        'time to apply at each controller',
        fmt(r.p50),
        fmt(r.p99),
        fmt(r.max),
        `${r.samples}/${revocation.controllers * revocation.rounds}`,
      ],
    ]),
  );
  console.log(
    `\n  target p99 ≤ 250 ms: ${fmt(r.p99)} ms — ${verdict(r.p99 <= 250 && r.samples === revocation.controllers * revocation.rounds)}`,
  );

  const paths = await runServerPathsBench(progress);
  results.serverPaths = paths;
  console.log(
    `\nServer paths — ${paths.people.toLocaleString()} people, ${paths.controllers} controllers, SQLite (site seeded in ${fmt(paths.seedMs / 1000, 1)} s)\n`,
  );
  console.log(
    table([
      ['', 'p50 ms', 'p99 ms', 'max ms', 'samples'],
      [
        'rebuild every snapshot after one person changed',
        fmt(paths.rebuildMs.p50),
        fmt(paths.rebuildMs.p99),
        fmt(paths.rebuildMs.max),
        String(paths.rebuildMs.samples),
      ],
      [
        `ingest ${paths.ingestBatch} grants (events + presence in storage)`,
        fmt(paths.ingestMs.p50),
        fmt(paths.ingestMs.p99),
        fmt(paths.ingestMs.max),
        String(paths.ingestMs.samples),
      ],
      [
        `raw append of ${paths.ingestBatch} events (baseline)`,
        fmt(paths.appendMs.p50),
        fmt(paths.appendMs.p99),
        fmt(paths.appendMs.max),
        String(paths.appendMs.samples),
      ],
    ]),
  );
  console.log(
    `\n  first snapshots ${fmt(paths.firstBuildMs / 1000, 1)} s; ingest ${fmt(paths.ingestPerSecond, 0)} events/s, ${fmt(paths.ingestPerSecond / paths.appendPerSecond, 2)}× the raw append (${fmt(paths.appendPerSecond, 0)}/s)`,
  );
  console.log('  snapshot rebuilds read and hash each controller’s whole snapshot: O(site) per change.');

  if (jsonAt > 0 && process.argv[jsonAt + 1])
    writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(results, null, 2));
}

await main();
