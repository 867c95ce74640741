// The controller agent drives simulated OSDP readers through the control panel over Secure Channel:
// a secure card's credential feeds the agent's decision and the reader shows the result on its LED
// and buzzer; PINs come from its keypad; a cloned card is rejected at the reader; in transparent
// mode the controller authenticates the card itself through the reader, and a card that cannot
// authenticate (UID only) is refused where the door does not allow UID reads; legacy Wiegand is
// refused or flagged; tamper and link loss become alarms, once.
import { afterEach, describe, expect, it } from 'vitest';
import { cardKey } from '../../src/cards/card-layout.ts';
import { encodeCard } from '../../src/cards/encode.ts';
import { buildWiegand } from '../../src/cards/wiegand.ts';
import { OsdpReaderPort } from '../../src/controller/drivers/osdp-reader.ts';
import { ReaderLoop } from '../../src/controller/reader-loop.ts';
import { loopbackPair } from '../../src/osdp/channel.ts';
import { ControlPanel } from '../../src/osdp/cp.ts';
import { attachPd } from '../../src/osdp/pd-driver.ts';
import { SimulatedCard } from '../../src/sim/card.ts';
import { SimulatedReader } from '../../src/sim/reader.ts';
import { KEY_A, KEY_B, seededRandom } from '../osdp/support.ts';
import { type OfflineAgent, offlineAgent } from '../support/agent.ts';
import { at, site } from '../support/sites.ts';

const cardKeys = {
  masterKey: Uint8Array.from({ length: 16 }, (_, i) => 0x60 + i),
  aid: Uint8Array.of(1, 2, 3),
  systemId: Uint8Array.of(9),
};

let current: OfflineAgent | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await current?.close();
  current = undefined;
});

function setup() {
  current = offlineAgent(
    site({
      areas: [{ id: 'room' }],
      doors: [
        { id: 'D1', from: 'outside', to: 'room' },
        { id: 'D2', from: 'outside', to: 'room', mode: 'card+pin' },
        { id: 'D3', from: 'outside', to: 'room' },
        { id: 'D4', from: 'outside', to: 'room', mode: 'card+biometric' },
      ],
      levels: [{ id: 'all', doors: ['D1', 'D2', 'D3', 'D4'] }],
      people: [
        { id: 'alice', levels: ['all'], credentials: [{ type: 'card', id: 'C-1001', pin: '2580' }] },
        { id: 'legacy', levels: ['all'], credentials: [{ type: 'card', id: '18-12345' }] },
      ],
    }),
    { now: at('2026-01-05T09:00') },
  );
  const { agent, clock } = current;
  // Two readers on one bus: R1 authenticates cards itself, R2 is in transparent mode.
  const [cpEnd, pdEnd] = loopbackPair();
  const r1 = new SimulatedReader({ address: 1, scbk: KEY_A, cardKeys });
  const r2 = new SimulatedReader({ address: 2, scbk: KEY_B, transparent: true });
  for (const reader of [r1, r2]) attachPd(reader.pd, pdEnd, () => clock.now);
  const cp = new ControlPanel({
    pds: [
      { address: 1, scbk: KEY_A },
      { address: 2, scbk: KEY_B },
    ],
    random: seededRandom(4).bytes,
  });
  cp.attach(cpEnd);
  const p1 = new OsdpReaderPort(cp, 1);
  const p2 = new OsdpReaderPort(cp, 2, {
    transparent: { aid: cardKeys.aid, keyFor: (uid) => cardKey(cardKeys, uid) },
  });
  const loop = new ReaderLoop({ decider: agent, now: () => clock.now }, [
    { id: 'R1', door: 'D1', side: 'in', port: p1 },
    { id: 'R2', door: 'D3', side: 'in', port: p2, allowLegacy: [] },
  ]);
  loop.start();
  const pump = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      cp.refresh(clock.now);
      for (let i = 0; i < 30; i++) await Promise.resolve();
      clock.now += 10;
    }
  };
  const encoded = (id: string) => {
    const card = new SimulatedCard({ random: seededRandom(id.length).bytes });
    encodeCard(card, cardKeys, { systemId: 1, id, issue: 1 }, seededRandom(8).bytes);
    return card;
  };
  closers.push(async () => {
    loop.stop();
    await cpEnd.close();
    await pdEnd.close();
  });
  const events = () => current!.journaled();
  const accesses = () => events().filter((e) => e.type === 'access');
  return { cp, r1, r2, events, accesses, pump, encoded };
}

