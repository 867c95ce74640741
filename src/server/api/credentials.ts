// Credentials (認証情報): cards, PINs, mobile keys, keys, biometric references. PINs are write-only:
// accepted on create and change, stored as keyed hashes, never returned (`hasPin` says whether one
// is set). A credential belongs to its person's scope.

import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/errors.ts';
import {
  CREDENTIAL_STATES,
  CREDENTIAL_TYPES,
  type CredentialView,
  DEFAULT_PIN_CODE_LENGTH,
} from '../storage/credentials.ts';
import { BIDI_CONTROLS } from '../storage/text.ts';
import { endpoint } from './endpoint.ts';
import { idParams, idSchema, iso, isoOrNull, isoOut, isoTime, pageOf, pageQuery, stamps } from './schemas.ts';

export const pinSchema = z.string().regex(/^\d{4,12}$/, 'must be 4 to 12 digits');

export const credentialSchema = z
  .object({
    id: idSchema,
    personId: idSchema,
    type: z.enum(CREDENTIAL_TYPES),
    identifier: z
      .string()
      .nullable()
      .meta({ description: 'card number, key or mobile id, biometric reference; null for PIN-only' }),
    hasPin: z.boolean(),
    hasDuressPin: z.boolean(),
    state: z.enum(CREDENTIAL_STATES),
    validFrom: isoOut.nullable(),
    validUntil: isoOut.nullable(),
    maxUses: z.number().int().nullable(),
    uses: z.number().int(),
    label: z.string().nullable(),
    ...stamps,
  })
  .meta({ id: 'Credential' });

// Card numbers and key ids are compared after NFKC (a full-width ＣＡＲＤ－００１ is CARD-001).
const identifierSchema = z
  .string()
  .normalize('NFKC')
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .refine((s) => !/[\p{Cc}\s]/u.test(s), 'must not contain spaces or control characters')
  .refine((s) => !BIDI_CONTROLS.test(s), 'must not contain bidirectional control characters');
const labelSchema = z
  .string()
  .trim()
  .max(100, 'must be at most 100 characters')
  .refine((s) => !/[\p{Cc}]/u.test(s), 'must not contain control characters')
  .refine((s) => !BIDI_CONTROLS.test(s), 'must not contain bidirectional control characters');
const maxUsesSchema = z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000);

const createBody = z
  .strictObject({
    id: idSchema.optional().meta({ description: 'generated when absent' }),
    personId: idSchema,
    type: z.enum(CREDENTIAL_TYPES),
    identifier: identifierSchema.optional(),
    pin: pinSchema
      .optional()
      .meta({ description: 'write-only: a card PIN; PIN-only codes (type pin) are issued by the server' }),
    duressPin: pinSchema.optional().meta({ description: 'write-only; opens and raises a silent alarm' }),
    state: z.enum(CREDENTIAL_STATES).default('active'),
    validFrom: isoTime.nullable().default(null),
    validUntil: isoTime.nullable().default(null),
    maxUses: maxUsesSchema.nullable().default(null),
    label: labelSchema.nullable().default(null),
  })
  .superRefine((c, ctx) => {
    if (c.type === 'pin' && c.pin !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['pin'],
        message: 'PIN-only codes are issued by the server: leave pin out (the code is in the response)',
      });
    if (c.type === 'pin' && c.identifier !== undefined)
      ctx.addIssue({ code: 'custom', path: ['identifier'], message: 'a PIN credential has no identifier' });
    if (c.type !== 'pin' && c.identifier === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['identifier'],
        message: `is required for a ${c.type} credential`,
      });
    if (c.duressPin !== undefined && c.duressPin === c.pin)
      ctx.addIssue({ code: 'custom', path: ['duressPin'], message: 'must differ from the PIN' });
    if (c.validFrom !== null && c.validUntil !== null && c.validUntil <= c.validFrom)
      ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'must be after validFrom' });
  })
  .meta({ id: 'CredentialCreate' });

const patchBody = z
  .strictObject({
    state: z.enum(CREDENTIAL_STATES).optional(),
    validFrom: isoTime.nullable().optional(),
    validUntil: isoTime.nullable().optional(),
    maxUses: maxUsesSchema.nullable().optional(),
    label: labelSchema.nullable().optional(),
    pin: pinSchema.nullable().optional().meta({ description: 'write-only; null removes a card PIN' }),
    duressPin: pinSchema.nullable().optional().meta({ description: 'write-only' }),
    reissuePin: z
      .literal(true)
      .optional()
      .meta({ description: 'PIN-only credentials: issue a new code (in the response, shown once)' }),
  })
  .superRefine((c, ctx) => {
    if (typeof c.pin === 'string' && c.duressPin === c.pin)
      ctx.addIssue({ code: 'custom', path: ['duressPin'], message: 'must differ from the PIN' });
  })
  .meta({ id: 'CredentialPatch' });

