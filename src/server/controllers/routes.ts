// Endpoints of the controller link, rows of the one route table (src/server/api/routes.ts) when the
// server has a link:
//   POST /api/controllers/:id/enrollment   (controllers:write) a one-time enrollment token
//   POST /api/controllers/enroll           (public: the token itself) a controller enrolls its key
//   GET  /api/controllers/:id/status       (controllers:read)  link, version, clock, config hash, backlog
//   POST /api/controllers/:id/restart      (controllers:write) a signed remote restart
//   POST /api/controllers/:id/baseline     (controllers:write) record the config hash as the baseline
// Every write is audited; tokens are returned once and stored only as hashes.

import { z } from 'zod';
import { type EndpointContext, endpoint } from '../api/endpoint.ts';
import { isoOut } from '../api/schemas.ts';
import { audit } from '../auth/http.ts';
import { ApiError } from '../http/errors.ts';
import type { ControllerLink } from './link.ts';
import type { ControllerLinkStatus } from './link-store.ts';

const idParams = z.object({ id: z.string().min(1).max(64) });

const enrollBody = z.strictObject({
  controllerId: z.string().min(1).max(64),
  token: z.string().min(10).max(200),
  publicKey: z
    .string()
    .min(1)
    .max(4096)
    .meta({ description: 'the controller’s Ed25519 public key, SPKI PEM' }),
});
// The reason is optional, and so is the body.
const restartBody = z.strictObject({ reason: z.string().max(200).optional() }).optional();

const enrollment = z.object({ token: z.string(), expiresAt: isoOut }).meta({ id: 'ControllerEnrollment' });
const enrolled = z
  .object({
    site: z.string().meta({ description: 'the topic segment of its site' }),
    mqttUrl: z.string(),
    mqttProtocol: z.union([z.literal(4), z.literal(5)]).meta({ description: '4: MQTT 3.1.1, 5: MQTT 5' }),
    serverPublicKey: z.string(),
    credentialKey: z.string().meta({ description: 'base64 of the site credential key' }),
    brokerCa: z.string().optional().meta({ description: 'the broker certificate to trust' }),
    brokerPassword: z
      .string()
      .optional()
      .meta({ description: 'its password at an external broker (MONBAN_MQTT_LOGIN=derived)' }),
  })
  .meta({ id: 'ControllerEnrolled' });
const statusSchema = z
  .object({
    controllerId: z.string(),
    enrolled: z.boolean(),
    enrolledAt: isoOut.nullable(),
    link: z.enum(['up', 'down']).meta({
      description:
        'up only while enrolled and heard within the link timeout; never connected or silent: down',
    }),
    lastSeenAt: isoOut.nullable(),
    softwareVersion: z.string().nullable(),
    configHash: z.string().nullable(),
    configBaseline: z.string().nullable(),
    configMatchesBaseline: z.boolean().nullable(),
    clockOffsetMs: z.number().nullable(),
    journalPending: z.number().int().nullable(),
    snapshotVersion: z.number().int().nullable(),
  })
  .meta({ id: 'ControllerStatus' });

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The status as the API shows it: times in ISO 8601; a controller never enrolled is simply down. */
export function statusOut(id: string, s: ControllerLinkStatus | undefined) {
  return {
    controllerId: id,
    enrolled: s?.enrolled ?? false,
    enrolledAt: isoOrNull(s?.enrolledAt ?? null),
    link: s?.link ?? 'down',
    lastSeenAt: isoOrNull(s?.lastSeenAt ?? null),
    softwareVersion: s?.softwareVersion ?? null,
    configHash: s?.configHash ?? null,
    configBaseline: s?.configBaseline ?? null,
    configMatchesBaseline: s?.configMatchesBaseline ?? null,
    clockOffsetMs: s?.clockOffsetMs ?? null,
    journalPending: s?.journalPending ?? null,
    snapshotVersion: s?.snapshotVersion ?? null,
  };
}

/** The link of a registered controller (the rows are only in the table when there is a link). */
async function linkFor(ctx: EndpointContext<unknown, unknown, unknown>, id: string): Promise<ControllerLink> {
  const link = ctx.controllers;
  if (!link) throw new ApiError('NO_CONTROLLER_LINK', 'this server runs without a controller link');
  if (!(await link.registered(id))) throw new ApiError('CONTROLLER_NOT_FOUND', `no controller ${id}`);
  return link;
}

const auditWrite = (
  ctx: EndpointContext<unknown, unknown, unknown>,
  action: string,
  id: string,
  detail: Record<string, unknown> = {},
) => audit(ctx.security.ctx, ctx.request, action, `controller:${id}`, detail);

const issueEnrollment = endpoint({
  operationId: 'issueControllerEnrollment',
  summary: 'Issue a one-time enrollment token (shown once)',
  params: idParams,
  status: 201,
  response: enrollment,
  handle: async (ctx) => {
    const { id } = ctx.params;
    const link = await linkFor(ctx, id);
    const issued = await link.createEnrollment(id);
    await auditWrite(ctx, 'controller.enrollment_issued', id, { expiresAt: issued.expiresAt });
    return { token: issued.token, expiresAt: new Date(issued.expiresAt).toISOString() };
  },
});

const enroll = endpoint({
  operationId: 'enrollController',
  summary: 'A controller enrolls its public key with its token',
  body: enrollBody,
  response: enrolled,
  errors: [401],
  handle: async ({ body, controllers, security, request }) => {
    if (!controllers) throw new ApiError('NO_CONTROLLER_LINK', 'this server runs without a controller link');
    const target = `controller:${body.controllerId}`;
    const result = await controllers.enroll(body.controllerId, body.token, body.publicKey);
    if (!result) {
      await audit(security.ctx, request, 'controller.enroll_failed', target, {}, 'anonymous');
      throw new ApiError(
        'UNAUTHENTICATED',
        'enrollment token invalid, used or expired, or not an Ed25519 key',
      );
    }
    await audit(security.ctx, request, 'controller.enrolled', target, {}, target);
    return result;
  },
});

const status = endpoint({
  operationId: 'getControllerStatus',
  summary: 'Link and supervision status of a controller',
  params: idParams,
  response: statusSchema,
  handle: async (ctx) => {
    const { id } = ctx.params;
    const link = await linkFor(ctx, id);
    return statusOut(id, await link.status(id));
  },
});

const restart = endpoint({
  operationId: 'restartController',
  summary: 'Restart a controller (a signed command)',
  params: idParams,
  body: restartBody,
  status: 202,
  response: z.object({ queued: z.boolean() }),
  handle: async (ctx) => {
    const { id } = ctx.params;
    const reason = ctx.body?.reason ?? '';
    const link = await linkFor(ctx, id);
    if (!(await link.restart(id, reason)))
      throw new ApiError('CONTROLLER_NOT_FOUND', `controller ${id} is not enrolled`);
    await auditWrite(ctx, 'controller.restart', id, { reason });
    return { queued: true };
  },
});

const baseline = endpoint({
  operationId: 'recordControllerBaseline',
  summary: 'Record the configuration hash as the baseline',
  params: idParams,
  response: z.object({ baseline: z.string().nullable() }),
  handle: async (ctx) => {
    const { id } = ctx.params;
    const link = await linkFor(ctx, id);
    const recorded = await link.recordBaseline(id);
    await auditWrite(ctx, 'controller.baseline', id, { baseline: recorded });
    return { baseline: recorded };
  },
});

export const controllerLinkEndpoints = { issueEnrollment, enroll, status, restart, baseline };
