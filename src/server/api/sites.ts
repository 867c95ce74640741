// Sites (拠点): the time zone, holiday calendars and controller topic name of a building or campus.
// Schedules and snapshots take the time zone from the site where they apply (docs/api.md).
import { z } from 'zod';
import { ApiError } from '../http/errors.ts';
import { crud } from './crud.ts';
import { timezoneSchema } from './schedules.ts';
import { nameSchema, uniqueIds } from './schemas.ts';

const TOPIC = /^[A-Za-z0-9_-]{1,32}$/;
export const topicSchema = z
  .string()
  .regex(TOPIC, 'must be 1–32 letters, digits, _ or - (an MQTT topic segment)');

export const sites = crud({
  resource: 'site',
  schemaId: 'Site',
  notFound: 'SITE_NOT_FOUND',
  store: (r) => r.sites,
  service: (s) => s.sites,
  fields: {
    name: nameSchema,
    timezone: timezoneSchema.meta({ description: 'IANA time zone; schedules at this site are local to it' }),
    topic: topicSchema.meta({
      description: 'the site name in its controllers’ MQTT topics (monban/<topic>/…); default: the id',
    }),
    holidayCalendars: uniqueIds('holiday calendar').meta({
      description: 'calendars whose dates are holidays for every schedule applied here',
    }),
  },
  defaults: { timezone: 'Asia/Tokyo', holidayCalendars: [] },
  optionalOnCreate: ['topic'],
  prepareCreate(body) {
    if (body.topic !== undefined) return body;
    if (!TOPIC.test(body.id))
      throw new ApiError('INVALID_INPUT', 'body.topic: is required when the id is not a valid topic', {
        field: 'body.topic',
        issues: [{ field: 'body.topic', reason: 'is required when the id is not a valid topic' }],
      });
    return { ...body, topic: body.id };
  },
  output: {
    name: z.string(),
    timezone: z.string(),
    topic: z.string(),
    holidayCalendars: z.array(z.string()),
  },
});
