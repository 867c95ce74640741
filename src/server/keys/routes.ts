// The guests and keys API (issue 13): guests (name, company, contact, host), time-limited keys for a
// person or a guest with their doors or areas, dates, weekday windows, uses and time from first use,
// revocation, a new delivery link, the use log; and the one public endpoint, where a holder opens
// their link. The link's token is answered once, at issue (or relink), and never stored.

import { z } from 'zod';
import { WEEKDAYS } from '../../core/model.ts';
import { endpoint } from '../api/endpoint.ts';
import { intervalSchema } from '../api/schedules.ts';
import {
  idParams,
  idSchema,
  iso,
  isoOrNull,
  isoOut,
  isoTime,
  nameSchema,
  pageOf,
  pageQuery,
  uniqueIds,
} from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import { BIDI_CONTROLS } from '../storage/text.ts';
import { mapKeyErrors } from './errors.ts';
import { qrSvg } from './qr.ts';
import { isLinkToken } from './secrets.ts';
import type { KeyInput, KeyPatch, KeyService } from './service.ts';
import { type AccessKey, effectiveUntil, type Guest, KEY_STATES } from './store.ts';

/** Integration writes are small: anything larger is refused before it is read. */
export const KEY_BODY_LIMIT = 64 * 1024;

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !/[\p{Cc}]/u.test(s), 'must not contain control characters')
    .refine((s) => !BIDI_CONTROLS.test(s), 'must not contain bidirectional control characters');

// ------------------------------------------------------------------ guests

export const guestSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    company: z.string().nullable(),
    contact: z.string().nullable(),
    hostPersonId: z.string().nullable(),
    createdAt: isoOut,
    updatedAt: isoOut,
  })
  .meta({ id: 'Guest' });

export const guestCreate = z
  .strictObject({
    id: idSchema.optional().meta({ description: 'generated when absent' }),
    name: nameSchema,
    company: text(200).nullable().optional(),
    contact: text(200)
      .nullable()
      .optional()
      .meta({ description: 'e-mail or phone; never sent to controllers' }),
    hostPersonId: idSchema.nullable().optional().meta({ description: 'the person who hosts the guest' }),
  })
  .meta({
    id: 'GuestCreate',
    examples: [
      { name: '田中 花子', company: 'Example KK', contact: 'hanako@example.com', hostPersonId: 'emp-001' },
    ],
  });

const guestPatch = guestCreate.omit({ id: true }).partial().meta({ id: 'GuestPatch' });

export const guestOut = (g: Guest) => ({ ...g, createdAt: iso(g.createdAt), updatedAt: iso(g.updatedAt) });

// ------------------------------------------------------------------ keys

const holderSchema = z
  .strictObject({ person: idSchema.optional(), guest: idSchema.optional() })
  .refine((h) => (h.person === undefined) !== (h.guest === undefined), 'name exactly one of person or guest')
  .meta({ description: 'who holds the key: a person of the directory or a guest' });

const placesAndTimes = {
  doors: uniqueIds('door').max(200).default([]).meta({ description: 'doors the key opens' }),
  areas: uniqueIds('area')
    .max(50)
    .default([])
    .meta({ description: 'areas: every door into or out of them (and the areas within) opens' }),
  validFrom: isoTime,
  validUntil: isoTime.meta({ description: 'exclusive' }),
  weekdays: z
    .array(z.enum(WEEKDAYS))
    .max(7)
    .refine((d) => new Set(d).size === d.length, 'must not list a weekday twice')
    .default([])
    .meta({ description: 'empty: every day' }),
  windows: z
    .array(intervalSchema)
    .max(8)
    .default([])
    .meta({ description: 'times of day in the site time zone; empty: the whole day' }),
  maxUses: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100_000)
    .nullable()
    .default(null),
  validForHours: z
    .number()
    .positive('must be more than 0')
    .max(24 * 366, 'must be at most a year')
    .nullable()
    .default(null)
    .meta({ description: 'valid for this many hours from its first use (within validFrom…validUntil)' }),
  label: text(200).nullable().default(null),
};

export const keyCreate = z
  .strictObject({
    holder: holderSchema,
    ...placesAndTimes,
    linkHours: z
      .number()
      .min(0.1)
      .max(24 * 7)
      .default(24)
      .meta({ description: 'how long the delivery link works' }),
  })
  .superRefine((k, ctx) => {
    if (k.validUntil <= k.validFrom)
      ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'must be after validFrom' });
    if (k.doors.length + k.areas.length === 0)
      ctx.addIssue({ code: 'custom', path: ['doors'], message: 'name at least one door or area' });
  })
  .meta({
    id: 'KeyCreate',
    examples: [
      {
        holder: { guest: 'g-tanaka' },
        areas: ['meeting-room'],
        validFrom: '2026-12-07T00:00:00+09:00',
        validUntil: '2026-12-12T00:00:00+09:00',
        weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
        windows: ['09:00-18:00'],
        maxUses: 20,
        label: 'Workshop week',
      },
    ],
  });

