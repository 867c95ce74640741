// Alarms and their lifecycle: active → acknowledged → resolved (or active → resolved), each step
// recording who and when, with comments along the way. Transitions are conditional updates, so two
// operators acting at once cannot both acknowledge or resolve the same alarm. A repeat of an open
// (active or acknowledged) alarm with the same type and key counts up on it instead of flooding the
// queue (flood.ts), and its message becomes the latest one; types that stand alone (duress) never fold.

import type { SecurityDb } from '../auth/context.ts';
import { newId } from '../auth/secrets.ts';
import { ApiError } from '../http/errors.ts';
import type { AlarmCommentsTable, AlarmsTable } from './tables.ts';
import { type AlarmState, type AlarmType, DEFAULT_SEVERITY, type Severity, STANDS_ALONE } from './types.ts';

export interface Alarm {
  id: string;
  type: AlarmType;
  state: AlarmState;
  severity: Severity;
  source: string;
  site: string | null;
  message: string;
  detail: Record<string, unknown>;
  occurrences: number;
  raisedAt: number;
  lastRaisedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
}

export interface AlarmComment {
  id: string;
  at: number;
  author: string;
  text: string;
}

export interface RaiseAlarm {
  type: AlarmType;
  source: string;
  message: string;
  site?: string | null;
  severity?: Severity;
  detail?: Record<string, unknown>;
  /** while an alarm of this type and key is open, repeats count up on it (ignored for duress) */
  dedupeKey?: string;
}

const n = (value: number | null): number | null => (value == null ? null : Number(value));

function toAlarm(row: AlarmsTable): Alarm {
  return {
    id: row.id,
    type: row.type as AlarmType,
    state: row.state as AlarmState,
    severity: row.severity as Severity,
    source: row.source,
    site: row.site,
    message: row.message,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    occurrences: Number(row.occurrences),
    raisedAt: Number(row.raised_at),
    lastRaisedAt: Number(row.last_raised_at),
    acknowledgedAt: n(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: n(row.resolved_at),
    resolvedBy: row.resolved_by,
  };
}

/** Raises an alarm, or counts a repeat on the open one with the same type and key. */
export async function raiseAlarm(db: SecurityDb, input: RaiseAlarm, now: number): Promise<Alarm> {
  const dedupeKey = STANDS_ALONE.has(input.type) ? undefined : input.dedupeKey;
  const message = input.message.slice(0, 500);
  const id = await db.transaction().execute(async (tx) => {
    if (dedupeKey !== undefined) {
      const open = await tx
        .selectFrom('alarms')
        .select('id')
        .where('type', '=', input.type)
        .where('dedupe_key', '=', dedupeKey)
        .where('state', '!=', 'resolved')
        .orderBy('raised_at', 'desc')
        .executeTakeFirst();
      if (open) {
        await tx
          .updateTable('alarms')
          .set((eb) => ({ occurrences: eb('occurrences', '+', 1), last_raised_at: now, message }))
          .where('id', '=', open.id)
          .execute();
        return open.id;
      }
    }
    const alarmId = newId();
    await tx
      .insertInto('alarms')
      .values({
        id: alarmId,
        type: input.type,
        state: 'active',
        severity: input.severity ?? DEFAULT_SEVERITY[input.type],
        source: input.source,
        site: input.site ?? null,
        message,
        detail: JSON.stringify(input.detail ?? {}),
        dedupe_key: dedupeKey ?? null,
        occurrences: 1,
        raised_at: now,
        last_raised_at: now,
        acknowledged_at: null,
        acknowledged_by: null,
        resolved_at: null,
        resolved_by: null,
      })
      .execute();
    return alarmId;
  });
  return (await getAlarm(db, id))!;
}

export async function getAlarm(db: SecurityDb, id: string): Promise<Alarm | undefined> {
  const row = await db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toAlarm(row);
}

export async function alarmComments(db: SecurityDb, alarmId: string): Promise<AlarmComment[]> {
  const rows = await db
    .selectFrom('alarm_comments')
    .selectAll()
    .where('alarm_id', '=', alarmId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map((row: AlarmCommentsTable) => ({
    id: row.id,
    at: Number(row.at),
    author: row.author,
    text: row.text,
  }));
}

export interface AlarmFilter {
  state?: AlarmState;
  type?: AlarmType;
  since?: number;
  until?: number;
  /** page backwards by raise time */
  before?: number;
  limit?: number;
  /** for scoped principals: only alarms of these sites */
  sites?: readonly string[];
}

export async function listAlarms(
  db: SecurityDb,
  filter: AlarmFilter,
): Promise<{ alarms: Alarm[]; nextBefore: number | null }> {
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  let query = db
    .selectFrom('alarms')
    .selectAll()
    .orderBy('raised_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.type) query = query.where('type', '=', filter.type);
  if (filter.since !== undefined) query = query.where('raised_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('raised_at', '<', filter.until);
  if (filter.before !== undefined) query = query.where('raised_at', '<', filter.before);
  if (filter.sites) {
    if (filter.sites.length === 0) return { alarms: [], nextBefore: null };
    query = query.where('site', 'in', [...filter.sites]);
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  return {
    alarms: page.map(toAlarm),
    nextBefore: rows.length > limit ? Number(page[page.length - 1]!.raised_at) : null,
  };
}

async function transition(
  db: SecurityDb,
  id: string,
  from: AlarmState[],
  set: Partial<AlarmsTable>,
): Promise<Alarm> {
  const result = await db
    .updateTable('alarms')
    .set(set)
    .where('id', '=', id)
    .where('state', 'in', from)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) {
    const alarm = await getAlarm(db, id);
    if (!alarm) throw new ApiError('ALARM_NOT_FOUND', 'no such alarm');
    throw new ApiError('ALARM_STATE_CONFLICT', `alarm is ${alarm.state}`, { state: alarm.state });
  }
  return (await getAlarm(db, id))!;
}

export function acknowledgeAlarm(db: SecurityDb, id: string, by: string, now: number): Promise<Alarm> {
  return transition(db, id, ['active'], { state: 'acknowledged', acknowledged_at: now, acknowledged_by: by });
}

export function resolveAlarm(db: SecurityDb, id: string, by: string, now: number): Promise<Alarm> {
  return transition(db, id, ['active', 'acknowledged'], {
    state: 'resolved',
    resolved_at: now,
    resolved_by: by,
  });
}

export async function commentOnAlarm(
  db: SecurityDb,
  alarmId: string,
  author: string,
  text: string,
  now: number,
): Promise<AlarmComment> {
  if (!(await getAlarm(db, alarmId))) throw new ApiError('ALARM_NOT_FOUND', 'no such alarm');
  const comment = { id: newId(), alarm_id: alarmId, at: now, author, text };
  await db.insertInto('alarm_comments').values(comment).execute();
  return { id: comment.id, at: now, author, text };
}
