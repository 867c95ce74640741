// The schedule grid shows weekly intervals as half-hour cells and writes them back unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aligned, dayCells, dayIntervals, SLOTS } from '../../src/web/lib/week-grid.ts';

describe('weekly schedule grid', () => {
  it('turns intervals into cells and back', () => {
    expect(dayIntervals(dayCells(['09:00-12:00', '13:00-18:00']))).toEqual(['09:00-12:00', '13:00-18:00']);
    expect(dayIntervals(dayCells(['22:00-24:00']))).toEqual(['22:00-24:00']);
    expect(dayIntervals(dayCells(['00:00-24:00']))).toEqual(['00:00-24:00']);
    expect(dayIntervals(dayCells([]))).toEqual([]);
  });

  it('adjacent intervals merge, as the core merges them', () => {
    expect(dayIntervals(dayCells(['09:00-12:00', '12:00-13:30']))).toEqual(['09:00-13:30']);
  });

  it('shows an unaligned interval by the half hours it covers, and says so', () => {
    expect(aligned(['09:15-18:00'])).toBe(false);
    expect(aligned(['09:30-18:00'])).toBe(true);
    expect(dayIntervals(dayCells(['09:15-10:45']))).toEqual(['09:30-10:30']);
  });

  it('any set of cells survives the round trip', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: SLOTS, maxLength: SLOTS }), (cells) => {
        expect(dayCells(dayIntervals(cells))).toEqual(cells);
      }),
    );
  });
});
