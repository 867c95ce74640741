// Access levels (アクセスレベル): doors × an optional schedule (none: valid at all times).
import { z } from 'zod';
import { crud } from './crud.ts';
import { idSchema, nameSchema, uniqueIds } from './schemas.ts';

export const accessLevels = crud({
  resource: 'access level',
  schemaId: 'AccessLevel',
  notFound: 'ACCESS_LEVEL_NOT_FOUND',
  store: (r) => r.accessLevels,
  service: (s) => s.accessLevels,
  fields: {
    name: nameSchema,
    scheduleId: idSchema.nullable(),
    doors: uniqueIds('door'),
    maxThreatLevel: z
      .number()
      .int()
      .min(0)
      .max(100)
      .nullable()
      .meta({ description: 'the level grants nothing while the site threat level is above this' }),
  },
  defaults: { scheduleId: null, doors: [], maxThreatLevel: null },
  output: {
    name: z.string(),
    scheduleId: z.string().nullable(),
    doors: z.array(z.string()),
    maxThreatLevel: z.number().int().nullable(),
  },
  filters: { scheduleId: idSchema.optional() },
});
