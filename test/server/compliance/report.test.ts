// Rule: `monban compliance report` reads a real site (a SQLite data directory set up through the
// server's own stores) and reports each item with its live checks — an admin without a second factor
// makes "MFA for all administrators" read "no, 1/2", a My Number zone entrance without a second
// factor or a controller fails its check — renders every item in Japanese and in English with
// everything escaped, prints a PDF when Chromium is installed, and exits non-zero when an item is
// not met or a test the map names is missing.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf, reportJson } from '../../../src/cli/commands/compliance.ts';
import { anchorFileIn, anchorKeys, writeCheckpoint } from '../../../src/server/audit/anchors.ts';
import { queryAudit, recordAudit } from '../../../src/server/audit/store.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { hashPassword } from '../../../src/server/auth/passwords.ts';
import { addWebauthnCredential, createApiToken, createOperator } from '../../../src/server/auth/store.ts';
import { COMPLIANCE_MAP } from '../../../src/server/compliance/map.ts';
import { chromiumPath, htmlToPdf } from '../../../src/server/compliance/pdf.ts';
import { renderHtml } from '../../../src/server/compliance/render.ts';
import type { ComplianceReport } from '../../../src/server/compliance/report.ts';
import { complianceReport } from '../../../src/server/compliance/run.ts';
import { REPOSITORY_ROOT } from '../../../src/server/compliance/tests-present.ts';
import { type ServerConfig, serverConfig } from '../../../src/server/config.ts';
import { writeRetention } from '../../../src/server/lifecycle/retention.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { secureDataDir } from '../../../src/server/storage/data-dir.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import { loadOrCreateInstallationKey } from '../../../src/server/storage/installation-key.ts';
import { cli } from '../backup/run-cli.ts';
import { backends } from '../storage/backends.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-compliance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOW = Date.parse('2026-12-02T09:00:00Z');
const DAY = 86_400_000;
const hasChromium = existsSync(chromiumPath());
if (!hasChromium)
  process.stderr.write(
    `compliance PDF: skipped, no Chromium at ${chromiumPath()} (apt-get install -y chromium)\n`,
  );

const check = (r: ComplianceReport, id: string) => r.items.flatMap((i) => i.checks).find((c) => c.id === id)!;
const item = (r: ComplianceReport, id: string) => r.items.find((i) => i.item.id === id)!;

/** A site through the server's own stores: two admins (one with a passkey), a My Number room with a desk inside, three doors. */
async function seed(
  store: Store,
  key: Uint8Array,
  dataDir: string,
): Promise<{ bobId: string; secrets: string[] }> {
  const db = securityDb(store.db);
  const hash = await hashPassword(randomBytes(18).toString('base64url'));
  const alice = await createOperator(
    db,
    { username: 'alice', role: 'admin', passwordHash: hash },
    NOW - 10 * DAY,
  );
  // A name that would be markup if the page did not escape it.
  const bob = await createOperator(
    db,
    { username: '<b>bob</b>', role: 'admin', passwordHash: hash },
    NOW - 10 * DAY,
  );
  await addWebauthnCredential(
    db,
    { id: 'cred-alice', operatorId: alice.id, publicKey: 'pk', counter: 0, transports: [], name: 'key' },
    NOW - 10 * DAY,
  );
  // An API token nobody has used for 200 days (棚卸).
  const tokenHash = createHash('sha256').update(randomBytes(32)).digest('hex');
  await createApiToken(db, {
    name: 'old-sync',
    tokenHash,
    createdBy: alice.id,
    role: 'admin',
    permissions: ['people:read'],
    scope: 'all',
    createdAt: NOW - 200 * DAY,
    expiresAt: null,
  });
  const repos = repositories(store.db, key);
  await repos.controllers.create({ id: 'ctl-1', name: 'Controller 1', site: null, description: null }, NOW);
  const area = {
    site: null,
    maxOccupancy: null,
    antipassback: null,
    offlineMode: 'local' as const,
    rules: null,
  };
  await repos.areas.create(
    { id: 'mn-room', name: 'My Number room', parentId: 'outside', myNumberZone: 'management', ...area },
    NOW,
  );
  await repos.areas.create(
    { id: 'mn-desk', name: 'Desk', parentId: 'mn-room', myNumberZone: 'handling', ...area },
    NOW,
  );
  const door = { strikeSeconds: 5, heldOpenSeconds: 30, rules: null };
  await repos.doors.create(
    {
      id: 'mn-door',
      name: 'Front',
      fromArea: 'outside',
      toArea: 'mn-room',
      controllerId: 'ctl-1',
      mode: 'card+pin',
      ...door,
    },
    NOW,
  );
  await repos.doors.create(
    {
      id: 'mn-side',
      name: 'Side',
      fromArea: 'outside',
      toArea: 'mn-desk',
      controllerId: null,
      mode: 'card',
      ...door,
    },
    NOW,
  );
  // Into the 取扱区域 from the 管理区域 around it: recorded, and the second factor was at the room's door.
  await repos.doors.create(
    {
      id: 'mn-inner',
      name: 'Inner',
      fromArea: 'mn-room',
      toArea: 'mn-desk',
      controllerId: 'ctl-1',
      mode: 'card',
      ...door,
    },
    NOW,
  );
  await writeRetention(store.db, { events: 365, audit: 400, alarms: 90 }, 'test', NOW);
  await recordAudit(store.db, chainKeys(key).audit, {
    at: NOW - 2 * DAY,
    actor: 'cli',
    source: 'local',
    action: 'backup.create',
    target: 'data-dir',
    detail: { database: 'sqlite' },
  });
  await writeCheckpoint(store.db, anchorKeys(key), anchorFileIn(dataDir), NOW);
  // What must never reach the document: the password hash, the token's hash, the installation key.
  return {
    bobId: bob.id,
    secrets: [hash, tokenHash, Buffer.from(key).toString('base64'), Buffer.from(key).toString('hex')],
  };
}