const keyPatch = z
  .strictObject({
    doors: placesAndTimes.doors.unwrap().optional(),
    areas: placesAndTimes.areas.unwrap().optional(),
    validFrom: isoTime.optional(),
    validUntil: isoTime.optional(),
    weekdays: placesAndTimes.weekdays.unwrap().optional(),
    windows: placesAndTimes.windows.unwrap().optional(),
    maxUses: placesAndTimes.maxUses.unwrap().optional(),
    validForHours: placesAndTimes.validForHours.unwrap().optional(),
    label: text(200).nullable().optional(),
  })
  .meta({
    id: 'KeyPatch',
    examples: [{ validUntil: '2026-12-13T00:00:00+09:00', windows: ['08:00-20:00'] }],
  });

export const keySchema = z
  .object({
    id: z.string(),
    kind: z.enum(['key', 'delivery']),
    holder: z.object({ kind: z.enum(['person', 'guest']), id: z.string() }),
    sponsor: z.string().meta({ description: 'who issued it; named in every use' }),
    label: z.string().nullable(),
    doors: z.array(z.string()),
    areas: z.array(z.string()),
    validFrom: isoOut,
    validUntil: isoOut,
    effectiveUntil: isoOut.meta({ description: 'validUntil, or earlier once the time from first use runs' }),
    weekdays: z.array(z.enum(WEEKDAYS)),
    windows: z.array(z.string()),
    maxUses: z.number().int().nullable(),
    uses: z.number().int().meta({ description: 'grants recorded so far, at every controller' }),
    validForHours: z.number().nullable(),
    firstUsedAt: isoOut.nullable(),
    state: z.enum(KEY_STATES),
    reservationId: z.string().nullable(),
    recipientPersonId: z.string().nullable(),
    createdAt: isoOut,
    updatedAt: isoOut,
    revokedAt: isoOut.nullable(),
  })
  .meta({ id: 'Key' });

const linkSchema = z
  .object({
    url: z.string().meta({ description: 'shown once; the token is in the fragment, so no server logs it' }),
    expiresAt: isoOut,
  })
  .meta({ id: 'KeyLink' });

export const issuedKeySchema = z.object({ key: keySchema, link: linkSchema }).meta({ id: 'IssuedKey' });

export function keyOut(k: AccessKey, uses: number) {
  const { refHash: _hidden, usesCounted: _counted, validForMinutes, ...rest } = k;
  return {
    ...rest,
    validFrom: iso(k.validFrom),
    validUntil: iso(k.validUntil),
    effectiveUntil: iso(effectiveUntil(k)),
    validForHours: validForMinutes === null ? null : validForMinutes / 60,
    firstUsedAt: isoOrNull(k.firstUsedAt),
    uses,
    createdAt: iso(k.createdAt),
    updatedAt: iso(k.updatedAt),
    revokedAt: isoOrNull(k.revokedAt),
  };
}

export const minutesOf = (hours: number | null) => (hours === null ? null : Math.round(hours * 60));

/** The origin the caller reached us on, for the link handed out. */
export function originOf(request: { protocol: string; host: string }): string {
  return `${request.protocol}://${request.host}`;
}

const keysOf = (services: unknown): KeyService => (services as { keys: KeyService }).keys;

const listQuery = z.object({
  ...pageQuery,
  holder: z
    .string()
    .regex(/^(person|guest):.{1,64}$/, 'must be person:<id> or guest:<id>')
    .optional(),
  state: z.enum(KEY_STATES).optional(),
  reservation: idSchema.optional(),
  kind: z.enum(['key', 'delivery']).optional(),
});

const linkBody = z
  .strictObject({
    linkHours: z
      .number()
      .min(0.1)
      .max(24 * 7)
      .default(24),
  })
  .default({ linkHours: 24 });
const idempotency = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(128, 'must be at most 128 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .meta({ description: 'a retry with the same key answers the first result and changes nothing more' }),
});

export function keyInputOf(body: z.output<typeof keyCreate>): KeyInput {
  return {
    holder:
      body.holder.person !== undefined
        ? { kind: 'person', id: body.holder.person }
        : { kind: 'guest', id: body.holder.guest! },
    doors: body.doors,
    areas: body.areas,
    validFrom: body.validFrom,
    validUntil: body.validUntil,
    weekdays: body.weekdays,
    windows: body.windows,
    maxUses: body.maxUses,
    validForMinutes: minutesOf(body.validForHours),
    label: body.label,
    linkMinutes: body.linkHours * 60,
  };
}

