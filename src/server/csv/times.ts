// Times in CSV files: ISO 8601 with an offset (2026-04-01T09:00:00+09:00), or a local date-time as
// Excel writes it (2026/4/1 9:00, 2026-04-01 09:00:00, 2026-04-01) read in the site's time zone.
// Exports write ISO 8601 with the zone's offset: unambiguous, and readable as local time.

import { formatWall, parseLocalDateTime } from '../../core/time/civil.ts';
import { TimeZone } from '../../core/time/zone.ts';

export type { TimeZone };

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const LOCAL = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

const pad = (s: string | undefined, width = 2) => (s ?? '0').padStart(width, '0');

/** Milliseconds since the epoch, or undefined when the text is no date-time we read. */
export function parseCsvTime(text: string, zone: TimeZone): number | undefined {
  if (ISO_WITH_OFFSET.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const m = LOCAL.exec(text);
  if (!m) return undefined;
  const wall = parseLocalDateTime(`${m[1]}-${pad(m[2])}-${pad(m[3])}T${pad(m[4])}:${pad(m[5])}:${pad(m[6])}`);
  return wall === undefined ? undefined : zone.toInstant(wall);
}

export function formatCsvTime(ms: number, zone: TimeZone): string {
  const offset = zone.offsetAt(ms);
  const minutes = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  return `${formatWall(ms + offset)}${sign}${pad(String(Math.floor(minutes / 60)))}:${pad(String(minutes % 60))}`;
}

export function timeZone(name: string): TimeZone {
  if (!TimeZone.isValid(name)) throw new RangeError(`unknown time zone ${name}`);
  return new TimeZone(name);
}
