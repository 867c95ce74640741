// The auditor's document: the compliance report as one printable HTML page, in Japanese or English,
// every value escaped (printPage's style sheet and escaping, as the other printable reports). No
// script and no external resource: the page is read, printed or turned into a PDF as it is.

import { escapeHtml as e, printPage } from '../reports/print.ts';
import type { CheckOutcome, CheckStatus } from './checks.ts';
import type { ComplianceReport, ItemResult, Verdict } from './report.ts';
import type { ItemKind } from './schema.ts';
import type { TestOutcome } from './test-results.ts';

type Counts = Record<TestOutcome, number>;

export const REPORT_LANGUAGES = ['ja', 'en'] as const;
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];

const TEXT = {
  ja: {
    title: 'Monban 適合性報告書',
    subtitle: 'IPA 入退管理システムチェックリスト・マイナンバーガイドライン',
    generated: '作成日時',
    dataDir: 'データディレクトリ',
    database: 'データベース',
    version: 'バージョン',
    sources: '出典',
    notes: '本書について',
    summary: '概要',
    overall: '総合判定',
    overallOk: '全項目の要件を満たしています(運用者の措置を除く)',
    overallNotOk: '要件を満たしていない項目があります',
    missingTests: '対応表に記載された試験が見つかりません',
    item: '項目',
    kind: '種別',
    verdict: '判定',
    reference: '出典箇所',
    requirements: 'Monban の要件',
    features: '機能',
    checks: 'この環境の設定',
    check: '確認内容',
    status: '状態',
    result: '確認結果',
    tests: '証明する試験',
    operator: '運用者の措置',
    missing: '見つかりません',
    none: 'なし',
    docs: '説明',
    testRun: '試験結果',
    noTestRun: '試験結果の指定なし (試験の存在のみ確認)',
    runCounts: (c: Counts) =>
      `合格 ${c.passed}、不合格 ${c.failed}、スキップ ${c.skipped}、未実行 ${c['not-run']}`,
  },
  en: {
    title: 'Monban compliance report',
    subtitle: 'IPA access control system checklist and My Number guideline',
    generated: 'Generated',
    dataDir: 'Data directory',
    database: 'Database',
    version: 'Version',
    sources: 'Sources',
    notes: 'About this document',
    summary: 'Summary',
    overall: 'Overall',
    overallOk: 'Every item is met (apart from the operator’s measures)',
    overallNotOk: 'Some items are not met',
    missingTests: 'Tests named by the map were not found',
    item: 'Item',
    kind: 'Kind',
    verdict: 'Verdict',
    reference: 'Reference',
    requirements: 'Monban requirements',
    features: 'Features',
    checks: 'This site’s configuration',
    check: 'Check',
    status: 'Status',
    result: 'Found',
    tests: 'Tests that prove it',
    operator: 'What the operator must do',
    missing: 'not found',
    none: 'none',
    docs: 'documented in',
    testRun: 'Test results',
    noTestRun: 'none given (only the tests’ existence is checked)',
    runCounts: (c: Counts) =>
      `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, ${c['not-run']} not run`,
  },
} as const;

const KIND: Record<ReportLanguage, Record<ItemKind, string>> = {
  ja: {
    software: 'ソフトウェア',
    configuration: '設定',
    physical: '物理的措置',
    organisational: '組織的措置',
  },
  en: {
    software: 'software',
    configuration: 'configuration',
    physical: 'physical',
    organisational: 'organisational',
  },
};

const VERDICT: Record<ReportLanguage, Record<Verdict, string>> = {
  ja: { met: '適合', attention: '要確認', 'not-met': '不適合', operator: '運用者の措置' },
  en: { met: 'met', attention: 'attention', 'not-met': 'not met', operator: 'operator’s measure' },
};

const OUTCOME: Record<ReportLanguage, Record<TestOutcome, string>> = {
  ja: { passed: '合格', failed: '不合格', skipped: 'スキップ', 'not-run': '未実行' },
  en: { passed: 'passed', failed: 'failed', skipped: 'skipped', 'not-run': 'not run' },
};

const STATUS: Record<ReportLanguage, Record<CheckStatus, string>> = {
  ja: { pass: '適合', warn: '注意', fail: '不適合', na: '対象外' },
  en: { pass: 'pass', warn: 'warning', fail: 'fail', na: 'n/a' },
};

const STYLE = `<style>
.verdict-met, .status-pass { font-weight: bold; }
.verdict-not-met, .status-fail, .outcome-failed { font-weight: bold; text-decoration: underline; }
.item { break-inside: avoid-page; margin-bottom: 10pt; }
.meta td:first-child { width: 30%; }
small { color: #333; }
ul { margin: 2pt 0; padding-left: 14pt; }
</style>`;

function checkRow(c: CheckOutcome, lang: ReportLanguage): string {
  const details = c.details.length
    ? `<ul>${c.details.map((d) => `<li>${e(d[lang])}</li>`).join('')}</ul>`
    : '';
  return `<tr data-check="${e(c.id)}"><td>${e(c.label[lang])}</td><td class="status-${c.status}">${e(STATUS[lang][c.status])}</td><td>${e(c.value[lang])}${details}</td></tr>`;
}

