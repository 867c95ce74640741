// The operator actions in the route table (api/routes.ts): ask for one, read one, list them.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { iso, pageOf, pageQuery } from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import type { ActionRecord } from './action-store.ts';
import { actionRequestSchema, actionStatusSchema } from './requests.ts';
import type { OperationsService } from './service.ts';

function statusOut(record: ActionRecord): z.input<typeof actionStatusSchema> {
  return {
    id: record.id,
    action: record.action,
    target: record.target,
    request: record.request,
    requestedBy: record.actor,
    requestedAt: iso(record.requestedAt),
    state: record.controllers.some((c) => c.outcome === 'pending') ? 'pending' : 'done',
    controllers: record.controllers.map((c) => ({ ...c, at: iso(c.at) })),
  };
}

function service(operations: OperationsService | undefined): OperationsService {
  if (!operations) throw new ApiError('NO_CONTROLLER_LINK', 'this server runs without a controller link');
  return operations;
}

export const performAction = endpoint({
  operationId: 'performAction',
  summary: 'Act on doors and areas: unlock, override, lockdown, threat level, forgive, reset, clear fire',
  description:
    'Checked against your role and scope, audited, and sent as a signed command to exactly the controllers concerned. ' +
    'Answers once every controller has answered (or after a few seconds) with each one’s outcome: ' +
    '`applied`, `refused` (with why), `not_reachable` (link down, or no answer in time), or still `pending`. ' +
    'GET /api/actions/{id} shows later answers. See docs/site-operations.md.',
  body: actionRequestSchema,
  status: 201,
  response: actionStatusSchema,
  handle: async ({ body, actor, operations }) => statusOut(await service(operations).perform(body, actor)),
});

export const getAction = endpoint({
  operationId: 'getAction',
  summary: 'An operator action and what each controller did with it',
  params: z.object({ id: z.string().min(1).max(64) }),
  response: actionStatusSchema,
  handle: async ({ params, operations, scope }) => {
    const record = await service(operations).actions.get(params.id);
    const visible =
      record &&
      (scope === 'all' ||
        scope.sites.length === 0 ||
        record.site === null ||
        scope.sites.includes(record.site));
    if (!record || !visible) throw new ApiError('ACTION_NOT_FOUND', `no action ${params.id}`);
    return statusOut(record);
  },
});

export const listActions = endpoint({
  operationId: 'listActions',
  summary: 'Operator actions, newest first',
  query: z.strictObject(pageQuery),
  response: pageOf(actionStatusSchema),
  handle: async ({ query, operations, scope }) => {
    const page = await service(operations).actions.list({
      limit: query.limit,
      cursor: query.cursor,
      ...(scope !== 'all' && scope.sites.length > 0 && { site: scope.sites }),
    });
    return { items: page.items.map(statusOut), next: page.next ?? null };
  },
});
