// `npm run bench`: every benchmark, with medians, p99 and ratios against baselines run in the same
// process. Progress goes to stderr; the report to stdout. `--json FILE` also writes the raw figures;
// `--only core,capacity` runs only the named ones (core, capacity, osdp, controller, mobile, journal, revocation, server, site, imports, snapshot, snapshot-transfer, reports, events, explain; snapshot-capacity, 2,000,000 cardholders end to end, only when named);
// MONBAN_BENCH_SNAPSHOT_PEOPLE sets its size;
// `--events N` (or MONBAN_BENCH_EVENTS) sets the event history searched in `events` (default 1,000,000;
// the issue's size is 10,000,000);
// MONBAN_BENCH_CAPACITY_PEOPLE sets the size of the big capacity runs (default 2,000,000).

import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { type CapacityRun, runCapacityBench } from './capacity.ts';
import { formatControllerReport, memoryJournalAvailable, runControllerBench } from './controller.ts';
import { runCoreBench } from './core.ts';
import { eventStoreSection } from './event-store-report.ts';
import { runExplainBench } from './explain.ts';
import { IMPORT_TARGETS, type ImportsBenchReport, runImportsBench } from './imports.ts';
import { runJournalBench } from './journal.ts';
import { formatMobileReport, runMobileBench } from './mobile.ts';
import { runOsdpBench } from './osdp.ts';
import { runReportsBench } from './reports.ts';
import { runRevocationBench } from './revocation.ts';
import { runServerPathsBench } from './server-paths.ts';
import { runSiteExportBench } from './site-export.ts';
import { runSnapshotCapacityBench } from './snapshot-capacity.ts';
import { runSnapshotTransferBench } from './snapshot-transfer.ts';
import { fmt, type LatencyStats, table, verdict } from './stats.ts';

const progress = (message: string) => process.stderr.write(`… ${message}\n`);

async function main(): Promise<void> {
  const jsonAt = process.argv.indexOf('--json');
  const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString() };
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',')) : undefined;
  const wanted = (name: string) => only === undefined || only.has(name);

  let coreP99: number | undefined;
  if (wanted('core')) coreP99 = await coreSection(results);
  if (wanted('capacity')) await capacitySection(results, coreP99);
  if (wanted('osdp')) await osdpSection(results);
  if (wanted('controller')) await controllerSection(results);
  if (wanted('mobile')) {
    results.mobile = await runMobileBench(progress);
    console.log(`\n${formatMobileReport(results.mobile as Awaited<ReturnType<typeof runMobileBench>>)}`);
  }
  if (wanted('journal')) await journalSection(results);
  if (wanted('revocation')) await revocationSection(results);
  if (wanted('server')) await serverPathsSection(results);
  if (wanted('snapshot-transfer')) await snapshotTransferSection(results);
  // Minutes at 2,000,000 cardholders: only when asked for by name.
  if (only?.has('snapshot-capacity')) await snapshotCapacitySection(results);
  if (wanted('site')) await siteModelSection(results);
  if (wanted('explain')) await explainSection(results);
  if (wanted('imports') || wanted('import')) await importSection(results);
  if (wanted('reports')) await reportsSection(results);
  if (wanted('events')) await eventStoreSection(results, progress);

  if (jsonAt > 0 && process.argv[jsonAt + 1])
    writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(results, null, 2));
}

async function coreSection(results: Record<string, unknown>): Promise<number> {
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
  return core.monban.latency.p99;
}

