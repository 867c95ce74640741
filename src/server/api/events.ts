// Events: read-only search by person, door, area, type and time range, in (time, id) order with
// opaque cursors, so paging is stable while new events arrive. A scoped operator sees events of
// people inside their scope and events of no one (a door forced open).
import { z } from 'zod';
import { endpoint } from './endpoint.ts';
import { idSchema, iso, isoOut, isoTime, pageOf, pageQuery } from './schemas.ts';

export const eventSchema = z
  .object({
    id: z.number().int(),
    controllerId: z.string(),
    seq: z.number().int(),
    at: isoOut,
    type: z.string(),
    door: z.string().optional(),
    area: z.string().optional(),
    personId: z.string().optional(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Event' });

export const searchEvents = endpoint({
  summary: 'Search events',
  query: z.strictObject({
    person: idSchema.optional(),
    door: idSchema.optional(),
    area: idSchema.optional(),
    type: z.string().max(32).optional(),
    from: isoTime.optional().meta({ description: 'inclusive' }),
    until: isoTime.optional().meta({ description: 'exclusive' }),
    ...pageQuery,
  }),
  response: pageOf(eventSchema),
  async handle({ query, repos, scope }) {
    const page = await repos.events.search({
      ...(query.person !== undefined && { personId: query.person }),
      ...(query.door !== undefined && { door: query.door }),
      ...(query.area !== undefined && { area: query.area }),
      ...(query.type !== undefined && { type: query.type }),
      ...(query.from !== undefined && { from: query.from }),
      ...(query.until !== undefined && { until: query.until }),
      ...(query.cursor !== undefined && { cursor: query.cursor }),
      limit: query.limit,
      scope,
    });
    return { items: page.items.map((e) => ({ ...e, at: iso(e.at) })), next: page.next ?? null };
  },
});
