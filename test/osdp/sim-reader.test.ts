// The simulated reader is a real PD behind a real CP: what the panel commands shows on its LEDs,
// buzzer, outputs and display; what happens at the reader (cards, keys, tamper) reaches the panel's
// events, over Secure Channel.
import { describe, expect, it } from 'vitest';
import { loopbackPair } from '../../src/osdp/channel.ts';
import { ControlPanel } from '../../src/osdp/cp.ts';
import { LED_COLOR, OUT_CONTROL, REPLY, TONE } from '../../src/osdp/messages.ts';
import { attachPd } from '../../src/osdp/pd-driver.ts';
import { SimulatedReader } from '../../src/sim/reader.ts';
import { KEY_A, seededRandom, settle } from './support.ts';

function setup() {
  const clock = { now: 0 };
  const reader = new SimulatedReader({ address: 2, scbk: KEY_A, outputs: 2, random: seededRandom(1).bytes });
  const [cpEnd, pdEnd] = loopbackPair();
  attachPd(reader.pd, pdEnd, () => clock.now);
  const cp = new ControlPanel({ pds: [{ address: 2, scbk: KEY_A }], random: seededRandom(2).bytes });
  cp.attach(cpEnd);
  const events: unknown[] = [];
  cp.on('card', (_a, c) =>
    events.push({ card: c.format, bits: c.bits, data: [...c.data], secure: c.secure }),
  );
  cp.on('formattedCard', (_a, c) => events.push({ formatted: c.text }));
  cp.on('keypad', (_a, k) => events.push({ keys: k.keys }));
  cp.on('status', (_a, s) => events.push({ tamper: s.tamper, power: s.powerFailure }));
  const pump = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      cp.refresh(clock.now);
      await settle();
      clock.now += 10;
    }
  };
  const close = async () => {
    await cpEnd.close();
    await pdEnd.close();
  };
  return { reader, cp, events, pump, close };
}

describe('SimulatedReader', () => {
  it('reports Wiegand, raw and formatted card data, keypad digits and tamper to the panel', async () => {
    const s = setup();
    await s.pump(100);
    expect(s.cp.isSecure(2)).toBe(true);
    expect(s.reader.presentCard('wiegand', [1, 0, 1, 1, 0, 0, 0, 0, 1, 1])).toBe(true);
    expect(s.reader.presentCard('raw', Uint8Array.of(0xca, 0xfe), 12)).toBe(true);
    expect(s.reader.presentCard('formatted', '0012345678')).toBe(true);
    s.reader.type('1234#');
    s.reader.setTamper(true);
    s.reader.setPowerFailure(true);
    await s.pump(300);
    expect(s.events).toEqual([
      { card: 1, bits: 10, data: [0xb0, 0xc0], secure: true },
      { card: 0, bits: 12, data: [0xca, 0xfe], secure: true },
      { formatted: '0012345678' },
      { keys: '1234#' },
      { tamper: true, power: false },
      { tamper: true, power: true },
    ]);
    expect(() => s.reader.type('12x')).toThrow(RangeError);
    await s.close();
  });

  it('shows LED, buzzer, output and text commands as queryable state', async () => {
    const s = setup();
    await s.pump(100);
    await Promise.all([
      s.cp.led(2, [
        {
          reader: 0,
          led: 0,
          temporary: { control: 2, onTime: 5, offTime: 5, onColor: LED_COLOR.GREEN, offColor: 0, timer: 30 },
          permanent: { control: 1, onTime: 10, offTime: 0, onColor: LED_COLOR.RED, offColor: 0 },
        },
      ]),
      s.cp.buzzer(2, [{ reader: 0, tone: TONE.DEFAULT, onTime: 2, offTime: 2, count: 3 }]),
      s.cp.output(2, [{ output: 1, control: OUT_CONTROL.ON_ABORT_TIMED, timer: 0 }]),
      s.cp.text(2, { reader: 0, command: 1, seconds: 0, row: 1, column: 1, text: 'PRESENT CARD' }),
      s.pump(100),
    ]);
    expect(s.reader.led(0)).toEqual({
      color: LED_COLOR.GREEN,
      temporary: true,
      permanent: { onColor: LED_COLOR.RED, offColor: 0, onTime: 10, offTime: 0 },
      timed: { onColor: LED_COLOR.GREEN, offColor: 0, onTime: 5, offTime: 5, timer: 30 },
    });
    expect(s.reader.indicators.buzzer).toEqual({ on: true, tone: 2, onTime: 2, offTime: 2, count: 3 });
    expect(s.reader.indicators.beeps).toBe(3);
    expect(s.reader.outputs).toEqual([false, true]);
    expect(s.reader.indicators.text).toBe('PRESENT CARD');

    // Cancelling the temporary state shows the permanent colour again; the buzzer is switched off.
    const cancel = s.cp.led(2, [
      {
        reader: 0,
        led: 0,
        temporary: { control: 1, onTime: 0, offTime: 0, onColor: 0, offColor: 0, timer: 0 },
        permanent: { control: 0, onTime: 0, offTime: 0, onColor: 0, offColor: 0 },
      },
    ]);
    const quiet = s.cp.buzzer(2, [{ reader: 0, tone: TONE.OFF, onTime: 0, offTime: 0, count: 0 }]);
    const status = s.cp.send(2, { code: 0x66 });
    await s.pump(100);
    await Promise.all([cancel, quiet]);
    expect(s.reader.indicators.led).toEqual({ color: LED_COLOR.RED, temporary: false });
    expect(s.reader.indicators.buzzer.on).toBe(false);
    await expect(status).resolves.toEqual({ code: REPLY.OSTATR, outputs: [0, 1] });
    await s.close();
  });

  it('refuses an output it does not have with NAK 9', async () => {
    const s = setup();
    await s.pump(100);
    const out = s.cp.output(2, [{ output: 5, control: OUT_CONTROL.ON_ABORT_TIMED, timer: 0 }]);
    await s.pump(50);
    await expect(out).rejects.toThrow(/NAK 9/);
    expect(s.cp.isSecure(2)).toBe(true);
    await s.close();
  });

  it('rejects a secure card when it holds no card keys: nothing reaches the panel', async () => {
    const s = setup();
    await s.pump(100);
    const card = { uid: Uint8Array.of(4, 1, 2, 3, 4, 5, 6), transceive: () => Uint8Array.of(0xae) };
    expect(s.reader.presentCard(card)).toBe(false);
    expect(s.reader.rejectedCards).toBe(1);
    await s.pump(100);
    expect(s.events).toEqual([]);
    await s.close();
  });
});
