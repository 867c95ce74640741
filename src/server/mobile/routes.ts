// The mobile keys API (R-KEY-2): invitations and devices for operators, and the phone's own public
// endpoints — register with an invitation, ask for a challenge, list the doors it may open, open one.
// The phone is known by its device key alone: each public call after registration carries a token
// signed by it (contracts/mobile-token.ts), answering a single-use server challenge.

import { z } from 'zod';
import { SIDES } from '../../core/policy.ts';
import { endpoint } from '../api/endpoint.ts';
import { idParams, idSchema, iso, isoOut } from '../api/schemas.ts';
import { ApiError, type ApiErrorCode } from '../http/errors.ts';
import { BIDI_CONTROLS } from '../storage/text.ts';
import { DOOR_LIST, isInvitationToken, MobileError, type MobileService } from './service.ts';
import type { MobileDevice } from './store.ts';

/** Public mobile calls are small: anything larger is refused (413) before it is read. */
export const MOBILE_BODY_LIMIT = 4096;

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !/[\p{Cc}]/u.test(s), 'must not contain control characters')
    .refine((s) => !BIDI_CONTROLS.test(s), 'must not contain bidirectional control characters');

const coordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes in base64url');

/** What WebCrypto's exportKey('jwk', publicKey) gives for ECDSA P-256; a private part is refused. */
export const publicJwkSchema = z
  .strictObject({
    kty: z.literal('EC', { error: 'must be EC' }),
    crv: z.literal('P-256', { error: 'must be P-256' }),
    x: coordinate,
    y: coordinate,
    ext: z.boolean().optional(),
    key_ops: z
      .array(z.enum(['verify']))
      .max(1)
      .optional(),
  })
  .meta({
    id: 'MobilePublicKey',
    description: 'the device public key (JWK, ECDSA P-256); never a private key',
  });

const token = z
  .string()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .meta({ description: 'mm1.<payload>.<signature>: the challenge signed by the device key (docs/keys.md)' });

const deviceSchema = z
  .object({
    id: z.string().meta({ description: 'the device: its `mobile` credential (id and identifier)' }),
    personId: z.string(),
    deviceName: z.string(),
    state: z.string().meta({ description: 'the credential state: active, suspended, lost, revoked' }),
    reference: z.string().meta({ description: 'how events name it: mobile:<device>' }),
    createdAt: isoOut,
    lastUsedAt: isoOut.nullable().meta({ description: 'the last open through the server' }),
  })
  .meta({ id: 'MobileDevice' });

const deviceOut = (d: MobileDevice) => ({
  id: d.id,
  personId: d.personId,
  deviceName: d.deviceName,
  state: d.state,
  reference: `mobile:${d.id}`,
  createdAt: iso(d.createdAt),
  lastUsedAt: d.lastUsedAt === null ? null : iso(d.lastUsedAt),
});

const challengeSchema = z
  .object({
    issuer: z.string().meta({ description: '`~server`: sign it for the server' }),
    door: z.string().meta({ description: 'the door it opens, or `*` for the door list' }),
    nonce: z.string(),
    issuedAt: z.number().int(),
    expiresAt: z.number().int(),
  })
  .meta({ id: 'MobileChallenge' });

const mobileOf = (services: unknown): MobileService => (services as { mobile: MobileService }).mobile;

const CODES: Record<Exclude<MobileError['kind'], 'invalid' | 'unknown_door'>, ApiErrorCode> = {
  invitation_gone: 'MOBILE_INVITATION_GONE',
  challenge_gone: 'MOBILE_CHALLENGE_GONE',
  signature: 'MOBILE_SIGNATURE_INVALID',
  device_not_found: 'MOBILE_DEVICE_NOT_FOUND',
  person_not_found: 'PERSON_NOT_FOUND',
  not_operable: 'NOT_OPERABLE',
  denied: 'MOBILE_ACCESS_DENIED',
};

