// The console's push-stream connection: the browser's own retry (with Last-Event-ID) is let through
// once, then reopens back off 1 s, 2 s, 4 s … 30 s; an open after a loss asks for a resync; events are
// delivered by kind; closing stops everything. Driven with a fake EventSource and a fake timer list
// (the browser's EventSource is the only thing faked).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoff,
  connectLive,
  type EventSourceLike,
  MAX_BACKOFF_MS,
} from '../../src/web/lib/live-connection.ts';

class FakeSource implements EventSourceLike {
  readyState = 0;
  closed = false;
  onopen: (() => unknown) | null = null;
  onerror: (() => unknown) | null = null;
  readonly listeners = new Map<string, (() => void)[]>();
  addEventListener(type: string, listener: () => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string) {
    for (const l of this.listeners.get(type) ?? []) l();
  }
  opened() {
    this.readyState = 1;
    this.onopen?.();
  }
  /** A dropped connection the browser will retry (CONNECTING), or one it gave up on (CLOSED). */
  failed(browserRetries: boolean) {
    this.readyState = browserRetries ? 0 : 2;
    this.onerror?.();
  }
}

function harness() {
  const sources: FakeSource[] = [];
  const states: string[] = [];
  const events: string[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  let resyncs = 0;
  const close = connectLive({
    open: () => {
      const s = new FakeSource();
      sources.push(s);
      return s as unknown as EventSourceLike;
    },
    kinds: ['access', 'door'],
    onEvent: (k) => events.push(k),
    onState: (s) => states.push(s),
    onResync: () => {
      resyncs += 1;
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      (t as { cleared: boolean }).cleared = true;
    },
  });
  const fire = () => {
    const t = timers.find((x) => !x.cleared);
    expect(t, 'a reopen is scheduled').toBeDefined();
    t!.cleared = true;
    t!.fn();
  };
  return {
    sources,
    states,
    events,
    timers,
    fire,
    close,
    get resyncs() {
      return resyncs;
    },
    get last() {
      return sources.at(-1)!;
    },
  };
}

describe('push-stream connection', () => {
  it('opens once, goes live, and delivers events by kind', () => {
    const h = harness();
    expect(h.sources).toHaveLength(1);
    expect(h.states).toEqual(['connecting']);
    h.last.opened();
    h.last.emit('access');
    h.last.emit('door');
    h.last.emit('alarm'); // not asked for
    expect(h.states.at(-1)).toBe('live');
    expect(h.events).toEqual(['access', 'door']);
    expect(h.resyncs).toBe(0);
    h.close();
  });

  it('lets the browser retry once (Last-Event-ID), and needs no reopen when that works', () => {
    const h = harness();
    h.last.opened();
    h.last.failed(true);
    expect(h.states.at(-1)).toBe('reconnecting');
    expect(h.timers).toHaveLength(0);
    expect(h.last.closed).toBe(false);
    h.last.opened(); // the browser's retry got through
    expect(h.states.at(-1)).toBe('live');
    expect(h.sources).toHaveLength(1);
    expect(h.resyncs).toBe(1);
    h.close();
  });

  it('backs off 1, 2, 4, 8, 16, 30, 30 s while reopening fails, then resyncs once it is open', () => {
    const h = harness();
    h.last.opened();
    h.last.failed(true); // the browser retries …
    h.last.failed(true); // … and fails again: ours from now on
    for (let i = 0; i < 6; i++) {
      h.fire();
      h.last.failed(false);
    }
    expect(h.timers.map((t) => t.ms)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(h.sources.slice(0, -1).every((s) => s.closed)).toBe(true);
    h.fire();
    h.last.opened();
    expect(h.states.at(-1)).toBe('live');
    expect(h.resyncs).toBe(1);
    // The next loss starts the backoff again from 1 s.
    h.last.failed(false);
    expect(h.timers.at(-1)!.ms).toBe(1_000);
    h.close();
  });

  it('an error the browser gives up on (the server answered an error) is reopened by us at once', () => {
    const h = harness();
    h.last.failed(false);
    expect(h.last.closed).toBe(true);
    expect(h.timers.map((t) => t.ms)).toEqual([1_000]);
    h.close();
    expect(h.timers[0]!.cleared).toBe(true);
  });

  it('closing stops the source and any pending reopen, and ignores late errors', () => {
    const h = harness();
    h.last.opened();
    const first = h.last;
    h.close();
    expect(first.closed).toBe(true);
    first.failed(false);
    expect(h.timers).toHaveLength(0);
    expect(h.sources).toHaveLength(1);
  });

  it('the delay before a reopen never exceeds 30 s and never shrinks while failures go on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), (n) => {
        expect(backoff(n)).toBeLessThanOrEqual(MAX_BACKOFF_MS);
        expect(backoff(n)).toBeGreaterThanOrEqual(1_000);
        expect(backoff(n + 1)).toBeGreaterThanOrEqual(backoff(n));
      }),
    );
  });

  it('whatever the sequence of opens and failures, the state is live exactly after an open', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('open', 'retrying', 'closed', 'fire'), { maxLength: 40 }),
        (steps) => {
          const h = harness();
          let expectLive = false;
          for (const step of steps) {
            if (step === 'fire') {
              const t = h.timers.find((x) => !x.cleared);
              if (!t) continue;
              t.cleared = true;
              t.fn();
              continue;
            }
            if (h.last.closed) continue; // a closed source says nothing more
            if (step === 'open') {
              h.last.opened();
              expectLive = true;
            } else {
              h.last.failed(step === 'retrying');
              expectLive = false;
            }
            expect(h.states.at(-1) === 'live').toBe(expectLive);
          }
          // At most one source is open at a time; every earlier one was closed or is the browser's retry.
          expect(h.sources.filter((s) => !s.closed).length).toBeLessThanOrEqual(1);
          h.close();
        },
      ),
    );
  });
});
