// The controller drives a simulated OSDP reader through the control panel over Secure Channel:
// a secure card's credential feeds the decision core and the reader shows the result on its LED
// and buzzer; PINs come from its keypad; a cloned card is rejected at the reader; legacy Wiegand is
// flagged insecure; tamper and link loss become alarms.
import { describe, expect, it } from 'vitest';
import { encodeCard } from '../../src/cards/encode.ts';
import { buildWiegand } from '../../src/cards/wiegand.ts';
import { OsdpReaderPort } from '../../src/controller/osdp-reader.ts';
import { ReaderLoop } from '../../src/controller/reader-loop.ts';
import { SiteEngine } from '../../src/core/engine.ts';
import { loopbackPair } from '../../src/osdp/channel.ts';
import { ControlPanel } from '../../src/osdp/cp.ts';
import { attachPd } from '../../src/osdp/pd-driver.ts';
import { SimulatedCard } from '../../src/sim/card.ts';
import { SimulatedReader } from '../../src/sim/reader.ts';
import { KEY_A, seededRandom } from '../osdp/support.ts';
import { at, site } from '../support/sites.ts';

const cardKeys = {
  masterKey: Uint8Array.from({ length: 16 }, (_, i) => 0x60 + i),
  aid: Uint8Array.of(1, 2, 3),
  systemId: Uint8Array.of(9),
};

function setup(door: 'D1' | 'D2' = 'D1') {
  const clock = { now: at('2026-01-05T09:00') };
  const engine = new SiteEngine(
    site({
      areas: [{ id: 'room' }],
      doors: [
        { id: 'D1', from: 'outside', to: 'room' },
        { id: 'D2', from: 'outside', to: 'room', mode: 'card+pin' },
      ],
      levels: [{ id: 'all', doors: ['D1', 'D2'] }],
      people: [
        { id: 'alice', levels: ['all'], credentials: [{ type: 'card', id: 'C-1001', pin: '2580' }] },
        { id: 'legacy', levels: ['all'], credentials: [{ type: 'card', id: '18-12345' }] },
      ],
    }),
    clock.now,
  );
  const [cpEnd, pdEnd] = loopbackPair();
  const reader = new SimulatedReader({ address: 1, scbk: KEY_A, cardKeys });
  attachPd(reader.pd, pdEnd, () => clock.now);
  const cp = new ControlPanel({ pds: [{ address: 1, scbk: KEY_A }], random: seededRandom(4).bytes });
  cp.attach(cpEnd);
  const events: { type: string; result?: string; reason?: string; alarm?: string; format?: string }[] = [];
  const loop = new ReaderLoop({ engine, now: () => clock.now, record: (e) => events.push(e as never) }, [
    { id: 'R1', door, side: 'in', port: new OsdpReaderPort(cp, 1) },
  ]);
  loop.start();
  const pump = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      cp.refresh(clock.now);
      for (let i = 0; i < 6; i++) await Promise.resolve();
      clock.now += 10;
    }
  };
  const encoded = (id: string) => {
    const card = new SimulatedCard({ random: seededRandom(id.length).bytes });
    encodeCard(card, cardKeys, { systemId: 1, id, issue: 1 }, seededRandom(8).bytes);
    return card;
  };
  const close = async () => {
    loop.stop();
    await cpEnd.close();
    await pdEnd.close();
  };
  return { cp, reader, events, pump, encoded, close, clock };
}

const accesses = (events: { type: string }[]) => events.filter((e) => e.type === 'access');

describe('controller with an OSDP reader', () => {
  it('grants a secure card and shows green with one beep; denies an unknown one in red', async () => {
    const s = setup();
    await s.pump(300);
    expect(s.cp.stateOf(1)).toBe('online');
    expect(s.reader.presentCard(s.encoded('C-1001'))).toBe(true);
    await s.pump(300);
    expect(accesses(s.events).at(-1)).toMatchObject({ result: 'grant' });
    expect(s.reader.indicators.led.color).toBe(2);
    expect(s.reader.indicators.beeps).toBe(1);
    s.reader.presentCard(s.encoded('C-9999'));
    await s.pump(300);
    expect(accesses(s.events).at(-1)).toMatchObject({ result: 'deny', reason: 'unknown_credential' });
    expect(s.reader.indicators.led.color).toBe(1);
    await s.close();
  });

  it('takes the PIN from the reader keypad at a card+PIN door', async () => {
    const s = setup('D2');
    await s.pump(300);
    s.reader.presentCard(s.encoded('C-1001'));
    await s.pump(200);
    expect(s.reader.indicators.led.color).toBe(3); // amber: waiting for the PIN
    s.reader.type('2580#');
    await s.pump(300);
    expect(accesses(s.events).at(-1)).toMatchObject({ result: 'grant' });
    expect(JSON.stringify(s.events)).not.toContain('2580');
    await s.close();
  });

  it('rejects a clone of a card at the reader: no credential reaches the controller', async () => {
    const s = setup();
    await s.pump(300);
    const genuine = s.encoded('C-1001');
    expect(s.reader.presentCard(new SimulatedCard({ uid: genuine.uid }))).toBe(false);
    await s.pump(300);
    expect(s.reader.rejectedCards).toBe(1);
    expect(accesses(s.events)).toEqual([]);
    await s.close();
  });

  it('flags a legacy Wiegand read as insecure wherever it appears', async () => {
    const s = setup();
    await s.pump(300);
    s.reader.presentWiegand(buildWiegand('H10301', 18, 12345));
    await s.pump(300);
    expect(s.events.find((e) => e.type === 'insecure_credential')).toMatchObject({ format: 'wiegand-26' });
    expect(accesses(s.events).at(-1)).toMatchObject({ result: 'grant' });
    await s.close();
  });

  it('raises tamper, and comms_lost once when the reader goes silent', async () => {
    const s = setup();
    await s.pump(300);
    s.reader.setTamper(true);
    await s.pump(300);
    expect(s.events.filter((e) => e.alarm === 'tamper')).toHaveLength(1);
    // The reader stops answering: after the 8 s off-line time the link is declared lost, once.
    s.reader.pd.receive = () => undefined;
    await s.pump(12_000);
    expect(s.events.filter((e) => e.alarm === 'comms_lost')).toHaveLength(1);
    await s.close();
  });
});
