// Alarm notification settings from the environment (docs/operations.md), validated with zod; a bad
// value stops the server at start, naming the variable and never echoing a value.
//
//   MONBAN_SMTP_URL                  smtps://host[:465] or smtp://host[:587] (STARTTLS required);
//                                    unset: no e-mail
//   MONBAN_SMTP_FROM                 the sender, e.g. "Monban <monban@example.jp>"
//   MONBAN_SMTP_USER                 login, when the server wants one
//   MONBAN_SMTP_PASSWORD_FILE        a file holding its password (never the password itself here)
//   MONBAN_SMTP_CA                   PEM file to trust for the SMTP server (a private CA)
//   MONBAN_ALARM_MAIL_TO             comma-separated: told of every new alarm at the threshold or above
//   MONBAN_ALARM_ESCALATE_TO         comma-separated: told when one stays unacknowledged
//   MONBAN_ALARM_ESCALATE_MINUTES    how long unacknowledged before it escalates (default 15)
//   MONBAN_ALARM_NOTIFY_MIN_SEVERITY critical | high | medium | low (default high)

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SEVERITIES } from '../alarms/types.ts';
import { ConfigError } from '../config.ts';
import type { NotifySettings } from './dispatcher.ts';
import { EmailNotifier } from './email.ts';

const addresses = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
  )
  .pipe(z.array(z.email('must be e-mail addresses separated by commas')).max(50));

const schema = z.object({
  MONBAN_SMTP_URL: z
    .string()
    .regex(
      /^smtps?:\/\/[^/@\s]+(:\d+)?\/?$/,
      'must be smtp://host[:port] or smtps://host[:port], without a user or password',
    )
    .optional(),
  MONBAN_SMTP_FROM: z.string().min(3).max(200).optional(),
  MONBAN_SMTP_USER: z.string().min(1).max(200).optional(),
  MONBAN_SMTP_PASSWORD_FILE: z.string().min(1).optional(),
  MONBAN_SMTP_CA: z.string().min(1).optional(),
  MONBAN_ALARM_MAIL_TO: addresses.optional(),
  MONBAN_ALARM_ESCALATE_TO: addresses.optional(),
  MONBAN_ALARM_ESCALATE_MINUTES: z.coerce.number().int().min(1).max(10_080).default(15),
  MONBAN_ALARM_NOTIFY_MIN_SEVERITY: z.enum(SEVERITIES).default('high'),
});

/** The notification settings the environment asks for; undefined when no channel is configured. */
export function notifySettingsFromEnv(
  env: Record<string, string | undefined>,
  publicOrigin?: string,
): NotifySettings | undefined {
  const values = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0]), issue.message);
  }
  const e = parsed.data;
  if (!e.MONBAN_SMTP_URL) return undefined;
  if (!e.MONBAN_SMTP_FROM) throw new ConfigError('MONBAN_SMTP_FROM', 'is needed with MONBAN_SMTP_URL');
  if (!e.MONBAN_ALARM_MAIL_TO?.length && !e.MONBAN_ALARM_ESCALATE_TO?.length)
    throw new ConfigError(
      'MONBAN_ALARM_MAIL_TO',
      'is needed with MONBAN_SMTP_URL (or MONBAN_ALARM_ESCALATE_TO)',
    );
  if (e.MONBAN_SMTP_USER && !e.MONBAN_SMTP_PASSWORD_FILE)
    throw new ConfigError('MONBAN_SMTP_PASSWORD_FILE', 'is needed with MONBAN_SMTP_USER');
  const email = new EmailNotifier({
    url: e.MONBAN_SMTP_URL,
    from: e.MONBAN_SMTP_FROM,
    to: e.MONBAN_ALARM_MAIL_TO ?? [],
    escalateTo: e.MONBAN_ALARM_ESCALATE_TO ?? [],
    auth:
      e.MONBAN_SMTP_USER && e.MONBAN_SMTP_PASSWORD_FILE
        ? { user: e.MONBAN_SMTP_USER, pass: readFileSync(e.MONBAN_SMTP_PASSWORD_FILE, 'utf8').trim() }
        : undefined,
    ca: e.MONBAN_SMTP_CA ? readFileSync(e.MONBAN_SMTP_CA, 'utf8') : undefined,
  });
  return {
    notifiers: [email],
    minSeverity: e.MONBAN_ALARM_NOTIFY_MIN_SEVERITY,
    escalateAfterMinutes: e.MONBAN_ALARM_ESCALATE_MINUTES,
    ...(publicOrigin && { publicOrigin }),
  };
}
