// Schemas shared by the resources: ids, names, times, pages. Input times are ISO 8601 with an offset
// (`2026-04-01T09:00:00+09:00`); output times are ISO 8601 UTC. Storage keeps milliseconds.

import { z } from 'zod';
import { BIDI_CONTROLS } from '../storage/text.ts';

/**
 * Record ids: letters (any script), digits and . _ : @ -, up to 64, starting with a letter or digit.
 * Compared after NFKC, so a full-width ＥＭＰ１ is the same id as EMP1.
 */
export const idSchema = z
  .string()
  .normalize('NFKC')
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}._:@-]{0,63}$/u, 'must be 1–64 letters, digits or . _ : @ - (no spaces)');

export const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine((s) => !/[\p{Cc}]/u.test(s), 'must not contain control characters')
  .refine((s) => !BIDI_CONTROLS.test(s), 'must not contain bidirectional control characters');

/** Department or site label: free text (営業部), one line, up to 64 characters. */
export const labelSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .refine((s) => !/[\p{Cc}]/u.test(s), 'must not contain control characters')
  .refine((s) => !BIDI_CONTROLS.test(s), 'must not contain bidirectional control characters');

export const idParams = z.object({ id: idSchema });

export const isoTime = z.iso
  .datetime({
    offset: true,
    error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-04-01T09:00:00+09:00',
  })
  .transform((s) => Date.parse(s));

export const isoOut = z.iso.datetime();
export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const pageQuery = {
  cursor: z.string().max(512).optional().meta({ description: 'the `next` value of the previous page' }),
  limit: z.coerce
    .number({ error: 'must be a whole number from 1 to 1000' })
    .int('must be a whole number from 1 to 1000')
    .min(1, 'must be a whole number from 1 to 1000')
    .max(1000, 'must be a whole number from 1 to 1000')
    .default(100),
};

export const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next: z.string().nullable().meta({ description: 'cursor of the next page; null on the last page' }),
  });
}

export const stamps = { createdAt: isoOut, updatedAt: isoOut };

export const uniqueIds = (what: string) =>
  z
    .array(idSchema)
    .max(1000)
    .refine((ids) => new Set(ids).size === ids.length, `must not list a ${what} twice`);
