// Doors (扉 / ゲート): join `fromArea` to `toArea`; driven by at most one controller.
import { z } from 'zod';
import { DOOR_MODES } from '../storage/doors.ts';
import { crud } from './crud.ts';
import { idSchema, nameSchema } from './schemas.ts';

export const doors = crud({
  resource: 'door',
  schemaId: 'Door',
  notFound: 'DOOR_NOT_FOUND',
  store: (r) => r.doors,
  fields: {
    name: nameSchema,
    fromArea: idSchema,
    toArea: idSchema,
    controllerId: idSchema.nullable(),
    mode: z.enum(DOOR_MODES),
    strikeSeconds: z.number().int().min(1).max(600),
    heldOpenSeconds: z.number().int().min(1).max(3600),
  },
  defaults: { controllerId: null, mode: 'card', strikeSeconds: 5, heldOpenSeconds: 30 },
  output: {
    name: z.string(),
    fromArea: z.string(),
    toArea: z.string(),
    controllerId: z.string().nullable(),
    mode: z.enum(DOOR_MODES),
    strikeSeconds: z.number().int(),
    heldOpenSeconds: z.number().int(),
  },
  filters: { controllerId: idSchema.optional(), fromArea: idSchema.optional(), toArea: idSchema.optional() },
});
