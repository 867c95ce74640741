// The reservations API for booking and property-management systems: create, change and cancel a
// reservation of a space (an area) for a guest; its key is issued, changed and revoked with it.
// Every write takes an Idempotency-Key header: a retried request answers the first result and
// never issues a second key.

import { z } from 'zod';
import { type EndpointContext, endpoint } from '../api/endpoint.ts';
import { idParams, idSchema, iso, isoOut, isoTime, nameSchema, pageOf, pageQuery } from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import { mapKeyErrors } from '../keys/errors.ts';
import { idempotency, issuedKeySchema, KEY_BODY_LIMIT, keyOut, keySchema, originOf } from '../keys/routes.ts';
import { BIDI_CONTROLS } from '../storage/text.ts';
import type { Answer } from './idempotency.ts';
import { RESERVATION_STATES, type Reservation, type ReservationService } from './service.ts';

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !/[\p{Cc}]/u.test(s), 'must not contain control characters')
    .refine((s) => !BIDI_CONTROLS.test(s), 'must not contain bidirectional control characters');

export const reservationSchema = z
  .object({
    id: z.string(),
    spaceId: z.string().meta({ description: 'the area booked' }),
    guestId: z.string(),
    externalRef: z.string().nullable().meta({ description: "the booking system's own reference" }),
    startsAt: isoOut,
    endsAt: isoOut,
    state: z.enum(RESERVATION_STATES),
    keyId: z.string().nullable(),
    createdBy: z.string(),
    createdAt: isoOut,
    updatedAt: isoOut,
  })
  .meta({ id: 'Reservation' });

const guestRef = z.union([
  z.strictObject({ id: idSchema }).meta({ description: 'a guest already known' }),
  z
    .strictObject({
      name: nameSchema,
      company: text(200).nullable().optional(),
      contact: text(200).nullable().optional(),
      hostPersonId: idSchema.nullable().optional(),
    })
    .meta({ description: 'a new guest, created with the reservation' }),
]);

const createBody = z
  .strictObject({
    id: idSchema.optional().meta({ description: 'generated when absent' }),
    spaceId: idSchema.meta({ description: 'the area booked: every door into or out of it opens' }),
    guest: guestRef,
    startsAt: isoTime,
    endsAt: isoTime,
    externalRef: text(128).nullable().optional(),
    linkHours: z
      .number()
      .min(0.1)
      .max(24 * 7)
      .default(24),
  })
  .superRefine((r, ctx) => {
    if (r.endsAt <= r.startsAt)
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
  })
  .meta({
    id: 'ReservationCreate',
    examples: [
      {
        spaceId: 'meeting-room',
        guest: {
          name: 'Hanako Tanaka',
          company: 'Example KK',
          contact: 'hanako@example.com',
          hostPersonId: 'emp-001',
        },
        startsAt: '2026-12-07T09:00:00+09:00',
        endsAt: '2026-12-07T12:00:00+09:00',
        externalRef: 'PMS-48213',
      },
    ],
  });

const patchBody = z
  .strictObject({
    spaceId: idSchema.optional(),
    startsAt: isoTime.optional(),
    endsAt: isoTime.optional(),
    externalRef: text(128).nullable().optional(),
  })
  .superRefine((r, ctx) => {
    if (r.startsAt !== undefined && r.endsAt !== undefined && r.endsAt <= r.startsAt)
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
  })
  .meta({ id: 'ReservationPatch', examples: [{ endsAt: '2026-12-07T13:00:00+09:00' }] });

const createdSchema = z
  .object({
    reservation: reservationSchema,
    key: issuedKeySchema.shape.key,
    link: issuedKeySchema.shape.link,
  })
  .meta({ id: 'ReservationCreated' });
const changedSchema = z
  .object({ reservation: reservationSchema, key: keySchema.nullable() })
  .meta({ id: 'ReservationChanged' });

