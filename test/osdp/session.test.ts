// A real control panel and a real peripheral device joined in memory: the Secure Channel comes up,
// commands and events flow, keys are provisioned only in install mode, and every attack in the
// brief is refused — wrong key, default key outside install mode, key-selector mismatch, MAC
// tampering, replay, plaintext to a keyed reader.
import { describe, expect, it } from 'vitest';
import { crc16 } from '../../src/osdp/crc.ts';
import { CMD, type Command, REPLY } from '../../src/osdp/messages.ts';
import { buildPacket, parsePacket } from '../../src/osdp/phy.ts';
import { KEY_A, KEY_B, makePd, rig, seededRandom } from './support.ts';

describe('OSDP session over loopback', () => {
  it('comes online with Secure Channel, carries LED commands and card/keypad events', async () => {
    const commands: Command[] = [];
    const pd = makePd({ scbk: KEY_A }, commands);
    const r = rig({ scbk: KEY_A }, pd);
    const online: boolean[] = [];
    const cards: Uint8Array[] = [];
    const keys: string[] = [];
    r.cp.on('online', (_a, info) => online.push(info.secure));
    r.cp.on('card', (_a, card) => cards.push(card.data));
    r.cp.on('keypad', (_a, k) => keys.push(k.keys));
    await r.pump(200);
    expect(r.cp.stateOf(1)).toBe('online');
    expect(online).toEqual([true]);
    expect(pd.secure).toBe(true);

    const led = r.cp.send(1, {
      code: CMD.LED,
      leds: [
        {
          reader: 0,
          led: 0,
          temporary: { control: 2, onTime: 5, offTime: 5, onColor: 2, offColor: 0, timer: 30 },
          permanent: { control: 0, onTime: 0, offTime: 0, onColor: 0, offColor: 0 },
        },
      ],
    });
    await r.pump(50);
    await expect(led).resolves.toMatchObject({ code: REPLY.ACK });
    expect(commands.find((c) => c.code === CMD.LED)).toMatchObject({
      leds: [{ temporary: { onColor: 2, timer: 30 } }],
    });

    pd.queue({
      code: REPLY.RAW,
      reader: 0,
      format: 0,
      bits: 32,
      data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
    });
    pd.queue({ code: REPLY.KEYPAD, reader: 0, keys: '1234#' });
    await r.pump(200);
    expect(cards).toEqual([Uint8Array.of(0xde, 0xad, 0xbe, 0xef)]);
    expect(keys).toEqual(['1234#']);
    await r.close();
  });

  it('provisions a key in install mode, then reconnects with it and leaves install mode', async () => {
    let stored: Uint8Array | undefined;
    const pd = makePd({ installMode: true, onKeySet: (k) => (stored = k) });
    const r = rig({ install: { newScbk: KEY_B } }, pd);
    const keysets: number[] = [];
    r.cp.on('keyset', (a) => keysets.push(a));
    await r.pump(400);
    expect(keysets).toEqual([1]);
    expect(stored).toEqual(KEY_B);
    expect(pd.inInstallMode).toBe(false);
    expect(r.cp.stateOf(1)).toBe('online');
    expect(pd.secure).toBe(true);
    await r.close();
  });

  it('refuses the default key outside install mode', async () => {
    const rejects: string[] = [];
    const pd = makePd({ scbk: KEY_A, onReject: (why) => rejects.push(why) });
    const r = rig({ install: { newScbk: KEY_B } }, pd);
    await r.pump(400);
    expect(r.cp.stateOf(1)).not.toBe('online');
    expect(rejects).toContain('default key refused outside install mode');
    await r.close();
  });

  it('never comes online with the wrong key', async () => {
    const warnings: string[] = [];
    const pd = makePd({ scbk: KEY_A });
    const r = rig({ scbk: KEY_B }, pd);
    r.cp.on('warning', (_a, why) => warnings.push(why));
    await r.pump(3000);
    expect(r.cp.stateOf(1)).not.toBe('online');
    expect(warnings.some((w) => w.includes('client cryptogram does not match'))).toBe(true);
    expect(JSON.stringify(warnings)).not.toMatch(/4041424344/i); // no key material in warnings
    await r.close();
  });

  it('refuses plaintext commands to a PD that holds a key', async () => {
    const rejects: string[] = [];
    const pd = makePd({ scbk: KEY_A, onReject: (why) => rejects.push(why) });
    const r = rig({ allowPlaintext: true }, pd);
    const cards: unknown[] = [];
    r.cp.on('card', (_a, c) => cards.push(c));
    pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 8, data: Uint8Array.of(0x42) });
    await r.pump(300);
    // Discovery (ID, CAP) works in clear; a plaintext POLL is refused, so no event ever leaves the PD.
    expect(rejects.some((w) => w.startsWith('plaintext command refused'))).toBe(true);
    expect(cards).toEqual([]);
    await r.close();
  });

  it('requires a key unless plaintext is allowed explicitly', async () => {
    const { ControlPanel } = await import('../../src/osdp/cp.ts');
    expect(() => new ControlPanel({ pds: [{ address: 1 }], random: seededRandom(1).bytes })).toThrow(
      /key \(scbk\) is required/,
    );
  });
});

