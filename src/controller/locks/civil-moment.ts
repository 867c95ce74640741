// The local moment (day, weekday, second of day) of an instant in a zone, as the core's schedules
// take it (core/door-mode.ts localMoment, without a compiled policy).
import type { LocalMoment } from '../../core/schedule.ts';
import type { TimeZone } from '../../core/time/zone.ts';

const MS_PER_DAY = 86_400_000;

export function civilOf(zone: TimeZone, now: number): LocalMoment {
  const wall = zone.toWall(Math.floor(now / 1000) * 1000);
  const day = Math.floor(wall / MS_PER_DAY);
  return { day, weekday: (((day + 3) % 7) + 7) % 7, second: Math.floor((wall - day * MS_PER_DAY) / 1000) };
}
