// The scenario file format (DESIGN.md §6.2 version 1, plus docs/scenarios.md), validated with zod.
// Objects are strict: an unknown key is an error, so a typo never silently weakens a test.

import { z } from 'zod';
import {
  CREDENTIAL_STATES,
  CREDENTIAL_TYPES,
  DEFAULT_TIMEZONE,
  DOOR_MODES,
  WEEKDAYS,
} from '../core/model.ts';
import { ALARM_TYPES, DENY_REASONS, GRANT_WARNINGS } from '../core/reasons.ts';

const id = z.string().min(1, 'must not be empty');
/** PINs and ids may be written unquoted in YAML; they are strings all the same. */
const text = z.union([z.string(), z.number().transform(String)]).pipe(z.string().min(1, 'must not be empty'));
const ids = z.array(id);
const count = z.number().int('must be a whole number').nonnegative('must be ≥ 0');
const positive = z.number().positive('must be > 0');
const intervals = z.array(z.string().regex(/^\d{2}:\d{2}-\d{2}:\d{2}$/, 'must be an interval HH:MM-HH:MM'));
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const localDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'must be a local date-time YYYY-MM-DDTHH:MM[:SS]');
const doorMode = z
  .enum(DOOR_MODES as [string, ...string[]])
  .transform((m) => m as (typeof DOOR_MODES)[number]);

const area = z.strictObject({
  id,
  parent: id.optional(),
  antipassback: z
    .strictObject({
      mode: z.enum(['hard', 'soft']),
      reentryMinutes: positive.optional(),
      resetAt: z
        .string()
        .regex(/^\d{2}:\d{2}$/, 'must be a time HH:MM')
        .optional(),
    })
    .optional(),
  twoPerson: z
    .strictObject({
      withinSeconds: positive,
      enoughWhenInside: count.optional(),
      requireGroup: id.optional(),
    })
    .optional(),
  route: z.strictObject({ requires: id }).optional(),
  priority: z.strictObject({ group: id }).optional(),
  escort: z.strictObject({ visitorGroup: id, escortGroup: id, withinSeconds: positive }).optional(),
  maxOccupancy: count.optional(),
  fireZone: id.optional(),
});

const door = z.strictObject({
  id,
  from: id,
  to: id,
  mode: doorMode.optional(),
  scheduledModes: z.array(z.strictObject({ schedule: id, mode: doorMode })).optional(),
  firstPersonIn: z.boolean().optional(),
  antipassback: z.literal('local').optional(),
  interlock: id.optional(),
  strikeSeconds: count.optional(),
  heldOpenSeconds: count.optional(),
});

const weekly = z.strictObject(
  Object.fromEntries(WEEKDAYS.map((d) => [d, intervals.optional()])) as Record<
    (typeof WEEKDAYS)[number],
    z.ZodOptional<typeof intervals>
  >,
);

const schedule = z.strictObject({
  id,
  weekly,
  holidays: z.array(date).optional(),
  calendars: ids.optional(),
  holiday: intervals.optional(),
});

const credential = z.strictObject({
  type: z
    .enum(CREDENTIAL_TYPES as [string, ...string[]])
    .transform((t) => t as (typeof CREDENTIAL_TYPES)[number]),
  id: text.optional(),
  pin: text.optional(),
  duressPin: text.optional(),
  validFrom: localDateTime.optional(),
  validUntil: localDateTime.optional(),
  maxUses: count.optional(),
  validForMinutes: count.optional(),
  levels: ids.optional(),
  state: z
    .enum(CREDENTIAL_STATES as [string, ...string[]])
    .transform((s) => s as (typeof CREDENTIAL_STATES)[number])
    .optional(),
});

const person = z.strictObject({
  id,
  groups: ids.optional(),
  levels: ids.optional(),
  active: z.boolean().optional(),
  credentials: z.array(credential).default([]),
});

export const CREDENTIAL_REF = /^(card|mobile|key|pin|biometric):.+$/;
const credentialRef = z
  .string()
  .regex(CREDENTIAL_REF, 'must be TYPE:ID (card:C-1001, mobile:M-7, key:K-3) or pin:DIGITS');

