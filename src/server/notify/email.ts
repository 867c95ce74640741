// Alarm notices by e-mail through nodemailer. TLS is required: `smtps://` (implicit TLS, port 465) or
// `smtp://` with STARTTLS that must succeed (requireTLS), TLS 1.2 at least; a server that offers no
// TLS is refused rather than sent alarm details in the clear. The SMTP password comes from a file,
// never from the URL or the environment, and is in no log or error: failures are reported by
// nodemailer's error code only.

import nodemailer, { type Transporter } from 'nodemailer';
import {
  type AlarmNotice,
  type NoticeLevel,
  type Notifier,
  NotifyError,
  noticeLines,
  noticeSubject,
} from './notifier.ts';

export interface EmailSettings {
  /** smtp://host[:port] (STARTTLS) or smtps://host[:port] (implicit TLS); no user or password in it */
  url: string;
  from: string;
  /** told of every new alarm at or above the severity threshold */
  to: readonly string[];
  /** told when such an alarm stays unacknowledged (none: no escalation by e-mail) */
  escalateTo: readonly string[];
  auth?: { user: string; pass: string } | undefined;
  /** PEM to trust for the SMTP server (a private CA) */
  ca?: string | undefined;
  timeoutMs?: number;
  /** the channel name (default email; another for a second SMTP route) */
  channel?: string;
}

export class EmailNotifier implements Notifier {
  readonly channel: string;
  private readonly transport: Transporter;

  constructor(private readonly settings: EmailSettings) {
    this.channel = settings.channel ?? 'email';
    const url = new URL(settings.url);
    const secure = url.protocol === 'smtps:';
    if (!secure && url.protocol !== 'smtp:') throw new Error('the SMTP URL must be smtp:// or smtps://');
    if (url.username || url.password)
      throw new Error('no user or password in the SMTP URL: use the password file');
    const timeout = settings.timeoutMs ?? 30_000;
    this.transport = nodemailer.createTransport({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      requireTLS: !secure,
      ...(settings.auth && { auth: settings.auth }),
      tls: { minVersion: 'TLSv1.2', ...(settings.ca && { ca: settings.ca }) },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // nodemailer's own logging stays off: it would log the SMTP conversation
      logger: false,
      debug: false,
    });
  }

  handles(level: NoticeLevel): boolean {
    return (level === 'first' ? this.settings.to : this.settings.escalateTo).length > 0;
  }

  async notify(notice: AlarmNotice): Promise<void> {
    const to = notice.level === 'first' ? this.settings.to : this.settings.escalateTo;
    try {
      await this.transport.sendMail({
        from: this.settings.from,
        to: [...to],
        subject: noticeSubject(notice),
        text: `${noticeLines(notice).join('\n')}\n`,
        headers: { 'X-Monban-Alarm': notice.alarm.id, 'X-Monban-Notice': notice.level },
      });
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? 'ESEND').slice(0, 32);
      throw new NotifyError(code, `e-mail not sent (${code})`);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