async function capacitySection(results: Record<string, unknown>, coreP99: number | undefined): Promise<void> {
  const big = Number(process.env.MONBAN_BENCH_CAPACITY_PEOPLE ?? 2_000_000);
  const capacity = await runCapacityBench(progress, big);
  results.capacity = capacity;
  const [small, stream, whole] = capacity.runs as [CapacityRun, CapacityRun, CapacityRun];
  console.log(
    '\nController capacity — cardholders as snapshots carry them (64-hex credential ids and PIN hashes), one process per run\n',
  );
  const row = (label: string, r: CapacityRun) => [
    label,
    r.people.toLocaleString(),
    fmt(r.compileMs / 1000, 1),
    fmt(r.compiled.rssMB, 0),
    r.held ? fmt(r.held.rssMB, 0) : '',
    fmt(r.policyMB, 0),
    fmt((r.policyMB * 1024 * 1024) / r.people, 0),
    fmt(r.compiled.heapMB, 0),
    fmt(r.latency.p50),
    fmt(r.latency.p99),
    fmt(r.deltaMs, 1),
  ];
  console.log(
    table([
      [
        'policy built',
        'cardholders',
        'compile s',
        'RSS MB',
        'RSS MB, site held',
        'policy MB',
        'B/cardholder',
        'heap MB',
        'p50 µs',
        'p99 µs',
        'delta ms',
      ],
      row('in chunks (PolicyBuilder)', small),
      row('in chunks (PolicyBuilder)', stream),
      row('from a whole SiteDef', whole),
    ]),
  );
  console.log(
    `\n  RSS is measured after compiling, with the site definition dropped (never held whole, in chunks); p50/p99 are decide + apply over ${stream.decisions.toLocaleString()} presentations.`,
  );
  console.log(
    `  A 200-person delta (100 changed, 100 removed) applied to the compiled policy: ${fmt(stream.deltaMs, 1)} ms, carry-over ${fmt(stream.carryOverMs, 0)} ms; rebuilding instead: ${fmt(stream.compileMs, 0)} ms (${fmt(stream.compileMs / stream.deltaMs, 0)}× longer).`,
  );
  const scale = `${(stream.people / 1e6).toLocaleString()}M`;
  console.log(
    `  target ${scale} cardholders in ≤ 500 MB RSS: ${fmt(stream.compiled.rssMB, 0)} MB (${fmt(stream.compiled.rssMB / 500, 2)} of target) — ${verdict(stream.compiled.rssMB <= 500)}`,
  );
  console.log(
    `  target compiled in ≤ 10 s: ${fmt(stream.compileMs / 1000, 1)} s (${fmt(stream.compileMs / 10_000, 2)} of target) — ${verdict(stream.compileMs <= 10_000)}`,
  );
  const reference = coreP99 ?? small.latency.p99;
  console.log(
    `  target decision p99 unchanged: ${fmt(stream.latency.p99)} µs at ${scale} vs ${fmt(reference)} µs at 100k (${coreP99 === undefined ? 'capacity run' : 'core benchmark'}; ${fmt(stream.latency.p99 / reference, 2)}×) — ${verdict(stream.latency.p99 <= reference * 1.5 && stream.latency.p99 <= 20)}`,
  );
}

async function osdpSection(results: Record<string, unknown>): Promise<void> {
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
}

async function controllerSection(results: Record<string, unknown>): Promise<void> {
  results.controller = [];
  for (const journal of memoryJournalAvailable() ? (['disk', 'memory'] as const) : (['disk'] as const)) {
    const controller = await runControllerBench(progress, { journal });
    (results.controller as unknown[]).push(controller);
    console.log(`\n${formatControllerReport(controller)}`);
  }
}

async function journalSection(results: Record<string, unknown>): Promise<void> {
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
}

async function revocationSection(results: Record<string, unknown>): Promise<void> {
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
}

async function snapshotTransferSection(results: Record<string, unknown>): Promise<void> {
  const t = await runSnapshotTransferBench(progress);
  results.snapshotTransfer = t;
  const mb = (bytes: number) => `${fmt(bytes / 1_048_576, 1)} MB`;
  console.log(
    `\nSnapshot transfer — ${t.people.toLocaleString()} people: ${mb(t.rawBytes)} of canonical JSON, ${mb(t.compressedBytes)} gzip (${fmt(t.rawBytes / t.compressedBytes, 1)}×), ${t.chunks} chunks of ${t.chunkSize / 1024} KiB; embedded broker on loopback\n`,
  );
  const row = (name: string, chunked: LatencyStats, whole: LatencyStats) => [
    name,
    fmt(chunked.p50, 0),
    fmt(chunked.p99, 0),
    fmt(whole.p50, 0),
    fmt(whole.p99, 0),
    `${fmt(chunked.p50 / whole.p50, 2)}×`,
    String(chunked.samples),
  ];
  console.log(
    table([
      ['', 'chunked p50 ms', 'p99 ms', 'one message p50 ms', 'p99 ms', 'ratio p50', 'samples'],
      row('pack (JSON, gzip, chunks, hashes / JSON, sign)', t.pack.chunked, t.pack.whole),
      row('wire (publish → verified body at a subscriber)', t.wire.chunked, t.wire.whole),
      row('into a controller agent (→ policy installed)', t.controller.chunked, t.controller.whole),
    ]),
  );
  console.log(
    `\n  bytes on the wire: ${mb(t.wireBytes.chunked)} chunked vs ${mb(t.wireBytes.whole)} as one message (${fmt(t.wireBytes.chunked / t.wireBytes.whole, 2)}×)`,
  );
  console.log(
    `  resume after a restart with ${t.resume.staged}/${t.resume.staged + t.resume.resent} chunks staged: staging checked in ${fmt(t.resume.checkStagedMs, 0)} ms; the missing ${t.resume.resent} (${mb(t.resume.resentBytes)}) sent and installed in ${fmt(t.resume.finishMs, 0)} ms`,
  );
}