describe('OSDP attacks on the link', () => {
  it('rejects a key-selector mismatch in CCRYPT', async () => {
    const pd = makePd({ scbk: KEY_A });
    const warnings: string[] = [];
    // A PD (or a device in the middle) that answers with a different key selector than asked.
    const original = pd.receive.bind(pd);
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (reply && reply[5] === 0x03 && reply[6] === 0x12) {
        const p = parsePacket(reply);
        return buildPacket({ ...p, scb: { type: 0x12, data: Uint8Array.of(0x00) } });
      }
      return reply;
    };
    const r = rig({ scbk: KEY_A }, pd);
    r.cp.on('warning', (_a, why) => warnings.push(why));
    await r.pump(300);
    expect(r.cp.stateOf(1)).not.toBe('online');
    expect(warnings).toContain('key selector mismatch in CCRYPT');
    await r.close();
  });

  it('drops the session on a tampered MAC and accepts nothing tampered', async () => {
    const pd = makePd({ scbk: KEY_A });
    let tamper = false;
    const original = pd.receive.bind(pd);
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (reply && tamper && reply[6] === 0x18) {
        const copy = reply.slice();
        copy[copy.length - 4]! ^= 0x01; // last MAC byte; the CRC is recomputed below
        tamper = false;
        return fixCrc(copy);
      }
      return reply;
    };
    const r = rig({ scbk: KEY_A }, pd);
    const cards: Uint8Array[] = [];
    const warnings: string[] = [];
    r.cp.on('card', (_a, c) => cards.push(c.data));
    r.cp.on('warning', (_a, w) => warnings.push(w));
    await r.pump(200);
    expect(r.cp.stateOf(1)).toBe('online');
    tamper = true;
    pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 8, data: Uint8Array.of(0x11) });
    await r.pump(100);
    expect(warnings.some((w) => w.includes('bad_mac'))).toBe(true);
    expect(cards).toEqual([]);
    // The link recovers with a fresh handshake.
    await r.pump(1500);
    expect(r.cp.stateOf(1)).toBe('online');
    await r.close();
  });

  it('ignores a replayed reply', async () => {
    const pd = makePd({ scbk: KEY_A });
    let captured: Uint8Array | undefined;
    let replayNext = false;
    const original = pd.receive.bind(pd);
    pd.receive = (frame, now) => {
      const reply = original(frame, now);
      if (reply && reply[6] === 0x18 && !captured) captured = reply;
      if (replayNext && captured) {
        replayNext = false;
        return captured;
      }
      return reply;
    };
    const r = rig({ scbk: KEY_A }, pd);
    const cards: number[] = [];
    r.cp.on('card', (_a, c) => cards.push(c.data[0]!));
    await r.pump(200);
    pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 8, data: Uint8Array.of(0x42) });
    await r.pump(100);
    expect(cards).toEqual([0x42]);
    replayNext = true;
    await r.pump(1500);
    expect(cards).toEqual([0x42]); // the replayed card read was not accepted again
    await r.close();
  });
});

function fixCrc(frame: Uint8Array): Uint8Array {
  const crc = crc16(frame, 0, frame.length - 2);
  frame[frame.length - 2] = crc & 0xff;
  frame[frame.length - 1] = crc >>> 8;
  return frame;
}
