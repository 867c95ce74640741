// Cell parsers shared by the CSV kinds: a cell is text; blank means "none" (null).
import { z } from 'zod';
import { idSchema, labelSchema, nameSchema } from '../api/schemas.ts';
import { BIDI_CONTROLS } from '../storage/text.ts';
import type { TimeZone } from './times.ts';
import { parseCsvTime } from './times.ts';

const blankToNull = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx): z.output<T> | null => {
    if (s === '') return null;
    const result = schema.safeParse(s);
    if (result.success) return result.data;
    ctx.addIssue({ code: 'custom', message: result.error.issues[0]!.message });
    return z.NEVER;
  });

export const cells = {
  id: () => idSchema,
  name: () => nameSchema,
  label: () => blankToNull(labelSchema),
  text: (max: number) => () =>
    blankToNull(
      z
        .string()
        .max(max, `must be at most ${max} characters`)
        .refine((s) => !/[\p{Cc}]/u.test(s), 'must not contain control characters')
        .refine((s) => !BIDI_CONTROLS.test(s), 'must not contain bidirectional control characters'),
    ),
  /** a card number or key id: compared after NFKC, as the API does */
  identifier: () =>
    blankToNull(
      z
        .string()
        .normalize('NFKC')
        .max(128, 'must be at most 128 characters')
        .refine((s) => !/[\p{Cc}\s]/u.test(s), 'must not contain spaces or control characters')
        .refine((s) => !BIDI_CONTROLS.test(s), 'must not contain bidirectional control characters'),
    ),
  boolean: () =>
    z.string().transform((s, ctx) => {
      const v = s.toLowerCase();
      if (['', 'true', '1', 'yes', 'y', '有効', '在籍', 'はい'].includes(v)) return true;
      if (['false', '0', 'no', 'n', '無効', '退職', 'いいえ'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: 'must be true or false (or 1/0, yes/no, 有効/無効)' });
      return z.NEVER;
    }),
  /** ids separated by ; (a comma would split the cell) */
  idList: () =>
    z.string().transform((s, ctx) => {
      const ids = s
        .split(/[;；]/)
        .map((p) => p.trim())
        .filter((p) => p !== '');
      for (const id of ids)
        if (!idSchema.safeParse(id).success) {
          ctx.addIssue({ code: 'custom', message: 'must be ids separated by ;' });
          return z.NEVER;
        }
      if (new Set(ids).size !== ids.length) {
        ctx.addIssue({ code: 'custom', message: 'lists an id twice' });
        return z.NEVER;
      }
      return ids;
    }),
  time: (zone: TimeZone) =>
    blankToNull(
      z.string().transform((s, ctx) => {
        const ms = parseCsvTime(s, zone);
        if (ms === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: 'must be a date-time like 2026-04-01 09:00 or 2026-04-01T09:00:00+09:00',
          });
          return z.NEVER;
        }
        return ms;
      }),
    ),
  positiveInt: () =>
    blankToNull(
      z
        .string()
        .regex(/^\d+$/, 'must be a whole number')
        .transform(Number)
        .pipe(z.number().int().min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000')),
    ),
  /** never echoed: the message says what is wrong, not what was there */
  pin: () => blankToNull(z.string().regex(/^\d{4,12}$/, 'must be 4 to 12 digits')),
  oneOf:
    <T extends string>(values: readonly T[]) =>
    () =>
      blankToNull(z.enum(values as readonly [T, ...T[]], { error: `must be one of ${values.join(', ')}` })),
};