async function snapshotCapacitySection(results: Record<string, unknown>): Promise<void> {
  const r = await runSnapshotCapacityBench(progress);
  results.snapshotCapacity = r;
  const { server: s, controller: c } = r;
  const mb = (bytes: number) => `${fmt(bytes / 1_048_576, 1)} MB`;
  const limit = 0x1fff_ffe8;
  console.log(
    `\nSnapshot of ${s.people.toLocaleString()} cardholders end to end — server process → embedded broker → controller agent process\n`,
  );
  console.log(
    `  body: ${mb(s.rawBytes)} of text as ${s.format} (${fmt((100 * s.rawBytes) / limit, 0)} % of the longest string Node holds), ${mb(s.compressedBytes)} gzip, ${s.chunks} chunks`,
  );
  console.log(
    table([
      ['', 'ms', 'RSS MB', 'heap MB', 'array buffers MB'],
      ['server: build the snapshot objects', fmt(s.builtMs, 0), '', '', ''],
      [
        'server: pack (lines, gzip, chunks, hashes)',
        fmt(s.packMs, 0),
        fmt(s.packed.rssMB, 0),
        fmt(s.packed.heapMB, 0),
        fmt(s.packed.arrayBuffersMB, 0),
      ],
      ['server: publish manifest and chunks', fmt(s.sendMs, 0), '', '', ''],
      ['controller: first to last chunk', fmt(c.receiveMs, 0), '', '', ''],
      [
        'controller: verify, decompress, parse, compile, install',
        fmt(c.installMs, 0),
        fmt(c.installedAfterGc.rssMB, 0),
        fmt(c.installedAfterGc.heapMB, 0),
        fmt(c.installedAfterGc.arrayBuffersMB, 0),
      ],
      [
        'controller: restart, load from its data dir',
        fmt(c.restartMs, 0),
        fmt(c.afterRestart.rssMB, 0),
        fmt(c.afterRestart.heapMB, 0),
        fmt(c.afterRestart.arrayBuffersMB, 0),
      ],
    ]),
  );
  console.log(
    `\n  known cards granted: ${c.decided.grants}/10 after install, ${c.decidedAfterRestart.grants}/10 after restart; an unknown card: ${c.decided.unknown} — ${verdict(c.decided.grants === 10 && c.decidedAfterRestart.grants === 10 && c.restartedVersion > 0 && c.alarms.length === 0)}`,
  );
}

async function serverPathsSection(results: Record<string, unknown>): Promise<void> {
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
}

async function siteModelSection(results: Record<string, unknown>): Promise<void> {
  const site = await runSiteExportBench(progress);
  results.siteModel = site;
  console.log(
    `\nSite model — ${site.people.toLocaleString()} people in SQLite: scenario export, and ${site.events.toLocaleString()} events listed with names\n`,
  );
  console.log(
    table([
      ['', 'time', 'vs bare', 'peak RSS growth'],
      [
        `scenario export (${fmt(site.exportBytes / 1024 / 1024, 1)} MiB)`,
        `${fmt(site.exportMs / 1000, 1)} s`,
        `${fmt(site.exportMs / site.bareReadMs, 1)}× a bare read`,
        `${fmt(site.exportPeakMb, 0)} MiB`,
      ],
    ]),
  );
  console.log(
    table([
      ['page of 100 events (person + time range)', 'p50 µs', 'p99 µs'],
      ['with person and door names (one query)', fmt(site.search.p50), fmt(site.search.p99)],
      ['bare select, no names', fmt(site.bare.p50), fmt(site.bare.p99)],
    ]),
  );
}

