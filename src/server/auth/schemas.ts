// Shapes the security endpoints share: what a username, display name and password may be on the way
// in, and how an operator is shown on the way out (the login answer, the session, /api/operators).

import { z } from 'zod';
import { ROLES } from '../http/principal.ts';
import { BIDI_CONTROLS } from '../storage/text.ts';
import { MAX_PASSWORD_LENGTH } from './passwords.ts';

export const API_TOKEN_PREFIX = 'mbn_';

export const usernameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}._@-]+$/u, 'letters, digits and . _ @ - only');

/** Shown to other operators and in the audit trail: one line, no control or bidirectional characters. */
export const displayNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !/[\p{Cc}]/u.test(s) && !BIDI_CONTROLS.test(s), 'must not contain control characters');

/** A password as typed (the policy, passwords.ts, is checked by the handler): never shown back. */
export const passwordInput = z
  .string()
  .min(1)
  .max(MAX_PASSWORD_LENGTH * 4)
  .meta({ format: 'password' });

export const operatorScope = z
  .object({ departments: z.array(z.string()).readonly(), sites: z.array(z.string()).readonly() })
  .meta({ id: 'OperatorScope', description: 'empty lists: no restriction of that kind' });

export const operatorSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    displayName: z.string().nullable(),
    role: z.enum(ROLES),
    scope: z.union([operatorScope, z.literal('all')]),
    disabled: z.boolean(),
  })
  .meta({ id: 'Operator' });
