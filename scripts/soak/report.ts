// The soak report: soak.json (everything, for machines) and soak.md (for people): the run's
// settings, the counts of faults by kind, the events and their loss and duplicates, the checks, the
// violations, and the fault timeline.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultKind, FaultRecord } from './chaos.ts';
import type { Verification } from './verify.ts';

export interface SoakSettings {
  minutes: number;
  controllers: number;
  servers: number;
  db: 'sqlite' | 'postgres';
  seed: number;
  readsPerSecond: number;
  faults: readonly FaultKind[];
}

export interface SoakReport {
  settings: SoakSettings;
  startedAt: string;
  durationSeconds: number;
  reads: {
    made: number;
    grants: number;
    denies: number;
    lost: number;
    timeouts: number;
    errors: number;
    skipped: number;
  };
  faults: Record<string, number>;
  kills: { controllers: number; servers: number; broker: number; total: number };
  verification: Verification;
  timeline: FaultRecord[];
  passed: boolean;
}

const time = (ms: number, start: number) => `${((ms - start) / 1000).toFixed(1)} s`;

export function writeReport(dir: string, report: SoakReport): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'soak.json');
  const md = join(dir, 'soak.md');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  const v = report.verification;
  const start = Date.parse(report.startedAt);
  const s = report.settings;
  const lines = [
    `# Soak: ${report.passed ? 'passed' : 'FAILED'}`,
    '',
    `${s.minutes} min of chaos (${report.durationSeconds} s in all) · ${s.controllers} controllers · ${s.servers} server${s.servers > 1 ? 's' : ''} on ${s.db} · ${s.readsPerSecond} reads/s per controller · seed ${s.seed} · started ${report.startedAt}`,
    '',
    `Rerun: \`npm run soak -- --minutes ${s.minutes} --controllers ${s.controllers} --servers ${s.servers} --db ${s.db} --seed ${s.seed} --rate ${s.readsPerSecond} --faults ${s.faults.join(',')}\``,
    '',
    '## Counts',
    '',
    `| what | count |`,
    `|---|---|`,
    `| kills (SIGKILL) | ${report.kills.total}: ${report.kills.controllers} controllers, ${report.kills.servers} servers, ${report.kills.broker} broker |`,
    ...Object.entries(report.faults).map(([k, n]) => `| fault ${k} | ${n} |`),
    `| reads made | ${report.reads.made} (${report.reads.grants} grants, ${report.reads.denies} denies, ${report.reads.lost} in hand at a kill, ${report.reads.timeouts} timeouts, ${report.reads.errors} errors; ${report.reads.skipped} skipped while a controller was down) |`,
    `| events journaled | ${v.totals.journaled} |`,
    `| events stored | ${v.totals.stored} |`,
    `| **loss** | **${v.totals.lost}** |`,
    `| **duplicates** | **${v.totals.duplicated}** |`,
    `| expected alarms | ${v.alarms.expected} (${v.alarms.raisedOnce} raised once, ${v.alarms.cleared} cleared) |`,
    `| revocations | ${v.revocations.count}${v.revocations.arrivalMs ? ` (first denial after p50 ${v.revocations.arrivalMs.p50} ms, max ${v.revocations.arrivalMs.max} ms)` : ''} |`,
    '',
    '## Checks',
    '',
    '| check | result | detail |',
    '|---|---|---|',
    ...v.checks.map((c) => `| ${c.name} | ${c.ok ? 'ok' : '**FAILED**'} | ${c.detail} |`),
    '',
    ...(v.violations.length > 0
      ? ['## Violations', '', ...v.violations.slice(0, 200).map((x) => `- ${x}`), '']
      : []),
    '## Findings (reported, not judged)',
    '',
    `- alarms the controllers reported about themselves: ${Object.entries(v.findings.controllerReported)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')} (the server stores one per reported event)`,
    `- tamper alarms: ${v.findings.tamper.length}${v.findings.tamper.length ? ` — ${[...new Set(v.findings.tamper.map((a) => a.message))].slice(0, 5).join('; ')}` : ''}`,
    '',
    '## Events per controller',
    '',
    '| controller | journaled | stored | missing | duplicates | reads answered | uncertain | access events |',
    '|---|---|---|---|---|---|---|---|',
    ...v.events.map(
      (e) =>
        `| ${e.controller} | ${e.journaled} | ${e.stored} | ${e.missing.length} | ${e.duplicates} | ${e.readsAnswered} | ${e.readsUncertain} | ${e.accessStored} |`,
    ),
    '',
    '## Fault timeline',
    '',
    '| # | at | kind | target | what | recovered after | alarms expected | problems |',
    '|---|---|---|---|---|---|---|---|',
    ...report.timeline.map(
      (f) =>
        `| ${f.n} | ${time(f.startedAt, start)} | ${f.kind} | ${f.target} | ${f.detail} | ${f.recoveredAt ? `${((f.recoveredAt - f.endedAt) / 1000).toFixed(1)} s` : '—'} | ${f.expected.map((e) => `${e.type} ${e.source.replace('controller:', '')}`).join(', ') || '—'} | ${f.problems.join('; ') || '—'} |`,
    ),
    '',
  ];
  writeFileSync(md, lines.join('\n'));
  return { json, md };
}
