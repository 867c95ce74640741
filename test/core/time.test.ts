// Calendar arithmetic and time zones: exact civil conversions, DST gaps and overlaps resolved as
// docs/scenarios.md says, Asia/Tokyo without DST.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  civilFromDays,
  daysFromCivil,
  formatWall,
  parseDate,
  parseLocalDateTime,
  parseTimeOfDay,
  weekdayOfDays,
} from '../../src/core/time/civil.ts';
import { TimeZone } from '../../src/core/time/zone.ts';

describe('civil dates', () => {
  it('round-trips every day between 1900 and 2200', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: daysFromCivil(1900, 1, 1), max: daysFromCivil(2200, 12, 31) }),
        (days) => {
          const { year, month, day } = civilFromDays(days);
          expect(daysFromCivil(year, month, day)).toBe(days);
          expect(Date.UTC(year, month - 1, day) / 86_400_000).toBe(days);
        },
      ),
    );
  });

  it('knows weekdays (2026-01-05 is a Monday)', () => {
    expect(weekdayOfDays(daysFromCivil(2026, 1, 5))).toBe(0);
    expect(weekdayOfDays(daysFromCivil(2026, 1, 11))).toBe(6);
    expect(weekdayOfDays(0)).toBe(3); // 1970-01-01, a Thursday
  });

  it('rejects malformed and impossible dates and times', () => {
    expect(parseDate('2026-02-29')).toBeUndefined();
    expect(parseDate('2028-02-29')).toBe(daysFromCivil(2028, 2, 29));
    expect(parseLocalDateTime('2026-01-05T24:00')).toBeUndefined();
    expect(parseLocalDateTime('2026-13-01T10:00')).toBeUndefined();
    expect(parseTimeOfDay('24:00')).toBe(86_400);
    expect(parseTimeOfDay('24:30')).toBeUndefined();
    expect(formatWall(parseLocalDateTime('2026-01-05T09:07:03')!)).toBe('2026-01-05T09:07:03');
  });
});

describe('time zones', () => {
  it('Asia/Tokyo is always UTC+9', () => {
    const tokyo = new TimeZone('Asia/Tokyo');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(tokyo.offsetAt(ms)).toBe(9 * 3_600_000);
      }),
    );
  });

  it('matches Intl for every instant in a DST zone', () => {
    const zone = new TimeZone('America/New_York');
    const fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      timeZoneName: 'longOffset',
    });
    fc.assert(
      fc.property(fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }), (ms) => {
        const name = fmt.formatToParts(ms).find((p) => p.type === 'timeZoneName')!.value; // GMT-04:00
        const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name)!;
        const expected = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
        expect(zone.offsetAt(ms)).toBe(expected);
      }),
    );
  });

  it('reads a skipped wall time (spring forward) as the instant the clock jumps to', () => {
    const ny = new TimeZone('America/New_York');
    // 02:00-02:59 on 2026-03-08 do not exist in New York: the clock jumps from 02:00 EST to
    // 03:00 EDT = 07:00Z, and every wall time of the gap means that instant.
    for (const wall of ['2026-03-08T02:00', '2026-03-08T02:30', '2026-03-08T02:59:59'])
      expect(ny.toInstant(parseLocalDateTime(wall)!)).toBe(Date.UTC(2026, 2, 8, 7, 0));
    expect(ny.toInstant(parseLocalDateTime('2026-03-08T01:59')!)).toBe(Date.UTC(2026, 2, 8, 6, 59));
    expect(ny.toInstant(parseLocalDateTime('2026-03-08T03:30')!)).toBe(Date.UTC(2026, 2, 8, 7, 30));
    // Half-hour zones jump by 30 minutes (Lord Howe, 2026-10-04 02:00 → 02:30).
    const lordHowe = new TimeZone('Australia/Lord_Howe');
    expect(lordHowe.toInstant(parseLocalDateTime('2026-10-04T02:15')!)).toBe(Date.UTC(2026, 9, 3, 15, 30));
  });

  it('reads a repeated wall time (fall back) as its first occurrence', () => {
    const ny = new TimeZone('America/New_York');
    // 2026-11-01 01:30 happens twice; the first is EDT (UTC-4) = 05:30Z.
    expect(ny.toInstant(parseLocalDateTime('2026-11-01T01:30')!)).toBe(Date.UTC(2026, 10, 1, 5, 30));
  });

  it('toWall inverts toInstant for every existing wall time', () => {
    const berlin = new TimeZone('Europe/Berlin');
    fc.assert(
      fc.property(fc.integer({ min: 1_750_000_000_000, max: 1_850_000_000_000 }), (ms) => {
        const instant = ms - (ms % 60_000);
        const wall = berlin.toWall(instant);
        const back = berlin.toInstant(wall);
        // Either the same instant, or (in the repeated hour) the earlier of the two.
        expect(back === instant || back === instant - 3_600_000).toBe(true);
        expect(berlin.toWall(back)).toBe(wall);
      }),
    );
  });

  it('rejects unknown zones', () => {
    expect(TimeZone.isValid('Asia/Tokyo')).toBe(true);
    expect(TimeZone.isValid('Mars/Olympus')).toBe(false);
  });
});
