// Doors (扉 / ゲート): join `fromArea` to `toArea`; driven by at most one controller.
import { z } from 'zod';
import { DOOR_MODES } from '../storage/doors.ts';
import { crud } from './crud.ts';
import { idSchema, nameSchema } from './schemas.ts';

/** The core's door rules (docs/scenarios.md describes each). */
const doorRulesSchema = z
  .strictObject({
    interlock: idSchema
      .optional()
      .meta({ description: 'interlock group: its doors never stand open together' }),
    localAntipassback: z.boolean().optional(),
    firstPersonIn: z.boolean().optional(),
    scheduledModes: z
      .array(z.strictObject({ schedule: idSchema, mode: z.enum(DOOR_MODES) }))
      .max(20)
      .optional(),
  })
  .meta({ description: 'interlock group, door-local anti-passback, first-person-in, scheduled modes' });

export const doors = crud({
  resource: 'door',
  schemaId: 'Door',
  notFound: 'DOOR_NOT_FOUND',
  store: (r) => r.doors,
  service: (s) => s.doors,
  fields: {
    name: nameSchema,
    fromArea: idSchema,
    toArea: idSchema,
    controllerId: idSchema.nullable(),
    mode: z.enum(DOOR_MODES),
    strikeSeconds: z.number().int().min(1).max(600),
    heldOpenSeconds: z.number().int().min(1).max(3600),
    rules: doorRulesSchema.nullable(),
  },
  defaults: { controllerId: null, mode: 'card', strikeSeconds: 5, heldOpenSeconds: 30, rules: null },
  output: {
    name: z.string(),
    fromArea: z.string(),
    toArea: z.string(),
    controllerId: z.string().nullable(),
    mode: z.enum(DOOR_MODES),
    strikeSeconds: z.number().int(),
    heldOpenSeconds: z.number().int(),
    rules: doorRulesSchema.nullable(),
  },
  filters: { controllerId: idSchema.optional(), fromArea: idSchema.optional(), toArea: idSchema.optional() },
});