const present = z.strictObject({
  door: id,
  side: z.enum(['in', 'out']),
  credential: credentialRef,
  pin: text.optional(),
  biometric: z.boolean().optional(),
});

const operator = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('forgive-antipassback'), person: id }),
  z.strictObject({ action: z.literal('reset-area'), area: id }),
  z.strictObject({
    action: z.literal('override-door'),
    door: id,
    mode: z.enum(['unlocked', 'locked']),
    minutes: positive,
  }),
  z.strictObject({ action: z.literal('end-override'), door: id }),
  z.strictObject({ action: z.literal('revoke-credential'), person: id, credential: credentialRef }),
  z.strictObject({ action: z.literal('set-lockdown'), active: z.boolean(), exempt: ids.optional() }),
  z.strictObject({ action: z.literal('set-threat-level'), level: count }),
  z.strictObject({ action: z.literal('unlock-door'), door: id }),
  z.strictObject({ action: z.literal('clear-fire'), zone: id }),
]);

const expect = z.strictObject({
  result: z.enum(['grant', 'deny']).optional(),
  reason: z.enum(['granted', ...DENY_REASONS]).optional(),
  warning: z.enum(GRANT_WARNINGS).optional(),
  warnings: z.array(z.enum(GRANT_WARNINGS)).optional(),
  alarm: z.enum(ALARM_TYPES).optional(),
  alarms: z.array(z.enum(ALARM_TYPES)).optional(),
  noAlarm: z.literal(true).optional(),
  doorsUnlocked: ids.optional(),
  doorsLocked: ids.optional(),
  inside: z.record(z.string(), ids).optional(),
  occupancy: z.record(z.string(), count).optional(),
  muster: ids.optional(),
  uses: z.strictObject({ person: id, credential: credentialRef, count }).optional(),
});

export const ACTION_KEYS = ['present', 'passage', 'doorSensor', 'rex', 'operator', 'fire'] as const;

const step = z
  .strictObject({
    at: localDateTime,
    present: present.optional(),
    passage: z.strictObject({ door: id, count }).optional(),
    doorSensor: z.strictObject({ door: id, open: z.boolean() }).optional(),
    rex: z.strictObject({ door: id }).optional(),
    operator: operator.optional(),
    fire: z.strictObject({ zone: id, active: z.boolean() }).optional(),
    expect: expect.optional(),
  })
  .superRefine((s, ctx) => {
    const actions = ACTION_KEYS.filter((k) => s[k] !== undefined);
    if (actions.length > 1)
      ctx.addIssue({
        code: 'custom',
        message: `a step has at most one action, found ${actions.join(' and ')}`,
        path: [actions[1]!],
      });
    const e = s.expect;
    if (e && s.present === undefined && (e.result ?? e.reason ?? e.warning ?? e.warnings) !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'result, reason and warnings can only be expected of a `present` step',
        path: ['expect'],
      });
    }
  });

export const scenarioSchema = z.strictObject({
  version: z.literal(1, {
    error: (issue) => (issue.input === undefined ? 'is required' : 'version must be 1'),
  }),
  name: z.string().optional(),
  description: z.string().optional(),
  timezone: z.string().default(DEFAULT_TIMEZONE),
  holidayCalendars: z.array(z.strictObject({ id, dates: z.array(date) })).default([]),
  areas: z.array(area).default([]),
  doors: z.array(door).default([]),
  schedules: z.array(schedule).default([]),
  levels: z
    .array(z.strictObject({ id, doors: ids, schedule: id.optional(), maxThreatLevel: count.optional() }))
    .default([]),
  groups: z.array(z.strictObject({ id, levels: ids.optional() })).default([]),
  people: z.array(person).default([]),
  timeline: z.array(step).default([]),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type ScenarioStep = ScenarioFile['timeline'][number];
export type ScenarioExpect = NonNullable<ScenarioStep['expect']>;
