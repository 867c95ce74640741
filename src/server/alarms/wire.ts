// An alarm as the API and the push stream show it (times in ISO 8601): one schema for the routes'
// answers (routes.ts), the stream's `alarm` events (live/alarms.ts) and what one server instance
// relays to the others, which is checked against it before it reaches a stream.

import { z } from 'zod';
import { isoOut } from '../api/schemas.ts';
import type { Alarm } from './store.ts';
import { ALARM_STATES, ALARM_TYPES, SEVERITIES } from './types.ts';

export const alarmSchema = z
  .object({
    id: z.string(),
    type: z.enum(ALARM_TYPES),
    state: z.enum(ALARM_STATES),
    severity: z.enum(SEVERITIES),
    source: z.string(),
    site: z.string().nullable(),
    message: z.string(),
    detail: z.record(z.string(), z.unknown()),
    occurrences: z.number().int(),
    raisedAt: isoOut,
    lastRaisedAt: isoOut,
    acknowledgedAt: isoOut.nullable(),
    acknowledgedBy: z.string().nullable(),
    resolvedAt: isoOut.nullable(),
    resolvedBy: z.string().nullable(),
  })
  .meta({ id: 'Alarm' });

export type AlarmOut = z.infer<typeof alarmSchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
export const alarmOut = (a: Alarm): AlarmOut => ({
  ...a,
  raisedAt: new Date(a.raisedAt).toISOString(),
  lastRaisedAt: new Date(a.lastRaisedAt).toISOString(),
  acknowledgedAt: iso(a.acknowledgedAt),
  resolvedAt: iso(a.resolvedAt),
});
