// Live checks of the devices and their supervision: insecure credential reads, the controller–server
// transport, the controllers' software versions, links, clocks and configuration baselines, and alarm notification (IPA c01,
// e01, f01, g01).

import { linkStatus } from '../../controllers/link-store.ts';
import { notifySettingsFromEnv } from '../../notify/config.ts';
import { repositories } from '../../storage/index.ts';
import { all, type Check, DAY, type Localized, ratio, t, yesNo } from './kit.ts';

export const deviceChecks = {
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

  async 'broker-tls'(ctx) {
    const { mqttUrl, brokerLogin } = ctx.config.controllers;
    const label = t('制御装置とサーバ間の通信 (MQTT)', 'Controller–server traffic (MQTT)');
    if (!mqttUrl)
      return {
        status: 'pass',
        label,
        value: t('内蔵ブローカー (TLS のみ、署名付きログイン)', 'embedded broker (TLS only, signed logins)'),
        details: [],
      };
    const where = new URL(mqttUrl);
    const tls = where.protocol === 'mqtts:';
    const login = brokerLogin === 'derived';
    return {
      status: tls ? (login ? 'pass' : 'warn') : 'fail',
      label,
      value: t(
        `外部ブローカー ${where.host}、${tls ? 'TLS' : 'TLSなし'}、${login ? 'ログインあり' : 'ログインなし'}`,
        `external broker ${where.host}, ${tls ? 'TLS' : 'no TLS'}, ${login ? 'with logins' : 'no login'}`,
      ),
      details: [
        ...(tls
          ? []
          : [
              t(
                'メッセージは署名されるが暗号化されない: mqtts:// を使う',
                'messages are signed but not encrypted: use mqtts://',
              ),
            ]),
        ...(login
          ? []
          : [
              t(
                'ブローカーのログインを設定する (MONBAN_MQTT_LOGIN=derived、monban broker-config)',
                'set broker logins up (MONBAN_MQTT_LOGIN=derived, monban broker-config)',
              ),
            ]),
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
} satisfies Record<string, Check>;
