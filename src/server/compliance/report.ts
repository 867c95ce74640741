// The compliance report: the map (map.ts), each item's live checks evaluated against the site
// (checks.ts), whether every test the map names exists (tests-present.ts) and, given a test run's
// results (test-results.ts), whether it passed. Each item gets one verdict: a software or
// configuration item is met when its tests exist (and passed, when results are given) and no check
// of it fails; physical and organisational items are the operator's, and the report says what to do.

import type { CheckId } from './check-ids.ts';
import { type CheckContext, type CheckOutcome, type CheckStatus, runChecks } from './checks.ts';
import type { ComplianceItem, ComplianceMap, TestRef } from './schema.ts';
import type { TestOutcome, TestResults } from './test-results.ts';
import { type MissingTest, missingTests } from './tests-present.ts';

/** met; met with warnings; not met; the operator's to do (physical / organisational) */
export type Verdict = 'met' | 'attention' | 'not-met' | 'operator';

export interface TestEvidence extends TestRef {
  /** the file holds a test of that name */
  present: boolean;
  /** its outcome in the test run given to the report; undefined: no run given */
  outcome: TestOutcome | undefined;
}

export interface ItemResult {
  item: ComplianceItem;
  verdict: Verdict;
  checks: CheckOutcome[];
  tests: TestEvidence[];
  missing: MissingTest[];
}

export interface TestRun {
  file: string;
  startedAt: number | undefined;
  counts: Record<TestOutcome, number>;
}

export interface ComplianceReport {
  generatedAt: number;
  dataDir: string;
  database: string;
  version: string;
  map: ComplianceMap;
  items: ItemResult[];
  missing: MissingTest[];
  /** the test run the outcomes come from, when one was given */
  testRun: TestRun | undefined;
  /** true when every mapped test exists (and passed) and no item is not met */
  ok: boolean;
}

function verdictOf(
  item: ComplianceItem,
  checks: readonly CheckOutcome[],
  tests: readonly TestEvidence[],
): Verdict {
  const check = (s: CheckStatus) => checks.some((c) => c.status === s);
  const test = (o: TestOutcome) => tests.some((t) => t.outcome === o);
  if (tests.some((t) => !t.present) || test('failed')) return 'not-met';
  if (item.kind === 'physical' || item.kind === 'organisational') return 'operator';
  if (check('fail')) return 'not-met';
  if (check('warn') || test('skipped') || test('not-run')) return 'attention';
  return 'met';
}

export async function buildReport(
  map: ComplianceMap,
  ctx: CheckContext,
  options: { root: string; version: string; results?: TestResults | undefined },
): Promise<ComplianceReport> {
  const ids = new Set<CheckId>(map.items.flatMap((i) => i.checks));
  const outcomes = await runChecks(ids, ctx);
  const missing = missingTests(map, options.root);
  const counts: Record<TestOutcome, number> = { passed: 0, failed: 0, skipped: 0, 'not-run': 0 };
  const items = map.items.map((item) => {
    const checks = item.checks.map((id) => outcomes.get(id)!);
    const own = missing.filter((m) => m.item === item.id);
    const tests = item.tests.map((t) => {
      const outcome = options.results?.outcome(t.file, t.name);
      if (outcome) counts[outcome]++;
      return { ...t, present: !own.some((m) => m.file === t.file && m.name === t.name), outcome };
    });
    return { item, checks, tests, missing: own, verdict: verdictOf(item, checks, tests) };
  });
  const location = ctx.config.location;
  return {
    generatedAt: ctx.now,
    dataDir: ctx.config.dataDir,
    database: 'sqliteFile' in location ? 'SQLite' : 'PostgreSQL',
    version: options.version,
    map,
    items,
    missing,
    testRun: options.results && {
      file: options.results.file,
      startedAt: options.results.startedAt,
      counts,
    },
    ok: missing.length === 0 && items.every((r) => r.verdict !== 'not-met'),
  };
}