describe('controller with OSDP readers', () => {
  it('grants a secure card and shows green with one beep; denies an unknown one in red', async () => {
    const s = setup();
    await s.pump(300);
    expect(s.cp.isSecure(1)).toBe(true);
    expect(s.r1.presentCard(s.encoded('C-1001'))).toBe(true);
    await s.pump(300);
    expect(s.accesses().at(-1)).toMatchObject({ person: 'alice', detail: { result: 'grant' } });
    expect(s.r1.indicators.led.color).toBe(2);
    expect(s.r1.indicators.beeps).toBe(1);
    s.r1.presentCard(s.encoded('C-9999'));
    await s.pump(300);
    expect(s.accesses().at(-1)?.detail).toMatchObject({ result: 'deny', reason: 'unknown_credential' });
    expect(s.r1.indicators.led.color).toBe(1);
  });

  it('authenticates a card itself through a reader in transparent mode, and refuses a UID-only card', async () => {
    const s = setup();
    await s.pump(300);
    expect(s.cp.isSecure(2)).toBe(true);
    s.r2.presentCard(s.encoded('C-1001'));
    await s.pump(400);
    expect(s.r2.apdus).toBe(4); // select, two authentication steps, read
    expect(s.accesses().at(-1)).toMatchObject({ door: 'D3', person: 'alice', detail: { result: 'grant' } });
    // A blank card (or a clone with a copied UID) cannot authenticate: only its UID is known.
    const blank = new SimulatedCard({ uid: Uint8Array.of(4, 1, 2, 3, 4, 5, 6) });
    s.r2.presentCard(blank);
    await s.pump(400);
    const refused = s.events().filter((e) => e.type === 'insecure_credential');
    expect(refused.at(-1)?.detail).toMatchObject({ format: 'uid', accepted: false, reader: 'R2' });
    expect(s.accesses()).toHaveLength(1);
    expect(s.r2.indicators.led.color).toBe(1);
  });

  it('takes the PIN from the reader keypad at a card+PIN door', async () => {
    const s = setup();
    const loop = new ReaderLoop({ decider: current!.agent, now: () => current!.clock.now }, [
      { id: 'R1b', door: 'D2', side: 'in', port: new OsdpReaderPort(s.cp, 1) },
    ]);
    loop.start();
    closers.push(async () => loop.stop());
    await s.pump(300);
    s.r1.presentCard(s.encoded('C-1001'));
    await s.pump(200);
    expect(s.r1.indicators.led.color).toBe(3); // amber: waiting for the PIN
    s.r1.type('2580#');
    await s.pump(300);
    expect(
      s
        .accesses()
        .filter((e) => e.door === 'D2')
        .at(-1)?.detail,
    ).toMatchObject({ result: 'grant' });
    expect(JSON.stringify(s.events())).not.toContain('2580');
  });

  it('takes a fingerprint match reported by the reader as the second factor at a card+biometric door', async () => {
    const s = setup();
    const reader = new SimulatedReader({ address: 3, scbk: KEY_A, cardKeys, biometric: true });
    const [cpEnd, pdEnd] = loopbackPair();
    attachPd(reader.pd, pdEnd, () => current!.clock.now);
    const cp = new ControlPanel({ pds: [{ address: 3, scbk: KEY_A }], random: seededRandom(5).bytes });
    cp.attach(cpEnd);
    const loop = new ReaderLoop({ decider: current!.agent, now: () => current!.clock.now }, [
      {
        id: 'R4',
        door: 'D4',
        side: 'in',
        port: new OsdpReaderPort(cp, 3),
        biometric: { minScore: 128, timeoutMs: 5000 },
      },
    ]);
    loop.start();
    closers.push(async () => {
      loop.stop();
      await cpEnd.close();
      await pdEnd.close();
    });
    const pump = async (ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        cp.refresh(current!.clock.now);
        for (let i = 0; i < 30; i++) await Promise.resolve();
        current!.clock.now += 10;
      }
    };
    await pump(300);
    reader.presentCard(s.encoded('C-1001')); // no finger on the sensor
    await pump(300);
    expect(s.accesses().at(-1)?.detail).toMatchObject({ result: 'deny', reason: 'factor_required' });
    reader.placeFinger(60); // a poor match
    reader.presentCard(s.encoded('C-1001'));
    await pump(300);
    expect(s.accesses().at(-1)?.detail).toMatchObject({ result: 'deny', reason: 'factor_required' });
    reader.placeFinger(220);
    reader.presentCard(s.encoded('C-1001'));
    await pump(300);
    expect(s.accesses().at(-1)).toMatchObject({ door: 'D4', person: 'alice', detail: { result: 'grant' } });
  });

  it('rejects a clone of a card at the reader: no credential reaches the controller', async () => {
    const s = setup();
    await s.pump(300);
    const genuine = s.encoded('C-1001');
    expect(s.r1.presentCard(new SimulatedCard({ uid: genuine.uid }))).toBe(false);
    await s.pump(300);
    expect(s.r1.rejectedCards).toBe(1);
    expect(s.accesses()).toEqual([]);
  });

  it('refuses a legacy Wiegand read at a door that does not allow it, and flags it', async () => {
    const s = setup();
    await s.pump(300);
    s.r1.presentWiegand(buildWiegand('H10301', 18, 12345));
    await s.pump(300);
    expect(s.events().find((e) => e.type === 'insecure_credential')?.detail).toMatchObject({
      format: 'wiegand-26',
      accepted: false,
    });
    expect(s.accesses()).toEqual([]);
  });

  it('raises tamper, and comms_lost once when the reader goes silent', async () => {
    const s = setup();
    await s.pump(300);
    s.r1.setTamper(true);
    await s.pump(300);
    const alarms = (kind: string) => s.events().filter((e) => e.type === 'alarm' && e.detail.alarm === kind);
    expect(alarms('tamper')).toHaveLength(1);
    // The reader stops answering: after the 8 s off-line time the link is declared lost, once.
    s.r1.pd.receive = () => undefined;
    await s.pump(12_000);
    expect(alarms('comms_lost').filter((e) => String(e.detail.detail).includes('R1'))).toHaveLength(1);
  });
});
