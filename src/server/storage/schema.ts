// Table types for Kysely: one interface per table, the same on SQLite and PostgreSQL. Times are
// milliseconds since the epoch (bigint-safe numbers), booleans are 0/1 integers, and structured
// values (schedule intervals, event details) are JSON text, so one schema serves both engines.

import type { Generated } from 'kysely';

export interface PeopleTable {
  id: string;
  name: string;
  department: string | null;
  site: string | null;
  active: number;
  /** when the person was marked as left (退職/退去); null while they have not left */
  left_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface PersonGroupsTable {
  person_id: string;
  group_id: string;
}

export interface PersonLevelsTable {
  person_id: string;
  level_id: string;
}

export interface CredentialsTable {
  id: string;
  person_id: string;
  type: string;
  /** identifier for card/mobile/key/biometric credentials; for PIN-only ones the PIN's keyed hash */
  identifier: string | null;
  /** HMAC-SHA256 of the PIN (card PIN, or the PIN-only credential's digits); never the PIN */
  pin_hash: string | null;
  duress_pin_hash: string | null;
  state: string;
  valid_from: number | null;
  valid_until: number | null;
  max_uses: number | null;
  uses: number;
  label: string | null;
  /** the keyed hash controllers name the credential by (contracts/credential-key.ts); null for PIN-only */
  ref_hash: string | null;
  created_at: number;
  updated_at: number | null;
}

export interface GroupsTable {
  id: string;
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

export interface GroupLevelsTable {
  group_id: string;
  level_id: string;
}

export interface AccessLevelsTable {
  id: string;
  name: string;
  schedule_id: string | null;
  /** the level grants nothing while the site threat level is above this; null: no limit */
  max_threat_level: number | null;
  created_at: number;
  updated_at: number;
}

export interface AccessLevelDoorsTable {
  level_id: string;
  door_id: string;
}

export interface SchedulesTable {
  id: string;
  name: string;
  timezone: string;
  /** JSON { mon?: ["09:00-18:00"], … } */
  weekly: string;
  /** JSON ["10:00-12:00"]: intervals that apply on holidays instead; null: none (closed) */
  holiday_intervals: string | null;
  /** 1: the holiday calendars of the site where the schedule applies count for it too */
  site_holidays: number;
  created_at: number;
  updated_at: number;
}

export interface ScheduleHolidaysTable {
  schedule_id: string;
  calendar_id: string;
}

export interface HolidayCalendarsTable {
  id: string;
  name: string;
  /** JSON { name: 'jp', from, until }: the preset the dates were filled from; null: none */
  preset: string | null;
  created_at: number;
  updated_at: number;
}

export interface HolidayDatesTable {
  calendar_id: string;
  /** YYYY-MM-DD, a local date in the schedule's time zone */
  date: string;
  name: string;
}

export interface AreasTable {
  id: string;
  name: string;
  parent_id: string | null;
  site: string | null;
  max_occupancy: number | null;
  /** JSON { mode: 'hard'|'soft', reentryMinutes? } or null */
  antipassback: string | null;
  /** what a controller that has lost the server does at this area's doors: 'local' or 'deny' */
  offline_mode: string;
  /** JSON AreaRules (storage/areas.ts): two-person, route, priority, escort, fire zone; or null */
  rules: string | null;
  /** My Number zone class: 'management' (管理区域), 'handling' (取扱区域) or null */
  my_number_zone?: string | null;
  created_at: number;
  updated_at: number;
}

/** A site (拠点): its time zone, holiday calendars and MQTT topic name. */
export interface SitesTable {
  id: string;
  name: string;
  timezone: string;
  topic: string;
  created_at: number;
  updated_at: number;
}

export interface SiteHolidaysTable {
  site_id: string;
  calendar_id: string;
}

export interface ControllersTable {
  id: string;
  name: string;
  site: string | null;
  description: string | null;
  created_at: number;
  updated_at: number;
}

/** The link to an enrolled controller (server/controllers): identity, supervision, sync state. */
export interface ControllerLinksTable {
  controller_id: string;
  /** sha256 of the one-time enrollment token while one is outstanding */
  enrollment_token_hash: string | null;
  enrollment_expires_at: number | null;
  /** the controller's Ed25519 public key (SPKI PEM), set by enrollment */
  public_key: string | null;
  enrolled_at: number | null;
  link_state: string;
  last_seen_at: number | null;
  software_version: string | null;
  config_hash: string | null;
  /** the configuration hash recorded as the baseline (before maintenance), to compare after */
  config_baseline: string | null;
  clock_offset_ms: number | null;
  journal_pending: number | null;
  snapshot_version: number | null;
  /** the last envelope sequence accepted from this controller */
  last_seq: number;
  updated_at: number;
}

/** Named values the server keeps across restarts (the reserved signing sequence). */
export interface ServerStateTable {
  key: string;
  value: number;
}

export interface DoorsTable {
  id: string;
  name: string;
  from_area: string;
  to_area: string;
  controller_id: string | null;
  mode: string;
  strike_seconds: number;
  held_open_seconds: number;
  /** JSON DoorRules (storage/doors.ts): interlock, local anti-passback, first-person-in, scheduled modes */
  rules: string | null;
  created_at: number;
  updated_at: number;
}

export interface EventsTable {
  id: Generated<number>;
  controller_id: string;
  seq: number;
  at: number;
  type: string;
  door: string | null;
  area: string | null;
  person_id: string | null;
  detail: string;
  /** position in this controller's MAC chain (storage/chain.ts); null only for rows older than chains */
  chain_index: number | null;
  mac: string | null;
}

export interface EventChainHeadsTable {
  controller_id: string;
  chain_index: number;
  mac: string;
  /** the highest sequence stored for this controller (null: not known yet, heads older than it) */
  max_seq: number | null;
}

/** Chain positions removed by a retention purge, under the event chain key (event-store-retention.ts). */
export interface EventPurgesTable {
  id: string;
  controller_id: string;
  from_index: number;
  to_index: number;
  /** how many positions in from..to were removed */
  count: number;
  /** the purge removed events before this time */
  before_at: number;
  purged_at: number;
  mac: string;
}

export interface PresenceTable {
  person_id: string;
  area: string | null;
  version: number;
  /** the passage that put the person there (null for moves not made by a passage) */
  at?: number | null;
  controller_id?: string | null;
  door?: string | null;
}

/** When an area's presence was last reset (an anti-passback reset): older passages into it no longer count. */
export interface PresenceAreaResetsTable {
  area: string;
  at: number;
}

export interface AuditLogTable {
  id: number;
  at: number;
  actor: string;
  source: string;
  action: string;
  target: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

/** An operator action on doors or areas (server/operations): what was asked, by whom, when. */
export interface OperatorActionsTable {
  id: string;
  action: string;
  /** what it acts on: `door:D1`, `area:lab`, `person:alice`, `zone:z1`, `site:main` */
  target: string;
  /** JSON: the action as requested */
  body: string;
  actor: string;
  site: string | null;
  requested_at: number;
}

/** What became of an operator action at one controller concerned. */
export interface OperatorActionOutcomesTable {
  action_id: string;
  controller_id: string;
  /** pending, applied, refused, not_reachable */
  outcome: string;
  detail: string | null;
  updated_at: number;
}

/** Checked CSV rows of a running import, before its one switch (server/imports/). */
export interface ImportStagingTable {
  job_id: string;
  /** order in the file (0-based among the rows that parsed) */
  seq: number;
  row: number;
  line: number;
  /** the row's record as JSON */
  payload: string;
}

/** Which server instance owns a controller's coordinator (src/server/cluster/leases.ts). */
export interface ControllerLeasesTable {
  controller_id: string;
  owner: string;
  /** database clock, ms */
  expires_at: number;
  /** how many times the lease changed hands */
  epoch: number;
}

export interface ClusterInstancesTable {
  id: string;
  started_at: number;
  seen_at: number;
}

export interface ClusterMessagesTable {
  id: Generated<number>;
  origin: string;
  kind: string;
  controller_id: string | null;
  body: string;
  created_at: number;
  /** HMAC-SHA256 under the relay key (cluster/relay.ts); null: not to be trusted */
  mac?: string | null;
}

export interface Database {
  people: PeopleTable;
  person_groups: PersonGroupsTable;
  person_levels: PersonLevelsTable;
  credentials: CredentialsTable;
  groups: GroupsTable;
  group_levels: GroupLevelsTable;
  access_levels: AccessLevelsTable;
  access_level_doors: AccessLevelDoorsTable;
  schedules: SchedulesTable;
  schedule_holidays: ScheduleHolidaysTable;
  holiday_calendars: HolidayCalendarsTable;
  holiday_dates: HolidayDatesTable;
  areas: AreasTable;
  sites: SitesTable;
  site_holidays: SiteHolidaysTable;
  controllers: ControllersTable;
  controller_links: ControllerLinksTable;
  server_state: ServerStateTable;
  doors: DoorsTable;
  events: EventsTable;
  event_chain_heads: EventChainHeadsTable;
  event_purges: EventPurgesTable;
  controller_leases: ControllerLeasesTable;
  cluster_instances: ClusterInstancesTable;
  cluster_messages: ClusterMessagesTable;
  presence: PresenceTable;
  presence_area_resets: PresenceAreaResetsTable;
  audit_log: AuditLogTable;
  operator_actions: OperatorActionsTable;
  operator_action_outcomes: OperatorActionOutcomesTable;
  import_staging: ImportStagingTable;
}
