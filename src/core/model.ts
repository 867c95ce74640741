// The site model: what an administrator configures. It is the input of policy compilation and has the
// shape of the scenario format (DESIGN.md §6.2, docs/scenarios.md) so that scenarios, storage and the
// API all describe a site the same way. Times are local to the site's time zone.

export type DoorMode = 'card' | 'card+pin' | 'card+biometric' | 'pin' | 'unlocked' | 'locked';
export const DOOR_MODES: readonly DoorMode[] = [
  'card',
  'card+pin',
  'card+biometric',
  'pin',
  'unlocked',
  'locked',
];

export type CredentialType = 'card' | 'pin' | 'mobile' | 'key' | 'biometric';
export const CREDENTIAL_TYPES: readonly CredentialType[] = ['card', 'pin', 'mobile', 'key', 'biometric'];

export type CredentialState = 'active' | 'suspended' | 'lost' | 'revoked';
export const CREDENTIAL_STATES: readonly CredentialState[] = ['active', 'suspended', 'lost', 'revoked'];

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export type AntipassbackMode = 'hard' | 'soft';
export const ANTIPASSBACK_MODES: readonly AntipassbackMode[] = ['hard', 'soft'];

export interface AntipassbackRule {
  mode: AntipassbackMode;
  /** after entering, the same person cannot enter again within this many minutes */
  reentryMinutes?: number;
  /** "HH:MM": every day at this local time everyone's presence in the area becomes unknown */
  resetAt?: string;
}

export interface TwoPersonRule {
  withinSeconds: number;
  /** one person suffices while at least this many people are inside */
  enoughWhenInside?: number;
  /** one of the pair must be a member of this group */
  requireGroup?: string;
}

export interface EscortRule {
  visitorGroup: string;
  escortGroup: string;
  withinSeconds: number;
}

export interface AreaDef {
  id: string;
  parent?: string;
  antipassback?: AntipassbackRule;
  twoPerson?: TwoPersonRule;
  route?: { requires: string };
  priority?: { group: string };
  escort?: EscortRule;
  maxOccupancy?: number;
  fireZone?: string;
}

export interface ScheduledMode {
  schedule: string;
  mode: DoorMode;
}

export interface DoorDef {
  id: string;
  from: string;
  to: string;
  mode?: DoorMode;
  scheduledModes?: ScheduledMode[];
  firstPersonIn?: boolean;
  antipassback?: 'local';
  interlock?: string;
  strikeSeconds?: number;
  heldOpenSeconds?: number;
}

export interface ScheduleDef {
  id: string;
  /** "HH:MM-HH:MM" intervals, [start, end) local time; an end at or before the start runs past midnight */
  weekly: Partial<Record<Weekday, string[]>>;
  /** "YYYY-MM-DD" dates on which the weekly intervals do not apply */
  holidays?: string[];
  /** holiday calendars whose dates count as holidays too */
  calendars?: string[];
  /** intervals that apply on holidays instead (default: none, the whole day is closed) */
  holiday?: string[];
}

export interface HolidayCalendarDef {
  id: string;
  dates: string[];
}

export interface LevelDef {
  id: string;
  doors: string[];
  schedule?: string;
  /** the level grants nothing while the site threat level is above this */
  maxThreatLevel?: number;
}

export interface GroupDef {
  id: string;
  levels?: string[];
}

export interface CredentialDef {
  type: CredentialType;
  id?: string;
  /** the card's own PIN, or the digits of a PIN-only credential */
  pin?: string;
  /** typed instead of the PIN: opens, and raises a silent duress alarm */
  duressPin?: string;
  /** local date-time, inclusive */
  validFrom?: string;
  /** local date-time, exclusive */
  validUntil?: string;
  maxUses?: number;
  /**
   * valid for this many minutes from its first grant (a key that runs for N hours once used); the
   * window ends earlier when `validUntil` comes first
   */
  validForMinutes?: number;
  /**
   * the credential's own levels (a time-limited key for chosen doors and hours): it opens only what
   * these grant, never what its holder's groups and levels do
   */
  levels?: string[];
  state?: CredentialState;
  /**
   * a mobile key's device public key (ECDSA P-256, base64url of the uncompressed point): the
   * controller verifies the phone's signed token with it before the core decides; the core itself
   * does not read it
   */
  publicKey?: string;
}

export interface PersonDef {
  id: string;
  groups?: string[];
  levels?: string[];
  active?: boolean;
  credentials: CredentialDef[];
}

export interface SiteDef {
  timezone: string;
  areas: AreaDef[];
  doors: DoorDef[];
  schedules: ScheduleDef[];
  holidayCalendars: HolidayCalendarDef[];
  levels: LevelDef[];
  groups: GroupDef[];
  people: PersonDef[];
}

export const OUTSIDE = 'outside';
export const DEFAULT_STRIKE_SECONDS = 5;
export const DEFAULT_HELD_OPEN_SECONDS = 30;
export const DEFAULT_TIMEZONE = 'Asia/Tokyo';
