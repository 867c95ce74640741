// Human-readable output of scenario runs: one line per step, and on a mismatch the actual decision
// with its trace.

import type { ScenarioResult, StepOutcome } from './run.ts';

function stepLine(step: StepOutcome): string {
  const mark = step.mismatches.length === 0 ? '✓' : '✗';
  let line = `  ${mark} ${step.at}  ${step.action}`;
  if (step.decision) {
    const d = step.decision;
    line += ` → ${d.result} (${d.reason})${d.warnings.length > 0 ? ` [${d.warnings.join(', ')}]` : ''}`;
  }
  if (step.alarms.length > 0) line += `  alarm: ${step.alarms.join(', ')}`;
  return line;
}

export function formatFailure(result: ScenarioResult): string {
  const step = result.failed;
  if (!step) return '';
  const lines = [
    `${result.file}:${step.line}: step ${step.index + 1} (${step.at}, ${step.action}) did not go as expected:`,
  ];
  for (const problem of step.mismatches) lines.push(`    ${problem}`);
  if (step.decision) {
    const d = step.decision;
    lines.push(`    actual decision: ${d.result} (${d.reason})${d.person ? ` for ${d.person}` : ''}`);
    lines.push('    trace:');
    for (const t of d.trace)
      lines.push(`      ${t.result.padEnd(4)} ${t.rule}${t.detail ? `: ${t.detail}` : ''}`);
  }
  return lines.join('\n');
}

export function formatResult(result: ScenarioResult, verbose: boolean): string {
  const lines = [`${result.ok ? 'PASS' : 'FAIL'} ${result.file}`];
  if (verbose || !result.ok) lines.push(...result.steps.map(stepLine));
  if (!result.ok) lines.push(formatFailure(result));
  return lines.join('\n');
}
