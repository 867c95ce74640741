// /api/alarms: the alarm queue (R-MGT-3). List and filter, read one with its comments, acknowledge,
// resolve and comment; every step names who did it and is audited.

import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuthError } from '../auth/errors.ts';
import { actorOf, audit, idParam, parse, requirePrincipal } from '../auth/http.ts';
import type { SecurityServices } from '../auth/plugin.ts';
import { inScope, type Principal } from '../http/principal.ts';
import {
  type Alarm,
  acknowledgeAlarm,
  alarmComments,
  commentOnAlarm,
  getAlarm,
  listAlarms,
  resolveAlarm,
} from './store.ts';
import { ALARM_STATES, ALARM_TYPES } from './types.ts';

const time = z.coerce.number().int().min(0).max(8.64e15);
const listQuery = z
  .object({
    state: z.enum(ALARM_STATES).optional(),
    type: z.enum(ALARM_TYPES).optional(),
    since: time.optional(),
    until: time.optional(),
    before: time.optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();
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
      throw new AuthError('ALARM_NOT_FOUND', 'no such alarm');
    return alarm;
  }

  app.get('/api/alarms', async (request) => {
    const principal = requirePrincipal(request, 'alarms:read');
    const query = parse(listQuery, request.query);
    const sites = visibleSites(principal);
    const filter = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    return listAlarms(db, { ...filter, ...(sites && { sites }) });
  });

  app.get('/api/alarms/:id', async (request) => {
    const principal = requirePrincipal(request, 'alarms:read');
    const alarm = await visibleAlarm(request, principal);
    return { ...alarm, comments: await alarmComments(db, alarm.id) };
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
      return { ...changed, comments: await alarmComments(db, alarm.id) };
    });
  }

  app.post('/api/alarms/:id/comments', async (request, reply) => {
    const principal = requirePrincipal(request, 'alarms:write');
    const { text } = parse(commentBody, request.body);
    const alarm = await visibleAlarm(request, principal);
    const comment = await commentOnAlarm(db, alarm.id, actorOf(request), text, ctx.clock.now());
    await audit(ctx, request, 'alarm.comment', `alarm:${alarm.id}`, { commentId: comment.id });
    return reply.code(201).send(comment);
  });
};