function itemSection(r: ItemResult, lang: ReportLanguage): string {
  const T = TEXT[lang];
  const { item } = r;
  const list = (rows: string[]) => (rows.length ? `<ul>${rows.join('')}</ul>` : `<p>${e(T.none)}</p>`);
  const parts = [
    `<h2 id="item-${e(item.id)}">${e(item.id)} — ${e(item.title[lang])}</h2>`,
    `<table class="meta"><tbody>`,
    `<tr><th>${e(T.reference)}</th><td>${e(item.reference[lang])}</td></tr>`,
    `<tr><th>${e(T.kind)}</th><td>${e(KIND[lang][item.kind])}</td></tr>`,
    `<tr><th>${e(T.verdict)}</th><td class="verdict-${r.verdict}">${e(VERDICT[lang][r.verdict])}</td></tr>`,
    item.requirements.length
      ? `<tr><th>${e(T.requirements)}</th><td>${e(item.requirements.join(', '))}</td></tr>`
      : '',
    `</tbody></table>`,
  ];
  if (item.features.length)
    parts.push(
      `<h3>${e(T.features)}</h3>`,
      list(item.features.map((f) => `<li>${e(f[lang])} <small>(${e(T.docs)} ${e(f.doc)})</small></li>`)),
    );
  if (r.checks.length)
    parts.push(
      `<h3>${e(T.checks)}</h3>`,
      `<table><thead><tr><th>${e(T.check)}</th><th>${e(T.status)}</th><th>${e(T.result)}</th></tr></thead><tbody>`,
      ...r.checks.map((c) => checkRow(c, lang)),
      `</tbody></table>`,
    );
  if (r.tests.length)
    parts.push(
      `<h3>${e(T.tests)}</h3>`,
      list(
        r.tests.map((t) => {
          const mark = !t.present
            ? ` — <strong>${e(T.missing)}</strong>`
            : t.outcome
              ? ` — <span class="outcome-${t.outcome}">${e(OUTCOME[lang][t.outcome])}</span>`
              : '';
          const failing = !t.present || t.outcome === 'failed';
          return `<li${failing ? ' class="status-fail"' : ''}><code>${e(t.file)}</code>: ${e(t.name)}${mark}</li>`;
        }),
      ),
    );
  if (item.operator.length)
    parts.push(`<h3>${e(T.operator)}</h3>`, list(item.operator.map((o) => `<li>${e(o[lang])}</li>`)));
  return `<section class="item" data-item="${e(item.id)}">${parts.join('')}</section>`;
}

export function renderHtml(report: ComplianceReport, lang: ReportLanguage): string {
  const T = TEXT[lang];
  const { map } = report;
  const when = new Date(report.generatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const summaryRows = report.items
    .map(
      (r) =>
        `<tr><td><a href="#item-${e(r.item.id)}">${e(r.item.id)}</a></td><td>${e(r.item.title[lang])}</td><td>${e(KIND[lang][r.item.kind])}</td><td class="verdict-${r.verdict}">${e(VERDICT[lang][r.verdict])}</td></tr>`,
    )
    .join('');
  const missing = report.missing.length
    ? `<p class="status-fail">${e(T.missingTests)}:</p><ul>${report.missing
        .map((m) => `<li>${e(m.item)}: <code>${e(m.file)}</code>: ${e(m.name)}</li>`)
        .join('')}</ul>`
    : '';
  const body = [
    STYLE,
    `<h1>${e(T.title)}</h1>`,
    `<p>${e(T.subtitle)}</p>`,
    `<table class="meta"><tbody>`,
    `<tr><th>${e(T.generated)}</th><td>${e(when)}</td></tr>`,
    `<tr><th>${e(T.dataDir)}</th><td>${e(report.dataDir)}</td></tr>`,
    `<tr><th>${e(T.database)}</th><td>${e(report.database)}</td></tr>`,
    `<tr><th>${e(T.version)}</th><td>${e(report.version)}</td></tr>`,
    `<tr><th>${e(T.testRun)}</th><td>${
      report.testRun
        ? `${e(report.testRun.file)}${report.testRun.startedAt ? ` (${e(new Date(report.testRun.startedAt).toISOString())})` : ''}: ${e(T.runCounts(report.testRun.counts))}`
        : e(T.noTestRun)
    }</td></tr>`,
    `<tr><th>${e(T.overall)}</th><td class="${report.ok ? 'verdict-met' : 'verdict-not-met'}">${e(report.ok ? T.overallOk : T.overallNotOk)}</td></tr>`,
    `</tbody></table>`,
    missing,
    `<h2>${e(T.sources)}</h2>`,
    `<ul><li>${e(map.sources.ipa[lang])}</li><li>${e(map.sources.mynumber[lang])}</li></ul>`,
    `<h2>${e(T.notes)}</h2>`,
    `<ul>${map.notes.map((n) => `<li>${e(n[lang])}</li>`).join('')}</ul>`,
    `<h2>${e(T.summary)}</h2>`,
    `<table><thead><tr><th>${e(T.item)}</th><th></th><th>${e(T.kind)}</th><th>${e(T.verdict)}</th></tr></thead><tbody>${summaryRows}</tbody></table>`,
    ...report.items.map((r) => itemSection(r, lang)),
  ].join('\n');
  return printPage(T.title, body).replace('<html lang="ja">', `<html lang="${lang}">`);
}
