// The live checks of the compliance report: what a site's storage and settings say about each item
// of the map ("MFA for all administrators: yes, 3/3"). They only read, through the server's own
// stores and services (auth/store, storage repositories, lifecycle retention, audit anchors, the
// doctor's deployment checks); a check that cannot run is a failure that says why, never an
// exception, so one run shows everything.

import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anchorKeys, readAnchors, verifyChains } from '../audit/anchors.ts';
import { queryAudit } from '../audit/store.ts';
import { securityDb } from '../auth/context.ts';
import { securityEnv } from '../auth/env.ts';
import { getPasswordHash, hasSecondFactor, listOperators, mfaStatus } from '../auth/store.ts';
import type { ServerConfig } from '../config.ts';
import { linkStatus } from '../controllers/link-store.ts';
import { certificateKeys, fingerprintOf, verifyCertificate } from '../lifecycle/certificate.ts';
import { RETENTION_CLASSES, readRetention } from '../lifecycle/retention.ts';
import { lifecycleDb } from '../lifecycle/tables.ts';
import { notifySettingsFromEnv } from '../notify/config.ts';
import { AreaTree } from '../reports/common.ts';
import { reportDb } from '../reports/tables.ts';
import type { Page } from '../storage/cursor.ts';
import type { Store } from '../storage/db.ts';
import { repositories } from '../storage/index.ts';
import type { CheckId } from './check-ids.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'na';

export interface Localized {
  ja: string;
  en: string;
}

export interface CheckOutcome {
  id: CheckId;
  status: CheckStatus;
  /** the check's name, e.g. "MFA for all administrators" */
  label: Localized;
  /** what was found, e.g. "yes, 3/3" */
  value: Localized;
  /** n of m where the check counts */
  count?: { ok: number; total: number };
  /** a few lines of detail (names, versions); never a secret */
  details: Localized[];
}

export interface CheckContext {
  store: Store;
  installationKey: Uint8Array;
  config: ServerConfig;
  env: Record<string, string | undefined>;
  anchorFile: string;
  now: number;
  /** the results of `monban doctor` for this deployment (certificate, data directory), when run */
  doctor?: readonly { name: string; status: 'pass' | 'warn' | 'fail' | 'skip'; detail: string }[];
}

const DAY = 86_400_000;
const t = (ja: string, en: string): Localized => ({ ja, en });
const yesNo = (ok: boolean, ja = '', en = ''): Localized =>
  t(`${ok ? 'はい' : 'いいえ'}${ja ? `、${ja}` : ''}`, `${ok ? 'yes' : 'no'}${en ? `, ${en}` : ''}`);
const ratio = (ok: number, total: number) => `${ok}/${total}`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Every page of a store listing. */
async function all<T>(list: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return items;
}

type Check = (ctx: CheckContext) => Promise<Omit<CheckOutcome, 'id'>>;

async function operators(ctx: CheckContext) {
  const db = securityDb(ctx.store.db);
  const enabled = (await listOperators(db)).filter((o) => !o.disabled);
  return Promise.all(
    enabled.map(async (o) => ({ operator: o, mfa: hasSecondFactor(await mfaStatus(db, o.id)) })),
  );
}