export const reservationOut = (r: Reservation) => ({
  ...r,
  startsAt: iso(r.startsAt),
  endsAt: iso(r.endsAt),
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

const svc = (services: unknown) => (services as { reservations: ReservationService }).reservations;

type Ctx = EndpointContext<unknown, unknown, unknown> & { request: { headers: Record<string, unknown> } };

/** Runs a write once per Idempotency-Key; a replay says so in a header. */
async function once(
  ctx: Ctx,
  operation: string,
  write: Parameters<ReservationService['idempotency']['run']>[3],
) {
  const service = svc(ctx.services);
  const key = ctx.request.headers['idempotency-key'];
  const principal = ctx.principal ? `${ctx.principal.kind}:${ctx.principal.id}` : 'anonymous';
  let fresh = false;
  const answer = await mapKeyErrors(() =>
    service.idempotency.run(
      service.db,
      { principal, key: typeof key === 'string' ? key : undefined, operation, body: ctx.body },
      ctx.now,
      async (record) => {
        fresh = true;
        return write(record);
      },
    ),
  );
  if (!fresh) ctx.reply.header('idempotent-replayed', 'true');
  return answer.body;
}

const ERRORS = [422];

export const reservationEndpoints = {
  list: endpoint({
    operationId: 'listReservations',
    summary: 'List reservations',
    query: z.object({
      ...pageQuery,
      space: idSchema.optional(),
      guest: idSchema.optional(),
      state: z.enum(RESERVATION_STATES).optional(),
      externalRef: z.string().max(128).optional(),
      from: isoTime.optional().meta({ description: 'overlapping [from, to)' }),
      to: isoTime.optional(),
    }),
    response: pageOf(reservationSchema),
    async handle({ query, services }) {
      const page = await svc(services).list(query);
      return { items: page.items.map(reservationOut), next: page.next };
    },
  }),
  get: endpoint({
    operationId: 'getReservation',
    summary: 'Get a reservation',
    params: idParams,
    response: reservationSchema,
    async handle({ params, services }) {
      const r = await svc(services).get(params.id);
      if (!r) throw new ApiError('RESERVATION_NOT_FOUND', `no reservation '${params.id}'`);
      return reservationOut(r);
    },
  }),
  create: endpoint({
    operationId: 'createReservation',
    summary: 'Book a space for a guest; the key is issued with it',
    description:
      "Answers the reservation, its key and the key's delivery link (the link is for the guest: hand it on, do not store it). Send an Idempotency-Key: a retry answers the same reservation, key and link and issues nothing new.",
    headers: idempotency,
    body: createBody,
    bodyLimit: KEY_BODY_LIMIT,
    status: 201,
    errors: ERRORS,
    response: createdSchema,
    handle: (ctx) =>
      once(ctx as unknown as Ctx, 'POST /api/reservations', (record) =>
        svc(ctx.services)
          .create(
            {
              ...ctx.body,
              linkMinutes: ctx.body.linkHours * 60,
            },
            ctx.actor,
            async (tx, { reservation, issued }) =>
              record(
                tx,
                answerOf(
                  {
                    reservation: reservationOut(reservation),
                    key: keyOut(issued.key, 0),
                    link: {
                      url: originOf(ctx.request) + issued.link.path,
                      expiresAt: iso(issued.link.expiresAt),
                    },
                  },
                  201,
                  [['link', 'url']],
                ),
              ),
          )
          .then(({ reservation, issued }) =>
            answerOf(
              {
                reservation: reservationOut(reservation),
                key: keyOut(issued.key, 0),
                link: {
                  url: originOf(ctx.request) + issued.link.path,
                  expiresAt: iso(issued.link.expiresAt),
                },
              },
              201,
            ),
          ),
      ) as never,
  }),
  update: endpoint({
    operationId: 'updateReservation',
    summary: 'Change a reservation; its key changes with it (same QR code)',
    params: idParams,
    headers: idempotency,
    body: patchBody,
    bodyLimit: KEY_BODY_LIMIT,
    errors: ERRORS,
    response: changedSchema,
    handle: (ctx) =>
      once(ctx as unknown as Ctx, `PATCH /api/reservations/${ctx.params.id}`, async (record) => {
        const build = (r: {
          reservation: Reservation;
          key: import('../keys/store.ts').AccessKey | undefined;
        }) =>
          answerOf({ reservation: reservationOut(r.reservation), key: r.key ? keyOut(r.key, 0) : null }, 200);
        return build(
          await svc(ctx.services).update(ctx.params.id, ctx.body, ctx.actor, (tx, r) => record(tx, build(r))),
        );
      }) as never,
  }),
  cancel: endpoint({
    operationId: 'cancelReservation',
    summary: 'Cancel a reservation; its key is revoked at once',
    params: idParams,
    headers: idempotency,
    errors: ERRORS,
    response: changedSchema,
    handle: (ctx) =>
      once(ctx as unknown as Ctx, `POST /api/reservations/${ctx.params.id}/cancel`, async (record) => {
        const build = (r: {
          reservation: Reservation;
          key: import('../keys/store.ts').AccessKey | undefined;
        }) =>
          answerOf({ reservation: reservationOut(r.reservation), key: r.key ? keyOut(r.key, 0) : null }, 200);
        return build(
          await svc(ctx.services).cancel(ctx.params.id, ctx.actor, (tx, r) => record(tx, build(r))),
        );
      }) as never,
  }),
};

function answerOf(body: Record<string, unknown>, status: number, secretPaths?: string[][]): Answer {
  return { status, body, ...(secretPaths && { secretPaths }) };
}
