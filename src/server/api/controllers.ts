// Controllers (制御装置): the registry; enrollment (keys, certificates) comes later.
import { z } from 'zod';
import { crud } from './crud.ts';
import { labelSchema, nameSchema } from './schemas.ts';

export const controllers = crud({
  resource: 'controller',
  schemaId: 'Controller',
  notFound: 'CONTROLLER_NOT_FOUND',
  store: (r) => r.controllers,
  service: (s) => s.controllers,
  fields: {
    name: nameSchema,
    site: labelSchema.nullable(),
    description: z.string().trim().max(1000).nullable(),
  },
  defaults: { site: null, description: null },
  output: { name: z.string(), site: z.string().nullable(), description: z.string().nullable() },
  filters: { site: z.string().optional() },
});
