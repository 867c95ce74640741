// Sends the outbox (service.ts): every due delivery is POSTed as JSON with its signature
// (signature.ts); a 2xx answer delivers it; anything else — an error status, a refused connection, a
// timeout — tries again later with exponential backoff (base × 2^attempt, capped), until the
// delivery is older than the retry window, when it is `failed` (kept, and redeliverable). Runs on its
// own timer: the site never waits for a receiver. One send at a time per subscription, oldest first,
// and a failure stops that subscription's pass, so a receiver that comes back gets its backlog
// oldest first (a retried delivery may arrive after a younger one: receivers dedupe and order by
// the event's id and createdAt).

import type { FastifyBaseLogger } from 'fastify';
import type { WebhookService } from './service.ts';
import { SIGNATURE_HEADER, sign } from './signature.ts';

export interface DispatchSettings {
  /** first retry after this long; each further one waits twice as long */
  retryBaseMs: number;
  /** no retry waits longer than this */
  retryMaxMs: number;
  /** a delivery not done within this long is given up (`failed`) */
  giveUpAfterMs: number;
  timeoutMs: number;
  pollMs: number;
}

export const DEFAULT_DISPATCH: DispatchSettings = {
  retryBaseMs: 10_000,
  retryMaxMs: 3_600_000,
  giveUpAfterMs: 3 * 24 * 3_600_000,
  timeoutMs: 10_000,
  pollMs: 1_000,
};

const BATCH = 50;

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  readonly settings: DispatchSettings;

  constructor(
    private readonly service: WebhookService,
    private readonly logger: Pick<FastifyBaseLogger, 'warn' | 'error'>,
    private readonly clock: { now(): number },
    settings: Partial<DispatchSettings> = {},
  ) {
    this.settings = { ...DEFAULT_DISPATCH, ...settings };
    service.onEnqueued = () => this.kick();
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.settings.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Sends what is due now (coalesced: one pass at a time, another after it when asked). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: unknown) =>
        this.logger.error({ err: { message: (error as Error).message } }, 'webhook dispatch failed'),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no pass is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async pass(): Promise<void> {
    const db = this.service.db;
    const now = this.clock.now();
    const due = await db
      .selectFrom('webhook_deliveries')
      .innerJoin('webhook_events', 'webhook_events.id', 'webhook_deliveries.event_id')
      .innerJoin('webhook_subscriptions', 'webhook_subscriptions.id', 'webhook_deliveries.subscription_id')
      .select([
        'webhook_deliveries.id as id',
        'webhook_deliveries.subscription_id as subscriptionId',
        'webhook_deliveries.attempts as attempts',
        'webhook_deliveries.created_at as createdAt',
        'webhook_events.id as eventId',
        'webhook_events.type as type',
        'webhook_events.at as at',
        'webhook_events.data as data',
        'webhook_subscriptions.url as url',
        'webhook_subscriptions.active as active',
      ])
      .where('webhook_deliveries.state', '=', 'pending')
      .where('webhook_deliveries.next_attempt_at', '<=', now)
      .orderBy('webhook_deliveries.created_at')
      .orderBy('webhook_deliveries.id')
      .limit(BATCH)
      .execute();
    // Oldest first per subscription; a subscription whose receiver failed waits for its next turn.
    const blocked = new Set<string>();
    await Promise.all(
      [...groupBy(due, (d) => d.subscriptionId)].map(async ([subscriptionId, deliveries]) => {
        for (const d of deliveries) {
          if (blocked.has(subscriptionId) || Number(d.active) !== 1) return;
          const ok = await this.send(d, now);
          if (!ok) blocked.add(subscriptionId);
        }
      }),
    );
  }

  private async send(
    d: {
      id: string;
      subscriptionId: string;
      attempts: number;
      createdAt: number;
      eventId: string;
      type: string;
      at: number;
      data: string;
      url: string;
    },
    now: number,
  ): Promise<boolean> {
    const secret = await this.service.secretOf(d.subscriptionId);
    if (secret === undefined) return false;
    const body = `{"id":${JSON.stringify(d.eventId)},"type":${JSON.stringify(d.type)},"createdAt":${JSON.stringify(new Date(Number(d.at)).toISOString())},"data":${d.data}}`;
    const timestamp = Math.floor(this.clock.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Monban-Webhooks/1',
          [SIGNATURE_HEADER]: sign(secret, body, timestamp),
          'monban-event-id': d.eventId,
          'monban-event-type': d.type,
          'monban-delivery-id': d.id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      status = response.status;
      await response.body?.cancel().catch(() => {});
      if (status < 200 || status >= 300) error = `answered ${status}`;
    } catch (e) {
      error = ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
    }
    const attempts = Number(d.attempts) + 1;
    const at = this.clock.now();
    if (error === null) {
      await this.service.db
        .updateTable('webhook_deliveries')
        .set({
          state: 'delivered',
          attempts,
          last_attempt_at: at,
          last_status: status,
          last_error: null,
          delivered_at: at,
        })
        .where('id', '=', d.id)
        .execute();
      return true;
    }
    const wait = Math.min(this.settings.retryBaseMs * 2 ** (attempts - 1), this.settings.retryMaxMs);
    const giveUp = now - Number(d.createdAt) >= this.settings.giveUpAfterMs;
    await this.service.db
      .updateTable('webhook_deliveries')
      .set({
        state: giveUp ? 'failed' : 'pending',
        attempts,
        next_attempt_at: at + wait,
        last_attempt_at: at,
        last_status: status,
        last_error: error.slice(0, 500),
      })
      .where('id', '=', d.id)
      .execute();
    if (giveUp)
      this.logger.warn({ delivery: d.id, subscription: d.subscriptionId }, 'webhook delivery given up');
    return false;
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
