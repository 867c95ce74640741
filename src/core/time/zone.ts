// Time-zone offsets from the platform's IANA database (Intl, standard JavaScript), memoised per
// 15-minute slot: every offset change in the tz database falls on a quarter hour, so one lookup per
// slot is exact and keeps Intl out of the decision hot path.

import { MS_PER_DAY } from './civil.ts';

const SLOT_MS = 15 * 60_000;
const MAX_CACHED_SLOTS = 50_000;

export class TimeZone {
  readonly name: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly slots = new Map<number, number>();
  private lastSlot = Number.NaN;
  private lastOffset = 0;

  constructor(name: string) {
    // Throws RangeError for an unknown zone; callers turn it into a validation error.
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    this.name = name;
  }

  static isValid(name: string): boolean {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      return true;
    } catch {
      return false;
    }
  }

  /** Offset of local wall time from UTC, in ms, at the instant `utcMs`. */
  offsetAt(utcMs: number): number {
    const slot = Math.floor(utcMs / SLOT_MS);
    if (slot === this.lastSlot) return this.lastOffset;
    let offset = this.slots.get(slot);
    if (offset === undefined) {
      offset = this.computeOffset(slot * SLOT_MS);
      if (this.slots.size >= MAX_CACHED_SLOTS) this.slots.clear();
      this.slots.set(slot, offset);
    }
    this.lastSlot = slot;
    this.lastOffset = offset;
    return offset;
  }

  /** The local wall time of an instant, as ms "as if UTC". */
  toWall(utcMs: number): number {
    return utcMs + this.offsetAt(utcMs);
  }

  /**
   * The instant of a local wall time (DESIGN.md §6.2, settled meanings). A wall time that occurs twice
   * (clocks set back) means its first occurrence. One that does not exist (clocks set forward) means
   * the instant the clock jumps to: every wall time from 02:00 to 02:59 on a New York spring-forward
   * day is 03:00 EDT, the first instant after the gap.
   */
  toInstant(wallMs: number): number {
    const before = this.offsetAt(wallMs - MS_PER_DAY / 2);
    const after = this.offsetAt(wallMs + MS_PER_DAY / 2);
    let best: number | undefined;
    for (const offset of [before, after]) {
      const candidate = wallMs - offset;
      if (this.offsetAt(candidate) === offset && (best === undefined || candidate < best)) best = candidate;
    }
    return best ?? this.transitionWithin(wallMs - before - (after - before), wallMs - before);
  }

  /**
   * The first instant in [from, to] whose offset differs from the one in force at `from`: the jump
   * of a gap. Offsets change only on quarter hours (see SLOT_MS), so the scan is over slots.
   */
  private transitionWithin(from: number, to: number): number {
    const start = this.offsetAt(from);
    for (let slot = Math.floor(from / SLOT_MS) + 1; slot * SLOT_MS <= to; slot++) {
      if (this.offsetAt(slot * SLOT_MS) !== start) return slot * SLOT_MS;
    }
    return to;
  }

  private computeOffset(utcMs: number): number {
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const part of this.format.formatToParts(utcMs)) {
      const v = Number(part.value);
      switch (part.type) {
        case 'year':
          y = v;
          break;
        case 'month':
          mo = v;
          break;
        case 'day':
          d = v;
          break;
        case 'hour':
          h = v;
          break;
        case 'minute':
          mi = v;
          break;
        case 'second':
          s = v;
          break;
        default:
          break;
      }
    }
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    return wall - (utcMs - (utcMs % 1000));
  }
}
