// The seam for alarm notifications: a Notifier delivers one notice about one alarm on one channel
// (e-mail here, email.ts; webhooks plug in the same way). Who is told and when is decided elsewhere
// (dispatcher.ts): the first notice when an alarm is raised, the escalation when it stays
// unacknowledged. A notice carries what an operator needs to act (what, where, since when, how often,
// where to look) and never the alarm's detail object, which may hold addresses or usernames, nor any
// PIN, password, token or key: only the fields listed here leave the server.

import type { Alarm } from '../alarms/store.ts';

export type NoticeLevel = 'first' | 'escalation';

export interface AlarmNotice {
  level: NoticeLevel;
  alarm: Pick<Alarm, 'id' | 'type' | 'severity' | 'source' | 'site' | 'message' | 'raisedAt' | 'occurrences'>;
  /** escalations: how long it has been unacknowledged */
  unacknowledgedMinutes?: number;
  /** the alarm in the console, when the server knows its public address */
  link?: string;
}

export interface Notifier {
  /** the channel's name, stable: it keys what was sent (alarm_notifications.channel) */
  readonly channel: string;
  /** whether this channel has anyone to tell at this level (e.g. no escalation list: nothing to send) */
  handles(level: NoticeLevel): boolean;
  /** Delivers the notice; throws a NotifyError on failure (the dispatcher retries with backoff). */
  notify(notice: AlarmNotice): Promise<void>;
  close?(): Promise<void>;
}

/** A delivery failure, named by a short code only (an SMTP server's reply may echo addresses). */
export class NotifyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NotifyError';
  }
}

/** Only the notice's own fields, made into the lines of a plain-text message. */
export function noticeLines(notice: AlarmNotice): string[] {
  const { alarm } = notice;
  return [
    notice.level === 'escalation'
      ? `ESCALATED: this alarm has not been acknowledged for ${notice.unacknowledgedMinutes ?? '?'} minutes.`
      : 'A new alarm was raised.',
    '',
    `Alarm:       ${alarm.type}`,
    `Severity:    ${alarm.severity}`,
    `Source:      ${alarm.source}`,
    ...(alarm.site ? [`Site:        ${alarm.site}`] : []),
    `Raised at:   ${new Date(alarm.raisedAt).toISOString()}`,
    ...(alarm.occurrences > 1 ? [`Occurrences: ${alarm.occurrences}`] : []),
    `Message:     ${alarm.message}`,
    `Alarm id:    ${alarm.id}`,
    '',
    notice.link
      ? `Acknowledge it in the console: ${notice.link}`
      : 'Acknowledge it in the Monban console (Alarms).',
  ];
}

export function noticeSubject(notice: AlarmNotice): string {
  const { alarm } = notice;
  const head = notice.level === 'escalation' ? '[Monban] ESCALATED' : '[Monban]';
  // One line, bounded: a subject is a header.
  return `${head} ${alarm.severity.toUpperCase()} ${alarm.type}: ${alarm.message}`
    .replace(/[\r\n]+/g, ' ')
    .slice(0, 200);
}