function toApiError(error: MobileError): ApiError {
  const field = error.field === undefined ? undefined : `body.${error.field}`;
  const text = field ? `${field}: ${error.message}` : error.message;
  const extra = field === undefined ? {} : { field, issues: [{ field, reason: error.message }] };
  switch (error.kind) {
    case 'invalid':
      return new ApiError('INVALID_INPUT', text, extra);
    case 'unknown_door':
      return new ApiError('UNKNOWN_REFERENCE', text, extra);
    case 'denied':
      return new ApiError('MOBILE_ACCESS_DENIED', error.message, { reason: error.reason });
    default:
      return new ApiError(CODES[error.kind], error.message, field ? { field } : {});
  }
}

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof MobileError) throw toApiError(error);
    throw error;
  }
}

export const mobileEndpoints = {
  invite: endpoint({
    operationId: 'createMobileInvitation',
    summary: 'A one-time invitation link for a person’s phone to register a mobile key',
    description:
      'Answers the link once: its token is in the URL fragment (no server logs it) and only its hash is stored. Opened on the phone, the page /m/ makes a device key (WebCrypto, not extractable) and registers it. An invitation registers one device.',
    params: idParams,
    body: z
      .strictObject({
        hours: z
          .number()
          .min(0.1, 'must be at least 0.1')
          .max(24 * 7, 'must be at most a week')
          .default(24),
        label: text(200).nullable().default(null).meta({ description: 'a device name to suggest' }),
      })
      .default({ hours: 24, label: null })
      .meta({ id: 'MobileInvitationCreate' }),
    bodyLimit: MOBILE_BODY_LIMIT,
    status: 201,
    response: z
      .object({
        id: z.string(),
        personId: z.string(),
        label: z.string().nullable(),
        expiresAt: isoOut,
        url: z.string().meta({ description: 'shown once; the token is in the fragment' }),
      })
      .meta({ id: 'MobileInvitation' }),
    handle: ({ params, body, services, actor, request }) =>
      mapped(async () => {
        const made = await mobileOf(services).invite(
          params.id,
          { minutes: body.hours * 60, label: body.label },
          actor,
        );
        return {
          id: made.id,
          personId: made.personId,
          label: made.label,
          expiresAt: iso(made.expiresAt),
          url: `${request.protocol}://${request.host}${made.path}`,
        };
      }),
  }),

  listDevices: endpoint({
    operationId: 'listMobileDevices',
    summary: 'A person’s registered phones (mobile keys)',
    params: idParams,
    response: z.object({ items: z.array(deviceSchema) }),
    handle: ({ params, services, scope }) =>
      mapped(async () => ({ items: (await mobileOf(services).devicesOf(params.id, scope)).map(deviceOut) })),
  }),

  getDevice: endpoint({
    operationId: 'getMobileDevice',
    summary: 'A registered phone',
    params: idParams,
    response: deviceSchema,
    async handle({ params, services, scope }) {
      const device = await mobileOf(services).device(params.id, scope);
      if (!device) throw new ApiError('MOBILE_DEVICE_NOT_FOUND', `no mobile device '${params.id}'`);
      return deviceOut(device);
    },
  }),

  removeDevice: endpoint({
    operationId: 'deleteMobileDevice',
    summary: 'Remove a phone: its mobile key stops opening doors at once, on every controller',
    description:
      'Deletes the device’s `mobile` credential (a revocation by command reaches every online controller at once; the next snapshots leave it out) and its public key. To suspend instead, PATCH /api/credentials/{id} with a state.',
    params: idParams,
    status: 204,
    async handle({ params, services, scope, actor }) {
      const device = await mobileOf(services).device(params.id, scope);
      if (!device) throw new ApiError('MOBILE_DEVICE_NOT_FOUND', `no mobile device '${params.id}'`);
      await services.credentials.remove(device.id, actor);
      return undefined;
    },
  }),

  register: endpoint({
    operationId: 'registerMobileDevice',
    summary: 'The phone registers its device key with an invitation',
    description:
      'Public: the invitation token is the credential. `proof` is the device’s signature (ECDSA P-256, SHA-256, r‖s in base64url) over the ASCII of `mm1-register.<token>`, showing the phone holds the private key. An expired, used or unknown invitation answers 410 alike.',
    body: z
      .strictObject({
        token: z.string().max(100, 'must be at most 100 characters'),
        deviceName: text(100),
        publicKey: publicJwkSchema,
        proof: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a 64-byte signature in base64url'),
      })
      .meta({ id: 'MobileRegistration' }),
    bodyLimit: MOBILE_BODY_LIMIT,
    status: 201,
    errors: [410],
    response: z
      .object({
        device: z.string().meta({ description: 'the device id the phone names itself by in its tokens' }),
        deviceName: z.string(),
      })
      .meta({ id: 'RegisteredMobileDevice' }),
    handle: ({ body, services, request }) =>
      mapped(async () => {
        if (!isInvitationToken(body.token))
          throw new ApiError('MOBILE_INVITATION_GONE', 'this invitation has expired or was used');
        return mobileOf(services).register(
          {
            token: body.token,
            deviceName: body.deviceName,
            publicKey: body.publicKey,
            proof: new Uint8Array(Buffer.from(body.proof, 'base64url')),
          },
          request.ip,
        );
      }),
  }),

  challenge: endpoint({
    operationId: 'createMobileChallenge',
    summary: 'A single-use challenge for an online open of a door (or for the door list)',
    description:
      'Public. Sign it with the device key within 30 s and send the token to /api/mobile/open (or /api/mobile/doors for `door` absent).',
    body: z
      .strictObject({
        device: z.string().regex(/^md-[A-Za-z0-9_-]{16,43}$/, 'must be a device id (md-…)'),
        door: idSchema.optional().meta({ description: 'absent: a challenge for the list of doors' }),
      })
      .meta({ id: 'MobileChallengeRequest' }),
    bodyLimit: MOBILE_BODY_LIMIT,
    status: 201,
    response: challengeSchema,
    handle: ({ body, services }) =>
      mapped(() => mobileOf(services).challenge(body.device, body.door ?? DOOR_LIST)),
  }),

  doors: endpoint({
    operationId: 'listMobileDoors',
    summary: 'The doors this phone may open now',
    description:
      'Public: `token` answers a challenge for the door list. Decided by the core as at each door.',
    body: z.strictObject({ token }).meta({ id: 'MobileDoorsRequest' }),
    bodyLimit: MOBILE_BODY_LIMIT,
    errors: [410],
    response: z.object({ doors: z.array(z.object({ id: z.string(), name: z.string() })) }),
    handle: ({ body, services }) =>
      mapped(async () => ({ doors: await mobileOf(services).doors(body.token) })),
  }),

  open: endpoint({
    operationId: 'openWithMobileKey',
    summary: 'Open a door online with a mobile key',
    description:
      'Public: `token` answers a challenge for this door. The core decides for the device’s credential at the door (levels, schedules, validity, door mode, lockdown…); a grant is sent as the door’s remote unlock, audited, and logged as an access event naming `mobile:<device>`. A denial answers 403 MOBILE_ACCESS_DENIED with the core’s `reason`. A challenge answered twice raises a `credential_replay` alarm.',
    body: z.strictObject({ token, side: z.enum(SIDES).default('in') }).meta({ id: 'MobileOpenRequest' }),
    bodyLimit: MOBILE_BODY_LIMIT,
    errors: [410],
    response: z
      .object({
        door: z.string(),
        result: z.literal('grant'),
        reason: z.literal('granted'),
        unlocked: z.boolean().meta({ description: 'the door’s controller confirmed the unlock' }),
        detail: z.string().nullable().meta({ description: 'why not, when not unlocked' }),
        actionId: z.string(),
      })
      .meta({ id: 'MobileOpen' }),
    handle: ({ body, services, request }) =>
      mapped(async () => {
        const opened = await mobileOf(services).open(body.token, body.side, request.ip);
        const outcome = opened.action?.controllers[0];
        return {
          door: opened.door,
          result: 'grant' as const,
          reason: 'granted' as const,
          unlocked: outcome?.outcome === 'applied',
          detail: outcome?.outcome === 'applied' ? null : (outcome?.detail ?? outcome?.outcome ?? null),
          actionId: opened.action?.id ?? '',
        };
      }),
  }),
};
