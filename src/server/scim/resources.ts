// The SCIM resources Monban serves (RFC 7643): a User is a person (利用者) with the attributes the
// identity provider sent, a Group is a group whose memberships grant access levels. Incoming bodies
// are validated here with zod into `UserData` / `GroupData`; unknown attributes are ignored (identity
// providers send what their mapping holds), wrong types are `invalidValue`.

import { z } from 'zod';
import { BIDI_CONTROLS } from '../storage/text.ts';
import { invalidValue, ScimError } from './errors.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !/[\p{Cc}]/u.test(s) && !BIDI_CONTROLS.test(s), 'must not contain control characters');

/** Entra ID has sent booleans as the strings "True" and "False". */
const bool = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i)
    .transform((s) => s.toLowerCase() === 'true'),
]);

const multiValued = z.array(
  z
    .object({
      value: text(320).optional(),
      type: text(32).optional(),
      primary: bool.optional(),
      display: text(200).optional(),
    })
    .transform((v) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined))),
);

const nameSchema = z.object({
  formatted: text(200).optional(),
  familyName: text(100).optional(),
  givenName: text(100).optional(),
  middleName: text(100).optional(),
  honorificPrefix: text(32).optional(),
  honorificSuffix: text(32).optional(),
});

const enterprise = z.object({
  department: text(64).nullable().optional(),
  employeeNumber: text(64).nullable().optional(),
  organization: text(100).nullable().optional(),
});

const userBody = z.object({
  schemas: z.array(z.string()).optional(),
  userName: text(256).trim().min(1, 'must not be empty'),
  externalId: text(256).nullable().optional(),
  active: bool.optional(),
  displayName: text(200).nullable().optional(),
  nickName: text(100).nullable().optional(),
  title: text(100).nullable().optional(),
  preferredLanguage: text(35).nullable().optional(),
  locale: text(35).nullable().optional(),
  name: nameSchema.nullable().optional(),
  emails: multiValued.optional(),
  phoneNumbers: multiValued.optional(),
  [ENTERPRISE_SCHEMA]: enterprise.nullable().optional(),
});

/** What is kept of a SCIM user (sealed in the vault, except `active`, which is the person's). */
export interface UserData {
  userName: string;
  externalId?: string;
  active: boolean;
  displayName?: string;
  nickName?: string;
  title?: string;
  preferredLanguage?: string;
  locale?: string;
  name?: z.output<typeof nameSchema>;
  emails?: Record<string, unknown>[];
  phoneNumbers?: Record<string, unknown>[];
  department?: string;
  employeeNumber?: string;
  organization?: string;
}

function issuesOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(
      ([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0),
    ),
  ) as T;
}

export function parseUser(body: unknown): UserData {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ScimError(400, 'the body must be a JSON object', 'invalidSyntax');
  const parsed = userBody.safeParse(body);
  if (!parsed.success) throw invalidValue(issuesOf(parsed.error));
  const { schemas: _schemas, [ENTERPRISE_SCHEMA]: ext, name, ...core } = parsed.data;
  return compact({
    ...core,
    active: core.active ?? true,
    ...(name && { name: compact(name) }),
    ...(ext?.department && { department: ext.department }),
    ...(ext?.employeeNumber && { employeeNumber: ext.employeeNumber }),
    ...(ext?.organization && { organization: ext.organization }),
  }) as UserData;
}

/** The user as SCIM JSON without id and meta (what PATCH operations apply to). */
export function userDocument(user: UserData): Record<string, unknown> {
  const { department, employeeNumber, organization, ...core } = user;
  const ext = compact({ department, employeeNumber, organization });
  return {
    schemas: Object.keys(ext).length > 0 ? [USER_SCHEMA, ENTERPRISE_SCHEMA] : [USER_SCHEMA],
    ...structuredClone(core),
    ...(Object.keys(ext).length > 0 && { [ENTERPRISE_SCHEMA]: ext }),
  };
}

/** The name operators see: what the directory calls the person. */
export function displayNameOf(user: UserData): string {
  const given = [user.name?.givenName, user.name?.familyName].filter(Boolean).join(' ');
  const name = user.displayName || user.name?.formatted || given || user.userName;
  return name.trim().slice(0, 200) || user.userName.slice(0, 200);
}

const groupBody = z.object({
  schemas: z.array(z.string()).optional(),
  displayName: text(200).trim().min(1, 'must not be empty'),
  externalId: text(256).nullable().optional(),
  members: z
    .array(z.object({ value: z.string().min(1).max(128), display: z.string().max(200).optional() }))
    .max(10_000)
    .optional(),
});

export interface GroupData {
  displayName: string;
  externalId?: string;
  /** person ids (SCIM user ids) */
  members: string[];
}

export function parseGroup(body: unknown): GroupData {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ScimError(400, 'the body must be a JSON object', 'invalidSyntax');
  const parsed = groupBody.safeParse(body);
  if (!parsed.success) throw invalidValue(issuesOf(parsed.error));
  return {
    displayName: parsed.data.displayName,
    ...(parsed.data.externalId && { externalId: parsed.data.externalId }),
    members: [...new Set((parsed.data.members ?? []).map((m) => m.value))],
  };
}

export function groupDocument(group: GroupData): Record<string, unknown> {
  return {
    schemas: [GROUP_SCHEMA],
    displayName: group.displayName,
    ...(group.externalId && { externalId: group.externalId }),
    members: group.members.map((value) => ({ value })),
  };
}