export const toCredentialOut = (c: CredentialView) => ({
  ...c,
  validFrom: isoOrNull(c.validFrom),
  validUntil: isoOrNull(c.validUntil),
  createdAt: iso(c.createdAt),
  updatedAt: iso(c.updatedAt),
});

/** A response that holds a PIN-only code the server just issued: shown once, never stored by caches. */
const issuedSchema = credentialSchema
  .extend({
    pin: z
      .string()
      .optional()
      .meta({ description: 'the PIN-only code the server issued: shown once, in this response only' }),
  })
  .meta({ id: 'CredentialIssued' });

/** Digits of issued PIN-only codes: the security settings' (MONBAN_PIN_LENGTH), else the default. */
function pinCodeLength(request: FastifyRequest): number {
  return (
    (request.server as { security?: { ctx: { settings: { pinCodeLength?: number } } } }).security?.ctx
      .settings.pinCodeLength ?? DEFAULT_PIN_CODE_LENGTH
  );
}

const notFound = (id: string) => new ApiError('CREDENTIAL_NOT_FOUND', `no credential '${id}'`);

export const listCredentials = endpoint({
  operationId: 'listCredentials',
  summary: 'List credentials (of people inside your scope)',
  query: z.strictObject({
    personId: idSchema.optional(),
    type: z.enum(CREDENTIAL_TYPES).optional(),
    state: z.enum(CREDENTIAL_STATES).optional(),
    ...pageQuery,
  }),
  response: pageOf(credentialSchema),
  async handle({ query, repos, scope }) {
    const page = await repos.credentials.list({ ...query, scope });
    return { items: page.items.map(toCredentialOut), next: page.next ?? null };
  },
});

export const getCredential = endpoint({
  operationId: 'getCredential',
  summary: 'Get a credential (never its PIN)',
  params: idParams,
  response: credentialSchema,
  async handle({ params, repos, scope }) {
    const credential = await repos.credentials.get(params.id, scope);
    if (!credential) throw notFound(params.id);
    return toCredentialOut(credential);
  },
});

export const createCredential = endpoint({
  operationId: 'createCredential',
  summary: 'Issue a credential to a person',
  body: createBody,
  status: 201,
  response: issuedSchema,
  async handle({ body, services, actor, request, reply }) {
    const { id, ...rest } = body;
    if (rest.type === 'pin') {
      const { type: _type, pin: _pin, identifier: _identifier, ...fields } = rest;
      const issued = await services.credentials.issuePinOnly(
        { id: id ?? randomUUID(), ...fields },
        actor,
        pinCodeLength(request),
      );
      reply.header('cache-control', 'no-store');
      return { ...toCredentialOut(issued.credential), pin: issued.pin };
    }
    return toCredentialOut(await services.credentials.create({ id: id ?? randomUUID(), ...rest }, actor));
  },
});

export const updateCredential = endpoint({
  operationId: 'updateCredential',
  summary: 'Change a credential: state (suspend, lost, revoke), validity, uses, PIN',
  params: idParams,
  body: patchBody,
  response: issuedSchema,
  async handle({ params, body, services, repos, scope, actor, request, reply }) {
    const { reissuePin, ...patch } = body;
    const current = await repos.credentials.get(params.id, scope);
    if (!current) throw notFound(params.id);
    if (current.type === 'pin' && typeof patch.pin === 'string')
      throw new ApiError(
        'INVALID_INPUT',
        'body.pin: PIN-only codes are issued by the server: send reissuePin',
        {
          field: 'body.pin',
          issues: [{ field: 'body.pin', reason: 'PIN-only codes are issued by the server: send reissuePin' }],
        },
      );
    const changedFields = Object.values(patch).some((v) => v !== undefined);
    let credential =
      changedFields || !reissuePin ? await services.credentials.update(params.id, patch, actor) : current;
    if (!reissuePin) return toCredentialOut(credential);
    const issued = await services.credentials.reissuePin(params.id, actor, pinCodeLength(request));
    credential = issued.credential;
    reply.header('cache-control', 'no-store');
    return { ...toCredentialOut(credential), pin: issued.pin };
  },
});

export const deleteCredential = endpoint({
  operationId: 'deleteCredential',
  summary: 'Delete a credential (revoked on every controller at once; revoking keeps it on record)',
  params: idParams,
  status: 204,
  async handle({ params, services, actor }) {
    if (!(await services.credentials.remove(params.id, actor))) throw notFound(params.id);
    return undefined;
  },
});
