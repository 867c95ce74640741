// Alarm types (DESIGN.md §6.1) plus the two the management server's own supervision adds for R-SEC-5:
// `unknown_login` (an operator logged in from an address never seen for them) and `id_change_burst`
// (many credentials registered or deleted in a short time).

import { ALARM_TYPES as CORE_ALARM_TYPES } from '../../core/reasons.ts';

export const ALARM_TYPES = [...CORE_ALARM_TYPES, 'unknown_login', 'id_change_burst'] as const;
export type AlarmType = (typeof ALARM_TYPES)[number];

export const ALARM_STATES = ['active', 'acknowledged', 'resolved'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/**
 * What happened to an alarm, as listeners and the push stream are told: raised, counted again on the
 * open one (`repeated`, flood control), acknowledged, resolved, or commented on.
 */
export const ALARM_CHANGES = ['raised', 'repeated', 'acknowledged', 'resolved', 'commented'] as const;
export type AlarmChange = (typeof ALARM_CHANGES)[number];

/**
 * Types never counted on an open alarm: each one is an alarm of its own, whatever key it is raised
 * with. A duress code is a person asking for help; a second one is a second person (or a worse
 * moment), never a repeat to fold away.
 */
export const STANDS_ALONE: ReadonlySet<AlarmType> = new Set<AlarmType>(['duress']);

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const DEFAULT_SEVERITY: Record<AlarmType, Severity> = {
  duress: 'critical',
  fire: 'critical',
  forced_open: 'high',
  tamper: 'high',
  tailgating: 'medium',
  held_open: 'medium',
  antipassback_violation: 'medium',
  comms_lost: 'high',
  time_drift: 'high',
  login_failures: 'high',
  low_battery: 'low',
  credential_replay: 'high',
  unknown_login: 'medium',
  id_change_burst: 'high',
};
