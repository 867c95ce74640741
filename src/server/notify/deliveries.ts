// What was sent for which alarm (table alarm_notifications, migration …_ops_alarm_notifications):
// each notice is claimed by one conditional statement before it is sent — an insert that only one
// server can win, or an update of a failed or stale claim whose retry is due — so several servers
// on one database send each notice once, and a restart picks up what is due.

import type { Kysely } from 'kysely';
import type { SecurityDatabase } from '../auth/context.ts';
import type { NoticeLevel } from './notifier.ts';

export interface AlarmNotificationsTable {
  alarm_id: string;
  level: string;
  channel: string;
  state: string;
  attempts: number;
  claimed_at: number;
  next_attempt_at: number;
  sent_at: number | null;
  error: string | null;
}

export type NotifyDb = Kysely<SecurityDatabase & { alarm_notifications: AlarmNotificationsTable }>;

export function notifyDb(db: Kysely<SecurityDatabase>): NotifyDb {
  return db.withTables<{ alarm_notifications: AlarmNotificationsTable }>();
}

/** A claim left 'sending' this long belongs to a server that died mid-send: take it over. */
export const STALE_CLAIM_MS = 5 * 60_000;
/** After this many failed attempts a notice is given up (and logged). */
export const MAX_ATTEMPTS = 8;

export interface Key {
  alarmId: string;
  level: NoticeLevel;
  channel: string;
}

const update = (db: NotifyDb, k: Key) =>
  db
    .updateTable('alarm_notifications')
    .where('alarm_id', '=', k.alarmId)
    .where('level', '=', k.level)
    .where('channel', '=', k.channel);

/** True when this caller now owns the notice and must send it; false when sent, or someone else's. */
export async function claim(db: NotifyDb, key: Key, now: number): Promise<boolean> {
  const inserted = await db
    .insertInto('alarm_notifications')
    .values({
      alarm_id: key.alarmId,
      level: key.level,
      channel: key.channel,
      state: 'sending',
      attempts: 1,
      claimed_at: now,
      next_attempt_at: now,
      sent_at: null,
      error: null,
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return true;
  const retried = await update(db, key)
    .set((eb) => ({ state: 'sending', claimed_at: now, attempts: eb('attempts', '+', 1) }))
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'failed'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('state', '=', 'sending'), eb('claimed_at', '<', now - STALE_CLAIM_MS)]),
      ]),
    )
    .executeTakeFirst();
  return Number(retried.numUpdatedRows) === 1;
}

export async function markSent(db: NotifyDb, key: Key, now: number): Promise<void> {
  await update(db, key).set({ state: 'sent', sent_at: now, error: null }).execute();
}

/** Records a failure; returns whether it was the last attempt (given up). */
export async function markFailed(db: NotifyDb, key: Key, now: number, error: string): Promise<boolean> {
  const row = await db
    .selectFrom('alarm_notifications')
    .select('attempts')
    .where('alarm_id', '=', key.alarmId)
    .where('level', '=', key.level)
    .where('channel', '=', key.channel)
    .executeTakeFirst();
  const attempts = Number(row?.attempts ?? 1);
  const gaveUp = attempts >= MAX_ATTEMPTS;
  // 1, 2, 4 … 30 minutes between attempts
  const backoff = Math.min(30 * 60_000, 60_000 * 2 ** (attempts - 1));
  await update(db, key)
    .set({ state: gaveUp ? 'gave_up' : 'failed', next_attempt_at: now + backoff, error: error.slice(0, 64) })
    .execute();
  return gaveUp;
}
