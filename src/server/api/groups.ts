// Groups: people belong to them; they carry access levels (R-ACC-2).
import { z } from 'zod';
import { crud } from './crud.ts';
import { nameSchema, uniqueIds } from './schemas.ts';

export const groups = crud({
  resource: 'group',
  schemaId: 'Group',
  notFound: 'GROUP_NOT_FOUND',
  store: (r) => r.groups,
  service: (s) => s.groups,
  fields: {
    name: nameSchema,
    description: z.string().trim().max(1000).nullable(),
    levels: uniqueIds('level'),
  },
  defaults: { description: null, levels: [] },
  output: { name: z.string(), description: z.string().nullable(), levels: z.array(z.string()) },
});
