// Credentials (認証情報): cards, PINs, mobile keys, keys, biometric references. PINs are write-only:
// accepted on create and change, stored as keyed hashes, never returned (`hasPin` says whether one
// is set). A credential belongs to its person's scope.

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ApiError } from '../http/errors.ts';
import { CREDENTIAL_STATES, CREDENTIAL_TYPES, type CredentialView } from '../storage/credentials.ts';
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

const identifierSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .refine((s) => !/[\p{Cc}\s]/u.test(s), 'must not contain spaces or control characters');
const labelSchema = z.string().trim().max(100, 'must be at most 100 characters');
const maxUsesSchema = z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000);

const createBody = z
  .strictObject({
    id: idSchema.optional().meta({ description: 'generated when absent' }),
    personId: idSchema,
    type: z.enum(CREDENTIAL_TYPES),
    identifier: identifierSchema.optional(),
    pin: pinSchema.optional().meta({ description: 'write-only; required for type pin' }),
    duressPin: pinSchema.optional().meta({ description: 'write-only; opens and raises a silent alarm' }),
    state: z.enum(CREDENTIAL_STATES).default('active'),
    validFrom: isoTime.nullable().default(null),
    validUntil: isoTime.nullable().default(null),
    maxUses: maxUsesSchema.nullable().default(null),
    label: labelSchema.nullable().default(null),
  })
  .superRefine((c, ctx) => {
    if (c.type === 'pin' && c.pin === undefined)
      ctx.addIssue({ code: 'custom', path: ['pin'], message: 'is required for a PIN credential' });
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

const notFound = (id: string) => new ApiError('CREDENTIAL_NOT_FOUND', `no credential '${id}'`);

export const listCredentials = endpoint({
  summary: 'List credentials (of people inside your scope)',
  query: z.object({
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
  summary: 'Issue a credential to a person',
  body: createBody,
  status: 201,
  response: credentialSchema,
  async handle({ body, services, actor }) {
    const { id, ...rest } = body;
    return toCredentialOut(await services.credentials.create({ id: id ?? randomUUID(), ...rest }, actor));
  },
});

export const updateCredential = endpoint({
  summary: 'Change a credential: state (suspend, lost, revoke), validity, uses, PIN',
  params: idParams,
  body: patchBody,
  response: credentialSchema,
  async handle({ params, body, services, actor }) {
    return toCredentialOut(await services.credentials.update(params.id, body, actor));
  },
});

export const deleteCredential = endpoint({
  summary: 'Delete a credential (revoked on every controller at once; revoking keeps it on record)',
  params: idParams,
  status: 204,
  async handle({ params, services, actor }) {
    if (!(await services.credentials.remove(params.id, actor))) throw notFound(params.id);
    return undefined;
  },
});
