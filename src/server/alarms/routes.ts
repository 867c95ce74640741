// /api/alarms: the alarm queue (R-MGT-3). List and filter, read one with its comments, acknowledge,
// resolve and comment; every step names who did it and is audited.

import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorOf, audit, idParam, parse, requirePrincipal } from '../auth/http.ts';
import type { SecurityServices } from '../auth/plugin.ts';
import { ApiError } from '../http/errors.ts';
import { inScope, type Principal } from '../http/principal.ts';
import { decodeCursor, encodeCursor } from '../storage/cursor.ts';
import {
  type Alarm,
  type AlarmComment,
  acknowledgeAlarm,
  alarmComments,
  commentOnAlarm,
  getAlarm,
  listAlarms,
  resolveAlarm,
} from './store.ts';
import { ALARM_STATES, ALARM_TYPES } from './types.ts';

// Times in and out are ISO 8601; lists answer the API's one page shape, { items, next }.
const time = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const listQuery = z
  .object({
    state: z.enum(ALARM_STATES).optional(),
    type: z.enum(ALARM_TYPES).optional(),
    since: time.optional(),
    until: time.optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
export const alarmOut = (a: Alarm) => ({
  ...a,
  raisedAt: iso(a.raisedAt),
  lastRaisedAt: iso(a.lastRaisedAt),
  acknowledgedAt: iso(a.acknowledgedAt),
  resolvedAt: iso(a.resolvedAt),
});
const commentOut = (c: AlarmComment) => ({ ...c, at: iso(c.at) });

/** The raised-at time a page continues before (from `next` of the previous page). */
function cursorBefore(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor);
  if (key?.length !== 1 || typeof key[0] !== 'number')
    throw new ApiError('INVALID_INPUT', 'query.cursor: not a cursor issued by this list');
  return key[0];
}
const commentText = z.string().trim().min(1).max(2000);
const actionBody = z.object({ comment: commentText.optional() }).strict();
const commentBody = z.object({ text: commentText }).strict();

/** Sites a scoped principal may see alarms of; undefined for unscoped principals. */
function visibleSites(principal: Principal): readonly string[] | undefined {
  if (principal.scope === 'all') return undefined;
  // Alarms carry a site, never a department: a department-scoped principal sees none.
  return principal.scope.departments.length > 0 ? [] : principal.scope.sites;
}

export const alarmRoutes: FastifyPluginAsync<{ services: SecurityServices }> = async (app, { services }) => {
  const { ctx } = services;
  const { db } = ctx;

  async function visibleAlarm(request: FastifyRequest, principal: Principal): Promise<Alarm> {
    const alarm = await getAlarm(db, parse(idParam, request.params).id);
    if (!alarm || !inScope(principal, { site: alarm.site }))
      throw new ApiError('ALARM_NOT_FOUND', 'no such alarm');
    return alarm;
  }

  app.get('/api/alarms', async (request) => {
    const principal = requirePrincipal(request, 'alarms:read');
    const { cursor, ...query } = parse(listQuery, request.query);
    const sites = visibleSites(principal);
    const before = cursorBefore(cursor);
    const filter = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    const page = await listAlarms(db, {
      ...filter,
      ...(before !== undefined && { before }),
      ...(sites && { sites }),
    });
    return {
      items: page.alarms.map(alarmOut),
      next: page.nextBefore === null ? null : encodeCursor([page.nextBefore]),
    };
  });

  app.get('/api/alarms/:id', async (request) => {
    const principal = requirePrincipal(request, 'alarms:read');
    const alarm = await visibleAlarm(request, principal);
    return { ...alarmOut(alarm), comments: (await alarmComments(db, alarm.id)).map(commentOut) };
  });

  for (const [path, action, change] of [
    ['acknowledge', 'alarm.acknowledge', acknowledgeAlarm],
    ['resolve', 'alarm.resolve', resolveAlarm],
  ] as const) {
    app.post(`/api/alarms/:id/${path}`, async (request) => {
      const principal = requirePrincipal(request, 'alarms:write');
      const { comment } = parse(actionBody, request.body);
      const alarm = await visibleAlarm(request, principal);
      const now = ctx.clock.now();
      const changed = await change(db, alarm.id, actorOf(request), now);
      if (comment) await commentOnAlarm(db, alarm.id, actorOf(request), comment, now);
      await audit(ctx, request, action, `alarm:${alarm.id}`, {
        type: alarm.type,
        commented: comment !== undefined,
      });
      return { ...alarmOut(changed), comments: (await alarmComments(db, alarm.id)).map(commentOut) };
    });
  }

  app.post('/api/alarms/:id/comments', async (request, reply) => {
    const principal = requirePrincipal(request, 'alarms:write');
    const { text } = parse(commentBody, request.body);
    const alarm = await visibleAlarm(request, principal);
    const comment = await commentOnAlarm(db, alarm.id, actorOf(request), text, ctx.clock.now());
    await audit(ctx, request, 'alarm.comment', `alarm:${alarm.id}`, { commentId: comment.id });
    return reply.code(201).send(commentOut(comment));
  });
};
