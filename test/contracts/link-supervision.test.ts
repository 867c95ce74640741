// Link supervision: one comms_lost alarm per outage and one "restored" event when it ends, however
// long the outage and however often it is checked; time_drift when the peer's clock is off by more
// than 2 s or jumps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  check,
  heard,
  initialLink,
  type LinkEvent,
  type LinkStatus,
} from '../../src/contracts/link-supervision.ts';

describe('link supervision', () => {
  it('alarms once per outage and reports the return once', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ hear: fc.constant(true), gap: fc.integer({ min: 0, max: 20_000 }) }),
            fc.record({ hear: fc.constant(false), gap: fc.integer({ min: 0, max: 20_000 }) }),
          ),
          { maxLength: 80 },
        ),
        (steps) => {
          let status: LinkStatus = initialLink(0);
          let now = 0;
          const events: LinkEvent[] = [];
          for (const step of steps) {
            now += step.gap;
            const r = step.hear ? heard(status, now) : check(status, now, 5000);
            status = r.status;
            events.push(...r.events);
          }
          const lost = events.filter((e) => e.type === 'link' && e.state === 'lost').length;
          const restored = events.filter((e) => e.type === 'link' && e.state === 'restored').length;
          const alarms = events.filter((e) => e.type === 'alarm' && e.alarm === 'comms_lost').length;
          expect(alarms).toBe(lost);
          // Outages and returns alternate: never two losses without a return between them.
          expect(lost - restored === 0 || lost - restored === 1).toBe(true);
          expect(lost - restored).toBe(status.state === 'lost' ? 1 : 0);
        },
      ),
    );
  });

  it('raises time_drift for a clock off by more than 2 s, and for a jump', () => {
    let r = heard(initialLink(0), 10_000, 10_500);
    expect(r.events).toEqual([]);
    r = heard(r.status, 20_000, 23_500);
    expect(r.events).toMatchObject([{ alarm: 'time_drift' }]);
    const steady = heard(heard(initialLink(0), 0, 1_500).status, 60_000, 61_400);
    expect(steady.events).toEqual([]);
    const jumped = heard(heard(initialLink(0), 0, 1_900).status, 60_000, 58_500);
    expect(jumped.events).toMatchObject([{ alarm: 'time_drift', detail: expect.stringContaining('jumped') }]);
  });

  it('takes a peer a little behind for late until it has stayed behind for 2 s; far behind at once', () => {
    // Heartbeats every second; one is 3 s late on its way: no alarm, and no jump when the next is on time.
    let r = heard(initialLink(0), 10_000, 10_000);
    r = heard(r.status, 11_000 + 3_000, 11_000);
    expect(r.events).toEqual([]);
    r = heard(r.status, 14_100, 14_100);
    expect(r.events).toEqual([]);
    r = heard(r.status, 15_100, 15_100);
    expect(r.events).toEqual([]);
    // A clock set back 6 s: behind at every heartbeat, an alarm once that has lasted 2 s.
    const events: string[] = [];
    for (let t = 20_000; t <= 24_000; t += 1000) {
      r = heard(r.status, t, t - 6_000);
      events.push(...r.events.map((e) => `${t}:${e.type === 'alarm' ? e.detail : e.state}`));
    }
    expect(events[0]).toBe('22000:peer clock off by -6 s');
    // Back on time: the jump forward is seen, then all quiet.
    r = heard(r.status, 25_000, 25_000);
    expect(r.events).toMatchObject([{ alarm: 'time_drift', detail: 'peer clock jumped 6 s' }]);
    expect(heard(r.status, 26_000, 26_000).events).toEqual([]);
    // Behind by more than anything in transit could be, or ahead: at once.
    expect(heard(initialLink(0), 30_000, 19_000).events).toMatchObject([{ alarm: 'time_drift' }]);
    expect(heard(initialLink(0), 30_000, 33_000).events).toMatchObject([{ alarm: 'time_drift' }]);
  });
});