async function importSection(results: Record<string, unknown>): Promise<void> {
  const r = await runImportsBench(progress);
  results.imports = r;
  console.log(
    `\nCSV import — ${r.rows.toLocaleString()} people rows, then ${r.rows.toLocaleString()} credentials rows, as import jobs through the API of a real server, health probed every 50 ms (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})\n`,
  );
  const phase = (f: ImportsBenchReport['engines'][number]['files'][number], name: string) =>
    fmt((f.phasesMs[name] ?? 0) / 1000, 2);
  const rows: string[][] = [
    ['', 'time s', 'rows/s', 'read', 'check', 'stage', 'switch', 'publish', 'health p50', 'p99', 'max ms'],
  ];
  for (const e of r.engines) {
    for (const f of e.files)
      rows.push([
        `${e.engine} ${f.kind}`,
        fmt(f.ms / 1000, 2),
        fmt(f.rowsPerSecond, 0),
        phase(f, 'read'),
        phase(f, 'check'),
        phase(f, 'stage'),
        phase(f, 'switch'),
        phase(f, 'publish'),
        fmt(f.health.p50),
        fmt(f.health.p99),
        fmt(f.health.max),
      ]);
    rows.push([
      `${e.engine} idle server (baseline)`,
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      fmt(e.idleHealth.p50),
      fmt(e.idleHealth.p99),
      fmt(e.idleHealth.max),
    ]);
    rows.push([
      `${e.engine} raw bulk INSERT (floor)`,
      fmt(e.baselineMs / 1000, 2),
      fmt(e.baselineRowsPerSecond, 0),
    ]);
  }
  console.log(table(rows));
  for (const e of r.engines) {
    const { rowsPerSecond: t, healthP99Ms: h } = IMPORT_TARGETS;
    console.log(
      `\n  ${e.engine} (load ${e.load.join(' ')}): both files ${fmt(e.rowsPerSecond, 0)} rows/s, target ≥ ${fmt(t, 0)} — ${verdict(e.rowsPerSecond >= t)}; ${fmt(e.rowsPerSecond / e.baselineRowsPerSecond, 2)}× raw insert`,
    );
    console.log(
      `  ${e.engine}: health during the imports p99 ${fmt(e.health.p99)} ms (idle ${fmt(e.idleHealth.p99)} ms, ${e.health.probes} probes, ${e.health.failed} not answered 200, max ${fmt(e.health.max)} ms), target < ${h} ms — ${verdict(e.health.p99 < h && e.health.failed === 0)}`,
    );
  }
  for (const e of r.engines)
    console.log(
      `  ${e.engine}: the connected controller's link during the imports: ${e.linkChecks - e.linkDown}/${e.linkChecks} reads up — ${verdict(e.linkDown === 0)}; the last imported card granted there ${e.grantAfterMs === null ? 'NOT within 180 s' : `${fmt(e.grantAfterMs / 1000, 1)} s after the job ended`}`,
    );
  if (r.postgresSkipped) console.log(`\n  PostgreSQL skipped: ${r.postgresSkipped}`);
}

async function reportsSection(results: Record<string, unknown>): Promise<void> {
  const r = await runReportsBench(progress);
  results.reports = r;
  console.log(
    `\nReports — ${r.people.toLocaleString()} people, ${r.days} working days × ${r.attendeesPerDay.toLocaleString()} at work: ${r.events.toLocaleString()} events through real agents and the ingest (decisions ${fmt(r.decisionsPerSecond, 0)}/s, ingest with presence history ${fmt(r.ingestPerSecond, 0)} events/s)\n`,
  );
  console.log(
    table([
      ['report (through the HTTP app)', 'p50 ms', 'p99 ms', '× baseline p50', 'bytes'],
      [
        'baseline: /api/events, one person, month',
        fmt(r.baseline.p50 / 1000),
        fmt(r.baseline.p99 / 1000),
        '1.0',
        '',
      ],
      ...r.reports.map((x) => [
        x.name,
        fmt(x.latency.p50 / 1000),
        fmt(x.latency.p99 / 1000),
        fmt(x.ratio, 1),
        x.bytes.toLocaleString(),
      ]),
    ]),
  );
}

await main();

async function explainSection(results: Record<string, unknown>): Promise<void> {
  const x = await runExplainBench(progress);
  results.explain = x;
  console.log(
    `\nExplaining decisions — ${x.people.toLocaleString()} people, ${x.doors.toLocaleString()} doors on one controller (${x.profiles.toLocaleString()} decision profiles)\n`,
  );
  const row = (name: string, s: { p50: number; p99: number; samples: number }) => [
    name,
    `${fmt(s.p50, 0)} ms`,
    `${fmt(s.p99, 0)} ms`,
    String(s.samples),
  ];
  console.log(
    table([
      ['', 'median', 'p99', 'samples'],
      ['explain policy built (first request)', `${fmt(x.buildMs, 0)} ms`, '', '1'],
      row('who can pass: page of 100 + counts over all', x.page),
      row('baseline: decide every person directly', x.direct),
      row('preview: a door removed from a level', x.preview),
      ...(x.previewWhole ? [row('baseline: the same preview, whole rebuild', x.previewWhole)] : []),
    ]),
  );
  if (x.previewWhole)
    console.log(`  whole-rebuild preview vs holders-only: ${fmt(x.previewWhole.p50 / x.preview.p50, 1)}×`);
  console.log(`\n  page vs direct baseline: ${fmt(x.page.p50 / x.direct.p50, 2)}×`);
}
