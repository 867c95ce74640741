// A schedule's weekly intervals ("09:00-18:00", [start, end) in local time) as a grid of half-hour
// cells per weekday, and back. Intervals that do not fall on half hours are kept exactly as long as
// the day is not edited; `aligned` says whether the grid shows a day exactly.
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const SLOT_MINUTES = 30;
export const SLOTS = (24 * 60) / SLOT_MINUTES;

export type Weekly = Partial<Record<Weekday, string[]>>;

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

export function parseInterval(interval: string): [number, number] {
  return [minutes(interval.slice(0, 5)), minutes(interval.slice(6))];
}

/** The cells of one day: true where the slot lies wholly inside an interval. */
export function dayCells(intervals: readonly string[] = []): boolean[] {
  const cells = new Array<boolean>(SLOTS).fill(false);
  for (const interval of intervals) {
    const [start, end] = parseInterval(interval);
    for (let slot = 0; slot < SLOTS; slot++) {
      const from = slot * SLOT_MINUTES;
      if (from >= start && from + SLOT_MINUTES <= end) cells[slot] = true;
    }
  }
  return cells;
}

export function dayIntervals(cells: readonly boolean[]): string[] {
  const out: string[] = [];
  let start: number | undefined;
  for (let slot = 0; slot <= SLOTS; slot++) {
    const on = slot < SLOTS && cells[slot] === true;
    if (on && start === undefined) start = slot;
    if (!on && start !== undefined) {
      out.push(`${hhmm(start * SLOT_MINUTES)}-${slot === SLOTS ? '24:00' : hhmm(slot * SLOT_MINUTES)}`);
      start = undefined;
    }
  }
  return out;
}

/** Whether the grid shows these intervals exactly (every boundary on a half hour). */
export function aligned(intervals: readonly string[] = []): boolean {
  return intervals.every((i) => parseInterval(i).every((m) => m % SLOT_MINUTES === 0));
}

export function slotLabel(slot: number): string {
  return `${hhmm(slot * SLOT_MINUTES)}–${slot + 1 === SLOTS ? '24:00' : hhmm((slot + 1) * SLOT_MINUTES)}`;
}
