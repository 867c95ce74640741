// Live checks of the management server's own protection: administrators' and operators' second
// factors, password hashes, lockout and session settings, the allow-list, HTTPS and the data
// directory (IPA a01, b01).

import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { securityDb } from '../../auth/context.ts';
import { securityEnv } from '../../auth/env.ts';
import { getPasswordHash, hasSecondFactor, listOperators, mfaStatus } from '../../auth/store.ts';
import { type Check, type CheckContext, iso, ratio, t, yesNo } from './kit.ts';

async function operators(ctx: CheckContext) {
  const db = securityDb(ctx.store.db);
  const enabled = (await listOperators(db)).filter((o) => !o.disabled);
  return Promise.all(
    enabled.map(async (o) => ({ operator: o, mfa: hasSecondFactor(await mfaStatus(db, o.id)) })),
  );
}

export const managementChecks = {
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
    const enabled = (await listOperators(db)).filter((o) => !o.disabled);
    let ok = 0;
    for (const o of enabled) if ((await getPasswordHash(db, o.id))?.startsWith('$argon2id$')) ok++;
    return {
      status: ok === enabled.length ? 'pass' : 'fail',
      label: t('パスワードは argon2id で保存', 'Passwords stored as argon2id'),
      value: yesNo(ok === enabled.length, ratio(ok, enabled.length), ratio(ok, enabled.length)),
      count: { ok, total: enabled.length },
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
} satisfies Record<string, Check>;
