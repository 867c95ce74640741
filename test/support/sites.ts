// Small site definitions for core tests, built from partial pieces with sane defaults.

import type { SiteDef } from '../../src/core/model.ts';
import { parseLocalDateTime } from '../../src/core/time/civil.ts';
import { TimeZone } from '../../src/core/time/zone.ts';

export function site(parts: Partial<SiteDef>): SiteDef {
  return {
    timezone: 'Asia/Tokyo',
    areas: [],
    doors: [],
    schedules: [],
    holidayCalendars: [],
    levels: [],
    groups: [],
    people: [],
    ...parts,
  };
}

/** A local wall time in a zone → instant (ms). */
export function at(local: string, zone = 'Asia/Tokyo'): number {
  const wall = parseLocalDateTime(local);
  if (wall === undefined) throw new Error(`bad local time ${local}`);
  return new TimeZone(zone).toInstant(wall);
}
