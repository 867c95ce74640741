// Areas (エリア / 区域): spaces people are in; `outside` is built in and the default parent.
import { z } from 'zod';
import { crud } from './crud.ts';
import { idSchema, labelSchema, nameSchema } from './schemas.ts';

const antipassbackSchema = z.strictObject({
  mode: z.enum(['hard', 'soft']),
  reentryMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
});

export const areas = crud({
  resource: 'area',
  schemaId: 'Area',
  notFound: 'AREA_NOT_FOUND',
  store: (r) => r.areas,
  fields: {
    name: nameSchema,
    parentId: idSchema,
    site: labelSchema.nullable(),
    maxOccupancy: z.number().int().min(1).max(1_000_000).nullable(),
    antipassback: antipassbackSchema.nullable(),
    offlineMode: z.enum(['local', 'deny']).meta({
      description: 'while a controller has lost the server: decide locally, or deny at this area’s doors',
    }),
  },
  defaults: { parentId: 'outside', site: null, maxOccupancy: null, antipassback: null, offlineMode: 'local' },
  output: {
    name: z.string(),
    parentId: z.string(),
    site: z.string().nullable(),
    maxOccupancy: z.number().int().nullable(),
    antipassback: z
      .object({ mode: z.enum(['hard', 'soft']), reentryMinutes: z.number().int().optional() })
      .nullable(),
    offlineMode: z.enum(['local', 'deny']),
  },
  filters: { site: z.string().optional(), parentId: idSchema.optional() },
});
