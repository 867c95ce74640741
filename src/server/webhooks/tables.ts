// Table types for webhooks (same conventions as storage/schema.ts). The subscription's secret is
// stored sealed under the installation key (it must be read back to sign); it is answered once.

export interface WebhookSubscriptionsTable {
  id: string;
  name: string;
  url: string;
  /** JSON string[]: event types, `prefix.*` or `*` */
  events: string;
  /** SecretBox-sealed signing secret */
  secret_sealed: string;
  active: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}

/** The outbox: one row per event, written before anything is sent. */
export interface WebhookEventsTable {
  id: string;
  type: string;
  at: number;
  /** JSON of the event's `data` (no secrets) */
  data: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  subscription_id: string;
  event_id: string;
  /** 'pending' | 'delivered' | 'failed' (gave up; may be redelivered) */
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  /** HTTP status of the last attempt; null: no answer */
  last_status: number | null;
  /** why the last attempt failed (never the body or the secret) */
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
}

export type WebhookTables = {
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
};
