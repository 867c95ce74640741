// `monban compliance report | tests`: the auditor's document of how the IPA access control checklist
// and the My Number guideline are met (src/server/compliance/), from the map and the live site.
// Exit codes: 0 every item met (or the operator's), 1 an item is not met on this site, 2 a test the
// map names does not exist (the map is no longer proven), 3 the report could not be made.

import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { COMPLIANCE_MAP } from '../../server/compliance/map.ts';
import { htmlToPdf, japaneseFontInstalled, PdfUnavailable } from '../../server/compliance/pdf.ts';
import { REPORT_LANGUAGES, type ReportLanguage, renderHtml } from '../../server/compliance/render.ts';
import type { ComplianceReport } from '../../server/compliance/report.ts';
import { complianceReport } from '../../server/compliance/run.ts';
import { missingTests, REPOSITORY_ROOT } from '../../server/compliance/tests-present.ts';
import { serverConfig } from '../../server/config.ts';

interface ReportOptions {
  dataDir?: string;
  databaseUrl?: string;
  lang: string;
  format: string;
  out?: string;
  force?: boolean;
  testResults?: string;
}

/** The report for machines: every item with its verdict, checks and tests, both languages. */
export function reportJson(report: ComplianceReport) {
  return {
    format: 'monban-compliance-report',
    v: 1,
    generatedAt: new Date(report.generatedAt).toISOString(),
    dataDir: report.dataDir,
    database: report.database,
    version: report.version,
    ok: report.ok,
    exitCode: exitCodeOf(report),
    sources: report.map.sources,
    notes: report.map.notes,
    testRun: report.testRun
      ? {
          ...report.testRun,
          startedAt:
            report.testRun.startedAt === undefined ? null : new Date(report.testRun.startedAt).toISOString(),
        }
      : null,
    // each mapped test with whether it exists and its outcome in the given run (null: none given)
    items: report.items.map((r) => ({
      ...r.item,
      verdict: r.verdict,
      checks: r.checks,
      tests: r.tests.map((t) => ({ ...t, outcome: t.outcome ?? null })),
    })),
  };
}

export function exitCodeOf(report: Pick<ComplianceReport, 'missing' | 'items'>): number {
  if (report.missing.length > 0) return 2;
  if (report.items.some((r) => r.verdict === 'not-met')) return 1;
  return 0;
}

function fail(message: string, code: number): void {
  process.stderr.write(`monban compliance: ${message}\n`);
  process.exitCode = code;
}

export function registerComplianceCommand(program: Command): void {
  const compliance = program
    .command('compliance')
    .description('how the IPA checklist and the My Number guideline are met, item by item');

  compliance
    .command('report')
    .description('write the auditor’s document (HTML or PDF, Japanese or English) from the map and this site')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .option('--lang <lang>', 'ja or en', 'ja')
    .option('--format <format>', 'html, pdf or json (both languages, for other tools)', 'html')
    .option('--out <file>', 'the file to write (default: the HTML on standard output)')
    .option('--force', 'overwrite an existing --out file')
    .option(
      '--test-results <file>',
      'a test run’s results (vitest --reporter=json) to show each mapped test’s outcome',
    )
    .action(async (options: ReportOptions) => {
      if (!(REPORT_LANGUAGES as readonly string[]).includes(options.lang))
        return fail(`--lang must be ja or en, not ${JSON.stringify(options.lang)}`, 3);
      if (!['html', 'pdf', 'json'].includes(options.format))
        return fail(`--format must be html, pdf or json, not ${JSON.stringify(options.format)}`, 3);
      if (options.format === 'pdf' && !options.out) return fail('--format pdf needs --out FILE', 3);
      if (options.out && existsSync(options.out) && !options.force)
        return fail(`${options.out} exists (--force to overwrite)`, 3);
      let report: ComplianceReport;
      try {
        report = await complianceReport({
          config: serverConfig(process.env, options),
          testResults: options.testResults,
          audit: { lang: options.lang, format: options.format },
        });
      } catch (error) {
        return fail((error as Error).message, 3);
      }
      const html = renderHtml(report, options.lang as ReportLanguage);
      if (options.format === 'json') {
        const json = `${JSON.stringify(reportJson(report), null, 2)}\n`;
        if (options.out) writeFileSync(options.out, json, { mode: 0o600 });
        else process.stdout.write(json);
      } else if (options.format === 'pdf') {
        if (options.lang === 'ja' && japaneseFontInstalled() === false)
          process.stderr.write(
            'monban compliance: warning: no Japanese font installed, the PDF will show boxes (apt-get install -y fonts-noto-cjk)\n',
          );
        try {
          writeFileSync(options.out!, await htmlToPdf(html), { mode: 0o600 });
        } catch (error) {
          if (error instanceof PdfUnavailable) return fail(error.message, 3);
          throw error;
        }
      } else if (options.out) writeFileSync(options.out, html, { mode: 0o600 });
      else process.stdout.write(html);
      const count = (v: string) => report.items.filter((r) => r.verdict === v).length;
      process.stderr.write(
        `compliance: ${count('met')} met, ${count('attention')} to look at, ${count('not-met')} not met, ${count('operator')} operator’s measures${report.missing.length ? `; ${report.missing.length} mapped test(s) missing` : ''}${options.out ? ` — written to ${options.out}` : ''}\n`,
      );
      for (const m of report.missing)
        process.stderr.write(`  missing test (${m.item}): ${m.file}: ${m.name}\n`);
      process.exitCode = exitCodeOf(report);
    });

  compliance
    .command('tests')
    .description('check that every test the compliance map names exists (exit 2 when one is missing)')
    .action(() => {
      const missing = missingTests(COMPLIANCE_MAP, REPOSITORY_ROOT);
      const total = COMPLIANCE_MAP.items.reduce((n, i) => n + i.tests.length, 0);
      for (const m of missing)
        console.log(
          `missing (${m.item}): ${m.file}: ${m.name}${m.reason === 'no-file' ? ' (no such file)' : ''}`,
        );
      console.log(`${total - missing.length}/${total} mapped test(s) found`);
      process.exitCode = missing.length > 0 ? 2 : 0;
    });
}
