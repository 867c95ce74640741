// The closed vocabularies of DESIGN.md §6.1, shared by the core, logs, API, console and tests.

/** Deny reasons in the order of precedence of DESIGN.md §6.2: when several apply, the first is given. */
export const DENY_REASONS = [
  'unknown_credential',
  'credential_inactive',
  'person_inactive',
  'outside_validity',
  'uses_exhausted',
  'door_locked',
  'no_access',
  'outside_schedule',
  'pin_required',
  'wrong_pin',
  'factor_required',
  'antipassback',
  'route',
  'priority_absent',
  'escort_required',
  'occupancy_full',
  'interlock',
  'two_person_pending',
  /** the controller's, not a rule of the core: its event journal cannot be written (a full disk), so nothing opens */
  'journal_failed',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

/** A grant always carries this reason, so every decision has exactly one. */
export type GrantReason = 'granted';
export type Reason = DenyReason | GrantReason;

export const GRANT_WARNINGS = ['antipassback_soft', 'duress'] as const;
export type GrantWarning = (typeof GRANT_WARNINGS)[number];

export const ALARM_TYPES = [
  'tailgating',
  'forced_open',
  'held_open',
  'antipassback_violation',
  'duress',
  'tamper',
  'comms_lost',
  'time_drift',
  'login_failures',
  'low_battery',
  'fire',
  /** a mobile key token presented twice, or at another door or controller than it was issued for */
  'credential_replay',
] as const;
export type AlarmType = (typeof ALARM_TYPES)[number];

export function isDenyReason(value: string): value is DenyReason {
  return (DENY_REASONS as readonly string[]).includes(value);
}
export function isAlarmType(value: string): value is AlarmType {
  return (ALARM_TYPES as readonly string[]).includes(value);
}
