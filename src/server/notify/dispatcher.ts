// Who is told about an alarm, and when. Every channel (Notifier) gets the first notice of each new
// alarm at or above the severity threshold, and the escalation when the alarm is still active
// (neither acknowledged nor resolved) after `escalateAfterMinutes` — the e-mail channel sends that
// to its second list. The database decides, not memory: a sweep (at once when an alarm is raised, and
// every `sweepMs`) looks at the active alarms and claims each notice that is due (deliveries.ts), so
// a restart neither forgets an escalation nor repeats a notice, and two servers send each once.
//
// A newly configured channel does not mail every old alarm: first notices go out for alarms raised
// within `firstNoticeWindowMs`, escalations for those raised within `escalationWindowMs`.

import type { FastifyBaseLogger } from 'fastify';
import type { AlarmListener } from '../alarms/service.ts';
import type { AlarmsTable } from '../alarms/tables.ts';
import { SEVERITIES, type Severity } from '../alarms/types.ts';
import type { Clock, SecurityDb } from '../auth/context.ts';
import { claim, type Key, markFailed, markSent, type NotifyDb, notifyDb } from './deliveries.ts';
import type { AlarmNotice, NoticeLevel, Notifier } from './notifier.ts';

export interface NotifySettings {
  notifiers: Notifier[];
  /** alarms at or above this severity are notified (default high: critical and high) */
  minSeverity?: Severity;
  /** an active alarm is escalated after this long unacknowledged (default 15) */
  escalateAfterMinutes?: number;
  /** how often due notices are looked for (default 30 s) */
  sweepMs?: number;
  firstNoticeWindowMs?: number;
  escalationWindowMs?: number;
  /** the console's address, for a link in the notice */
  publicOrigin?: string | undefined;
}

export class AlarmNotifications {
  private readonly db: NotifyDb;
  private readonly severities: readonly string[];
  private readonly escalateAfterMs: number;
  private readonly firstWindowMs: number;
  private readonly escalationWindowMs: number;
  private running: Promise<void> = Promise.resolve();
  private again = false;
  private sweeping = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    db: SecurityDb,
    private readonly logger: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>,
    private readonly clock: Clock,
    private readonly settings: NotifySettings,
  ) {
    this.db = notifyDb(db);
    const threshold = SEVERITIES.indexOf(settings.minSeverity ?? 'high');
    this.severities = SEVERITIES.slice(0, threshold + 1);
    this.escalateAfterMs = (settings.escalateAfterMinutes ?? 15) * 60_000;
    this.firstWindowMs = settings.firstNoticeWindowMs ?? 60 * 60_000;
    this.escalationWindowMs = settings.escalationWindowMs ?? 24 * 3_600_000;
  }

  /** The alarm service's listener: a new alarm is looked at at once, not at the next sweep. */
  readonly listener: AlarmListener = {
    raised: (alarm) => {
      if (alarm.occurrences === 1 && this.severities.includes(alarm.severity)) void this.sweep();
    },
  };

  start(): void {
    if (this.timer || this.stopped) return;
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.settings.sweepMs ?? 30_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    for (const notifier of this.settings.notifiers) await notifier.close?.();
  }

  /** Sends whatever is due now; one sweep at a time (a request during one runs once more after it). */
  sweep(): Promise<void> {
    if (this.stopped) return this.running;
    if (this.sweeping) {
      this.again = true;
      return this.running;
    }
    this.sweeping = true;
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.once();
        } while (this.again && !this.stopped);
      } catch (error) {
        this.logger.error({ err: { message: (error as Error).message } }, 'alarm notification sweep failed');
      } finally {
        this.sweeping = false;
      }
    })();
    return this.running;
  }

  private async once(): Promise<void> {
    const now = this.clock.now();
    const alarms = await this.db
      .selectFrom('alarms')
      .selectAll()
      .where('state', '=', 'active')
      .where('severity', 'in', [...this.severities])
      .where('raised_at', '>=', now - Math.max(this.escalationWindowMs, this.firstWindowMs))
      .orderBy('raised_at')
      .limit(1000)
      .execute();
    if (alarms.length === 0) return;
    // What is settled already, so a sweep over many active alarms costs one read, not a claim each.
    const done = new Set(
      (
        await this.db
          .selectFrom('alarm_notifications')
          .select(['alarm_id', 'level', 'channel'])
          .where(
            'alarm_id',
            'in',
            alarms.map((a) => a.id),
          )
          .where((eb) =>
            eb.or([
              eb('state', 'in', ['sent', 'gave_up']),
              eb.and([eb('state', '=', 'failed'), eb('next_attempt_at', '>', now)]),
            ]),
          )
          .execute()
      ).map((r) => `${r.alarm_id}/${r.level}/${r.channel}`),
    );
    for (const alarm of alarms) {
      const raisedAt = Number(alarm.raised_at);
      const levels: NoticeLevel[] = [];
      if (now - raisedAt <= this.firstWindowMs) levels.push('first');
      if (now - raisedAt >= this.escalateAfterMs && now - raisedAt <= this.escalationWindowMs)
        levels.push('escalation');
      for (const level of levels)
        for (const notifier of this.settings.notifiers) {
          if (this.stopped) return;
          if (!notifier.handles(level) || done.has(`${alarm.id}/${level}/${notifier.channel}`)) continue;
          await this.deliver(notifier, { alarmId: alarm.id, level, channel: notifier.channel }, alarm, now);
        }
    }
  }

  private async deliver(notifier: Notifier, key: Key, row: AlarmsTable, now: number): Promise<void> {
    if (!(await claim(this.db, key, now))) return;
    const notice: AlarmNotice = {
      level: key.level,
      alarm: {
        id: row.id,
        type: row.type as AlarmNotice['alarm']['type'],
        severity: row.severity as Severity,
        source: row.source,
        site: row.site,
        message: row.message,
        raisedAt: Number(row.raised_at),
        occurrences: Number(row.occurrences),
      },
      ...(key.level === 'escalation' && {
        unacknowledgedMinutes: Math.floor((now - Number(row.raised_at)) / 60_000),
      }),
      ...(this.settings.publicOrigin && { link: `${this.settings.publicOrigin.replace(/\/$/, '')}/alarms` }),
    };
    try {
      await notifier.notify(notice);
      await markSent(this.db, key, this.clock.now());
      this.logger.info({ alarm: row.id, notice: key.level, channel: key.channel }, 'alarm notice sent');
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'ERROR';
      const gaveUp = await markFailed(this.db, key, this.clock.now(), code);
      (gaveUp ? this.logger.error : this.logger.warn).call(
        this.logger,
        { alarm: row.id, notice: key.level, channel: key.channel, code },
        gaveUp ? 'alarm notice given up' : 'alarm notice failed; will retry',
      );
    }
  }
}
