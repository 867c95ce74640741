// Operator actions in storage: each request and, per controller concerned, what became of it. An
// answer that comes after the server stopped waiting still lands (`not_reachable` → `applied`), so the
// status resource ends up telling what the controller really did.

import type { Kysely } from 'kysely';
import { decodeCursor, encodeCursor, type Page } from '../storage/cursor.ts';
import { StorageError } from '../storage/errors.ts';
import type { Database } from '../storage/schema.ts';

export const ACTION_OUTCOMES = ['pending', 'applied', 'refused', 'not_reachable'] as const;
export type ActionOutcome = (typeof ACTION_OUTCOMES)[number];

export interface ControllerOutcome {
  controllerId: string;
  outcome: ActionOutcome;
  detail: string | null;
  at: number;
}

export interface ActionRecord {
  id: string;
  action: string;
  target: string;
  request: Record<string, unknown>;
  actor: string;
  site: string | null;
  requestedAt: number;
  controllers: ControllerOutcome[];
}

export class ActionStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Writes the action and its controllers' outcomes (`pending`) with `tx`, inside its transaction. */
  async create(record: ActionRecord, tx: Kysely<Database>): Promise<void> {
    if (!tx.isTransaction) throw new Error('an action is created inside a transaction');
    await tx
      .insertInto('operator_actions')
      .values({
        id: record.id,
        action: record.action,
        target: record.target,
        body: JSON.stringify(record.request),
        actor: record.actor,
        site: record.site,
        requested_at: record.requestedAt,
      })
      .execute();
    if (record.controllers.length > 0)
      await tx
        .insertInto('operator_action_outcomes')
        .values(
          record.controllers.map((c) => ({
            action_id: record.id,
            controller_id: c.controllerId,
            outcome: c.outcome,
            detail: c.detail,
            updated_at: c.at,
          })),
        )
        .execute();
  }

  /**
   * Records what one controller did. A final answer (applied, refused) replaces anything; giving up
   * waiting (not_reachable) replaces only `pending`.
   */
  async setOutcome(
    actionId: string,
    controllerId: string,
    outcome: ActionOutcome,
    detail: string | null,
    at: number,
  ): Promise<void> {
    let update = this.db
      .updateTable('operator_action_outcomes')
      .set({ outcome, detail, updated_at: at })
      .where('action_id', '=', actionId)
      .where('controller_id', '=', controllerId);
    if (outcome === 'not_reachable' || outcome === 'pending')
      update = update.where('outcome', '=', 'pending');
    await update.execute();
  }

  async get(id: string): Promise<ActionRecord | undefined> {
    const row = await this.db
      .selectFrom('operator_actions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return (await this.withOutcomes([row]))[0];
  }

  /** Newest first. */
  async list(options: {
    limit: number;
    cursor?: string | undefined;
    site?: readonly string[];
  }): Promise<Page<ActionRecord>> {
    let query = this.db
      .selectFrom('operator_actions')
      .selectAll()
      .orderBy('requested_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1);
    if (options.cursor !== undefined) {
      const key = decodeCursor(options.cursor);
      if (!key || typeof key[0] !== 'number' || typeof key[1] !== 'string')
        throw new StorageError('invalid_cursor', 'event', 'the cursor was not issued by this list', 'cursor');
      const [at, id] = key as [number, string];
      query = query.where((eb) =>
        eb.or([eb('requested_at', '<', at), eb.and([eb('requested_at', '=', at), eb('id', '<', id)])]),
      );
    }
    if (options.site && options.site.length > 0) query = query.where('site', 'in', [...options.site]);
    const rows = await query.execute();
    const more = rows.length > options.limit;
    const items = await this.withOutcomes(rows.slice(0, options.limit));
    const last = items.at(-1);
    return { items, next: more && last ? encodeCursor([last.requestedAt, last.id]) : undefined };
  }

  private async withOutcomes(rows: Database['operator_actions'][]): Promise<ActionRecord[]> {
    if (rows.length === 0) return [];
    const outcomes = await this.db
      .selectFrom('operator_action_outcomes')
      .selectAll()
      .where(
        'action_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('controller_id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      action: r.action,
      target: r.target,
      request: JSON.parse(r.body) as Record<string, unknown>,
      actor: r.actor,
      site: r.site,
      requestedAt: Number(r.requested_at),
      controllers: outcomes
        .filter((o) => o.action_id === r.id)
        .map((o) => ({
          controllerId: o.controller_id,
          outcome: o.outcome as ActionOutcome,
          detail: o.detail,
          at: Number(o.updated_at),
        })),
    }));
  }
}
