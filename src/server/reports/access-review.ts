// Access review (アクセス権の棚卸): who can enter an area or a door, through which access level —
// held directly or through a group — on which schedule, and since when; review checkpoints record
// what a reviewer saw, and "changes" lists what was added or removed since the last one.
//
// Who can enter an area: whoever holds a level with one of its ways in (a door into the area, or
// into anything inside it, from outside it). "Since" is when the person was given the level or
// joined the group, read from the audit trail (the change that added it; for someone stored before the audit trail, or created with it, when the person was created).

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { idSchema } from '../api/schemas.ts';
import { formatCsvTime } from '../csv/times.ts';
import { ApiError } from '../http/errors.ts';
import { decodeCursor, encodeCursor } from '../storage/cursor.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { scopeCondition } from '../storage/scope.ts';
import { ACCESS_CHANGE_COLUMNS, ACCESS_REVIEW_COLUMNS, header, headerQuery } from './columns.ts';
import { AreaTree, auditReport, csvQuery, loadDoors, peopleById, siteZone } from './common.ts';
import { type Cell, sendCsv } from './csv.ts';
import type { ReportDb } from './tables.ts';

const subjectQuery = {
  area: idSchema.optional().meta({ description: 'who can enter this area (give area or door)' }),
  door: idSchema.optional().meta({ description: 'who can pass this door' }),
};

export interface Grant {
  personId: string;
  doorId: string;
  /** `level:<id>` or `group:<id>/level:<id>` */
  via: string;
  level: string;
  group: string | null;
  schedule: string | null;
}

export interface ReviewEntry extends Grant {
  name: string;
  department: string | null;
  active: boolean;
  /** when the person got the level or joined the group (null: before the audit trail) */
  since: number | null;
}

interface Subject {
  key: string;
  doors: string[];
}

async function subjectOf(
  db: ReportDb,
  query: { area?: string | undefined; door?: string | undefined },
): Promise<Subject> {
  if ((query.area === undefined) === (query.door === undefined))
    throw new ApiError('INVALID_INPUT', 'name an area or a door (one of them)', { field: 'query.area' });
  const doors = await loadDoors(db);
  if (query.door !== undefined) {
    if (!doors.some((d) => d.id === query.door))
      throw new ApiError('DOOR_NOT_FOUND', `no door '${query.door}'`);
    return { key: `door:${query.door}`, doors: [query.door] };
  }
  const zone = (await AreaTree.load(db)).zone(query.area!);
  return {
    key: `area:${query.area}`,
    doors: doors.filter((d) => zone.has(d.toArea) && !zone.has(d.fromArea)).map((d) => d.id),
  };
}

const byKey = (a: Grant, b: Grant) =>
  a.personId < b.personId
    ? -1
    : a.personId > b.personId
      ? 1
      : a.doorId.localeCompare(b.doorId) || a.via.localeCompare(b.via);

/** Every (person, door, via) grant for these doors, people inside the scope only. */
export async function grantsFor(
  db: ReportDb,
  doors: readonly string[],
  scope: ScopeFilter,
): Promise<Grant[]> {
  if (doors.length === 0) return [];
  const direct = await db
    .selectFrom('person_levels as pl')
    .innerJoin('access_level_doors as ald', 'ald.level_id', 'pl.level_id')
    .innerJoin('access_levels as l', 'l.id', 'pl.level_id')
    .innerJoin('people as p', 'p.id', 'pl.person_id')
    .select(['pl.person_id', 'ald.door_id', 'pl.level_id', 'l.schedule_id'])
    .where('ald.door_id', 'in', [...doors])
    .where((eb) => scopeCondition(eb, scope, { department: 'p.department', site: 'p.site' }))
    .execute();
  const grouped = await db
    .selectFrom('person_groups as pg')
    .innerJoin('group_levels as gl', 'gl.group_id', 'pg.group_id')
    .innerJoin('access_level_doors as ald', 'ald.level_id', 'gl.level_id')
    .innerJoin('access_levels as l', 'l.id', 'gl.level_id')
    .innerJoin('people as p', 'p.id', 'pg.person_id')
    .select(['pg.person_id', 'pg.group_id', 'ald.door_id', 'gl.level_id', 'l.schedule_id'])
    .where('ald.door_id', 'in', [...doors])
    .where((eb) => scopeCondition(eb, scope, { department: 'p.department', site: 'p.site' }))
    .execute();
  const grants: Grant[] = [
    ...direct.map((r) => ({
      personId: r.person_id,
      doorId: r.door_id,
      via: `level:${r.level_id}`,
      level: r.level_id,
      group: null,
      schedule: r.schedule_id,
    })),
    ...grouped.map((r) => ({
      personId: r.person_id,
      doorId: r.door_id,
      via: `group:${r.group_id}/level:${r.level_id}`,
      level: r.level_id,
      group: r.group_id,
      schedule: r.schedule_id,
    })),
  ];
  return grants.sort(byKey);
}

