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
  fields: { name: nameSchema, scheduleId: idSchema.nullable(), doors: uniqueIds('door') },
  defaults: { scheduleId: null, doors: [] },
  output: { name: z.string(), scheduleId: z.string().nullable(), doors: z.array(z.string()) },
  filters: { scheduleId: idSchema.optional() },
});
