// Schedules compiled to per-weekday interval tables in seconds of the local day, checked in O(intervals).

import type { HolidayCalendarDef, ScheduleDef } from './model.ts';
import { WEEKDAYS } from './model.ts';
import { PolicyError, type PolicyPath } from './policy-error.ts';
import { parseDate, parseTimeOfDay, SECONDS_PER_DAY } from './time/civil.ts';

/** Flat [start, end, start, end, …] seconds of day, [start, end). */
type Intervals = readonly number[];

export interface CompiledSchedule {
  id: string;
  /** index 0 = Monday; intervals already include the part of yesterday's overnight intervals */
  weekly: readonly Intervals[];
  holidayIntervals: Intervals;
  holidays: ReadonlySet<number>;
}

/** A moment as the schedules see it: local day number, weekday, second of day. */
export interface LocalMoment {
  day: number;
  weekday: number;
  second: number;
}

function parseInterval(text: string, path: PolicyPath): [number, number] {
  const parts = text.split('-');
  const start = parts.length === 2 ? parseTimeOfDay(parts[0]!.trim()) : undefined;
  const end = parts.length === 2 ? parseTimeOfDay(parts[1]!.trim()) : undefined;
  if (start === undefined || end === undefined || start === SECONDS_PER_DAY) {
    throw new PolicyError(path, `"${text}" is not an interval of the form HH:MM-HH:MM`);
  }
  return [start, end];
}

export function compileSchedule(
  def: ScheduleDef,
  calendars: ReadonlyMap<string, { def: HolidayCalendarDef; index: number }>,
  path: PolicyPath,
): CompiledSchedule {
  const weekly: number[][] = WEEKDAYS.map(() => []);
  WEEKDAYS.forEach((name, weekday) => {
    (def.weekly[name] ?? []).forEach((text, i) => {
      const [start, end] = parseInterval(text, [...path, 'weekly', name, i]);
      if (end > start) {
        weekly[weekday]!.push(start, end);
      } else {
        // An overnight interval (22:00-06:00) runs to midnight and continues the next day.
        weekly[weekday]!.push(start, SECONDS_PER_DAY);
        if (end > 0) weekly[(weekday + 1) % 7]!.push(0, end);
      }
    });
  });
  const holidays = new Set<number>();
  const addDate = (text: string, at: PolicyPath) => {
    const day = parseDate(text);
    if (day === undefined) throw new PolicyError(at, `"${text}" is not a date of the form YYYY-MM-DD`);
    holidays.add(day);
  };
  (def.holidays ?? []).forEach((d, i) => {
    addDate(d, [...path, 'holidays', i]);
  });
  (def.calendars ?? []).forEach((id, i) => {
    const calendar = calendars.get(id);
    if (!calendar) throw new PolicyError([...path, 'calendars', i], `unknown holiday calendar "${id}"`);
    calendar.def.dates.forEach((d, j) => {
      addDate(d, ['holidayCalendars', calendar.index, 'dates', j]);
    });
  });
  const holidayIntervals: number[] = [];
  (def.holiday ?? []).forEach((text, i) => {
    const [start, end] = parseInterval(text, [...path, 'holiday', i]);
    holidayIntervals.push(start, end > start ? end : SECONDS_PER_DAY);
  });
  return { id: def.id, weekly, holidayIntervals, holidays };
}

function intervalsFor(schedule: CompiledSchedule, at: LocalMoment): Intervals {
  return schedule.holidays.has(at.day) ? schedule.holidayIntervals : schedule.weekly[at.weekday]!;
}

/** Start (second of day) of the interval containing `at`, or -1 when the schedule is not active. */
export function activeIntervalStart(schedule: CompiledSchedule, at: LocalMoment): number {
  const intervals = intervalsFor(schedule, at);
  for (let i = 0; i < intervals.length; i += 2) {
    if (at.second >= intervals[i]! && at.second < intervals[i + 1]!) return intervals[i]!;
  }
  return -1;
}

export function isScheduleActive(schedule: CompiledSchedule, at: LocalMoment): boolean {
  return activeIntervalStart(schedule, at) >= 0;
}
