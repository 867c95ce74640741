// What changed between a saved baseline and the configuration now: per section, what was added,
// removed, and for what changed, each field before and after. The report's order is stable (sections
// as listed, ids sorted), so two runs over the same change read the same.

import { canonicalJson, type Json } from '../../contracts/canonical.ts';
import { type Baseline, type Record_, SECTIONS, type Section, type Value } from './baseline.ts';

export interface FieldChange {
  field: string;
  before: Value | undefined;
  after: Value | undefined;
}

export interface SectionChanges {
  section: Section;
  added: string[];
  removed: string[];
  changed: { id: string; fields: FieldChange[] }[];
}

export interface BaselineReport {
  baselineTakenAt: string;
  comparedAt: string;
  unchanged: boolean;
  sections: SectionChanges[];
}

const same = (a: Value | undefined, b: Value | undefined) =>
  canonicalJson((a ?? null) as Json) === canonicalJson((b ?? null) as Json);

function fieldChanges(before: Record_, after: Record_): FieldChange[] {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return fields
    .filter((f) => !same(before[f], after[f]))
    .map((f) => ({ field: f, before: before[f], after: after[f] }));
}

export function compareBaselines(saved: Baseline, now: Baseline): BaselineReport {
  const sections: SectionChanges[] = [];
  for (const section of SECTIONS) {
    const a = saved.sections[section] ?? {};
    const b = now.sections[section] ?? {};
    const ids = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    const changes: SectionChanges = { section, added: [], removed: [], changed: [] };
    for (const id of ids) {
      if (!(id in a)) changes.added.push(id);
      else if (!(id in b)) changes.removed.push(id);
      else {
        const fields = fieldChanges(a[id]!, b[id]!);
        if (fields.length > 0) changes.changed.push({ id, fields });
      }
    }
    if (changes.added.length + changes.removed.length + changes.changed.length > 0) sections.push(changes);
  }
  return {
    baselineTakenAt: saved.takenAt,
    comparedAt: now.takenAt,
    unchanged: sections.length === 0,
    sections,
  };
}

const show = (v: Value | undefined) => (v === undefined ? '(none)' : JSON.stringify(v));

/** The report as text for a terminal or a maintenance record. */
export function reportLines(report: BaselineReport): string[] {
  const lines = [
    `configuration compared with the baseline of ${report.baselineTakenAt} (now ${report.comparedAt})`,
  ];
  if (report.unchanged) return [...lines, '  no change'];
  for (const s of report.sections) {
    lines.push(`  ${s.section}:`);
    for (const id of s.added) lines.push(`    + ${id} (added)`);
    for (const id of s.removed) lines.push(`    - ${id} (removed)`);
    for (const c of s.changed) {
      lines.push(`    ~ ${c.id}`);
      for (const f of c.fields) lines.push(`        ${f.field}: ${show(f.before)} -> ${show(f.after)}`);
    }
  }
  const count = report.sections.reduce((n, s) => n + s.added.length + s.removed.length + s.changed.length, 0);
  lines.push(`${count} change(s) in ${report.sections.length} section(s)`);
  return lines;
}
