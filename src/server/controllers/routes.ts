// HTTP routes of the controller link:
//   POST /api/controllers/:id/enrollment   (controllers:write) a one-time enrollment token
//   POST /api/controllers/enroll           (the token itself)  a controller enrolls its public key
//   GET  /api/controllers/:id/status       (controllers:read)  link, version, clock, config hash, backlog
//   POST /api/controllers/:id/restart      (controllers:write) a signed remote restart
//   POST /api/controllers/:id/baseline     (controllers:write) record the config hash as the baseline
// Every write is audited; tokens are returned once and stored only as hashes.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { audit } from '../auth/http.ts';
import { ApiError } from '../http/errors.ts';
import { principalWith } from '../http/guard.ts';
import type { ControllerLink } from './link.ts';

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

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'body', reason: i.message }));
  throw new ApiError('INVALID_INPUT', `${issues[0]!.field}: ${issues[0]!.reason}`, {
    field: issues[0]!.field,
    issues,
  });
}

export async function controllerLinkRoutes(app: FastifyInstance, service: ControllerLink): Promise<void> {
  const exists = async (id: string) => {
    if (!(await service.registered(id))) throw new ApiError('CONTROLLER_NOT_FOUND', `no controller ${id}`);
  };
  const auditWrite = (
    request: FastifyRequest,
    action: string,
    id: string,
    detail: Record<string, unknown> = {},
  ) => audit(app.security.ctx, request, action, `controller:${id}`, detail);

  app.post(
    '/api/controllers/:id/enrollment',
    { schema: { tags: ['controllers'], summary: 'Issue a one-time enrollment token' } },
    async (request, reply) => {
      principalWith(request, 'controllers:write');
      const { id } = parse(idParams, request.params);
      await exists(id);
      const enrollment = await service.createEnrollment(id);
      await auditWrite(request, 'controller.enrollment_issued', id, { expiresAt: enrollment.expiresAt });
      return reply
        .code(201)
        .send({ token: enrollment.token, expiresAt: new Date(enrollment.expiresAt).toISOString() });
    },
  );

  app.post(
    '/api/controllers/enroll',
    { schema: { tags: ['controllers'], summary: 'Enroll a controller with its token', security: [] } },
    async (request) => {
      const body = parse(enrollBody, request.body);
      const result = await service.enroll(body.controllerId, body.token, body.publicKey);
      if (!result) {
        await audit(
          app.security.ctx,
          request,
          'controller.enroll_failed',
          `controller:${body.controllerId}`,
          {},
          'anonymous',
        );
        throw new ApiError(
          'UNAUTHENTICATED',
          'enrollment token invalid, used or expired, or not an Ed25519 key',
        );
      }
      await audit(
        app.security.ctx,
        request,
        'controller.enrolled',
        `controller:${body.controllerId}`,
        {},
        `controller:${body.controllerId}`,
      );
      return result;
    },
  );

  app.get(
    '/api/controllers/:id/status',
    { schema: { tags: ['controllers'], summary: 'Link and supervision status' } },
    async (request) => {
      principalWith(request, 'controllers:read');
      const { id } = parse(idParams, request.params);
      await exists(id);
      const status = await service.status(id);
      return status ?? { controllerId: id, enrolled: false, linkState: 'unknown' };
    },
  );

  app.post(
    '/api/controllers/:id/restart',
    { schema: { tags: ['controllers'], summary: 'Restart a controller' } },
    async (request, reply) => {
      principalWith(request, 'controllers:write');
      const { id } = parse(idParams, request.params);
      const { reason } = parse(
        z.strictObject({ reason: z.string().max(200).default('') }),
        request.body ?? {},
      );
      await exists(id);
      if (!(await service.restart(id, reason)))
        throw new ApiError('CONTROLLER_NOT_FOUND', `controller ${id} is not enrolled`);
      await auditWrite(request, 'controller.restart', id, { reason });
      return reply.code(202).send({ queued: true });
    },
  );

  app.post(
    '/api/controllers/:id/baseline',
    { schema: { tags: ['controllers'], summary: 'Record the configuration baseline' } },
    async (request) => {
      principalWith(request, 'controllers:write');
      const { id } = parse(idParams, request.params);
      await exists(id);
      const baseline = await service.recordBaseline(id);
      await auditWrite(request, 'controller.baseline', id, { baseline });
      return { baseline };
    },
  );
}
