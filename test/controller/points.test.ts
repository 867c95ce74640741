// Input points: end-of-line supervised loops classified into normal / active / cut / shorted, a
// fault keeping the last logical state; discrete inputs with a baseline; people counters that wrap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SUPERVISION } from '../../src/controller/config/schema.ts';
import { CounterPoint, classifyLoop, InputPoint } from '../../src/controller/drivers/points.ts';

describe('input points', () => {
  it('classifies a loop by its value, at the default 1 kΩ / 2 kΩ thresholds', () => {
    expect(
      [0, 150, 1000, 1499, 1500, 2000, 4999, 5000, 65535].map((v) => classifyLoop(v, DEFAULT_SUPERVISION)),
    ).toEqual(['shorted', 'shorted', 'normal', 'normal', 'active', 'active', 'active', 'cut', 'cut']);
  });

  it('reports wiring faults and their repair, and keeps the logical state through a fault', () => {
    const point = new InputPoint({ module: 'io', register: 0, supervised: true, invert: false });
    expect(point.analog(1000)).toEqual({}); // normal at start: nothing to say
    expect(point.analog(2000)).toEqual({ wiring: 'active', active: true });
    expect(point.analog(60000)).toEqual({ wiring: 'cut' });
    expect(point.isActive).toBe(true);
    expect(point.analog(1000)).toEqual({ wiring: 'normal', active: false });
    expect(point.analog(0)).toEqual({ wiring: 'shorted' });
  });

  it('takes the first discrete reading as the baseline, and inverts when asked', () => {
    const nc = new InputPoint({ module: 'io', input: 0, invert: true });
    expect(nc.discrete(true)).toEqual({}); // closed at rest
    expect(nc.discrete(false)).toEqual({ active: true });
    expect(nc.discrete(false)).toEqual({});
    expect(new InputPoint({ module: 'io', input: 1, invert: false }).discrete(true)).toEqual({
      active: true,
    });
  });

  it('counts people across the 16-bit wrap of a counter register', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 50 }),
        (start, steps) => {
          const counter = new CounterPoint();
          expect(counter.reading(start)).toBe(0);
          let value = start;
          for (const step of steps) {
            value = (value + step) & 0xffff;
            expect(counter.reading(value)).toBe(step);
          }
        },
      ),
    );
  });
});