/** When each person got each level and joined each group, from the audit trail. */
async function sinceOf(db: ReportDb, people: readonly string[]): Promise<Map<string, number>> {
  const since = new Map<string, number>();
  const targets = people.map((p) => `person:${p}`);
  for (let i = 0; i < targets.length; i += 500) {
    const rows = await db
      .selectFrom('audit_log')
      .select(['at', 'action', 'target', 'detail'])
      .where('target', 'in', targets.slice(i, i + 500))
      .where('action', 'in', ['person.create', 'person.levels_change', 'person.groups_change'])
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const person = r.target.slice('person:'.length);
      if (r.action === 'person.create') {
        since.set(`${person}|created`, Number(r.at));
        continue;
      }
      const kind = r.action === 'person.levels_change' ? 'level' : 'group';
      const detail = JSON.parse(r.detail) as { added?: string[]; removed?: string[] };
      for (const id of detail.removed ?? []) since.delete(`${person}|${kind}:${id}`);
      for (const id of detail.added ?? []) since.set(`${person}|${kind}:${id}`, Number(r.at));
    }
  }
  return since;
}

async function review(db: ReportDb, subject: Subject, scope: ScopeFilter, start: number, limit: number) {
  const grants = await grantsFor(db, subject.doors, scope);
  const page = grants.slice(start, start + limit);
  const people = await peopleById(
    db,
    page.map((g) => g.personId),
    scope,
  );
  const since = await sinceOf(db, [...people.keys()]);
  const entries: ReviewEntry[] = page.map((g) => {
    const p = people.get(g.personId);
    const key = g.group === null ? `level:${g.level}` : `group:${g.group}`;
    return {
      ...g,
      name: p?.name ?? '',
      department: p?.department ?? null,
      active: p?.active ?? false,
      since: since.get(`${g.personId}|${key}`) ?? since.get(`${g.personId}|created`) ?? null,
    };
  });
  return { entries, total: grants.length, next: start + limit < grants.length ? start + limit : undefined };
}

const grantKey = (g: { personId: string; doorId: string; via: string }) =>
  `${g.personId}\u0000${g.doorId}\u0000${g.via}`;

async function lastCheckpoint(db: ReportDb, subject: string, id: number | undefined) {
  let q = db.selectFrom('access_review_checkpoints').selectAll().where('subject', '=', subject);
  q = id === undefined ? q.orderBy('at', 'desc').orderBy('id', 'desc') : q.where('id', '=', id);
  return q.limit(1).executeTakeFirst();
}