const CHECKS: Record<CheckId, Check> = {
  async 'admin-mfa'(ctx) {
    const admins = (await operators(ctx)).filter((o) => o.operator.role === 'admin');
    const ok = admins.filter((a) => a.mfa).length;
    const label = t('全管理者の多要素認証', 'MFA for all administrators');
    if (admins.length === 0)
      return { status: 'fail', label, value: t('管理者がいません', 'no administrator'), details: [] };
    const without = admins.filter((a) => !a.mfa).map((a) => a.operator.username);
    return {
      status: ok === admins.length ? 'pass' : 'fail',
      label,
      value: yesNo(ok === admins.length, ratio(ok, admins.length), ratio(ok, admins.length)),
      count: { ok, total: admins.length },
      details: without.length
        ? [t(`第二要素なし: ${without.join(', ')}`, `without a second factor: ${without.join(', ')}`)]
        : [],
    };
  },

  async 'admin-mfa-required'(ctx) {
    const required = securityEnv(ctx.env).settings.requireAdminMfa === true;
    return {
      status: required ? 'pass' : 'fail',
      label: t('管理者の第二要素を必須とする設定', 'Second factor required for administrators'),
      value: yesNo(required, 'MONBAN_REQUIRE_ADMIN_MFA', 'MONBAN_REQUIRE_ADMIN_MFA'),
      details: [],
    };
  },

  async 'operator-mfa'(ctx) {
    const others = (await operators(ctx)).filter((o) => o.operator.role !== 'admin');
    const ok = others.filter((o) => o.mfa).length;
    const label = t('管理者以外の操作者の多要素認証', 'MFA for operators, auditors and maintainers');
    if (others.length === 0) return { status: 'na', label, value: t('該当者なし', 'none'), details: [] };
    const without = others.filter((o) => !o.mfa).map((o) => o.operator.username);
    return {
      status: ok === others.length ? 'pass' : 'warn',
      label,
      value: yesNo(ok === others.length, ratio(ok, others.length), ratio(ok, others.length)),
      count: { ok, total: others.length },
      details: without.length
        ? [t(`第二要素なし: ${without.join(', ')}`, `without a second factor: ${without.join(', ')}`)]
        : [],
    };
  },

  async 'password-hashes'(ctx) {
    const db = securityDb(ctx.store.db);
    const all_ = (await listOperators(db)).filter((o) => !o.disabled);
    let ok = 0;
    for (const o of all_) if ((await getPasswordHash(db, o.id))?.startsWith('$argon2id$')) ok++;
    return {
      status: ok === all_.length ? 'pass' : 'fail',
      label: t('パスワードは argon2id で保存', 'Passwords stored as argon2id'),
      value: yesNo(ok === all_.length, ratio(ok, all_.length), ratio(ok, all_.length)),
      count: { ok, total: all_.length },
      details: [],
    };
  },

  async lockout(ctx) {
    const { maxFailures = 5, durationMs = 15 * 60_000 } = securityEnv(ctx.env).settings.lockout ?? {};
    const minutes = Math.round(durationMs / 60_000);
    const ok = maxFailures <= 5 && minutes >= 15;
    return {
      status: ok ? 'pass' : 'warn',
      label: t('ログイン失敗によるロック', 'Lockout after failed logins'),
      value: t(
        `連続${maxFailures}回の失敗で${minutes}分`,
        `${maxFailures} consecutive failures, ${minutes} min`,
      ),
      details: ok ? [] : [t('推奨: 5回以下・15分以上', 'recommended: at most 5 failures, at least 15 min')],
    };
  },

  async sessions(ctx) {
    const { idleMs = 30 * 60_000, absoluteMs = 12 * 3_600_000 } = securityEnv(ctx.env).settings.session ?? {};
    const idle = Math.round(idleMs / 60_000);
    const hours = Math.round(absoluteMs / 3_600_000);
    const ok = idle <= 30 && hours <= 12;
    return {
      status: ok ? 'pass' : 'warn',
      label: t('セッションの有効期限', 'Session timeouts'),
      value: t(`無操作${idle}分、最長${hours}時間`, `idle ${idle} min, at most ${hours} h`),
      details: ok
        ? []
        : [t('推奨: 無操作30分以下・最長12時間以下', 'recommended: idle ≤ 30 min, at most 12 h')],
    };
  },

  async 'allow-list'(ctx) {
    const list = securityEnv(ctx.env).allowList;
    return {
      status: list.length > 0 ? 'pass' : 'warn',
      label: t('管理アクセスの接続元制限', 'Management allow-list'),
      value:
        list.length > 0
          ? t(`設定あり: ${list.join(', ')}`, `set: ${list.join(', ')}`)
          : t('未設定 (どこからでも接続可)', 'not set (reachable from anywhere)'),
      details: [],
    };
  },

  async https(ctx) {
    const env = securityEnv(ctx.env);
    const label = t('HTTPS', 'HTTPS');
    if (env.publicOrigin?.startsWith('http:'))
      return {
        status: 'fail',
        label,
        value: t(`公開URLが http: ${env.publicOrigin}`, `public origin is plain http: ${env.publicOrigin}`),
        details: [],
      };
    const path = env.tls.certPath ?? join(ctx.config.dataDir, 'tls', 'server.crt');
    const installed = env.tls.certPath !== undefined;
    if (!existsSync(path))
      return {
        status: 'warn',
        label,
        value: t(
          '証明書なし (初回起動時に自己署名証明書を生成)',
          'no certificate yet (self-signed at the first start)',
        ),
        details: [],
      };
    try {
      const cert = new X509Certificate(readFileSync(path));
      const until = Date.parse(cert.validTo);
      const valid = until > ctx.now && Date.parse(cert.validFrom) <= ctx.now;
      const kind = installed
        ? t('導入済みの証明書', 'installed certificate')
        : t('自己署名証明書', 'self-signed certificate');
      return {
        status: valid ? (installed ? 'pass' : 'warn') : 'fail',
        label,
        value: t(
          `${valid ? 'はい' : 'いいえ'}、${kind.ja}、有効期限 ${iso(until).slice(0, 10)}`,
          `${valid ? 'yes' : 'no'}, ${kind.en}, valid until ${iso(until).slice(0, 10)}`,
        ),
        details: installed
          ? []
          : [
              t(
                '正式な証明書の導入を推奨 (MONBAN_TLS_CERT)',
                'an installed certificate is recommended (MONBAN_TLS_CERT)',
              ),
            ],
      };
    } catch {
      return {
        status: 'fail',
        label,
        value: t('証明書を読めません', 'the certificate does not parse'),
        details: [],
      };
    }
  },

  async 'data-dir'(ctx) {
    const label = t('データディレクトリの権限', 'Data directory permissions');
    const result = ctx.doctor?.find((r) => r.name === 'data directory');
    if (!result)
      return {
        status: 'na',
        label,
        value: t('未確認 (monban doctor)', 'not checked (monban doctor)'),
        details: [],
      };
    const ok = result.status === 'pass';
    return {
      status: ok ? 'pass' : result.status === 'skip' ? 'na' : 'fail',
      label,
      value: yesNo(ok, '所有者のみ', 'owner-only'),
      details: ok ? [] : [t(result.detail, result.detail)],
    };
  },

  async 'insecure-reads'(ctx) {
    const events = repositories(ctx.store.db, ctx.installationKey).events;
    const page = await events.search({ type: 'insecure_credential', from: ctx.now - 30 * DAY, limit: 1000 });
    const n = page.items.length;
    const shown = page.next ? `${n}+` : String(n);
    return {
      status: n === 0 ? 'pass' : 'warn',
      label: t('安全でない読取 (過去30日)', 'Insecure credential reads (last 30 days)'),
      value: n === 0 ? t('0件', 'none') : t(`${shown}件`, shown),
      details:
        n === 0
          ? []
          : [
              t(
                `扉: ${[...new Set(page.items.map((e) => e.door ?? '?'))].slice(0, 10).join(', ')}`,
                `doors: ${[...new Set(page.items.map((e) => e.door ?? '?'))].slice(0, 10).join(', ')}`,
              ),
            ],
    };
  },

  async controllers(ctx) {
    const repos = repositories(ctx.store.db, ctx.installationKey);
    const list = await all((cursor) => repos.controllers.list({ cursor, limit: 1000 }));
    const label = t('制御装置のソフトウェアバージョン', 'Controllers’ software versions');
    if (list.length === 0)
      return { status: 'na', label, value: t('制御装置なし', 'no controller'), details: [] };
    const details: Localized[] = [];
    let known = 0;
    let up = 0;
    for (const c of list) {
      const s = await linkStatus(ctx.store.db, c.id, ctx.now, ctx.config.controllers.linkTimeoutMs);
      if (s?.softwareVersion) known++;
      if (s?.link === 'up') up++;
      const version = s?.softwareVersion ?? '?';
      const link = s?.link ?? 'down';
      details.push(
        t(`${c.id}: ${version} (${link === 'up' ? '接続中' : '切断'})`, `${c.id}: ${version} (${link})`),
      );
    }
    return {
      status: known === list.length ? (up === list.length ? 'pass' : 'warn') : 'warn',
      label,
      value: t(
        `バージョン判明 ${ratio(known, list.length)}、接続中 ${ratio(up, list.length)}`,
        `version known ${ratio(known, list.length)}, up ${ratio(up, list.length)}`,
      ),
      count: { ok: known, total: list.length },
      details: details.slice(0, 20),
    };
  },

  async 'controller-clocks'(ctx) {
    const repos = repositories(ctx.store.db, ctx.installationKey);
    const list = await all((cursor) => repos.controllers.list({ cursor, limit: 1000 }));
    const label = t('制御装置の時刻ずれ (2秒以内)', 'Controllers’ clock drift (within 2 s)');
    const offsets: { id: string; ms: number }[] = [];
    for (const c of list) {
      const s = await linkStatus(ctx.store.db, c.id, ctx.now, ctx.config.controllers.linkTimeoutMs);
      if (s?.clockOffsetMs !== null && s?.clockOffsetMs !== undefined)
        offsets.push({ id: c.id, ms: s.clockOffsetMs });
    }
    if (offsets.length === 0)
      return { status: 'na', label, value: t('報告なし', 'none reported'), details: [] };
    const ok = offsets.filter((o) => Math.abs(o.ms) <= 2000).length;
    const worst = offsets.reduce((a, b) => (Math.abs(b.ms) > Math.abs(a.ms) ? b : a));
    return {
      status: ok === offsets.length ? 'pass' : 'warn',
      label,
      value: yesNo(ok === offsets.length, ratio(ok, offsets.length), ratio(ok, offsets.length)),
      count: { ok, total: offsets.length },
      details: [t(`最大: ${worst.id} ${worst.ms} ms`, `largest: ${worst.id} ${worst.ms} ms`)],
    };
  },

  async 'controller-baseline'(ctx) {
    const repos = repositories(ctx.store.db, ctx.installationKey);
    const list = await all((cursor) => repos.controllers.list({ cursor, limit: 1000 }));
    const label = t('制御装置の設定がベースラインと一致', 'Controllers’ configuration matches the baseline');
    if (list.length === 0)
      return { status: 'na', label, value: t('制御装置なし', 'no controller'), details: [] };
    let ok = 0;
    const differ: string[] = [];
    const none: string[] = [];
    for (const c of list) {
      const s = await linkStatus(ctx.store.db, c.id, ctx.now, ctx.config.controllers.linkTimeoutMs);
      if (s?.configMatchesBaseline === true) ok++;
      else if (s?.configMatchesBaseline === false) differ.push(c.id);
      else none.push(c.id);
    }
    const details: Localized[] = [];
    if (differ.length) details.push(t(`不一致: ${differ.join(', ')}`, `differs: ${differ.join(', ')}`));
    if (none.length)
      details.push(t(`ベースラインなし: ${none.join(', ')}`, `no baseline: ${none.join(', ')}`));
    return {
      status: differ.length > 0 ? 'fail' : ok === list.length ? 'pass' : 'warn',
      label,
      value: yesNo(ok === list.length, ratio(ok, list.length), ratio(ok, list.length)),
      count: { ok, total: list.length },
      details,
    };
  },

  async 'audit-chain'(ctx) {
    const report = await verifyChains(ctx.store.db, anchorKeys(ctx.installationKey), ctx.anchorFile);
    const events = report.events.reduce((n, e) => n + e.records, 0);
    const problems = [...report.spans.map((s) => s.message), ...report.anchors.problems];
    return {
      status: report.ok ? 'pass' : 'fail',
      label: t('監査ログ・イベント履歴の改ざん検知', 'Audit log and event history verify'),
      value: yesNo(
        report.ok,
        `監査 ${report.audit.records}件、イベント ${events}件`,
        `${report.audit.records} audit record(s), ${events} event(s)`,
      ),
      details: problems.slice(0, 5).map((p) => t(p, p)),
    };
  },

  async checkpoints(ctx) {
    const read = readAnchors(ctx.anchorFile, anchorKeys(ctx.installationKey));
    const label = t('署名付きチェックポイント', 'Signed checkpoints');
    if (read.count === 0)
      return { status: 'warn', label, value: t('まだありません', 'none yet'), details: [] };
    const age = Math.round((ctx.now - (read.last?.at ?? ctx.now)) / 60_000);
    return {
      status: read.problems.length > 0 ? 'fail' : 'pass',
      label,
      value: t(`${read.count}件、最新は${age}分前`, `${read.count}, the last ${age} min ago`),
      details: read.problems.slice(0, 3).map((p) => t(p, p)),
    };
  },

  async retention(ctx) {
    const settings = await readRetention(ctx.store.db);
    const set = RETENTION_CLASSES.filter((c) => settings[c.name] !== null && settings[c.name] !== undefined);
    const unset = RETENTION_CLASSES.filter((c) => !set.includes(c)).map((c) => c.name);
    return {
      status: unset.length === 0 ? 'pass' : 'warn',
      label: t('保存期間の設定', 'Retention periods set'),
      value: yesNo(
        unset.length === 0,
        ratio(set.length, RETENTION_CLASSES.length),
        ratio(set.length, RETENTION_CLASSES.length),
      ),
      count: { ok: set.length, total: RETENTION_CLASSES.length },
      details: [
        ...set.map((c) => t(`${c.name}: ${settings[c.name]}日`, `${c.name}: ${settings[c.name]} days`)),
        ...(unset.length
          ? [t(`未設定 (無期限): ${unset.join(', ')}`, `not set (kept forever): ${unset.join(', ')}`)]
          : []),
      ],
    };
  },

  async 'my-number-zones'(ctx) {
    const tree = await AreaTree.load(reportDb(ctx.store.db));
    const zones = tree.myNumberZones();
    const label = t(
      'マイナンバー管理区域・取扱区域の指定',
      'My Number management / handling zones designated',
    );
    if (zones.length === 0)
      return { status: 'warn', label, value: t('指定なし', 'none designated'), details: [] };
    const ja = (z: (typeof zones)[number]) =>
      `${z.id} (${z.myNumberZone === 'management' ? '管理区域' : '取扱区域'})`;
    const en = (z: (typeof zones)[number]) => `${z.id} (${z.myNumberZone})`;
    const management = zones.filter((z) => z.myNumberZone === 'management').length;
    return {
      status: 'pass',
      label,
      value: t(
        `管理区域 ${management}、取扱区域 ${zones.length - management}`,
        `${management} management, ${zones.length - management} handling`,
      ),
      details: [t(zones.map(ja).join(', '), zones.map(en).join(', '))],
    };
  },

  async 'my-number-doors'(ctx) {
    const tree = await AreaTree.load(reportDb(ctx.store.db));
    const label = t(
      'マイナンバー区域の入口は多要素認証・記録あり',
      'My Number zone entrances: second factor and recorded',
    );
    const zones = tree.myNumberZones();
    if (zones.length === 0) return { status: 'na', label, value: t('区域なし', 'no zone'), details: [] };
    const repos = repositories(ctx.store.db, ctx.installationKey);
    const doors = await all((cursor) => repos.doors.list({ cursor, limit: 1000 }));
    // An entrance crosses into a zone from outside it. Entering a 管理区域 needs a second factor
    // (the guideline's entry control); entering any zone must be recorded (a controller's door).
    const entrances = new Map<string, { door: (typeof doors)[number]; management: boolean }>();
    for (const z of zones) {
      const areas = tree.zone(z.id);
      const management = z.myNumberZone === 'management';
      for (const d of doors)
        if (areas.has(d.toArea) && !areas.has(d.fromArea))
          entrances.set(d.id, {
            door: d,
            management: management || entrances.get(d.id)?.management === true,
          });
    }
    const list = [...entrances.values()];
    if (list.length === 0)
      return {
        status: 'warn',
        label,
        value: t('入口の扉がありません', 'no door leads into a zone'),
        details: [],
      };
    // A second factor at the door: its own mode, and every mode a schedule can switch it to.
    const strong = (mode: string) => mode === 'card+pin' || mode === 'card+biometric' || mode === 'locked';
    const weak = list
      .filter((e) => e.management)
      .map((e) => e.door)
      .filter((d) => !strong(d.mode) || (d.rules?.scheduledModes ?? []).some((s) => !strong(s.mode)));
    const unrecorded = list.map((e) => e.door).filter((d) => d.controllerId === null);
    const ok = list.length - new Set([...weak, ...unrecorded].map((d) => d.id)).size;
    const details: Localized[] = [];
    if (weak.length)
      details.push(
        t(
          `多要素でない扉: ${weak.map((d) => `${d.id} (${d.mode})`).join(', ')}`,
          `doors without a second factor: ${weak.map((d) => `${d.id} (${d.mode})`).join(', ')}`,
        ),
      );
    if (unrecorded.length)
      details.push(
        t(
          `制御装置のない扉 (記録されない): ${unrecorded.map((d) => d.id).join(', ')}`,
          `doors without a controller (not recorded): ${unrecorded.map((d) => d.id).join(', ')}`,
        ),
      );
    return {
      status: ok === list.length ? 'pass' : 'fail',
      label,
      value: yesNo(ok === list.length, ratio(ok, list.length), ratio(ok, list.length)),
      count: { ok, total: list.length },
      details,
    };
  },

  async backup(ctx) {
    const { records } = await queryAudit(ctx.store.db, { action: 'backup.create', limit: 1 });
    const label = t('バックアップ', 'Backups');
    const last = records[0];
    if (!last)
      return {
        status: 'warn',
        label,
        value: t('記録なし (monban backup)', 'none recorded (monban backup)'),
        details: [],
      };
    const days = Math.floor((ctx.now - last.at) / DAY);
    return {
      status: days <= 7 ? 'pass' : 'warn',
      label,
      value: t(`最新 ${iso(last.at)} (${days}日前)`, `last ${iso(last.at)} (${days} day(s) ago)`),
      details: days <= 7 ? [] : [t('推奨: 7日以内', 'recommended: within 7 days')],
    };
  },

  async 'alarm-notifications'(ctx) {
    const label = t('警報の通知', 'Alarm notifications');
    try {
      const settings = notifySettingsFromEnv(ctx.env);
      if (!settings)
        return {
          status: 'warn',
          label,
          value: t('未設定 (コンソールのみ)', 'not set (console only)'),
          details: [],
        };
      return {
        status: 'pass',
        label,
        value: t(
          `メール、${settings.minSeverity}以上、${settings.escalateAfterMinutes}分でエスカレーション`,
          `e-mail, ${settings.minSeverity} and above, escalated after ${settings.escalateAfterMinutes} min`,
        ),
        details: [],
      };
    } catch (error) {
      const message = (error as Error).message;
      return {
        status: 'fail',
        label,
        value: t('設定エラー', 'misconfigured'),
        details: [t(message, message)],
      };
    }
  },

  async 'stale-credentials'(ctx) {
    // The inventory report's (reports/inventory.ts) three sections, counted: active credentials of
    // active people unused for 90 days, of people who left, and past their validity.
    const db = reportDb(ctx.store.db);
    const cutoff = ctx.now - 90 * DAY;
    const count = async (section: 'unused' | 'left' | 'expired') => {
      let q = db
        .selectFrom('credentials as c')
        .innerJoin('people as p', 'p.id', 'c.person_id')
        .leftJoin('credential_last_use as u', 'u.credential_id', 'c.id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('c.state', '=', 'active');
      if (section === 'unused')
        q = q
          .where('p.active', '=', 1)
          .where((eb) =>
            eb.or([
              eb('u.last_used_at', '<', cutoff),
              eb.and([eb('u.last_used_at', 'is', null), eb('c.created_at', '<', cutoff)]),
            ]),
          );
      if (section === 'left') q = q.where('p.active', '=', 0);
      if (section === 'expired')
        q = q.where('c.valid_until', 'is not', null).where('c.valid_until', '<=', ctx.now);
      return Number((await q.executeTakeFirstOrThrow()).n);
    };
    const [unused, left, expired] = [await count('unused'), await count('left'), await count('expired')];
    const total = unused + left + expired;
    return {
      status: total === 0 ? 'pass' : 'warn',
      label: t('棚卸: 不要な有効ID', 'Inventory (棚卸): stale active credentials'),
      value: t(
        `90日未使用 ${unused}、退職者 ${left}、期限切れ ${expired}`,
        `unused 90 days ${unused}, people who left ${left}, expired ${expired}`,
      ),
      details: total
        ? [t('棚卸レポートで確認し失効させる', 'review them in the inventory report and revoke')]
        : [],
    };
  },

  async 'erasure-certificates'(ctx) {
    const rows = await lifecycleDb(ctx.store.db)
      .selectFrom('erasure_certificates')
      .select('certificate')
      .execute();
    const label = t('消去証明書の署名', 'Erasure certificates verify');
    if (rows.length === 0) return { status: 'na', label, value: t('発行なし', 'none issued'), details: [] };
    const fingerprint = fingerprintOf(certificateKeys(ctx.installationKey).publicKey);
    const ok = rows.filter((r) => verifyCertificate(JSON.parse(r.certificate), fingerprint).ok).length;
    return {
      status: ok === rows.length ? 'pass' : 'fail',
      label,
      value: yesNo(ok === rows.length, ratio(ok, rows.length), ratio(ok, rows.length)),
      count: { ok, total: rows.length },
      details: [],
    };
  },
};

/** Runs the named checks (each once); never throws for what it finds. */
export async function runChecks(
  ids: Iterable<CheckId>,
  ctx: CheckContext,
): Promise<Map<CheckId, CheckOutcome>> {
  const out = new Map<CheckId, CheckOutcome>();
  for (const id of ids) {
    if (out.has(id)) continue;
    try {
      out.set(id, { id, ...(await CHECKS[id](ctx)) });
    } catch (error) {
      const message = (error as Error).message;
      out.set(id, {
        id,
        status: 'fail',
        label: t(id, id),
        value: t('確認できません', 'could not be checked'),
        details: [t(message, message)],
      });
    }
  }
  return out;
}
