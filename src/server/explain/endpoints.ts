// The explain endpoints of the route table: who can pass a door (and why not), and the preview of a
// change to an access level or schedule. Both list people, so besides the route's permission the
// caller needs people:read, and answers hold only the people inside the caller's scope.

import { z } from 'zod';
import { SIDES } from '../../core/policy.ts';
import { DENY_REASONS } from '../../core/reasons.ts';
import { accessLevels } from '../api/access-levels.ts';
import { endpoint } from '../api/endpoint.ts';
import { traceEntry } from '../api/events.ts';
import { schedules } from '../api/schedules.ts';
import { idParams, idSchema, iso, isoOut, isoTime } from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import { hasPermission, type Principal } from '../http/principal.ts';

const REASONS = ['granted', ...DENY_REASONS, 'no_credential'] as const;

function needPeopleRead(principal: Principal): void {
  if (principal && !hasPermission(principal, 'people:read'))
    throw new ApiError('FORBIDDEN', 'explaining decisions lists people: people:read is needed');
}

const accessItem = z
  .object({
    personId: z.string(),
    name: z.string(),
    result: z.enum(['grant', 'deny']),
    reason: z.enum(REASONS).meta({
      description: 'the core’s reason; no_credential: the person holds no credential a reader could present',
    }),
    needsOthers: z.boolean().meta({
      description:
        'denied only for want of someone else (a second person, an escort, a priority member inside): passes when they are there',
    }),
    credential: z
      .string()
      .nullable()
      .meta({ description: 'safe reference of the credential decided by (card:C-1001, pin#<id>)' }),
    trace: z
      .array(traceEntry)
      .meta({ description: 'the rules checked, in order, as the controller checks them' }),
  })
  .meta({ id: 'DoorAccessItem' });

export const doorAccess = endpoint({
  operationId: 'getDoorAccess',
  summary: 'Who can pass this door at an instant — and why not',
  description:
    'Decides, for every person in your scope, what the door’s controller would decide for each of their credentials (with its PIN and a biometric match where the door asks for them), by the same policy and decision the controller uses, in a state where nobody is known to be anywhere. Paged by person id; `counts` covers everyone.',
  params: idParams,
  query: z.strictObject({
    at: isoTime.optional().meta({ description: 'default now' }),
    side: z.enum(SIDES).default('in'),
    person: idSchema.optional().meta({ description: 'only this person' }),
    result: z.enum(['grant', 'deny']).optional(),
    cursor: z.string().max(128).optional().meta({ description: 'the `next` of the previous page' }),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  }),
  response: z
    .object({
      door: z.string(),
      controllerId: z.string().nullable(),
      at: isoOut,
      side: z.enum(SIDES),
      counts: z.object({ grant: z.number().int(), deny: z.number().int(), needsOthers: z.number().int() }),
      items: z.array(accessItem),
      next: z.string().nullable(),
    })
    .meta({ id: 'DoorAccess' }),
  async handle({ params, query, services, scope, principal, now }) {
    needPeopleRead(principal);
    const answer = await services.explain.doorAccess({
      door: params.id,
      at: query.at ?? now,
      side: query.side,
      scope,
      person: query.person,
      result: query.result,
      cursor: query.cursor,
      limit: query.limit,
    });
    return {
      ...answer,
      at: iso(answer.at),
      items: answer.items.map((i) => ({
        personId: i.personId,
        name: i.name,
        result: i.decision.result,
        reason: i.decision.reason,
        needsOthers: i.decision.needsOthers,
        credential: i.credential,
        trace: [...i.decision.trace],
      })),
    };
  },
});

const previewPerson = z
  .object({
    personId: z.string(),
    name: z.string(),
    doors: z.array(z.string()),
    at: isoOut.meta({ description: 'the first instant checked at which the decision differs' }),
  })
  .meta({ id: 'PreviewPerson' });

const instants = z.array(isoTime).max(50).optional().meta({
  description:
    'instants to compare at; default now and, over the next 7 days, each start and end of the schedules involved',
});

export const previewChange = endpoint({
  operationId: 'previewChange',
  summary: 'Preview a change to an access level or schedule: who gains access, who loses it',
  description:
    'Applies the change in a transaction that is always rolled back (so it is checked as saving it would be, and an invalid change answers as saving it would), builds the controllers’ policies before and after, and compares the decisions of everyone they hold at the doors involved. Nothing is changed or sent.',
  body: z.discriminatedUnion('resource', [
    z.strictObject({
      resource: z.literal('access_level'),
      id: idSchema,
      patch: accessLevels.update.body as z.ZodType<Record<string, unknown>>,
      at: instants,
    }),
    z.strictObject({
      resource: z.literal('schedule'),
      id: idSchema,
      patch: schedules.update.body as z.ZodType<Record<string, unknown>>,
      at: instants,
    }),
  ]),
  response: z
    .object({
      doors: z.array(z.string()),
      instants: z.array(isoOut),
      gain: z.array(previewPerson),
      lose: z.array(previewPerson),
      counts: z.object({
        gain: z.number().int(),
        lose: z.number().int(),
        checked: z.number().int().meta({ description: 'person × door pairs compared' }),
      }),
    })
    .meta({ id: 'ChangePreview' }),
  async handle({ body, services, scope, principal }) {
    needPeopleRead(principal);
    const preview = await services.explain.preview(
      { resource: body.resource, id: body.id, patch: body.patch } as never,
      scope,
      body.at,
    );
    const person = (p: (typeof preview.gain)[number]) => ({ ...p, doors: p.doors.sort(), at: iso(p.at) });
    return {
      ...preview,
      instants: preview.instants.map(iso),
      gain: preview.gain.map(person),
      lose: preview.lose.map(person),
    };
  },
});