export async function changesSince(
  db: ReportDb,
  subject: Subject,
  scope: ScopeFilter,
  checkpointId?: number,
) {
  const checkpoint = await lastCheckpoint(db, subject.key, checkpointId);
  if (!checkpoint)
    throw new ApiError('NOT_FOUND', `no review checkpoint for ${subject.key} yet`, {
      field: 'query.checkpoint',
    });
  const then = await db
    .selectFrom('access_review_entries')
    .select(['person_id', 'door_id', 'via'])
    .where('checkpoint_id', '=', Number(checkpoint.id))
    .execute();
  const before = new Map(
    then.map((r) => [grantKey({ personId: r.person_id, doorId: r.door_id, via: r.via }), r]),
  );
  const now = await grantsFor(db, subject.doors, 'all');
  const after = new Map(now.map((g) => [grantKey(g), g]));
  const added = now.filter((g) => !before.has(grantKey(g)));
  const removed = then
    .filter((r) => !after.has(grantKey({ personId: r.person_id, doorId: r.door_id, via: r.via })))
    .map((r) => ({ personId: r.person_id, doorId: r.door_id, via: r.via }));
  const people = await peopleById(
    db,
    [...added, ...removed].map((g) => g.personId),
    scope,
  );
  const named = (g: { personId: string; doorId: string; via: string }, change: 'added' | 'removed') => ({
    change,
    personId: g.personId,
    name: people.get(g.personId)?.name ?? null,
    doorId: g.doorId,
    via: g.via,
  });
  const visible = (g: { personId: string }) => scope === 'all' || people.has(g.personId);
  return {
    checkpoint: {
      id: Number(checkpoint.id),
      at: Number(checkpoint.at),
      actor: checkpoint.actor,
      note: checkpoint.note,
    },
    changes: [
      ...added.filter(visible).map((g) => named(g, 'added')),
      ...removed.filter(visible).map((g) => named(g, 'removed')),
    ],
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const entrySchema = z
  .object({
    personId: z.string(),
    name: z.string(),
    department: z.string().nullable(),
    active: z.boolean().meta({ description: 'false: marked as left (their credentials no longer open)' }),
    doorId: z.string(),
    via: z.string().meta({ description: 'level:<id> (held directly) or group:<id>/level:<id>' }),
    level: z.string(),
    group: z.string().nullable(),
    schedule: z.string().nullable(),
    since: z.iso.datetime().nullable().meta({ description: 'when the level was given or the group joined' }),
  })
  .meta({ id: 'AccessReviewEntry' });

const checkpointSchema = z
  .object({
    id: z.number().int(),
    subject: z.string(),
    at: z.iso.datetime(),
    actor: z.string(),
    note: z.string().nullable(),
    entries: z.number().int(),
  })
  .meta({ id: 'AccessReviewCheckpoint' });

const changeSchema = z
  .object({
    change: z.enum(['added', 'removed']),
    personId: z.string(),
    name: z.string().nullable(),
    doorId: z.string(),
    via: z.string(),
  })
  .meta({ id: 'AccessReviewChange' });

function offsetCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const key = decodeCursor(cursor);
  if (key?.length !== 1 || typeof key[0] !== 'number')
    throw new ApiError('INVALID_CURSOR', 'not a cursor issued by this report', { field: 'query.cursor' });
  return key[0];
}

export function accessReviewReports(db: ReportDb) {
  return {
    json: endpoint({
      operationId: 'reportAccessReview',
      summary: 'Access review: who can enter an area or door, through which level or group, since when',
      query: z.strictObject({
        ...subjectQuery,
        cursor: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
      response: z
        .object({
          subject: z.string(),
          doors: z.array(z.string()),
          total: z.number().int(),
          items: z.array(entrySchema),
          next: z.string().nullable(),
        })
        .meta({ id: 'AccessReviewReport' }),
      async handle({ query, scope, request }) {
        const subject = await subjectOf(db, query);
        const start = offsetCursor(query.cursor);
        const page = await review(db, subject, scope, start, query.limit);
        if (query.cursor === undefined) await auditReport(request, 'access_review', subject.key, {});
        return {
          subject: subject.key,
          doors: subject.doors,
          total: page.total,
          items: page.entries.map((e) => ({ ...e, since: iso(e.since) })),
          next: page.next === undefined ? null : encodeCursor([page.next]),
        };
      },
    }),
    csv: endpoint({
      operationId: 'reportAccessReviewCsv',
      summary: 'Access review as CSV (UTF-8 with BOM or Shift_JIS)',
      query: z.strictObject({ ...subjectQuery, site: idSchema.optional(), ...csvQuery, ...headerQuery }),
      async handle({ query, scope, request, reply }) {
        const subject = await subjectOf(db, query);
        const zone = await siteZone(db, query.site);
        await auditReport(request, 'access_review', subject.key, { format: `csv/${query.encoding}` });
        return sendCsv(
          reply,
          'access-review.csv',
          query.encoding,
          header(ACCESS_REVIEW_COLUMNS, query.header),
          (async function* () {
            for (let start: number | undefined = 0; start !== undefined; ) {
              const page = await review(db, subject, scope, start, 1000);
              yield page.entries.map((e): Cell[] => [
                e.personId,
                e.name,
                e.department,
                e.active,
                e.doorId,
                e.via,
                e.level,
                e.group,
                e.schedule,
                e.since === null ? '' : formatCsvTime(e.since, zone),
              ]);
              start = page.next;
            }
          })(),
        );
      },
    }),
    createCheckpoint: endpoint({
      operationId: 'createAccessReviewCheckpoint',
      summary: 'Record a review checkpoint: who could enter, as seen now (the next "changes" start here)',
      body: z.strictObject({ ...subjectQuery, note: z.string().trim().min(1).max(500).optional() }),
      status: 201,
      response: checkpointSchema,
      async handle({ body, request, now, principal }) {
        const subject = await subjectOf(db, body);
        const grants = await grantsFor(db, subject.doors, 'all');
        const actor = principal.kind === 'token' ? `token:${principal.id}` : principal.id;
        const id = await db.transaction().execute(async (tx) => {
          const row = await tx
            .insertInto('access_review_checkpoints')
            .values({ subject: subject.key, at: now, actor, note: body.note ?? null, entries: grants.length })
            .returning('id')
            .executeTakeFirstOrThrow();
          const checkpointId = Number(row.id);
          const unique = [...new Map(grants.map((g) => [grantKey(g), g])).values()];
          for (let i = 0; i < unique.length; i += 500)
            await tx
              .insertInto('access_review_entries')
              .values(
                unique.slice(i, i + 500).map((g) => ({
                  checkpoint_id: checkpointId,
                  person_id: g.personId,
                  door_id: g.doorId,
                  via: g.via,
                })),
              )
              .execute();
          return checkpointId;
        });
        await auditReport(request, 'access_review_checkpoint', subject.key, {
          checkpoint: id,
          entries: grants.length,
        });
        return {
          id,
          subject: subject.key,
          at: iso(now)!,
          actor,
          note: body.note ?? null,
          entries: grants.length,
        };
      },
    }),
    checkpoints: endpoint({
      operationId: 'listAccessReviewCheckpoints',
      summary: 'Review checkpoints of an area or door, newest first',
      query: z.strictObject(subjectQuery),
      response: z.object({ items: z.array(checkpointSchema) }).meta({ id: 'AccessReviewCheckpoints' }),
      async handle({ query }) {
        const subject = await subjectOf(db, query);
        const rows = await db
          .selectFrom('access_review_checkpoints')
          .selectAll()
          .where('subject', '=', subject.key)
          .orderBy('at', 'desc')
          .orderBy('id', 'desc')
          .limit(1000)
          .execute();
        return {
          items: rows.map((r) => ({
            id: Number(r.id),
            subject: r.subject,
            at: iso(Number(r.at))!,
            actor: r.actor,
            note: r.note,
            entries: Number(r.entries),
          })),
        };
      },
    }),
    changes: endpoint({
      operationId: 'reportAccessReviewChanges',
      summary: 'Access changes since the last review checkpoint (or a given one)',
      query: z.strictObject({
        ...subjectQuery,
        checkpoint: z.coerce.number().int().min(1).optional().meta({ description: 'default: the latest' }),
      }),
      response: z
        .object({
          subject: z.string(),
          checkpoint: z.object({
            id: z.number().int(),
            at: z.iso.datetime(),
            actor: z.string(),
            note: z.string().nullable(),
          }),
          changes: z.array(changeSchema),
        })
        .meta({ id: 'AccessReviewChanges' }),
      async handle({ query, scope, request }) {
        const subject = await subjectOf(db, query);
        const result = await changesSince(db, subject, scope, query.checkpoint);
        await auditReport(request, 'access_review_changes', subject.key, {
          checkpoint: result.checkpoint.id,
        });
        return {
          subject: subject.key,
          ...result,
          checkpoint: { ...result.checkpoint, at: iso(result.checkpoint.at)! },
        };
      },
    }),
    changesCsv: endpoint({
      operationId: 'reportAccessReviewChangesCsv',
      summary: 'Access changes since the last review checkpoint, as CSV',
      query: z.strictObject({
        ...subjectQuery,
        checkpoint: z.coerce.number().int().min(1).optional(),
        ...csvQuery,
        ...headerQuery,
      }),
      async handle({ query, scope, request, reply }) {
        const subject = await subjectOf(db, query);
        const result = await changesSince(db, subject, scope, query.checkpoint);
        await auditReport(request, 'access_review_changes', subject.key, {
          checkpoint: result.checkpoint.id,
          format: `csv/${query.encoding}`,
        });
        return sendCsv(
          reply,
          'access-changes.csv',
          query.encoding,
          header(ACCESS_CHANGE_COLUMNS, query.header),
          (async function* () {
            yield result.changes.map((c): Cell[] => [c.change, c.personId, c.name, c.doorId, c.via]);
          })(),
        );
      },
    }),
  };
}