const postgres = backends.find((b) => b.name === 'PostgreSQL');

describe.each(['SQLite', ...(postgres ? ['PostgreSQL'] : [])])('compliance report on %s', (backend) => {
  const dataDir = join(dir, backend);
  let config: ServerConfig;
  let store: Store;
  let bobId: string;
  let secrets: string[];
  let cleanup = async () => {};
  const report = (): Promise<ComplianceReport> => complianceReport({ config, env: {}, now: NOW });

  beforeAll(async () => {
    secureDataDir(dataDir);
    const key = loadOrCreateInstallationKey(dataDir);
    config = serverConfig({ MONBAN_DATA_DIR: dataDir });
    if (backend === 'PostgreSQL') {
      const opened = await postgres!.open();
      store = opened.store;
      cleanup = opened.cleanup;
      config = { ...config, location: store.location! };
    } else store = await openStore(config.location);
    ({ bobId, secrets } = await seed(store, key, dataDir));
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await cleanup();
  });

  it('reads the site: an admin without MFA makes "MFA for all administrators" read "no, 1/2"', async () => {
    const r = await report();
    const mfa = check(r, 'admin-mfa');
    expect(mfa.status).toBe('fail');
    expect(mfa.value).toEqual({ ja: 'いいえ、1/2', en: 'no, 1/2' });
    expect(mfa.count).toEqual({ ok: 1, total: 2 });
    expect(mfa.details[0]!.en).toBe('without a second factor: <b>bob</b>');
    expect(item(r, 'b01').verdict).toBe('not-met');
    expect(check(r, 'admin-mfa-required').status).toBe('pass');
    expect(check(r, 'password-hashes').value.en).toBe('yes, 2/2');
    expect(check(r, 'lockout').value.en).toBe('5 consecutive failures, 15 min');
    expect(check(r, 'allow-list').status).toBe('warn');
    expect(item(r, 'b01-transport').verdict).toBe('attention'); // no allow-list, no certificate yet

    const doors = check(r, 'my-number-doors');
    expect(doors.value.en).toBe('no, 2/3');
    expect(doors.details.map((d) => d.en)).toEqual([
      'doors without a second factor: mn-side (card)',
      'doors without a controller (not recorded): mn-side',
    ]);
    expect(check(r, 'my-number-zones').value.en).toBe('1 management, 1 handling');
    expect(check(r, 'retention').value.en).toBe('yes, 3/3');
    expect(check(r, 'backup')).toMatchObject({
      status: 'pass',
      value: { en: 'last 2026-11-30T09:00:00Z (2 day(s) ago)' },
    });
    expect(check(r, 'audit-chain')).toMatchObject({ status: 'pass' });
    expect(check(r, 'controller-baseline')).toMatchObject({ status: 'warn', value: { en: 'no, 0/1' } });
    expect(check(r, 'alarm-notifications').status).toBe('warn');
    expect(check(r, 'stale-credentials').value.en).toBe('unused 90 days 0, people who left 0, expired 0');
    expect(check(r, 'erasure-certificates').status).toBe('na');
    expect(check(r, 'stale-operators')).toMatchObject({
      status: 'warn',
      value: { en: 'no login for 90 days 0, tokens unused 90 days 1' },
      details: [{ en: 'tokens: old-sync' }],
    });
    expect(check(r, 'broker-tls')).toMatchObject({
      status: 'pass',
      value: { en: 'embedded broker (TLS only, signed logins)' },
    });
    const plain = await complianceReport({
      config: { ...config, controllers: { ...config.controllers, mqttUrl: 'mqtt://broker.example:1883' } },
      env: {},
      now: NOW,
    });
    expect(check(plain, 'broker-tls')).toMatchObject({
      status: 'fail',
      value: { en: 'external broker broker.example:1883, no TLS, no login' },
    });
    expect(item(plain, 'c01').verdict).toBe('not-met');
    // physical and organisational items are the operator's, with what to do
    expect(item(r, 'mn-e-b').verdict).toBe('operator');
    expect(r.missing).toEqual([]);
    expect(exitCodeOf(r)).toBe(1);
  });

  it('reads "yes, 2/2" once the second admin has a passkey', async () => {
    await addWebauthnCredential(
      securityDb(store.db),
      { id: 'cred-bob', operatorId: bobId, publicKey: 'pk', counter: 0, transports: [], name: 'key' },
      NOW,
    );
    const r = await report();
    expect(check(r, 'admin-mfa')).toMatchObject({
      status: 'pass',
      value: { ja: 'はい、2/2', en: 'yes, 2/2' },
    });
  });

  it('renders every item, check and test in Japanese and in English, escaped', async () => {
    const r = await report();
    for (const lang of ['ja', 'en'] as const) {
      const html = renderHtml(r, lang);
      expect(html).toContain(`<html lang="${lang}">`);
      for (const entry of COMPLIANCE_MAP.items) {
        expect(html).toContain(`data-item="${entry.id}"`);
        expect(html).toContain(entry.title[lang].replace(/&/g, '&amp;').replace(/</g, '&lt;'));
        for (const test of entry.tests) expect(html).toContain(test.file);
        for (const id of entry.checks) expect(html).toContain(`data-check="${id}"`);
      }
      expect(html).not.toContain('<b>bob</b>');
      for (const secret of secrets) expect(html).not.toContain(secret);
      expect(html).not.toMatch(/<script/i);
    }
    const ja = renderHtml(r, 'ja');
    expect(ja).toContain('Monban 適合性報告書');
    expect(ja).toContain('全管理者の多要素認証');
    expect(ja).toContain('運用者の措置');
    const json = JSON.stringify(reportJson(r));
    for (const secret of secrets) expect(json).not.toContain(secret);
    expect(json).not.toContain('$argon2id$');
    const en = renderHtml(r, 'en');
    expect(en).toContain('Monban compliance report');
    expect(en).toContain('MFA for all administrators');
    expect(en).toContain('What the operator must do');
  });

  it('a map entry naming a missing test makes the report fail (a temporary map)', async () => {
    const map = structuredClone(COMPLIANCE_MAP);
    map.items[0]!.tests.push({ file: 'test/server/security/lockout.test.ts', name: 'a test nobody wrote' });
    const r = await complianceReport({ config, env: {}, now: NOW, map });
    expect(r.missing).toEqual([
      {
        item: 'a01',
        file: 'test/server/security/lockout.test.ts',
        name: 'a test nobody wrote',
        reason: 'no-test',
      },
    ]);
    expect(item(r, 'a01').verdict).toBe('not-met');
    expect(r.ok).toBe(false);
    expect(exitCodeOf(r)).toBe(2);
    expect(renderHtml(r, 'en')).toContain('a test nobody wrote — <strong>not found</strong>');
  });

  it('shows each mapped test’s outcome in a given test run, and a failed one fails its item', async () => {
    // The shape `vitest run --reporter=json --outputFile=FILE` writes: one entry per test file.
    const byFile = new Map<string, { title: string; status: string }[]>();
    for (const entry of COMPLIANCE_MAP.items)
      for (const t of entry.tests) {
        const status =
          t.name === 'refuses TLS 1.1 and accepts TLS 1.2 and 1.3'
            ? 'failed'
            : t.name === 'tells a wrong passphrase apart from damage'
              ? 'skipped'
              : 'passed';
        if (t.name === 'refuses a baseline edited after it was saved') continue; // not in this run
        byFile.set(t.file, [...(byFile.get(t.file) ?? []), { title: t.name, status }]);
      }
    const results = join(dir, `${backend}-results.json`);
    writeFileSync(
      results,
      JSON.stringify({
        startTime: NOW - DAY,
        success: false,
        testResults: [...byFile].map(([file, tests]) => ({
          name: join(REPOSITORY_ROOT, file),
          assertionResults: tests.map((t) => ({ ...t, ancestorTitles: [], fullName: t.title })),
        })),
      }),
    );
    const r = await complianceReport({ config, env: {}, now: NOW, testResults: results });
    expect(r.testRun).toMatchObject({
      startedAt: NOW - DAY,
      counts: { failed: 1, skipped: 1, 'not-run': 1 },
    });
    const transport = item(r, 'b01-transport');
    expect(transport.verdict).toBe('not-met');
    expect(transport.tests.find((t) => t.outcome === 'failed')?.name).toBe(
      'refuses TLS 1.1 and accepts TLS 1.2 and 1.3',
    );
    expect(item(r, 'g01').tests.map((t) => t.outcome)).toEqual(['passed', 'not-run']);
    expect(item(r, 'mn-e-c').tests[0]!.outcome).toBe('skipped');
    expect(exitCodeOf(r)).toBe(1);
    const json = reportJson(r);
    expect(json.testRun).toMatchObject({ startedAt: '2026-12-01T09:00:00.000Z', counts: { failed: 1 } });
    expect(json.items.find((i) => i.id === 'g01')!.tests.map((t) => t.outcome)).toEqual([
      'passed',
      'not-run',
    ]);
    const en = renderHtml(r, 'en');
    expect(en).toContain(
      'refuses TLS 1.1 and accepts TLS 1.2 and 1.3 — <span class="outcome-failed">failed</span>',
    );
    expect(en).toMatch(
      /Test results<\/th><td>[^<]*results\.json \(2026-12-01T09:00:00\.000Z\): \d+ passed, 1 failed, 1 skipped, 1 not run/,
    );
    expect(renderHtml(r, 'ja')).toContain('<span class="outcome-failed">不合格</span>');
    writeFileSync(results, '{"numTotalTests": 3}');
    await expect(complianceReport({ config, env: {}, now: NOW, testResults: results })).rejects.toThrow(
      /not a vitest JSON report/,
    );
  });

  it.skipIf(backend !== 'SQLite')(
    'writes the document from the command line, and refuses bad options',
    async () => {
      const out = join(dir, 'report-en.html');
      const run = await cli(['compliance', 'report', '--data-dir', dataDir, '--lang', 'en', '--out', out]);
      expect(run.out).toMatch(/compliance: \d+ met, \d+ to look at, \d+ not met, \d+ operator’s measures/);
      expect([0, 1]).toContain(run.code);
      expect(readFileSync(out, 'utf8')).toContain('MFA for all administrators');
      expect((await cli(['compliance', 'report', '--data-dir', dataDir, '--out', out])).out).toContain(
        'exists',
      );
      // Each document made is on the audit trail, with its verdicts and never its content.
      const audited = await queryAudit(store.db, { action: 'report.compliance' });
      expect(audited.records[0]).toMatchObject({ actor: 'cli', source: 'local', target: 'compliance' });
      expect(audited.records[0]!.detail).toMatchObject({
        lang: 'en',
        format: 'html',
        items: COMPLIANCE_MAP.items.length,
      });
      expect(JSON.stringify(audited.records[0])).not.toContain('bob');
      const lang = await cli(['compliance', 'report', '--data-dir', dataDir, '--lang', 'fr']);
      expect(lang).toMatchObject({ code: 3 });
      expect(lang.out).toContain('--lang must be ja or en');
      const missing = await cli(['compliance', 'report', '--data-dir', join(dir, 'nowhere')]);
      expect(missing.code).toBe(3);
      expect(missing.out).toContain('does not exist');
      const jsonOut = join(dir, 'report.json');
      const json = await cli([
        'compliance',
        'report',
        '--data-dir',
        dataDir,
        '--format',
        'json',
        '--out',
        jsonOut,
      ]);
      const parsed = JSON.parse(readFileSync(jsonOut, 'utf8'));
      expect(parsed).toMatchObject({ format: 'monban-compliance-report', v: 1, exitCode: json.code });
      expect(parsed.items.map((i: { id: string }) => i.id)).toEqual(COMPLIANCE_MAP.items.map((i) => i.id));
      expect(parsed.items[0].checks[0]).toHaveProperty('value.ja');
      expect(parsed.items[0].tests[0]).toMatchObject({ present: true, outcome: null });
      expect(parsed.testRun).toBeNull();
      const tests = await cli(['compliance', 'tests']);
      expect(tests).toMatchObject({ code: 0 });
      expect(tests.out).toMatch(/(\d+)\/\1 mapped test\(s\) found/);
    },
    60_000,
  );

  it.skipIf(!hasChromium || backend !== 'SQLite')(
    'prints a PDF with Chromium',
    async () => {
      const pdf = await htmlToPdf(renderHtml(await report(), 'ja'));
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(10_000);
      const out = join(dir, 'report.pdf');
      const run = await cli(['compliance', 'report', '--data-dir', dataDir, '--format', 'pdf', '--out', out]);
      expect(run.out).toContain(`written to ${out}`);
      expect(readFileSync(out).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    },
    120_000,
  );
});
