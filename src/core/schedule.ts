// Schedules compiled to interval tables in seconds of the local day, checked in O(intervals).
//
// Settled meanings (DESIGN.md §6.2): intervals are [start, end); `HH:MM-24:00` runs to midnight; an
// interval whose end is at or before its start (`22:00-06:00`) runs overnight and belongs to the day
// it starts, so a holiday on that day suppresses the whole of it, morning included, and a holiday on
// the next day does not cut it short; overlapping (or touching) intervals merge into one. Holiday
// intervals (`holiday`) follow the same rules on holidays.
//
// What a day looks like therefore depends on its weekday, on whether it is a holiday and on whether
// the day before was one (which decides what runs on past midnight). All 7 × 2 × 2 views are merged
// at compile time; a check picks one and scans it.

import type { HolidayCalendarDef, ScheduleDef } from './model.ts';
import { WEEKDAYS } from './model.ts';
import { PolicyError, type PolicyPath } from './policy-error.ts';
import { parseDate, parseTimeOfDay, SECONDS_PER_DAY } from './time/civil.ts';

/**
 * Flat [start, end, start, end, …] seconds relative to the day's midnight, sorted and merged. A start
 * below 0 is an interval that began the day before (overnight); its active part starts at 0.
 */
type Intervals = readonly number[];

export interface CompiledSchedule {
  id: string;
  /** view index (see viewIndex) → merged intervals of such a day */
  views: readonly Intervals[];
  holidays: ReadonlySet<number>;
}

/** A moment as the schedules see it: local day number, weekday (0 = Monday), second of day. */
export interface LocalMoment {
  day: number;
  weekday: number;
  second: number;
}

function viewIndex(weekday: number, holiday: boolean, dayBeforeHoliday: boolean): number {
  return weekday * 4 + (holiday ? 1 : 0) + (dayBeforeHoliday ? 2 : 0);
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

/** Intervals of one kind of day: the part before midnight, and what runs on into the next day. */
interface DayIntervals {
  /** [start, end) within the day, end ≤ 24:00 */
  own: [number, number][];
  /** overnight intervals: [start on this day, end on the next day] */
  overnight: [number, number][];
}

function dayIntervals(texts: readonly string[] | undefined, path: PolicyPath): DayIntervals {
  const day: DayIntervals = { own: [], overnight: [] };
  (texts ?? []).forEach((text, i) => {
    const [start, end] = parseInterval(text, [...path, i]);
    if (end > start) {
      day.own.push([start, end]);
    } else {
      day.own.push([start, SECONDS_PER_DAY]);
      if (end > 0) day.overnight.push([start, end]);
    }
  });
  return day;
}

/** Sorts and merges overlapping or touching intervals. */
function merge(intervals: readonly [number, number][]): [number, number][] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/**
 * One day's merged intervals: its own, plus the mornings of the day before's overnight intervals.
 * An overnight interval keeps the start of the run it belongs to on the day it started, so a door
 * unlocked from 20:00 to 02:00 by two intervals is one interval on both sides of midnight.
 */
function view(today: DayIntervals, dayBefore: DayIntervals): number[] {
  const before = merge(dayBefore.own);
  const mornings = dayBefore.overnight.map(([start, end]): [number, number] => {
    const run = before.find(([s, e]) => start >= s && start < e)!;
    return [run[0] - SECONDS_PER_DAY, end];
  });
  return merge([...mornings, ...today.own]).flat();
}

export function compileSchedule(
  def: ScheduleDef,
  calendars: ReadonlyMap<string, { def: HolidayCalendarDef; index: number }>,
  path: PolicyPath,
): CompiledSchedule {
  const weekly = WEEKDAYS.map((name) => dayIntervals(def.weekly[name], [...path, 'weekly', name]));
  const holiday = dayIntervals(def.holiday, [...path, 'holiday']);
  const views: number[][] = [];
  for (let weekday = 0; weekday < 7; weekday++) {
    const yesterday = weekly[(weekday + 6) % 7]!;
    views[viewIndex(weekday, false, false)] = view(weekly[weekday]!, yesterday);
    views[viewIndex(weekday, true, false)] = view(holiday, yesterday);
    views[viewIndex(weekday, false, true)] = view(weekly[weekday]!, holiday);
    views[viewIndex(weekday, true, true)] = view(holiday, holiday);
  }
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
  return { id: def.id, views, holidays };
}

function intervalsFor(schedule: CompiledSchedule, at: LocalMoment): Intervals {
  const holidays = schedule.holidays;
  if (holidays.size === 0) return schedule.views[at.weekday * 4]!;
  return schedule.views[viewIndex(at.weekday, holidays.has(at.day), holidays.has(at.day - 1))]!;
}

/**
 * Start of the interval containing `at`, in seconds from that day's midnight (negative when it began
 * the day before), or undefined when the schedule is not active. `day × 86400 + start` names the
 * interval: the same number for every moment of it.
 */
export function activeIntervalStart(schedule: CompiledSchedule, at: LocalMoment): number | undefined {
  const intervals = intervalsFor(schedule, at);
  for (let i = 0; i < intervals.length; i += 2) {
    if (at.second >= intervals[i]! && at.second < intervals[i + 1]!) return intervals[i]!;
  }
  return undefined;
}

export function isScheduleActive(schedule: CompiledSchedule, at: LocalMoment): boolean {
  return activeIntervalStart(schedule, at) !== undefined;
}
