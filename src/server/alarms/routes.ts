// /api/alarms: the alarm queue (R-MGT-3). List and filter, read one with its comments, acknowledge,
// resolve and comment; every step names who did it and is audited. Endpoints of the one route table
// (src/server/api/routes.ts), which names their permissions.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { isoOut, pageOf } from '../api/schemas.ts';
import { actorOf, audit } from '../auth/http.ts';
import { ApiError } from '../http/errors.ts';
import type { Principal } from '../http/principal.ts';
import { decodeCursor, encodeCursor } from '../storage/cursor.ts';
import { alarmSites, alarmVisible } from './scope.ts';
import { type Alarm, type AlarmComment, alarmComments, getAlarm, listAlarms } from './store.ts';
import { ALARM_STATES, ALARM_TYPES } from './types.ts';
import { alarmOut, alarmSchema } from './wire.ts';

// Times in and out are ISO 8601; lists answer the API's one page shape, { items, next }.
const time = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const listQuery = z.strictObject({
  state: z.enum(ALARM_STATES).optional(),
  type: z.enum(ALARM_TYPES).optional(),
  since: time.optional().meta({ description: 'raised at or after (ISO 8601 with offset)' }),
  until: time.optional().meta({ description: 'raised before' }),
  cursor: z.string().max(200).optional().meta({ description: 'the `next` of the previous page' }),
  limit: z.coerce.number().int().min(1).max(500).optional().meta({ description: '1–500 (default 50)' }),
});
const idParams = z.object({ id: z.string().min(1).max(128) });
const commentText = z.string().trim().min(1).max(2000);
// Acknowledge and resolve take an optional comment; the body itself may be left out.
const actionBody = z.strictObject({ comment: commentText.optional() }).optional();
const commentBody = z.strictObject({ text: commentText });

const commentSchema = z
  .object({ id: z.string(), author: z.string(), text: z.string(), at: isoOut })
  .meta({ id: 'AlarmComment' });
const alarmWithComments = alarmSchema
  .extend({ comments: z.array(commentSchema) })
  .meta({ id: 'AlarmWithComments' });

const commentOut = (c: AlarmComment) => ({ ...c, at: new Date(c.at).toISOString() });

/** The raised-at time a page continues before (from `next` of the previous page). */
function cursorBefore(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor);
  if (key?.length !== 1 || typeof key[0] !== 'number')
    throw new ApiError('INVALID_INPUT', 'query.cursor: not a cursor issued by this list', {
      field: 'query.cursor',
    });
  return key[0];
}

type Db = Parameters<typeof getAlarm>[0];

async function visibleAlarm(db: Db, id: string, principal: Principal): Promise<Alarm> {
  const alarm = await getAlarm(db, id);
  if (!alarm || !alarmVisible(principal.scope, alarm.site))
    throw new ApiError('ALARM_NOT_FOUND', 'no such alarm');
  return alarm;
}

const list = endpoint({
  operationId: 'listAlarms',
  summary: 'List alarms, newest first',
  query: listQuery,
  response: pageOf(alarmSchema),
  handle: async ({ query, principal, security }) => {
    const { cursor, ...filters } = query;
    const sites = alarmSites(principal.scope);
    const before = cursorBefore(cursor);
    const filter = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
    const page = await listAlarms(security.ctx.db, {
      ...filter,
      ...(before !== undefined && { before }),
      ...(sites && { sites }),
    });
    return {
      items: page.alarms.map(alarmOut),
      next: page.nextBefore === null ? null : encodeCursor([page.nextBefore]),
    };
  },
});

const get = endpoint({
  operationId: 'getAlarm',
  summary: 'Get an alarm with its comments',
  params: idParams,
  response: alarmWithComments,
  handle: async ({ params, principal, security }) => {
    const { db } = security.ctx;
    const alarm = await visibleAlarm(db, params.id, principal);
    return { ...alarmOut(alarm), comments: (await alarmComments(db, alarm.id)).map(commentOut) };
  },
});

function transition(operationId: string, summary: string, action: 'acknowledge' | 'resolve') {
  return endpoint({
    operationId,
    summary,
    params: idParams,
    body: actionBody,
    response: alarmWithComments,
    handle: async ({ params, body, principal, security, request }) => {
      const { ctx, alarms } = security;
      const comment = body?.comment;
      const alarm = await visibleAlarm(ctx.db, params.id, principal);
      const by = actorOf(request);
      const changed = await (action === 'acknowledge'
        ? alarms.acknowledge(alarm.id, by)
        : alarms.resolve(alarm.id, by));
      if (comment) await alarms.comment(changed, by, comment);
      await audit(ctx, request, `alarm.${action}`, `alarm:${alarm.id}`, {
        type: alarm.type,
        commented: comment !== undefined,
      });
      return { ...alarmOut(changed), comments: (await alarmComments(ctx.db, alarm.id)).map(commentOut) };
    },
  });
}

const comment = endpoint({
  operationId: 'commentOnAlarm',
  summary: 'Comment on an alarm',
  params: idParams,
  body: commentBody,
  status: 201,
  response: commentSchema,
  handle: async ({ params, body, principal, security, request }) => {
    const { ctx, alarms } = security;
    const alarm = await visibleAlarm(ctx.db, params.id, principal);
    const added = await alarms.comment(alarm, actorOf(request), body.text);
    await audit(ctx, request, 'alarm.comment', `alarm:${alarm.id}`, { commentId: added.id });
    return commentOut(added);
  },
});

export const alarmEndpoints = {
  list,
  get,
  acknowledge: transition('acknowledgeAlarm', 'Acknowledge an alarm', 'acknowledge'),
  resolve: transition('resolveAlarm', 'Resolve an alarm', 'resolve'),
  comment,
};
