// Areas (エリア / 区域): spaces people are in; `outside` is built in and the default parent.
import { z } from 'zod';
import { ANTIPASSBACK_MODES } from '../../core/model.ts';
import { MY_NUMBER_ZONES, OFFLINE_MODES } from '../storage/areas.ts';
import { crud } from './crud.ts';
import { idSchema, labelSchema, nameSchema } from './schemas.ts';

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM');

const antipassbackSchema = z.strictObject({
  mode: z.enum(ANTIPASSBACK_MODES),
  reentryMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  resetAt: timeOfDay
    .optional()
    .meta({ description: 'every day at this local time, presence becomes unknown' }),
});

const seconds = z.number().int().min(1).max(3600);

/** The core's area rules (docs/scenarios.md describes each). */
const areaRulesSchema = z
  .strictObject({
    twoPerson: z
      .strictObject({
        withinSeconds: seconds,
        enoughWhenInside: z.number().int().min(1).max(10_000).optional(),
        requireGroup: idSchema.optional(),
      })
      .optional(),
    route: z.strictObject({ requires: idSchema }).optional(),
    priority: z.strictObject({ group: idSchema }).optional(),
    escort: z
      .strictObject({ visitorGroup: idSchema, escortGroup: idSchema, withinSeconds: seconds })
      .optional(),
    fireZone: idSchema.optional(),
  })
  .meta({ description: 'two-person rule, route, priority group, escort, fire zone' });

const myNumberZoneSchema = z.enum(MY_NUMBER_ZONES).nullable().meta({
  description:
    'My Number zone: management (管理区域) or handling (取扱区域); null: neither. Read by the zone reports',
});

export const areas = crud({
  resource: 'area',
  schemaId: 'Area',
  notFound: 'AREA_NOT_FOUND',
  store: (r) => r.areas,
  service: (s) => s.areas,
  fields: {
    name: nameSchema,
    parentId: idSchema,
    site: labelSchema.nullable(),
    maxOccupancy: z.number().int().min(0).max(1_000_000).nullable().meta({ description: '0 lets nobody in' }),
    antipassback: antipassbackSchema.nullable(),
    offlineMode: z.enum(OFFLINE_MODES).meta({
      description: 'while a controller has lost the server: decide locally, or deny at this area’s doors',
    }),
    rules: areaRulesSchema.nullable(),
    myNumberZone: myNumberZoneSchema,
  },
  defaults: {
    parentId: 'outside',
    site: null,
    maxOccupancy: null,
    antipassback: null,
    offlineMode: 'local',
    rules: null,
    myNumberZone: null,
  },
  output: {
    name: z.string(),
    parentId: z.string(),
    site: z.string().nullable(),
    maxOccupancy: z.number().int().nullable(),
    antipassback: z
      .object({
        mode: z.enum(ANTIPASSBACK_MODES),
        reentryMinutes: z.number().int().optional(),
        resetAt: z.string().optional(),
      })
      .nullable(),
    offlineMode: z.enum(OFFLINE_MODES),
    rules: areaRulesSchema.nullable(),
    myNumberZone: myNumberZoneSchema,
  },
  filters: { site: z.string().optional(), parentId: idSchema.optional() },
});
