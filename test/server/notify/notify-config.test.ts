// The notification settings from the environment: nothing configured is no e-mail; a password in the
// URL, a missing sender or recipient list, or a bad address stops the server with the variable named
// and no value echoed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/server/config.ts';
import { notifySettingsFromEnv } from '../../../src/server/notify/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-notify-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = {
  MONBAN_SMTP_URL: 'smtps://mail.example.jp',
  MONBAN_SMTP_FROM: 'Monban <monban@example.jp>',
  MONBAN_ALARM_MAIL_TO: 'guard@example.jp, desk@example.jp',
};

describe('notification settings', () => {
  it('are off without an SMTP URL', () => {
    expect(notifySettingsFromEnv({})).toBeUndefined();
  });

  it('make an e-mail channel with the threshold and escalation asked for', async () => {
    const settings = notifySettingsFromEnv(
      { ...base, MONBAN_ALARM_ESCALATE_MINUTES: '5', MONBAN_ALARM_NOTIFY_MIN_SEVERITY: 'critical' },
      'https://monban.example.jp',
    )!;
    expect(settings).toMatchObject({
      minSeverity: 'critical',
      escalateAfterMinutes: 5,
      publicOrigin: 'https://monban.example.jp',
    });
    expect(settings.notifiers.map((n) => [n.channel, n.handles('first'), n.handles('escalation')])).toEqual([
      ['email', true, false],
    ]);
    for (const n of settings.notifiers) await n.close?.();
  });

  it('refuse what would leak or cannot work', () => {
    const refused = (env: Record<string, string>, variable: string) => {
      try {
        notifySettingsFromEnv(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).variable).toBe(variable);
        expect((error as Error).message).not.toContain('hunter2-secret');
        return;
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    refused({ ...base, MONBAN_SMTP_URL: 'smtps://user:hunter2-secret@mail.example.jp' }, 'MONBAN_SMTP_URL');
    refused({ ...base, MONBAN_SMTP_URL: 'http://mail.example.jp' }, 'MONBAN_SMTP_URL');
    refused({ ...base, MONBAN_SMTP_FROM: '' }, 'MONBAN_SMTP_FROM');
    refused({ ...base, MONBAN_ALARM_MAIL_TO: '' }, 'MONBAN_ALARM_MAIL_TO');
    refused({ ...base, MONBAN_ALARM_MAIL_TO: 'guard@example.jp, not-an-address' }, 'MONBAN_ALARM_MAIL_TO');
    refused({ ...base, MONBAN_SMTP_USER: 'monban' }, 'MONBAN_SMTP_PASSWORD_FILE');
    refused({ ...base, MONBAN_ALARM_NOTIFY_MIN_SEVERITY: 'urgent' }, 'MONBAN_ALARM_NOTIFY_MIN_SEVERITY');
  });

  it('read the SMTP password from its file', async () => {
    const file = join(dir, 'smtp-password');
    writeFileSync(file, 'hunter2-secret\n', { mode: 0o600 });
    const settings = notifySettingsFromEnv({
      ...base,
      MONBAN_SMTP_USER: 'monban',
      MONBAN_SMTP_PASSWORD_FILE: file,
    })!;
    expect(settings.notifiers).toHaveLength(1);
    for (const n of settings.notifiers) await n.close?.();
  });
});
