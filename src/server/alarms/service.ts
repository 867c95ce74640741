// Raises the server's own alarms from what the security code observes: failed-login bursts and
// lockouts, logins from new addresses, clock jumps, bursts of credential registration or deletion.
// Log lines name the alarm type and source only; never a password, token or code.

import type { FastifyBaseLogger } from 'fastify';
import type { Clock, SecurityDb } from '../auth/context.ts';
import { BurstWindow, ClockJumpDetector, type ClockSample, KeyedBursts } from './detectors.ts';
import {
  type Alarm,
  type AlarmComment,
  acknowledgeAlarm,
  commentOnAlarm,
  type RaiseAlarm,
  raiseAlarm,
  resolveAlarm,
} from './store.ts';
import type { AlarmChange } from './types.ts';

export interface AlarmSettings {
  failedLoginBurst: { count: number; windowMs: number };
  idChangeBurst: { count: number; windowMs: number };
  clockJumpMs: number;
}

export const DEFAULT_ALARM_SETTINGS: AlarmSettings = {
  failedLoginBurst: { count: 20, windowMs: 5 * 60_000 },
  idChangeBurst: { count: 50, windowMs: 60_000 },
  clockJumpMs: 60_000,
};

/** A credential (ID) registered or deleted, as reported by the people/credential routes' change hook. */
export interface IdChange {
  kind: 'register' | 'delete';
  actor: string;
  credentialId?: string;
}

/** Told of what the service sees (metrics, notifications, the push stream); a listener that throws is logged. */
export interface AlarmListener {
  /** an alarm raised, or a repeat counted on an open one (`occurrences` > 1) */
  raised?(alarm: Alarm): void | Promise<void>;
  /** every change of an alarm, the raise and repeat included, with the alarm as it now is */
  changed?(change: AlarmChange, alarm: Alarm): void | Promise<void>;
  /** a failed login, known user or not */
  loginFailed?(): void;
}

export class AlarmService {
  private readonly listeners: AlarmListener[] = [];
  private readonly failedLogins: BurstWindow;
  private readonly idChanges: KeyedBursts;
  private readonly clockDetector: ClockJumpDetector;

  constructor(
    private readonly db: SecurityDb,
    private readonly logger: FastifyBaseLogger,
    private readonly clock: Clock,
    settings: Partial<AlarmSettings> = {},
  ) {
    const s = { ...DEFAULT_ALARM_SETTINGS, ...settings };
    this.failedLogins = new BurstWindow(s.failedLoginBurst.count, s.failedLoginBurst.windowMs);
    this.idChanges = new KeyedBursts(s.idChangeBurst.count, s.idChangeBurst.windowMs);
    this.clockDetector = new ClockJumpDetector(s.clockJumpMs);
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: AlarmListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  async raise(input: RaiseAlarm): Promise<Alarm> {
    const alarm = await raiseAlarm(this.db, input, this.clock.now());
    this.logger.warn({ alarm: alarm.id, type: alarm.type, source: alarm.source }, 'alarm raised');
    await this.tell(alarm.occurrences > 1 ? 'repeated' : 'raised', alarm);
    return alarm;
  }

  /** An operator acknowledges (active → acknowledged); ALARM_STATE_CONFLICT when it is not active. */
  async acknowledge(id: string, by: string): Promise<Alarm> {
    const alarm = await acknowledgeAlarm(this.db, id, by, this.clock.now());
    await this.tell('acknowledged', alarm);
    return alarm;
  }

  /** An operator resolves (active or acknowledged → resolved). */
  async resolve(id: string, by: string): Promise<Alarm> {
    const alarm = await resolveAlarm(this.db, id, by, this.clock.now());
    await this.tell('resolved', alarm);
    return alarm;
  }

  /** A comment on an alarm (the alarm itself is unchanged, but consoles showing it are told). */
  async comment(alarm: Alarm, author: string, text: string): Promise<AlarmComment> {
    const added = await commentOnAlarm(this.db, alarm.id, author, text, this.clock.now());
    await this.tell('commented', alarm);
    return added;
  }

  private async tell(change: AlarmChange, alarm: Alarm): Promise<void> {
    for (const listener of this.listeners) {
      try {
        if (change === 'raised' || change === 'repeated') await listener.raised?.(alarm);
        await listener.changed?.(change, alarm);
      } catch (error) {
        this.logger.error(
          { err: { message: (error as Error).message }, alarm: alarm.id },
          'alarm listener failed',
        );
      }
    }
  }

  /** Every failed login, known user or not; a burst across all accounts is credential stuffing. */
  async loginFailed(): Promise<Alarm | undefined> {
    for (const listener of this.listeners) listener.loginFailed?.();
    if (!this.failedLogins.record(this.clock.now())) return undefined;
    return this.raise({
      type: 'login_failures',
      source: 'server',
      message: `${this.failedLogins.count} failed logins in a short time`,
      dedupeKey: 'burst',
      detail: { failures: this.failedLogins.count },
    });
  }

  accountLocked(username: string, until: number): Promise<Alarm> {
    return this.raise({
      type: 'login_failures',
      source: `operator:${username}`,
      message: `login locked for ${username} after repeated failures`,
      dedupeKey: `lock:${username}`,
      detail: { username, lockedUntil: until },
    });
  }

  newLoginAddress(operatorId: string, username: string, address: string): Promise<Alarm> {
    return this.raise({
      type: 'unknown_login',
      source: `operator:${username}`,
      message: `${username} logged in from a new address ${address}`,
      dedupeKey: `${operatorId}:${address}`,
      detail: { operatorId, username, address },
    });
  }

  /** Feed from the credential change hook. */
  async idChanged(change: IdChange): Promise<Alarm | undefined> {
    if (!this.idChanges.record(`${change.kind}:${change.actor}`, this.clock.now())) return undefined;
    return this.raise({
      type: 'id_change_burst',
      source: change.actor,
      message: `many credentials ${change.kind === 'register' ? 'registered' : 'deleted'} by ${change.actor} in a short time`,
      dedupeKey: `${change.kind}:${change.actor}`,
      detail: { kind: change.kind, actor: change.actor },
    });
  }

  /** Feed with (Date.now(), performance.now()) samples; raises time_drift on a jump. */
  async clockSample(sample: ClockSample): Promise<Alarm | undefined> {
    const jump = this.clockDetector.sample(sample);
    if (jump === undefined) return undefined;
    return this.raise({
      type: 'time_drift',
      source: 'server',
      message: `server clock changed by ${Math.round(jump / 1000)} s`,
      detail: { jumpMs: jump },
    });
  }

  /** Samples the real clocks every interval; returns the stop function (call it at shutdown). */
  watchClock(intervalMs = 10_000): () => void {
    const take = () => {
      this.clockSample({ wallMs: Date.now(), monoMs: performance.now() }).catch((error: unknown) =>
        this.logger.error({ err: error }, 'clock check failed'),
      );
    };
    take();
    const timer = setInterval(take, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
