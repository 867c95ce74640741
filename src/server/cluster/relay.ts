// What one server instance tells the others, through PostgreSQL (issue 11 §5): a row in
// cluster_messages per message, and a NOTIFY to wake the others at once (they also look every
// second, so a notification lost with a connection costs a second, not a message). Rows are read in
// id order. An id is drawn when its insert starts but may become visible after a higher one, so each
// read goes back a few seconds behind what was already read and skips what it has handled.
//
// Kinds:
//   domain   — a batch of domain events committed on the sender: every instance acts on it for the
//              controllers it owns (revocations, snapshots, topics);
//   presence — moves recorded by the sender's ingest, for the other controllers that know the person;
//   send     — a message for one controller, from an instance that does not own it: its owner sends it;
//   live     — live events and door reports heard by the sender, for the others' push streams
//              (live-relay.ts, handled by the cluster itself).
//   alarm    — an alarm raised, repeated, acknowledged, resolved or commented on at the sender: every
//              instance puts it on its own push stream (live/alarms.ts).

import { createHmac, hkdfSync } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { sameMac } from '../storage/chain.ts';
import type { Database } from '../storage/schema.ts';

export type RelayKind = 'domain' | 'presence' | 'send' | 'live' | 'alarm';

export interface RelayMessage {
  id: number;
  origin: string;
  kind: RelayKind;
  controllerId: string | null;
  body: unknown;
}

export interface RelayOptions {
  db: Kysely<Database>;
  /** the installation key: messages carry a MAC under a key derived from it */
  installationKey: Uint8Array;
  instanceId: string;
  /** the PostgreSQL URL, for the listening connection */
  url: string;
  now: () => number;
  handle: (message: RelayMessage) => Promise<void>;
  onError: (error: unknown) => void;
  /** how often to look without a notification (default 1 s) */
  pollMs?: number;
  /** messages older than this are deleted (default 10 minutes) */
  keepMs?: number;
}

const CHANNEL = 'monban_cluster';

/** The relay key: only instances holding the installation key can write a message others act on. */
export function relayKey(installationKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', installationKey, 'monban', 'cluster relay mac v1', 32));
}

function relayMac(
  key: Buffer,
  m: { origin: string; kind: string; controller_id: string | null; body: string; created_at: number },
): string {
  return createHmac('sha256', key)
    .update(JSON.stringify(['cluster-message/v1', m.origin, m.kind, m.controller_id, m.created_at, m.body]))
    .digest('hex');
}
/** How far behind the last id read each read starts again (ids become visible out of order). */
const LOOK_BACK_MS = 5_000;

export class ClusterRelay {
  private listener: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> = Promise.resolve();
  private pending = false;
  private stopped = false;
  /** ids read, with when; the read starts at the highest id read more than LOOK_BACK_MS ago */
  private readonly handled = new Map<number, number>();
  private floor = 0;
  private lastCleanup = 0;

  private readonly key: Buffer;

  constructor(private readonly options: RelayOptions) {
    this.key = relayKey(options.installationKey);
  }

  async start(): Promise<void> {
    const last = await this.options.db
      .selectFrom('cluster_messages')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    this.floor = Number(last?.id ?? 0);
    await this.listen();
    this.timer = setInterval(() => this.wake(), this.options.pollMs ?? 1_000);
    this.timer.unref();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.options.url });
    client.on('notification', () => this.wake());
    // A lost listening connection is made again; meanwhile the poll keeps messages flowing.
    client.on('error', () => {
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => {});
      setTimeout(() => void this.listen().catch(() => {}), 1_000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.draining;
    await this.listener?.end().catch(() => {});
    this.listener = undefined;
  }

  /** Stores a message for the other instances and wakes them. */
  async publish(kind: RelayKind, controllerId: string | null, body: unknown): Promise<void> {
    const { db, instanceId, now } = this.options;
    const row = {
      origin: instanceId,
      kind,
      controller_id: controllerId,
      body: JSON.stringify(body),
      created_at: now(),
    };
    await db
      .insertInto('cluster_messages')
      .values({ ...row, mac: relayMac(this.key, row) })
      .execute();
    await sql`SELECT pg_notify(${CHANNEL}, '')`.execute(db);
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.pending) return;
    this.pending = true;
    this.draining = this.draining.then(async () => {
      this.pending = false;
      try {
        await this.drain();
      } catch (error) {
        this.options.onError(error);
      }
    });
  }

  private async drain(): Promise<void> {
    const { db, instanceId, now } = this.options;
    const t = now();
    // Forget ids read long ago and raise the floor to the highest of them.
    for (const [id, at] of this.handled)
      if (at < t - LOOK_BACK_MS) {
        this.floor = Math.max(this.floor, id);
        this.handled.delete(id);
      }
    let after = this.floor;
    for (;;) {
      const rows = await db
        .selectFrom('cluster_messages')
        .selectAll()
        .where('id', '>', after)
        .orderBy('id')
        .limit(500)
        .execute();
      if (rows.length > 0) after = Number(rows.at(-1)!.id);
      for (const row of rows.filter((r) => !this.handled.has(Number(r.id)))) {
        const id = Number(row.id);
        this.handled.set(id, t);
        if (row.origin === instanceId) continue;
        // Written by someone without the key (database access alone): never acted on.
        if (
          !row.mac ||
          !sameMac(relayMac(this.key, { ...row, created_at: Number(row.created_at) }), row.mac)
        ) {
          this.options.onError(new Error(`cluster message ${id} ignored: its MAC does not hold`));
          continue;
        }
        try {
          await this.options.handle({
            id,
            origin: row.origin,
            kind: row.kind as RelayKind,
            controllerId: row.controller_id,
            body: JSON.parse(row.body) as unknown,
          });
        } catch (error) {
          this.options.onError(error);
        }
      }
      if (rows.length < 500) break;
    }
    if (t - this.lastCleanup > 60_000) {
      this.lastCleanup = t;
      await db
        .deleteFrom('cluster_messages')
        .where('created_at', '<', t - (this.options.keepMs ?? 600_000))
        .execute();
    }
  }
}
