// Webhook subscriptions and the durable outbox. `enqueue` writes the event and one delivery per
// matching active subscription in one transaction, and returns: nothing waits for a receiver. The
// dispatcher (dispatcher.ts) sends what is due. Subscriptions are audited through the security
// audit of their API requests; their secret is answered once (on create and on rotation).

import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { SecretBox } from '../auth/secrets.ts';
import { type Executor, inTransaction } from '../storage/db.ts';
import type { Database } from '../storage/schema.ts';
import { newWebhookSecret } from './signature.ts';
import type { WebhookDeliveriesTable, WebhookSubscriptionsTable, WebhookTables } from './tables.ts';

export type WebhookDb = Kysely<Database & WebhookTables>;
export const webhookDb = (db: Executor): WebhookDb =>
  (db as Kysely<Database>).withTables<WebhookTables>() as WebhookDb;

/** Every event type a subscription may ask for. */
export const WEBHOOK_EVENT_TYPES = [
  'access.granted',
  'access.denied',
  'door.state',
  'alarm.raised',
  'controller.offline',
  'controller.online',
  'key.issued',
  'key.used',
  'key.revoked',
  'key.ended',
  'delivery.used',
  'reservation.created',
  'reservation.updated',
  'reservation.cancelled',
  'reservation.ended',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** `*`, `prefix.*` or an exact type. */
export function filterProblem(filter: string): string | undefined {
  if (filter === '*') return undefined;
  if (filter.endsWith('.*')) {
    const prefix = filter.slice(0, -1);
    return WEBHOOK_EVENT_TYPES.some((t) => t.startsWith(prefix))
      ? undefined
      : `no event type starts with ${prefix}`;
  }
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(filter) ? undefined : 'is not an event type';
}

export function matches(filters: readonly string[], type: string): boolean {
  return filters.some(
    (f) => f === '*' || f === type || (f.endsWith('.*') && type.startsWith(f.slice(0, -1))),
  );
}

export interface Subscription {
  id: string;
  name: string;
  url: string;
  events: string[];
  active: boolean;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface Delivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  createdAt: number;
}

const subscriptionOf = (r: WebhookSubscriptionsTable): Subscription => ({
  id: r.id,
  name: r.name,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  active: Number(r.active) === 1,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const deliveryOf = (r: WebhookDeliveriesTable & { type: string }): Delivery => ({
  id: r.id,
  subscriptionId: r.subscription_id,
  eventId: r.event_id,
  eventType: r.type,
  state: r.state as Delivery['state'],
  attempts: Number(r.attempts),
  nextAttemptAt: Number(r.next_attempt_at),
  lastAttemptAt: r.last_attempt_at === null ? null : Number(r.last_attempt_at),
  lastStatus: r.last_status === null ? null : Number(r.last_status),
  lastError: r.last_error,
  deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
  createdAt: Number(r.created_at),
});

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;

export interface OutboxEvent {
  type: WebhookEventType;
  at: number;
  data: Record<string, unknown>;
}

export class WebhookService {
  readonly db: WebhookDb;
  private readonly box: SecretBox;
  /** told when something was enqueued (the dispatcher wakes up) */
  onEnqueued: (() => void) | undefined;

  constructor(
    private readonly executor: Executor,
    installationKey: Uint8Array,
    private readonly clock: { now(): number },
  ) {
    this.db = webhookDb(executor);
    this.box = new SecretBox(installationKey);
  }

  async create(
    input: { name: string; url: string; events: string[]; active?: boolean },
    actor: string,
  ): Promise<{ subscription: Subscription; secret: string }> {
    const now = this.clock.now();
    const secret = newWebhookSecret();
    const id = newId('wh');
    await this.db
      .insertInto('webhook_subscriptions')
      .values({
        id,
        name: input.name,
        url: input.url,
        events: JSON.stringify(input.events),
        secret_sealed: this.box.encrypt(secret),
        active: input.active === false ? 0 : 1,
        created_by: actor,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return { subscription: (await this.get(id))!, secret };
  }

  async get(id: string): Promise<Subscription | undefined> {
    const r = await this.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r && subscriptionOf(r);
  }

  async list(executor: Executor = this.executor): Promise<Subscription[]> {
    const rows = await webhookDb(executor)
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .orderBy('id')
      .execute();
    return rows.map(subscriptionOf);
  }

  async update(
    id: string,
    patch: {
      name?: string | undefined;
      url?: string | undefined;
      events?: string[] | undefined;
      active?: boolean | undefined;
    },
  ): Promise<Subscription | undefined> {
    const result = await this.db
      .updateTable('webhook_subscriptions')
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.url !== undefined && { url: patch.url }),
        ...(patch.events !== undefined && { events: JSON.stringify(patch.events) }),
        ...(patch.active !== undefined && { active: patch.active ? 1 : 0 }),
        updated_at: this.clock.now(),
      })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 0 ? undefined : this.get(id);
  }

  async remove(id: string): Promise<boolean> {
    return inTransaction(this.executor, async (tx) => {
      const db = webhookDb(tx);
      const r = await db.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst();
      await db.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).execute();
      return Number(r.numDeletedRows) > 0;
    });
  }

  /** A new secret, answered once; the old one stops signing at once. */
  async rotateSecret(id: string): Promise<string | undefined> {
    const secret = newWebhookSecret();
    const r = await this.db
      .updateTable('webhook_subscriptions')
      .set({ secret_sealed: this.box.encrypt(secret), updated_at: this.clock.now() })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 0 ? undefined : secret;
  }

  /** The secret to sign with (dispatcher only). */
  async secretOf(id: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('webhook_subscriptions')
      .select('secret_sealed')
      .where('id', '=', id)
      .executeTakeFirst();
    return r && this.box.decrypt(r.secret_sealed);
  }

  /**
   * Writes events and their deliveries to the outbox, in one transaction — or in the caller's
   * (`executor`: event ingest stores a controller's batch and its outbox entries together); sends
   * nothing.
   */
  async enqueue(events: readonly OutboxEvent[], executor: Executor = this.executor): Promise<void> {
    if (events.length === 0) return;
    // Read through the caller's transaction: on SQLite its one connection is held by it.
    const subscriptions = (await this.list(executor)).filter((s) => s.active);
    const now = this.clock.now();
    await inTransaction(executor, async (tx) => {
      const db = webhookDb(tx);
      for (const e of events) {
        const wanted = subscriptions.filter((s) => matches(s.events, e.type));
        if (wanted.length === 0) continue;
        const eventId = newId('evt');
        await db
          .insertInto('webhook_events')
          .values({ id: eventId, type: e.type, at: e.at, data: JSON.stringify(e.data) })
          .execute();
        for (const s of wanted)
          await db
            .insertInto('webhook_deliveries')
            .values({
              id: newId('dlv'),
              subscription_id: s.id,
              event_id: eventId,
              state: 'pending',
              attempts: 0,
              next_attempt_at: now,
              last_attempt_at: null,
              last_status: null,
              last_error: null,
              delivered_at: null,
              created_at: now,
            })
            .execute();
      }
    });
    this.onEnqueued?.();
  }

  async deliveries(
    subscriptionId: string,
    q: { cursor?: string | undefined; limit: number; state?: Delivery['state'] | undefined },
  ): Promise<{ items: Delivery[]; next: string | null }> {
    let query = this.db
      .selectFrom('webhook_deliveries')
      .innerJoin('webhook_events', 'webhook_events.id', 'webhook_deliveries.event_id')
      .selectAll('webhook_deliveries')
      .select('webhook_events.type')
      .where('subscription_id', '=', subscriptionId)
      .orderBy('webhook_deliveries.id')
      .limit(q.limit + 1);
    if (q.cursor) query = query.where('webhook_deliveries.id', '>', q.cursor);
    if (q.state) query = query.where('webhook_deliveries.state', '=', q.state);
    const rows = (await query.execute()).map(deliveryOf);
    const page = rows.slice(0, q.limit);
    return { items: page, next: rows.length > q.limit ? page[page.length - 1]!.id : null };
  }

  /** Sends a delivery again now (delivered or given up); its attempts start over. */
  async redeliver(subscriptionId: string, deliveryId: string): Promise<boolean> {
    const r = await this.db
      .updateTable('webhook_deliveries')
      .set({ state: 'pending', attempts: 0, next_attempt_at: this.clock.now() })
      .where('id', '=', deliveryId)
      .where('subscription_id', '=', subscriptionId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    this.onEnqueued?.();
    return true;
  }
}
