// The reader loop turns card, keypad and fingerprint input into decisions of the real agent (which
// hashes credentials with the site key as the server does) and shows them on the reader: green + one
// beep on grant, red + three beeps on deny, amber while a card waits for its PIN or its pair;
// card+PIN doors wait for `#`; PIN-only entry; duress opens silently; reader link loss and tamper
// become alarms; legacy reads pass only where the door allows them, flagged either way.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ReaderBinding, ReaderLoop } from '../../src/controller/reader-loop.ts';
import type { CardRead, LedColor, ReaderPort, ReaderPortEvents } from '../../src/controller/reader-port.ts';
import { type OfflineAgent, offlineAgent } from '../support/agent.ts';
import { at, site } from '../support/sites.ts';

/** An in-process stand-in for reader hardware. */
class FakeReader implements ReaderPort {
  readonly leds: LedColor[] = [];
  readonly beeps: number[] = [];
  score: number | undefined;
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
  biometricMatch(): Promise<number | undefined> {
    return Promise.resolve(this.score);
  }
}

const T0 = at('2026-01-05T09:00');
let current: OfflineAgent | undefined;

function setup() {
  vi.useFakeTimers();
  current = offlineAgent(
    site({
      areas: [{ id: 'room' }, { id: 'vault', twoPerson: { withinSeconds: 30 } }],
      doors: [
        { id: 'D1', from: 'outside', to: 'room' },
        { id: 'D2', from: 'outside', to: 'room', mode: 'card+pin' },
        { id: 'D3', from: 'outside', to: 'room', mode: 'pin' },
        { id: 'D4', from: 'outside', to: 'room', mode: 'card+biometric' },
        { id: 'V1', from: 'outside', to: 'vault' },
      ],
      levels: [{ id: 'all', doors: ['D1', 'D2', 'D3', 'D4', 'V1'] }],
      people: [
        {
          id: 'alice',
          levels: ['all'],
          credentials: [
            { type: 'card', id: '1001', pin: '2580', duressPin: '9999' },
            { type: 'pin', pin: '7777' },
          ],
        },
        { id: 'legacy', levels: ['all'], credentials: [{ type: 'card', id: '18-12345' }] },
        { id: 'visitor', levels: ['all'], credentials: [{ type: 'card', id: '5005', maxUses: 1 }] },
      ],
    }),
    { now: T0 },
  );
  const agent = current.agent;
  const readers = ['D1', 'D2', 'D3', 'D4', 'V1'].map((door): ReaderBinding & { port: FakeReader } => ({
    id: `r-${door}`,
    door,
    side: 'in',
    port: new FakeReader(),
    ...(door === 'D4' && { biometric: { minScore: 100, timeoutMs: 5000 } }),
    ...(door === 'D3' && { allowLegacy: ['wiegand'] as const }),
  }));
  const loop = new ReaderLoop({ decider: agent, now: () => current!.clock.now }, readers);
  loop.start();
  const events = () => current!.journaled();
  const accesses = () => events().filter((e) => e.type === 'access');
  return { loop, readers, events, accesses, lastAccess: () => accesses().at(-1)?.detail };
}

afterEach(async () => {
  vi.useRealTimers();
  await current?.close();
  current = undefined;
});

