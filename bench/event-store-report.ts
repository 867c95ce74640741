// The `events` section of `npm run bench`: the event store's figures (event-store.ts) as tables,
// each against its issue 11 §4 target.

import { type EventStoreReport, runEventStoreBench, TARGETS } from './event-store.ts';
import { fmt, type Progress, table, verdict } from './stats.ts';

/** `--events N` or MONBAN_BENCH_EVENTS; default 1,000,000 (the 2-core machine's size). */
export function searchEvents(argv: readonly string[] = process.argv): number {
  const at = argv.indexOf('--events');
  const raw = at > 0 ? argv[at + 1] : process.env.MONBAN_BENCH_EVENTS;
  const n = raw === undefined ? 1_000_000 : Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 10_000) throw new Error('--events: a whole number of at least 10,000');
  return n;
}

export async function eventStoreSection(results: Record<string, unknown>, progress: Progress): Promise<void> {
  const report: EventStoreReport = await runEventStoreBench(progress, searchEvents());
  results.eventStore = report;
  for (const { engine, ingest, search } of report.engines) {
    const target = engine === 'SQLite' ? TARGETS.sqliteIngestPerSecond : TARGETS.postgresIngestPerSecond;
    console.log(
      `\nEvent store on ${engine} — ingest of ${ingest.events.toLocaleString()} events from ${ingest.controllers} controllers in batches of ${ingest.batch} (${ingest.parallel} at once), against a raw bulk insert of the same rows\n`,
    );
    console.log(
      table([
        ['', 'events/s', 'batch p50 ms', 'batch p99 ms', 'target', 'ratio to target', ''],
        [
          'ingest (exactly-once + MAC chain + head)',
          fmt(ingest.ingestPerSecond, 0),
          fmt(ingest.ingestMs.p50),
          fmt(ingest.ingestMs.p99),
          `≥ ${fmt(target, 0)}/s`,
          fmt(ingest.ingestPerSecond / target),
          verdict(ingest.ingestPerSecond >= target),
        ],
        [
          'whole ingest path (+ report facts, presence)',
          fmt(ingest.path.perSecond, 0),
          fmt(ingest.path.ms.p50),
          fmt(ingest.path.ms.p99),
          `≥ ${fmt(target, 0)}/s`,
          fmt(ingest.path.perSecond / target),
          verdict(ingest.path.perSecond >= target),
        ],
        [
          `whole path, ${ingest.controllers} controllers at once (group commit)`,
          fmt(ingest.grouped.perSecond, 0),
          fmt(ingest.grouped.ms.p50),
          fmt(ingest.grouped.ms.p99),
          `≥ ${fmt(target, 0)}/s`,
          fmt(ingest.grouped.perSecond / target),
          verdict(ingest.grouped.perSecond >= target),
        ],
        [
          'raw bulk insert, same rows (baseline)',
          fmt(ingest.rawPerSecond, 0),
          fmt(ingest.rawMs.p50),
          fmt(ingest.rawMs.p99),
          '',
          '',
          '',
        ],
        [
          'ingest ÷ raw',
          fmt(ingest.ratio),
          '',
          '',
          `≥ ${TARGETS.ingestVsRaw}×`,
          fmt(ingest.ratio / TARGETS.ingestVsRaw),
          verdict(ingest.ratio >= TARGETS.ingestVsRaw),
        ],
        [
          'whole path ÷ raw',
          fmt(ingest.path.ratio),
          '',
          '',
          `≥ ${TARGETS.ingestVsRaw}×`,
          fmt(ingest.path.ratio / TARGETS.ingestVsRaw),
          verdict(ingest.path.ratio >= TARGETS.ingestVsRaw),
        ],
        [
          'whole path at once ÷ raw',
          fmt(ingest.grouped.ratio),
          '',
          '',
          `≥ ${TARGETS.ingestVsRaw}×`,
          fmt(ingest.grouped.ratio / TARGETS.ingestVsRaw),
          verdict(ingest.grouped.ratio >= TARGETS.ingestVsRaw),
        ],
      ]),
    );
    console.log(
      `\n  the MAC chain: ${fmt(ingest.chainUsPerEvent)} µs per event, ${fmt(ingest.chainShare * 100, 1)} % of the ingest time; a resent batch (all stored already): ${fmt(ingest.resendMs)} ms`,
    );
    console.log(
      `\nEvent search on ${engine} — ${search.events.toLocaleString()} events over ${search.days} days, ${search.people.toLocaleString()} people, ${search.doors.toLocaleString()} doors (generated into storage in ${fmt(search.generateSeconds, 0)} s); a page of ≤ 100 with names\n`,
    );
    console.log(
      table([
        ['', 'p50 ms', 'p99 ms', 'max ms', 'rows/page', 'target p99', 'ratio to target', ''],
        ...(
          [
            ['person + 7-day range', search.byPerson, search.personRows],
            ['door + 1-day range', search.byDoor, search.doorRows],
          ] as const
        ).map(([label, s, rows]) => [
          label,
          fmt(s.p50),
          fmt(s.p99),
          fmt(s.max),
          fmt(rows, 1),
          `≤ ${TARGETS.searchP99Ms} ms`,
          fmt(s.p99 / TARGETS.searchP99Ms),
          verdict(s.p99 <= TARGETS.searchP99Ms),
        ]),
      ]),
    );
    if (search.events < 10_000_000)
      console.log(
        `\n  measured at ${search.events.toLocaleString()} events to fit the shared machine; \`npm run bench -- --only events --events 10000000\` runs the issue's 10,000,000 (as \`npm run bench:stack\` does)`,
      );
  }
  if (report.postgresSkipped) console.log(`\nEvent store on PostgreSQL: skipped (${report.postgresSkipped})`);
}