export const keyEndpoints = {
  listGuests: endpoint({
    operationId: 'listGuests',
    summary: 'List guests',
    query: z.object({ ...pageQuery, host: idSchema.optional() }),
    response: pageOf(guestSchema),
    async handle({ query, services, actor }) {
      const page = await keysOf(services).listGuests(query, actor);
      return { items: page.items.map(guestOut), next: page.next };
    },
  }),
  createGuest: endpoint({
    operationId: 'createGuest',
    summary: 'Create a guest',
    body: guestCreate,
    bodyLimit: KEY_BODY_LIMIT,
    status: 201,
    response: guestSchema,
    handle: ({ body, services, actor }) =>
      mapKeyErrors(async () => guestOut(await keysOf(services).createGuest(body, actor))),
  }),
  getGuest: endpoint({
    operationId: 'getGuest',
    summary: 'Get a guest',
    params: idParams,
    response: guestSchema,
    async handle({ params, services, actor }) {
      const guest = await keysOf(services).guest(params.id, actor);
      if (!guest) throw new ApiError('GUEST_NOT_FOUND', `no guest '${params.id}'`);
      return guestOut(guest);
    },
  }),
  updateGuest: endpoint({
    operationId: 'updateGuest',
    summary: 'Change a guest',
    params: idParams,
    body: guestPatch,
    bodyLimit: KEY_BODY_LIMIT,
    response: guestSchema,
    handle: ({ params, body, services, actor }) =>
      mapKeyErrors(async () => guestOut(await keysOf(services).updateGuest(params.id, body, actor))),
  }),
  deleteGuest: endpoint({
    operationId: 'deleteGuest',
    summary: 'Delete a guest (their keys are revoked at once)',
    params: idParams,
    status: 204,
    handle: ({ params, services, actor }) =>
      mapKeyErrors(async () => {
        if (!(await keysOf(services).deleteGuest(params.id, actor)))
          throw new ApiError('GUEST_NOT_FOUND', `no guest '${params.id}'`);
        return undefined;
      }),
  }),

  listKeys: endpoint({
    operationId: 'listKeys',
    summary: 'List keys',
    query: listQuery,
    response: pageOf(keySchema),
    async handle({ query, services, actor }) {
      const keys = keysOf(services);
      const page = await keys.listKeys(query, actor);
      return {
        items: await Promise.all(page.items.map(async (k) => keyOut(k, await keys.usesOf(k.id)))),
        next: page.next,
      };
    },
  }),
  issueKey: endpoint({
    operationId: 'issueKey',
    summary: 'Issue a time-limited key',
    description:
      'Issues a key for a person or a guest and answers its delivery link once: a short-lived URL whose page shows the QR code. The secret is never stored or logged; a lost link is replaced with POST /api/keys/{id}/link (which rotates the key).',
    body: keyCreate,
    bodyLimit: KEY_BODY_LIMIT,
    status: 201,
    response: issuedKeySchema,
    handle: ({ body, services, actor, request }) =>
      mapKeyErrors(async () => {
        const issued = await keysOf(services).issue(keyInputOf(body), actor);
        return {
          key: keyOut(issued.key, 0),
          link: { url: originOf(request) + issued.link.path, expiresAt: iso(issued.link.expiresAt) },
        };
      }),
  }),
  getKey: endpoint({
    operationId: 'getKey',
    summary: 'Get a key',
    params: idParams,
    response: keySchema,
    async handle({ params, services, actor }) {
      const keys = keysOf(services);
      const key = await keys.key(params.id, actor);
      if (!key) throw new ApiError('KEY_NOT_FOUND', `no key '${params.id}'`);
      return keyOut(key, await keys.usesOf(key.id));
    },
  }),
  updateKey: endpoint({
    operationId: 'updateKey',
    summary: 'Change a key (doors, dates, windows, uses); the holder keeps the same QR code',
    params: idParams,
    body: keyPatch,
    bodyLimit: KEY_BODY_LIMIT,
    response: keySchema,
    handle: ({ params, body, services, actor }) =>
      mapKeyErrors(async () => {
        const { validForHours, ...rest } = body;
        const patch: KeyPatch = {
          ...rest,
          ...(validForHours !== undefined && { validForMinutes: minutesOf(validForHours) }),
        };
        const keys = keysOf(services);
        const key = await keys.update(params.id, patch, actor);
        return keyOut(key, await keys.usesOf(key.id));
      }),
  }),
  revokeKey: endpoint({
    operationId: 'revokeKey',
    summary: 'Revoke a key at once, on every controller',
    params: idParams,
    response: keySchema,
    handle: ({ params, services, actor }) =>
      mapKeyErrors(async () => {
        const keys = keysOf(services);
        const key = await keys.revoke(params.id, actor);
        return keyOut(key, await keys.usesOf(key.id));
      }),
  }),
  relinkKey: endpoint({
    operationId: 'relinkKey',
    summary: 'A new delivery link (the key gets a new secret: the old QR code stops working)',
    params: idParams,
    body: linkBody,
    bodyLimit: KEY_BODY_LIMIT,
    response: issuedKeySchema,
    handle: ({ params, body, services, actor, request }) =>
      mapKeyErrors(async () => {
        const keys = keysOf(services);
        const issued = await keys.relink(params.id, actor, body.linkHours * 60);
        return {
          key: keyOut(issued.key, await keys.usesOf(issued.key.id)),
          link: { url: originOf(request) + issued.link.path, expiresAt: iso(issued.link.expiresAt) },
        };
      }),
  }),
  keyUses: endpoint({
    operationId: 'listKeyUses',
    summary: 'Every presentation of a key at a door, with its sponsor',
    params: idParams,
    query: z.object({ ...pageQuery }),
    response: pageOf(
      z
        .object({
          at: isoOut,
          door: z.string().nullable(),
          result: z.enum(['grant', 'deny']),
          reason: z.string(),
          controllerId: z.string(),
          sponsor: z.string(),
        })
        .meta({ id: 'KeyUse' }),
    ),
    async handle({ params, query, services, actor }) {
      const keys = keysOf(services);
      if (!(await keys.key(params.id, actor))) throw new ApiError('KEY_NOT_FOUND', `no key '${params.id}'`);
      const page = await keys.uses(params.id, query);
      return { items: page.items.map((u) => ({ ...u, at: iso(u.at) })), next: page.next };
    },
  }),

  issueDelivery: endpoint({
    operationId: 'issueDelivery',
    summary: 'One-time delivery access (置き配): one door, a window, a single use',
    description:
      'The courier gets the link (their QR code opens the door once); the recipient is told when it is used, by the `delivery.used` webhook event naming them. The key ends with its use.',
    body: z
      .strictObject({
        door: idSchema,
        recipientPersonId: idSchema,
        courier: z.strictObject({ name: nameSchema, company: text(200).nullable().optional() }),
        validFrom: isoTime,
        validUntil: isoTime,
        label: text(200).nullable().default(null),
        linkHours: z
          .number()
          .min(0.1)
          .max(24 * 7)
          .default(24),
      })
      .superRefine((d, ctx) => {
        if (d.validUntil <= d.validFrom)
          ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'must be after validFrom' });
      })
      .meta({
        id: 'DeliveryCreate',
        examples: [
          {
            door: 'parcel-room',
            recipientPersonId: 'emp-001',
            courier: { name: 'Yamato driver', company: 'Yamato Transport' },
            validFrom: '2026-12-07T10:00:00+09:00',
            validUntil: '2026-12-07T14:00:00+09:00',
          },
        ],
      }),
    bodyLimit: KEY_BODY_LIMIT,
    status: 201,
    response: issuedKeySchema,
    handle: ({ body, services, actor, request }) =>
      mapKeyErrors(async () => {
        const issued = await keysOf(services).issueDelivery(
          { ...body, linkMinutes: body.linkHours * 60 },
          actor,
        );
        return {
          key: keyOut(issued.key, 0),
          link: { url: originOf(request) + issued.link.path, expiresAt: iso(issued.link.expiresAt) },
        };
      }),
  }),

  openLink: endpoint({
    operationId: 'openKeyLink',
    summary: 'The holder opens their key link: the QR code and what the key opens',
    description:
      'Public: the link token is the credential. An unknown, expired or withdrawn link answers 410 alike.',
    body: z.strictObject({ token: z.string().max(100) }).meta({ id: 'KeyLinkOpen' }),
    bodyLimit: 4096,
    errors: [410],
    response: z
      .object({
        code: z.string().meta({ description: 'what the QR code holds; presented at a reader as a key' }),
        qrSvg: z.string(),
        label: z.string().nullable(),
        validFrom: isoOut,
        validUntil: isoOut,
        weekdays: z.array(z.enum(WEEKDAYS)),
        windows: z.array(z.string()),
        doors: z.array(z.string()),
        areas: z.array(z.string()),
      })
      .meta({ id: 'OpenedKey' }),
    handle: ({ body, services }) =>
      mapKeyErrors(async () => {
        if (!isLinkToken(body.token))
          throw new ApiError('KEY_LINK_GONE', 'this link has expired or was withdrawn');
        const { key, secret } = await keysOf(services).openLink(body.token);
        return {
          code: secret,
          qrSvg: await qrSvg(secret),
          label: key.label,
          validFrom: iso(key.validFrom),
          validUntil: iso(effectiveUntil(key)),
          weekdays: key.weekdays,
          windows: key.windows,
          doors: key.doors,
          areas: key.areas,
        };
      }),
  }),
};

export { idempotency };
