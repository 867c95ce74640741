// The webhooks API: subscriptions per integration with event filters (the secret is answered once,
// on create and on rotation), the delivery log of each, and redelivery.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { iso, isoOrNull, isoOut, nameSchema, pageOf, pageQuery } from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import { KEY_BODY_LIMIT } from '../keys/routes.ts';
import { filterProblem, type Subscription, WEBHOOK_EVENT_TYPES, type WebhookService } from './service.ts';
import { webhookUrlProblem } from './url.ts';

const urlSchema = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .superRefine((url, ctx) => {
    const problem = webhookUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ description: 'https://…; plain http:// only to a loopback address' });

const eventsSchema = z
  .array(
    z
      .string()
      .max(64)
      .superRefine((f, ctx) => {
        const problem = filterProblem(f);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
  )
  .min(1, 'name at least one event type (or "*")')
  .max(50)
  .meta({ description: `event types, \`prefix.*\` or \`*\`: ${WEBHOOK_EVENT_TYPES.join(', ')}` });

const webhookSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: isoOut,
    updatedAt: isoOut,
  })
  .meta({ id: 'Webhook' });

const createBody = z
  .strictObject({ name: nameSchema, url: urlSchema, events: eventsSchema, active: z.boolean().default(true) })
  .meta({
    id: 'WebhookCreate',
    examples: [{ name: 'PMS', url: 'https://pms.example.com/monban', events: ['reservation.*', 'key.used'] }],
  });
const patchBody = z
  .strictObject({
    name: nameSchema.optional(),
    url: urlSchema.optional(),
    events: eventsSchema.optional(),
    active: z.boolean().optional(),
  })
  .meta({ id: 'WebhookPatch' });

const deliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    state: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: isoOut,
    lastAttemptAt: isoOut.nullable(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: isoOut.nullable(),
    createdAt: isoOut,
  })
  .meta({ id: 'WebhookDelivery' });

const secretSchema = z
  .string()
  .meta({ description: 'whsec_…: shown this once; sign checks with it (docs/keys.md, Webhooks)' });

const out = (s: Subscription) => ({ ...s, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) });
const svc = (services: unknown) => (services as { webhooks: WebhookService }).webhooks;
const params = z.object({ id: z.string().max(64) });
const notFound = (id: string) => new ApiError('WEBHOOK_NOT_FOUND', `no webhook '${id}'`);

export const webhookEndpoints = {
  list: endpoint({
    operationId: 'listWebhooks',
    summary: 'List webhook subscriptions',
    response: pageOf(webhookSchema),
    async handle({ services }) {
      return { items: (await svc(services).list()).map(out), next: null };
    },
  }),
  create: endpoint({
    operationId: 'createWebhook',
    summary: 'Subscribe an integration to events (the secret is answered once)',
    body: createBody,
    bodyLimit: KEY_BODY_LIMIT,
    status: 201,
    response: z.object({ webhook: webhookSchema, secret: secretSchema }).meta({ id: 'WebhookCreated' }),
    async handle({ body, services, actor }) {
      const { subscription, secret } = await svc(services).create(body, actor.origin.actor);
      return { webhook: out(subscription), secret };
    },
  }),
  get: endpoint({
    operationId: 'getWebhook',
    summary: 'Get a webhook subscription',
    params,
    response: webhookSchema,
    async handle({ params: p, services }) {
      const s = await svc(services).get(p.id);
      if (!s) throw notFound(p.id);
      return out(s);
    },
  }),
  update: endpoint({
    operationId: 'updateWebhook',
    summary: 'Change a webhook subscription',
    params,
    body: patchBody,
    bodyLimit: KEY_BODY_LIMIT,
    response: webhookSchema,
    async handle({ params: p, body, services }) {
      const s = await svc(services).update(p.id, body);
      if (!s) throw notFound(p.id);
      return out(s);
    },
  }),
  remove: endpoint({
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook subscription and its delivery log',
    params,
    status: 204,
    async handle({ params: p, services }) {
      if (!(await svc(services).remove(p.id))) throw notFound(p.id);
      return undefined;
    },
  }),
  rotate: endpoint({
    operationId: 'rotateWebhookSecret',
    summary: 'A new signing secret (answered once); the old one stops at once',
    params,
    response: z.object({ secret: secretSchema }),
    async handle({ params: p, services }) {
      const secret = await svc(services).rotateSecret(p.id);
      if (!secret) throw notFound(p.id);
      return { secret };
    },
  }),
  deliveries: endpoint({
    operationId: 'listWebhookDeliveries',
    summary: 'The delivery log of a subscription',
    params,
    query: z.object({ ...pageQuery, state: z.enum(['pending', 'delivered', 'failed']).optional() }),
    response: pageOf(deliverySchema),
    async handle({ params: p, query, services }) {
      if (!(await svc(services).get(p.id))) throw notFound(p.id);
      const page = await svc(services).deliveries(p.id, query);
      return {
        items: page.items.map((d) => ({
          ...d,
          nextAttemptAt: iso(d.nextAttemptAt),
          lastAttemptAt: isoOrNull(d.lastAttemptAt),
          deliveredAt: isoOrNull(d.deliveredAt),
          createdAt: iso(d.createdAt),
        })),
        next: page.next,
      };
    },
  }),
  redeliver: endpoint({
    operationId: 'redeliverWebhook',
    summary: 'Send a delivery again now',
    params: z.object({ id: z.string().max(64), delivery: z.string().max(64) }),
    status: 204,
    async handle({ params: p, services }) {
      if (!(await svc(services).redeliver(p.id, p.delivery))) throw notFound(p.delivery);
      return undefined;
    },
  }),
};
