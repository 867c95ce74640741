// Live checks of the records: the audit and event chains and their checkpoints, retention periods,
// backups, the stale-credential inventory (棚卸) and erasure certificates (IPA b01, d01, h01).

import { anchorKeys, readAnchors, verifyChains } from '../../audit/anchors.ts';
import { queryAudit } from '../../audit/store.ts';
import { certificateKeys, fingerprintOf, verifyCertificate } from '../../lifecycle/certificate.ts';
import { RETENTION_CLASSES, readRetention } from '../../lifecycle/retention.ts';
import { lifecycleDb } from '../../lifecycle/tables.ts';
import { reportDb } from '../../reports/tables.ts';
import { type Check, DAY, iso, ratio, t, yesNo } from './kit.ts';

export const recordChecks = {
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

  async 'stale-operators'(ctx) {
    // The inventory report's operators section, counted: enabled operators with no login for 90 days
    // (or never, created before that) and usable API tokens unused as long.
    const db = reportDb(ctx.store.db);
    const cutoff = ctx.now - 90 * DAY;
    const operators = await db
      .selectFrom('operators as o')
      .select(['o.username', 'o.created_at'])
      .select((eb) =>
        eb
          .selectFrom('audit_log as a')
          .select((a) => a.fn.max('a.at').as('at'))
          .whereRef('a.actor', '=', 'o.id')
          .where('a.action', '=', 'login.success')
          .as('last_login'),
      )
      .where('o.disabled', '=', 0)
      .execute();
    const idle = operators
      .filter((o) => (o.last_login == null ? Number(o.created_at) < cutoff : Number(o.last_login) < cutoff))
      .map((o) => o.username);
    const tokens = await db
      .selectFrom('api_tokens')
      .select('name')
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', ctx.now)]))
      .where((eb) =>
        eb.or([
          eb('last_used_at', '<', cutoff),
          eb.and([eb('last_used_at', 'is', null), eb('created_at', '<', cutoff)]),
        ]),
      )
      .execute();
    const total = idle.length + tokens.length;
    return {
      status: total === 0 ? 'pass' : 'warn',
      label: t('棚卸: 使われていない操作者・APIトークン', 'Inventory (棚卸): idle operators and API tokens'),
      value: t(
        `90日ログインなし ${idle.length}、90日未使用のトークン ${tokens.length}`,
        `no login for 90 days ${idle.length}, tokens unused 90 days ${tokens.length}`,
      ),
      details: [
        ...(idle.length
          ? [t(`操作者: ${idle.slice(0, 20).join(', ')}`, `operators: ${idle.slice(0, 20).join(', ')}`)]
          : []),
        ...(tokens.length
          ? [
              t(
                `トークン: ${tokens
                  .slice(0, 20)
                  .map((x) => x.name)
                  .join(', ')}`,
                `tokens: ${tokens
                  .slice(0, 20)
                  .map((x) => x.name)
                  .join(', ')}`,
              ),
            ]
          : []),
      ],
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
} satisfies Record<string, Check>;
