// The compliance report: the map (map.ts), each item's live checks evaluated against the site
// (checks.ts), and whether every test the map names exists (tests-present.ts). Each item gets one
// verdict: a software or configuration item is met when its tests exist and no check of it fails;
// physical and organisational items are the operator's, and the report says what to do.

import type { CheckId } from './check-ids.ts';
import { type CheckContext, type CheckOutcome, type CheckStatus, runChecks } from './checks.ts';
import type { ComplianceItem, ComplianceMap } from './schema.ts';
import { type MissingTest, missingTests } from './tests-present.ts';

/** met; met with warnings; not met; the operator's to do (physical / organisational) */
export type Verdict = 'met' | 'attention' | 'not-met' | 'operator';

export interface ItemResult {
  item: ComplianceItem;
  verdict: Verdict;
  checks: CheckOutcome[];
  missing: MissingTest[];
}

export interface ComplianceReport {
  generatedAt: number;
  dataDir: string;
  database: string;
  version: string;
  map: ComplianceMap;
  items: ItemResult[];
  missing: MissingTest[];
  /** true when every mapped test exists and no check of a software or configuration item failed */
  ok: boolean;
}

function verdictOf(
  item: ComplianceItem,
  checks: readonly CheckOutcome[],
  missing: readonly MissingTest[],
): Verdict {
  const worst = (s: CheckStatus) => checks.some((c) => c.status === s);
  if (item.kind === 'physical' || item.kind === 'organisational')
    return missing.length > 0 ? 'not-met' : 'operator';
  if (missing.length > 0 || worst('fail')) return 'not-met';
  if (worst('warn')) return 'attention';
  return 'met';
}

export async function buildReport(
  map: ComplianceMap,
  ctx: CheckContext,
  options: { root: string; version: string },
): Promise<ComplianceReport> {
  const ids = new Set<CheckId>(map.items.flatMap((i) => i.checks));
  const outcomes = await runChecks(ids, ctx);
  const missing = missingTests(map, options.root);
  const items = map.items.map((item) => {
    const checks = item.checks.map((id) => outcomes.get(id)!);
    const own = missing.filter((m) => m.item === item.id);
    return { item, checks, missing: own, verdict: verdictOf(item, checks, own) };
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
    ok: missing.length === 0 && items.every((r) => r.verdict !== 'not-met'),
  };
}
