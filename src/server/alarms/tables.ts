// Table types for alarms and their comments (same conventions as storage/schema.ts).

export interface AlarmsTable {
  id: string;
  type: string;
  /** 'active' | 'acknowledged' | 'resolved' */
  state: string;
  severity: string;
  /** what raised it: a door, controller, operator or 'server' */
  source: string;
  site: string | null;
  message: string;
  /** JSON; never secrets */
  detail: string;
  /** while active, a repeat with the same type and key counts up instead of opening a new alarm */
  dedupe_key: string | null;
  occurrences: number;
  raised_at: number;
  last_raised_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
}

export interface AlarmCommentsTable {
  id: string;
  alarm_id: string;
  at: number;
  author: string;
  text: string;
}

export type AlarmTables = {
  alarms: AlarmsTable;
  alarm_comments: AlarmCommentsTable;
};
