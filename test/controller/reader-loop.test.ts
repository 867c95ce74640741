// The reader loop turns card and keypad input into decisions and shows them on the reader:
// green + one beep on grant, red + three beeps on deny; card+PIN doors wait for `#`; PIN-only entry;
// reader link loss and tamper become alarms; legacy insecure reads are flagged.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ReaderBinding, ReaderLoop } from '../../src/controller/reader-loop.ts';
import type { CardRead, LedColor, ReaderPort, ReaderPortEvents } from '../../src/controller/reader-port.ts';
import { SiteEngine } from '../../src/core/engine.ts';
import { at, site } from '../support/sites.ts';

/** An in-process stand-in for reader hardware. */
class FakeReader implements ReaderPort {
  readonly leds: LedColor[] = [];
  readonly beeps: number[] = [];
  private readonly listeners = new Map<string, ((...args: never[]) => void)[]>();
  on<E extends keyof ReaderPortEvents>(event: E, listener: ReaderPortEvents[E]): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as (...args: never[]) => void]);
  }
  emit<E extends keyof ReaderPortEvents>(event: E, ...args: Parameters<ReaderPortEvents[E]>): void {
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args);
  }
  led(color: LedColor): void {
    this.leds.push(color);
  }
  beep(count: number): void {
    this.beeps.push(count);
  }
}

const T0 = at('2026-01-05T09:00');
const lastAccess = (events: { type: string }[]) => events.filter((e) => e.type === 'access').at(-1);

function setup() {
  vi.useFakeTimers();
  const engine = new SiteEngine(
    site({
      areas: [{ id: 'room' }, { id: 'vault' }],
      doors: [
        { id: 'D1', from: 'outside', to: 'room' },
        { id: 'D2', from: 'outside', to: 'vault', mode: 'card+pin' },
        { id: 'D3', from: 'outside', to: 'room', mode: 'pin' },
      ],
      levels: [{ id: 'all', doors: ['D1', 'D2', 'D3'] }],
      people: [
        {
          id: 'alice',
          levels: ['all'],
          credentials: [
            { type: 'card', id: '1001', pin: '2580' },
            { type: 'pin', pin: '7777' },
          ],
        },
      ],
    }),
    T0,
  );
  const events: { type: string; result?: string; reason?: string; alarm?: string }[] = [];
  const readers = ['D1', 'D2', 'D3'].map((door): ReaderBinding & { port: FakeReader } => ({
    id: `r-${door}`,
    door,
    side: 'in',
    port: new FakeReader(),
  }));
  let now = T0;
  const loop = new ReaderLoop({ engine, now: () => now, record: (e) => events.push(e as never) }, readers);
  loop.start();
  return { loop, readers, events, tick: (ms: number) => (now += ms) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('reader loop', () => {
  it('grants a card and shows green with one beep; denies an unknown card in red with three', () => {
    const { loop, readers, events } = setup();
    readers[0]!.port.emit('card', { credentialId: '1001' } satisfies CardRead);
    expect(lastAccess(events)).toMatchObject({ type: 'access', result: 'grant' });
    expect(readers[0]!.port.leds.at(-1)).toBe('green');
    expect(readers[0]!.port.beeps.at(-1)).toBe(1);
    readers[0]!.port.emit('card', { credentialId: '9999' });
    expect(lastAccess(events)).toMatchObject({
      type: 'access',
      result: 'deny',
      reason: 'unknown_credential',
    });
    expect(readers[0]!.port.leds.at(-1)).toBe('red');
    expect(readers[0]!.port.beeps.at(-1)).toBe(3);
    loop.stop();
  });

  it('holds a card at a card+PIN door until # and decides with the typed PIN', () => {
    const { loop, readers, events } = setup();
    const reader = readers[1]!.port;
    reader.emit('card', { credentialId: '1001' });
    expect(reader.leds.at(-1)).toBe('amber');
    expect(events.filter((e) => e.type === 'access')).toHaveLength(0);
    reader.emit('keypad', '25');
    reader.emit('keypad', '80#');
    expect(lastAccess(events)).toMatchObject({ type: 'access', result: 'grant' });
    loop.stop();
  });

  it('decides without a PIN when the PIN window closes', () => {
    const { loop, readers, events } = setup();
    readers[1]!.port.emit('card', { credentialId: '1001' });
    vi.advanceTimersByTime(10_000);
    expect(lastAccess(events)).toMatchObject({ type: 'access', result: 'deny', reason: 'pin_required' });
    loop.stop();
  });

  it('accepts PIN-only entry terminated by #, and * clears', () => {
    const { loop, readers, events } = setup();
    const reader = readers[2]!.port;
    reader.emit('keypad', '12*7777#');
    expect(lastAccess(events)).toMatchObject({ type: 'access', result: 'grant' });
    loop.stop();
  });

  it('raises comms_lost and tamper alarms and flags insecure reads', () => {
    const { loop, readers, events } = setup();
    readers[0]!.port.emit('online', false);
    readers[0]!.port.emit('tamper', true);
    readers[0]!.port.emit('card', { credentialId: '1001', insecure: 'wiegand-26' });
    expect(events.map((e) => e.alarm).filter(Boolean)).toEqual(['comms_lost', 'tamper']);
    expect(events.some((e) => e.type === 'insecure_credential')).toBe(true);
    expect(JSON.stringify(events)).not.toContain('2580');
    loop.stop();
  });
});