describe('reader loop', () => {
  it('grants a card and shows green with one beep; denies an unknown card in red with three', () => {
    const { loop, readers, lastAccess } = setup();
    readers[0]!.port.emit('card', { credentialId: '1001' } satisfies CardRead);
    expect(lastAccess()).toMatchObject({ result: 'grant' });
    expect(readers[0]!.port.leds.at(-1)).toBe('green');
    expect(readers[0]!.port.beeps.at(-1)).toBe(1);
    readers[0]!.port.emit('card', { credentialId: '9999' });
    expect(lastAccess()).toMatchObject({ result: 'deny', reason: 'unknown_credential' });
    expect(readers[0]!.port.leds.at(-1)).toBe('red');
    expect(readers[0]!.port.beeps.at(-1)).toBe(3);
    loop.stop();
  });

  it('decides a card with a use limit on the site-wide count: away from the server, an unclaimed use', () => {
    // A reader decides through the agent's presentShared, like the simulated readers: online it
    // claims the use at the server first; this agent has no server, so the use is counted here and
    // flagged for the server to count when the event reaches it (docs/site-operations.md).
    const { loop, readers, lastAccess } = setup();
    readers[0]!.port.emit('card', { credentialId: '5005' });
    expect(lastAccess()).toMatchObject({ result: 'grant', unclaimedUse: true });
    expect(readers[0]!.port.leds.at(-1)).toBe('green');
    readers[0]!.port.emit('card', { credentialId: '5005' });
    expect(lastAccess()).toMatchObject({ result: 'deny', reason: 'uses_exhausted' });
    expect(readers[0]!.port.leds.at(-1)).toBe('red');
    loop.stop();
  });

  it('holds a card at a card+PIN door until # and decides with the typed PIN', () => {
    const { loop, readers, accesses, lastAccess, events } = setup();
    const reader = readers[1]!.port;
    reader.emit('card', { credentialId: '1001' });
    expect(reader.leds.at(-1)).toBe('amber');
    expect(accesses()).toHaveLength(0);
    reader.emit('keypad', '25');
    reader.emit('keypad', '80#');
    expect(lastAccess()).toMatchObject({ result: 'grant' });
    expect(JSON.stringify(events())).not.toContain('2580');
    loop.stop();
  });

  it('opens on the duress PIN, looking like any grant, and raises a silent duress alarm', () => {
    const { loop, readers, lastAccess, events } = setup();
    const reader = readers[1]!.port;
    reader.emit('card', { credentialId: '1001' });
    reader.emit('keypad', '9999#');
    expect(lastAccess()).toMatchObject({ result: 'grant', warnings: 'duress' });
    expect(reader.leds.at(-1)).toBe('green');
    expect(events().some((e) => e.type === 'alarm' && e.detail.alarm === 'duress')).toBe(true);
    expect(JSON.stringify(events())).not.toContain('9999');
    loop.stop();
  });

  it('decides without a PIN when the PIN window closes', () => {
    const { loop, readers, lastAccess } = setup();
    readers[1]!.port.emit('card', { credentialId: '1001' });
    vi.advanceTimersByTime(10_000);
    expect(lastAccess()).toMatchObject({ result: 'deny', reason: 'pin_required' });
    loop.stop();
  });

  it('accepts PIN-only entry terminated by #, and * clears', () => {
    const { loop, readers, accesses } = setup();
    readers[2]!.port.emit('keypad', '12*7777#');
    expect(accesses().at(-1)).toMatchObject({ person: 'alice', detail: { result: 'grant' } });
    loop.stop();
  });

  it('counts a fingerprint match as the second factor at a card+biometric door', async () => {
    const { loop, readers, lastAccess } = setup();
    const reader = readers[3]!.port;
    reader.score = 40; // below the reader's minimum score
    reader.emit('card', { credentialId: '1001' });
    await vi.runAllTimersAsync();
    expect(lastAccess()).toMatchObject({ result: 'deny', reason: 'factor_required' });
    reader.score = 200;
    reader.emit('card', { credentialId: '1001' });
    await vi.runAllTimersAsync();
    expect(lastAccess()).toMatchObject({ result: 'grant' });
    loop.stop();
  });

  it('shows a two-person pending presentation in amber, not as a plain denial', () => {
    const { loop, readers, lastAccess } = setup();
    readers[4]!.port.emit('card', { credentialId: '1001' });
    expect(lastAccess()).toMatchObject({ result: 'deny', reason: 'two_person_pending' });
    expect(readers[4]!.port.leds.at(-1)).toBe('amber');
    loop.stop();
  });

  it('refuses legacy reads where the door does not allow them, and flags them where it does', () => {
    const { loop, readers, events, accesses } = setup();
    readers[0]!.port.emit('card', { credentialId: '18-12345', insecure: 'wiegand-26' });
    expect(accesses()).toHaveLength(0);
    expect(readers[0]!.port.leds.at(-1)).toBe('red');
    readers[2]!.port.emit('card', { credentialId: '18-12345', insecure: 'wiegand-26' });
    const flagged = events().filter((e) => e.type === 'insecure_credential');
    expect(flagged.map((e) => e.detail.accepted)).toEqual([false, true]);
    // D3 is a PIN door: the card is decided (and denied for its mode), and the event is flagged.
    expect(accesses().at(-1)?.detail).toMatchObject({ insecure: 'wiegand-26' });
    loop.stop();
  });

  it('raises comms_lost and tamper alarms, once each', () => {
    const { loop, readers, events } = setup();
    readers[0]!.port.emit('online', false);
    readers[0]!.port.emit('tamper', true);
    readers[0]!.port.emit('online', true);
    expect(
      events()
        .filter((e) => e.type === 'alarm')
        .map((e) => e.detail.alarm),
    ).toEqual(['comms_lost', 'tamper']);
    expect(
      events()
        .filter((e) => e.type === 'reader')
        .map((e) => e.detail.state),
    ).toEqual(['offline', 'tamper', 'online']);
    loop.stop();
  });
});
