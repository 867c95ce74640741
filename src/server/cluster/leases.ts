// Coordinator leases (issue 11 §5): each controller's coordinator is owned by exactly one server
// instance at a time, by a row in controller_leases that its owner renews. Times are the database's
// clock, so instances whose clocks differ still agree on when a lease has run out. A lease is taken
// by one conditional upsert (only when free or expired), so of two instances reaching for the same
// controller exactly one gets it.
//
// Each round (every third of the lease time) an instance:
//   1. renews its own row in cluster_instances and the leases it holds — what did not renew was
//      taken by another instance (this one was too slow) and is lost;
//   2. takes free or expired leases up to its fair share (controllers ÷ instances alive, rounded
//      up), so the controllers of an instance that died are taken over within one lease time and a
//      round;
//   3. gives back what it holds above its share (a new instance joined), for the others to take.
// An instance that cannot reach the database stops counting itself the owner of anything once its
// last renewal has run out, so two instances never both act for a controller beyond that.

import { type Kysely, sql } from 'kysely';
import type { Database } from '../storage/schema.ts';

export interface LeaseSettings {
  /** this instance's id (unique per process start) */
  instanceId: string;
  /** how long a lease holds without renewal */
  leaseMs: number;
}

export interface LeaseChanges {
  acquired: string[];
  lost: string[];
}

/** The database clock in ms (one clock for every instance). */
const DB_NOW = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

export class LeaseTable {
  private held = new Set<string>();
  /** local clock (performance.now) of the last successful renewal */
  private renewedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: LeaseSettings,
  ) {}

  /** Whether this instance owns the controller now (and its renewal has not run out). */
  owns(controllerId: string): boolean {
    return this.held.has(controllerId) && performance.now() - this.renewedAt < this.settings.leaseMs;
  }

  get owned(): ReadonlySet<string> {
    return performance.now() - this.renewedAt < this.settings.leaseMs ? this.held : new Set();
  }

  /** One round: renew, take up to the fair share of `controllers`, give back the excess. */
  async round(controllers: readonly string[]): Promise<LeaseChanges> {
    const { instanceId: me, leaseMs } = this.settings;
    const started = performance.now();
    const before = new Set(this.held);
    await this.db
      .insertInto('cluster_instances')
      .values({ id: me, started_at: sql<number>`${DB_NOW}`, seen_at: sql<number>`${DB_NOW}` })
      .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at: sql<number>`${DB_NOW}` }))
      .execute();
    const renewed = await this.db
      .updateTable('controller_leases')
      .set({ expires_at: sql<number>`${DB_NOW} + ${leaseMs}` })
      .where('owner', '=', me)
      .returning('controller_id')
      .execute();
    const held = new Set(renewed.map((r) => r.controller_id));
    const alive = await this.db
      .selectFrom('cluster_instances')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('seen_at', '>', sql<number>`${DB_NOW} - ${leaseMs}`)
      .executeTakeFirstOrThrow();
    const share = Math.ceil(controllers.length / Math.max(1, Number(alive.n)));
    if (held.size < share) {
      const taken = await this.db
        .selectFrom('controller_leases')
        .select('controller_id')
        .where('expires_at', '>=', sql<number>`${DB_NOW}`)
        .execute();
      const busy = new Set(taken.map((r) => r.controller_id));
      const free = controllers.filter((c) => !busy.has(c) && !held.has(c)).slice(0, share - held.size);
      if (free.length > 0) {
        const won = await sql<{ controller_id: string }>`
          INSERT INTO controller_leases (controller_id, owner, expires_at, epoch)
          SELECT id, ${me}, ${DB_NOW} + ${leaseMs}, 1 FROM unnest(${free}::varchar[]) AS id
          ON CONFLICT (controller_id) DO UPDATE
            SET owner = excluded.owner, expires_at = excluded.expires_at, epoch = controller_leases.epoch + 1
            WHERE controller_leases.expires_at < ${DB_NOW}
          RETURNING controller_id`.execute(this.db);
        for (const r of won.rows) held.add(r.controller_id);
      }
    } else if (held.size > share) {
      // Give back the excess (the last ones in a stable order), for instances below their share.
      const excess = [...held].sort().slice(share);
      await this.db
        .deleteFrom('controller_leases')
        .where('owner', '=', me)
        .where('controller_id', 'in', excess)
        .execute();
      for (const c of excess) held.delete(c);
    }
    // Leases of controllers no longer enrolled are not ours to keep.
    const enrolled = new Set(controllers);
    for (const c of held) if (!enrolled.has(c)) held.delete(c);
    const wasOwned = performance.now() - this.renewedAt < leaseMs ? before : new Set<string>();
    this.held = held;
    this.renewedAt = started;
    return {
      acquired: [...held].filter((c) => !wasOwned.has(c)),
      lost: [...wasOwned].filter((c) => !held.has(c)),
    };
  }

  /** Gives back every lease (a clean shutdown: the others take over at once, not after expiry). */
  async releaseAll(): Promise<void> {
    this.held = new Set();
    await this.db.deleteFrom('controller_leases').where('owner', '=', this.settings.instanceId).execute();
    await this.db.deleteFrom('cluster_instances').where('id', '=', this.settings.instanceId).execute();
  }

  /** Who owns what now (for status and tests). */
  async owners(): Promise<Map<string, { owner: string; epoch: number }>> {
    const rows = await this.db
      .selectFrom('controller_leases')
      .select(['controller_id', 'owner', 'epoch'])
      .where('expires_at', '>=', sql<number>`${DB_NOW}`)
      .execute();
    return new Map(rows.map((r) => [r.controller_id, { owner: r.owner, epoch: Number(r.epoch) }]));
  }
}
