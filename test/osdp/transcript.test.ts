// osdp.md §7.7: a full secure session transcript, byte-exact in both directions. The PD answers the
// CP's frames with exactly the listed bytes; the CP side's secure session seals exactly the listed
// commands and accepts the listed replies.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/osdp/bytes.ts';
import { CMD, encodeCommand, REPLY } from '../../src/osdp/messages.ts';
import { PeripheralDevice } from '../../src/osdp/pd.ts';
import { parsePacket } from '../../src/osdp/phy.ts';
import { deriveSessionKeys, initialRmac, SCBK_D, serverCryptogram } from '../../src/osdp/sc.ts';
import { SecureSession } from '../../src/osdp/secure-session.ts';
import { expectBytes } from './support.ts';

const T = {
  chlng: '53 00 13 00 0D 03 11 00 76 B0 B1 B2 B3 B4 B5 B6 B7 31 77',
  ccrypt:
    '53 80 2B 00 0D 03 12 00 76 01 02 03 04 05 06 07 08 A0 A1 A2 A3 A4 A5 A6 A7 FD E5 D2 F4 28 EC 16 31 24 71 EA 3C 02 BD 77 96 0A B7',
  scrypt: '53 00 1B 00 0E 03 13 00 77 26 D3 35 6E 07 76 2D 26 28 01 FC 8E 66 65 A8 91 40 B4',
  rmacI: '53 80 1B 00 0E 03 14 01 78 B2 A3 00 57 EB 98 BA 22 29 EC 1F 87 56 62 B5 24 6E EB',
  poll1: '53 00 0E 00 0F 02 15 60 69 BD C6 54 E1 36',
  ack1: '53 80 0E 00 0F 02 16 40 F9 BA FF 9D 78 CD',
  led: '53 00 1E 00 0D 02 17 69 77 AC DD 5A 7B 64 9C 1F 52 7A 7C CC 51 6A C3 9E D4 B9 9F E3 B2 85',
  ack2: '53 80 0E 00 0D 02 16 40 E5 C1 4F BC FC 14',
  poll2: '53 00 0E 00 0E 02 15 60 50 23 58 4A 8F 05',
  raw: '53 80 1E 00 0E 02 18 50 33 B5 FB 46 C9 3C 5B 77 56 60 9D 23 F2 C0 8C 14 44 6D 4E EC E8 62',
};
const LED_DATA = fromHex('00 00 02 05 05 01 00 1E 00 01 00 00 02 00');
const RAW_DATA = { reader: 0, format: 1, bits: 26, data: fromHex('25 AB CD 40') };

describe('§7.7 full session transcript', () => {
  it('PD side: every reply byte-exact', () => {
    const pd = new PeripheralDevice({
      address: 0,
      installMode: true,
      cUid: fromHex('01 02 03 04 05 06 07 08'),
      id: { vendor: new Uint8Array(3), model: 0, version: 0, serial: 0, firmware: [0, 0, 0] },
      capabilities: [],
      random: () => fromHex('A0 A1 A2 A3 A4 A5 A6 A7'),
      mark: false,
    });
    expectBytes(pd.receive(fromHex(T.chlng), 0), T.ccrypt);
    expectBytes(pd.receive(fromHex(T.scrypt), 1), T.rmacI);
    expectBytes(pd.receive(fromHex(T.poll1), 2), T.ack1);
    expectBytes(pd.receive(fromHex(T.led), 3), T.ack2);
    pd.queue({ code: REPLY.RAW, ...RAW_DATA });
    expectBytes(pd.receive(fromHex(T.poll2), 4), T.raw);
    // The CP missed that reply and repeats the POLL: the very same bytes come back, the card read is
    // not consumed twice and the MAC chain does not move.
    expectBytes(pd.receive(fromHex(T.poll2), 5), T.raw);
    expect(pd.queued).toBe(0);
  });

  it('CP side: every command byte-exact, every reply accepted', () => {
    const rndA = fromHex('B0 B1 B2 B3 B4 B5 B6 B7');
    const rndB = fromHex('A0 A1 A2 A3 A4 A5 A6 A7');
    const keys = deriveSessionKeys(SCBK_D, rndA);
    const session = new SecureSession(keys, initialRmac(keys, serverCryptogram(keys, rndA, rndB)));
    const base = (sequence: number, code: number) => ({
      address: 0,
      reply: false,
      sequence,
      useCrc: true,
      code,
    });
    expectBytes(session.sealCommand(base(3, CMD.POLL), new Uint8Array(), false), T.poll1);
    expect(session.openReply(parsePacket(fromHex(T.ack1))).ok).toBe(true);
    expectBytes(session.sealCommand(base(1, CMD.LED), LED_DATA, false), T.led);
    expect(session.openReply(parsePacket(fromHex(T.ack2))).ok).toBe(true);
    expectBytes(session.sealCommand(base(2, CMD.POLL), encodeCommand({ code: CMD.POLL }), false), T.poll2);
    const raw = session.openReply(parsePacket(fromHex(T.raw)));
    expectBytes(raw.ok ? raw.data : undefined, '00 01 1A 00 25 AB CD 40');
  });
});
