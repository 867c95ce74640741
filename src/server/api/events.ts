// Events: read-only search by person, door, area, type and time range, in (time, id) order with
// opaque cursors, so paging is stable while new events arrive. A scoped operator sees events of
// people inside their scope and events of no one (a door forced open).
//
// Each event reads on its own: the credential by its safe reference (`card:C-1001`, never a hash or
// PIN digits), the person's and door's names, and for a denial the trace of the rules checked.
import { z } from 'zod';
import { controllerEventSchema } from '../../contracts/messages.ts';
import { TRACE_RESULTS } from '../../core/events.ts';
import { SIDES } from '../../core/policy.ts';
import {
  ALARM_TYPES,
  DENY_REASONS,
  GRANT_WARNINGS,
  type GrantWarning,
  isAlarmType,
} from '../../core/reasons.ts';
import type { NamedEvent, StoredEvent } from '../storage/events.ts';
import { endpoint } from './endpoint.ts';
import { idSchema, iso, isoOut, isoTime, pageOf, pageQuery } from './schemas.ts';

export const EVENT_TYPES = controllerEventSchema.shape.type.options;
const REASONS = ['granted', ...DENY_REASONS] as const;

export const traceEntry = z
  .object({ rule: z.string(), result: z.enum(TRACE_RESULTS), detail: z.string().optional() })
  .meta({ id: 'TraceEntry', description: 'one rule checked for the decision, in the order checked' });

export const eventSchema = z
  .object({
    id: z.number().int(),
    at: isoOut,
    type: z.enum(EVENT_TYPES),
    controllerId: z.string(),
    seq: z.number().int().meta({ description: 'the controller’s journal sequence' }),
    door: z.string().nullable(),
    doorName: z.string().nullable(),
    area: z.string().nullable(),
    personId: z.string().nullable(),
    personName: z.string().nullable(),
    credential: z
      .string()
      .nullable()
      .meta({ description: 'safe reference: card:C-1001, mobile:M-7, pin#<credential id>; never digits' }),
    credentialId: z.string().nullable().meta({ description: 'the credential record, when known' }),
    result: z.enum(['grant', 'deny']).nullable().meta({ description: 'access events' }),
    reason: z.enum(REASONS).nullable().meta({ description: 'access events: granted or the deny reason' }),
    warnings: z.array(z.enum(GRANT_WARNINGS)),
    side: z.enum(SIDES).nullable(),
    alarm: z.enum(ALARM_TYPES).nullable().meta({ description: 'alarm events' }),
    trace: z.array(traceEntry).nullable().meta({ description: 'denials: the rules checked' }),
    detail: z.record(z.string(), z.unknown()).meta({ description: 'anything else the controller reported' }),
  })
  .meta({ id: 'Event' });

const LIFTED = ['result', 'reason', 'warnings', 'side', 'credential', 'credentialId', 'trace', 'alarm'];

function parseTrace(value: unknown): z.infer<typeof traceEntry>[] | null {
  if (typeof value !== 'string') return null;
  try {
    const entries = JSON.parse(value) as unknown;
    return Array.isArray(entries) ? entries.filter((e) => traceEntry.safeParse(e).success) : null;
  } catch {
    return null;
  }
}

const oneOf = <T extends string>(values: readonly T[], value: unknown): T | null =>
  typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : null;

/** The stored event as the API shows it; a value the server does not know stays in `detail`. */
export function toEventOut(e: StoredEvent & NamedEvent): z.input<typeof eventSchema> {
  const d = e.detail;
  const warnings =
    typeof d.warnings === 'string' && d.warnings !== ''
      ? (d.warnings
          .split(',')
          .filter((w) => (GRANT_WARNINGS as readonly string[]).includes(w)) as GrantWarning[])
      : [];
  const detail = Object.fromEntries(Object.entries(d).filter(([k]) => !LIFTED.includes(k)));
  return {
    id: e.id,
    at: iso(e.at),
    type: oneOf(EVENT_TYPES, e.type) ?? 'reader',
    controllerId: e.controllerId,
    seq: e.seq,
    door: e.door ?? null,
    doorName: e.doorName,
    area: e.area ?? null,
    personId: e.personId ?? null,
    personName: e.personName,
    credential: typeof d.credential === 'string' ? d.credential : null,
    credentialId: typeof d.credentialId === 'string' ? d.credentialId : null,
    result: oneOf(['grant', 'deny'] as const, d.result),
    reason: oneOf(REASONS, d.reason),
    warnings,
    side: oneOf(SIDES, d.side),
    alarm: typeof d.alarm === 'string' && isAlarmType(d.alarm) ? d.alarm : null,
    trace: d.result === 'deny' ? parseTrace(d.trace) : null,
    detail,
  };
}

export const searchEvents = endpoint({
  operationId: 'searchEvents',
  summary: 'Search events',
  description:
    'Access decisions, alarms, door changes and operator actions reported by controllers, oldest first.',
  query: z.strictObject({
    person: idSchema.optional(),
    door: idSchema.optional(),
    area: idSchema.optional(),
    type: z.enum(EVENT_TYPES).optional(),
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
    return { items: page.items.map(toEventOut), next: page.next ?? null };
  },
});
