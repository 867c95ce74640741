// Every test vector of osdp.md §7, byte-exact (the §7.7 transcript is in transcript.test.ts). A
// mismatch prints a hexdump diff of the two packets.
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../src/osdp/bytes.ts';
import { checksum, crc16 } from '../../src/osdp/crc.ts';
import { CMD, decodeCommand, decodeReply, encodeCommand, REPLY } from '../../src/osdp/messages.ts';
import { buildPacket, type Packet, parsePacket } from '../../src/osdp/phy.ts';
import {
  clientCryptogram,
  computeMac,
  decryptData,
  deriveSessionKeys,
  encryptData,
  initialRmac,
  invert,
  SCBK_D,
  type SessionKeys,
  scbkFromMasterKey,
  serverCryptogram,
} from '../../src/osdp/sc.ts';
import { expectBytes } from './support.ts';

const plain = (code: number, data: string, seq = 2, useCrc = true): Packet => ({
  address: 0,
  reply: false,
  sequence: seq,
  useCrc,
  code,
  data: fromHex(data),
});

describe('§7.1 check characters (SIA Annex E)', () => {
  it('computes CRC-16/AUG-CCITT and the checksum', () => {
    expect(crc16(fromHex('53 7F 0D 00 04 6E 00 80 25 00 00'))).toBe(0x386e);
    expect(crc16(fromHex('53 00 09 00 04 61 00'))).toBe(0x66c0);
    expect(checksum(fromHex('53 7F 0C 00 00 6E 00 80 25 00 00'))).toBe(0x0f);
    expect(checksum(fromHex('53 00 08 00 00 61 00'))).toBe(0x44);
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0xe5cc);
  });
  it('frames the broadcast COMSET of Annex E in both check modes', () => {
    const comset = { address: 0x7f, reply: false, sequence: 0, code: 0x6e, data: fromHex('00 80 25 00 00') };
    expectBytes(buildPacket({ ...comset, useCrc: true }), '53 7F 0D 00 04 6E 00 80 25 00 00 6E 38');
    expectBytes(buildPacket({ ...comset, useCrc: false }), '53 7F 0C 00 00 6E 00 80 25 00 00 0F');
    expectBytes(
      buildPacket({ address: 0, reply: false, sequence: 0, useCrc: true, code: 0x61, data: fromHex('00') }),
      '53 00 09 00 04 61 00 C0 66',
    );
  });
});

describe('§7.2 libosdp phy fixtures', () => {
  const cases: [string, Packet, string][] = [
    [
      'CP POLL',
      { address: 0x65, reply: false, sequence: 0, useCrc: true, code: 0x60, data: new Uint8Array() },
      'FF 53 65 08 00 04 60 60 90',
    ],
    [
      'CP ID',
      { address: 0x65, reply: false, sequence: 0, useCrc: true, code: 0x61, data: fromHex('00') },
      'FF 53 65 09 00 04 61 00 D9 7A',
    ],
    [
      'PD ACK',
      { address: 0x65, reply: true, sequence: 1, useCrc: false, code: 0x40, data: new Uint8Array() },
      'FF 53 E5 07 00 01 40 80',
    ],
    [
      'PD NAK',
      { address: 0x65, reply: true, sequence: 1, useCrc: true, code: 0x41, data: fromHex('01') },
      'FF 53 E5 09 00 05 41 01 0E 8F',
    ],
  ];
  for (const [name, packet, wire] of cases) {
    it(`${name} builds and parses`, () => {
      expectBytes(buildPacket(packet, { mark: true }), wire);
      const parsed = parsePacket(fromHex(wire).subarray(1));
      expect(parsed).toMatchObject({
        address: packet.address,
        reply: packet.reply,
        sequence: packet.sequence,
        code: packet.code,
      });
      expectBytes(parsed.data, hex(packet.data));
    });
  }
  it('CCRYPT and RMAC_I with security blocks', () => {
    const ccryptData = Uint8Array.from({ length: 32 }, (_, i) => 0x10 + i);
    expectBytes(
      buildPacket(
        {
          address: 0x65,
          reply: true,
          sequence: 1,
          useCrc: false,
          scb: { type: 0x12, data: fromHex('01') },
          code: 0x76,
          data: ccryptData,
        },
        { mark: true },
      ),
      `FF 53 E5 2A 00 09 03 12 01 76 ${hex(ccryptData)} 19`,
    );
    const rmac = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    expectBytes(
      buildPacket(
        {
          address: 0x65,
          reply: true,
          sequence: 1,
          useCrc: true,
          scb: { type: 0x14, data: fromHex('01') },
          code: 0x78,
          data: rmac,
        },
        { mark: true },
      ),
      `FF 53 E5 1B 00 0D 03 14 01 78 ${hex(rmac)} CA BA`,
    );
    const parsed = parsePacket(fromHex(`53 E5 1B 00 0D 03 14 01 78 ${hex(rmac)} CA BA`));
    expect(parsed).toMatchObject({ address: 0x65, reply: true, sequence: 1, code: 0x78 });
    expectBytes(parsed.scb?.data, '01');
    expect(parsed.scb?.type).toBe(0x14);
  });
});

describe('§7.3 plain command encodings (OSDP.Net)', () => {
  const cases: [string, number, string, string, string][] = [
    ['POLL', 0x60, '', 'FF 53 00 08 00 06 60 89 CC', 'FF 53 00 07 00 02 60 44'],
    ['CAP', 0x62, '00', 'FF 53 00 09 00 06 62 00 F3 5D', 'FF 53 00 08 00 02 62 00 41'],
    ['ID', 0x61, '00', 'FF 53 00 09 00 06 61 00 A0 08', 'FF 53 00 08 00 02 61 00 42'],
    [
      'COMSET',
      0x6e,
      '01 80 25 00 00',
      'FF 53 00 0D 00 06 6E 01 80 25 00 00 EC 7B',
      'FF 53 00 0C 00 02 6E 01 80 25 00 00 8B',
    ],
    [
      'OUT',
      0x68,
      '00 03 64 00 01 06 78 00',
      'FF 53 00 10 00 06 68 00 03 64 00 01 06 78 00 0B 5B',
      'FF 53 00 0F 00 02 68 00 03 64 00 01 06 78 00 4E',
    ],
    [
      'KEYSET',
      0x75,
      '01 10 00 01 02 03 04 05 06 07 00 01 02 03 04 05 06 07',
      'FF 53 00 1A 00 06 75 01 10 00 01 02 03 04 05 06 07 00 01 02 03 04 05 06 07 CF A3',
      'FF 53 00 19 00 02 75 01 10 00 01 02 03 04 05 06 07 00 01 02 03 04 05 06 07 D4',
    ],
    [
      'FILETRANSFER',
      0x7c,
      '03 E8 03 00 00 0A 00 00 00 05 00 01 02 03 04 05',
      'FF 53 00 18 00 06 7C 03 E8 03 00 00 0A 00 00 00 05 00 01 02 03 04 05 59 21',
      'FF 53 00 17 00 02 7C 03 E8 03 00 00 0A 00 00 00 05 00 01 02 03 04 05 0C',
    ],
    [
      'MFG',
      0x80,
      '01 02 03 0A 0B 0C',
      'FF 53 00 0E 00 06 80 01 02 03 0A 0B 0C 6B 14',
      'FF 53 00 0D 00 02 80 01 02 03 0A 0B 0C F7',
    ],
  ];
  for (const [name, code, data, crcForm, checksumForm] of cases) {
    it(`${name} in CRC and checksum form`, () => {
      expectBytes(buildPacket(plain(code, data), { mark: true }), crcForm);
      expectBytes(buildPacket(plain(code, data, 2, false), { mark: true }), checksumForm);
      // …and the typed codec produces exactly this payload.
      const command = decodeCommand(code, fromHex(data));
      expect(command).toBeDefined();
      expectBytes(encodeCommand(command!), data);
    });
  }
  it('ISTAT, LSTAT, OSTAT with checksums', () => {
    expectBytes(buildPacket(plain(0x65, '', 2, false), { mark: true }), 'FF 53 00 07 00 02 65 3F');
    expectBytes(buildPacket(plain(0x64, '', 2, false), { mark: true }), 'FF 53 00 07 00 02 64 40');
    expectBytes(buildPacket(plain(0x66, '', 2, false), { mark: true }), 'FF 53 00 07 00 02 66 3E');
  });
  it('decodes the PDID reply and BUZ command of PacketDecodingTest', () => {
    const pdid = parsePacket(fromHex('53 80 14 00 06 45 00 0E E3 10 10 00 00 74 97 23 06 06 1B 88'));
    expect(pdid).toMatchObject({ reply: true, address: 0, code: REPLY.PDID, sequence: 2, useCrc: true });
    const id = decodeReply(pdid.code, pdid.data);
    expect(id).toMatchObject({ code: REPLY.PDID, model: 0x10, version: 0x10, serial: 0x97740000 });
    expectBytes(id?.code === REPLY.PDID ? id.vendor : undefined, '00 0E E3');
    expect(id?.code === REPLY.PDID && id.firmware).toEqual([0x23, 0x06, 0x06]);
    const buz = parsePacket(fromHex('53 00 0D 00 06 6A 00 02 02 02 01 59 92'));
    expectBytes(buz.data, '00 02 02 02 01');
    expect(decodeCommand(buz.code, buz.data)).toEqual({
      code: CMD.BUZ,
      buzzers: [{ reader: 0, tone: 2, onTime: 2, offTime: 2, count: 1 }],
    });
  });
  it('decodes the RAW card data of RawCardDataTest (reader 5, 16 bits)', () => {
    const raw = decodeReply(REPLY.RAW, fromHex('05 00 10 00 12 AB'));
    expect(raw).toMatchObject({ code: REPLY.RAW, reader: 5, format: 0, bits: 16 });
    const bits =
      raw?.code === REPLY.RAW ? [...raw.data].map((b) => b.toString(2).padStart(8, '0')).join('') : '';
    expect(bits).toBe('0001001010101011');
  });
  it('decodes the OUT, KEYSET, FILETRANSFER and MFG payloads of §7.3', () => {
    expect(decodeCommand(CMD.OUT, fromHex('00 03 64 00 01 06 78 00'))).toEqual({
      code: CMD.OUT,
      outputs: [
        { output: 0, control: 3, timer: 100 },
        { output: 1, control: 6, timer: 120 },
      ],
    });
    expect(
      decodeCommand(CMD.FILETRANSFER, fromHex('03 E8 03 00 00 0A 00 00 00 05 00 01 02 03 04 05')),
    ).toEqual({
      code: CMD.FILETRANSFER,
      fileType: 3,
      totalSize: 1000,
      offset: 10,
      fragment: fromHex('01 02 03 04 05'),
    });
    expect(decodeCommand(CMD.COMSET, fromHex('01 80 25 00 00'))).toEqual({
      code: CMD.COMSET,
      address: 1,
      baud: 9600,
    });
    expect(decodeCommand(CMD.MFG, fromHex('01 02 03 0A 0B 0C'))).toEqual({
      code: CMD.MFG,
      vendor: fromHex('01 02 03'),
      data: fromHex('0A 0B 0C'),
    });
    const keyset = decodeCommand(
      CMD.KEYSET,
      fromHex('01 10 00 01 02 03 04 05 06 07 00 01 02 03 04 05 06 07'),
    );
    expect(keyset).toMatchObject({ code: CMD.KEYSET, keyType: 1 });
  });
});

describe('§7.4 secure-channel key schedule (SIA Annex E)', () => {
  const rndA = fromHex('B0 B1 B2 B3 B4 B5 B6 B7');
  const rndB = fromHex('A0 A1 A2 A3 A4 A5 A6 A7');
  it('derives S-ENC, S-MAC1, S-MAC2, both cryptograms and RMAC-I', () => {
    const keys = deriveSessionKeys(SCBK_D, rndA);
    expectBytes(keys.enc, 'BF 8D C2 A8 32 9A CB 8C 67 C6 D0 CD 9A 45 16 82');
    expectBytes(keys.mac1, '5E 86 C6 76 60 3B DE E2 D8 BE AF E1 78 63 73 32');
    expectBytes(keys.mac2, '6F DA 86 E8 57 77 7E 81 13 20 35 75 82 39 17 2E');
    expectBytes(clientCryptogram(keys, rndA, rndB), 'FD E5 D2 F4 28 EC 16 31 24 71 EA 3C 02 BD 77 96');
    const server = serverCryptogram(keys, rndA, rndB);
    expectBytes(server, '26 D3 35 6E 07 76 2D 26 28 01 FC 8E 66 65 A8 91');
    expectBytes(initialRmac(keys, server), 'B2 A3 00 57 EB 98 BA 22 29 EC 1F 87 56 62 B5 24');
  });
});

describe('§7.5 full secure packets with all-zero keys (OSDP.Net)', () => {
  const zero: SessionKeys = { enc: new Uint8Array(16), mac1: new Uint8Array(16), mac2: new Uint8Array(16) };
  const rmac = new Uint8Array(16);
  function secure(code: number, data: string): Uint8Array {
    const plainData = fromHex(data);
    const encrypted = plainData.length > 0 ? encryptData(zero, rmac, plainData) : plainData;
    return buildPacket(
      {
        address: 0,
        reply: false,
        sequence: 2,
        useCrc: true,
        scb: { type: plainData.length > 0 ? 0x17 : 0x15, data: new Uint8Array() },
        code,
        data: encrypted,
      },
      { mark: true, seal: (input) => computeMac(zero, rmac, input) },
    );
  }
  const cases: [string, number, string, string][] = [
    ['POLL', 0x60, '', 'FF 53 00 0E 00 0E 02 15 60 4B 32 76 77 73 B6'],
    ['ISTAT', 0x65, '', 'FF 53 00 0E 00 0E 02 15 65 46 0E 3D 4E 2A 6A'],
    ['LSTAT', 0x64, '', 'FF 53 00 0E 00 0E 02 15 64 6F 63 24 6F D0 50'],
    ['OSTAT', 0x66, '', 'FF 53 00 0E 00 0E 02 15 66 62 DE 05 16 12 4B'],
    [
      'COMSET',
      0x6e,
      '01 80 25 00 00',
      'FF 53 00 1E 00 0E 02 17 6E AC A3 C2 FF E4 D9 E5 99 CD 77 1B 8E F3 D1 3F 23 FA AB 63 4E 08 95',
    ],
    [
      'ID',
      0x61,
      '00',
      'FF 53 00 1E 00 0E 02 17 61 D1 4E B7 AD 98 2C C5 F9 AA 25 31 8A 7E AE D6 26 9A E9 95 73 19 83',
    ],
    [
      'OUT',
      0x68,
      '00 03 64 00 01 06 78 00',
      'FF 53 00 1E 00 0E 02 17 68 F7 EF A0 D4 76 4A 4E 29 26 75 96 F2 16 D8 A9 E8 C5 88 76 08 B9 08',
    ],
    [
      'KEYSET',
      0x75,
      '01 10 00 01 02 03 04 05 06 07 00 01 02 03 04 05 06 07',
      'FF 53 00 2E 00 0E 02 17 75 F0 DD EC 9A 0E D8 CE 4C 80 BA F5 D5 5C 18 43 6F 91 89 FD 66 C9 F2 23 DC 04 14 86 D8 33 57 DF 98 6C 1D 4B C2 B2 F2',
    ],
    [
      'MFG',
      0x80,
      '01 02 03 0A 0B 0C',
      'FF 53 00 1E 00 0E 02 17 80 C8 67 0F CB 60 C0 25 BA 48 15 41 92 A4 2B B8 F3 B9 78 FF AC 1A 91',
    ],
  ];
  for (const [name, code, data, wire] of cases) {
    it(`${name}`, () => {
      expectBytes(secure(code, data), wire);
      // …and the receiving side gets the plaintext back.
      const parsed = parsePacket(fromHex(wire).subarray(1));
      expectBytes(parsed.mac!, hex(computeMac(zero, rmac, parsed.macInput).subarray(0, 4)));
      if (data !== '') expectBytes(decryptData(zero, rmac, parsed.data)!, data);
    });
  }
});

describe('§7.6 libosdp primitive vectors (NIST SP 800-38A)', () => {
  const key = fromHex('2B7E151628AED2A6ABF7158809CF4F3C');
  const iv = fromHex('000102030405060708090A0B0C0D0E0F');
  const keys: SessionKeys = { enc: key, mac1: key, mac2: key };
  it('MACs one block, four blocks and a padded partial block', () => {
    expectBytes(
      computeMac(keys, iv, fromHex('6BC1BEE22E409F96E93D7E117393172A')),
      '7649ABAC8119B246CEE98E9B12E9197D',
    );
    expectBytes(
      computeMac(
        keys,
        iv,
        fromHex(
          '6BC1BEE22E409F96E93D7E117393172A AE2D8A571E03AC9C9EB76FAC45AF8E51 30C81C46A35CE411E5FBC1191A0A52EF F69F2445DF4F9B17AD2B417BE66C3710',
        ),
      ),
      '3FF1CAA1681FAC09120ECA307586E1A7',
    );
    expectBytes(
      computeMac(keys, iv, fromHex('000102030405060708090A0B0C0D0E')),
      'C5311F3D23D086EA86F5EE7F85247B40',
    );
  });
  it('encrypts with the IV taken as the NOT of the MAC', () => {
    const macForIv = invert(iv);
    expectBytes(
      encryptData(keys, macForIv, fromHex('000102030405060708090A0B0C0D0E')),
      'C5311F3D23D086EA86F5EE7F85247B40',
    );
    expectBytes(
      encryptData(keys, macForIv, fromHex('000102030405060708090A0B0C0D0E0F')),
      '7DF76B0C1AB899B33E42F047B91B546F E2FE5BD6C1DFCDD19124F03E1A134D3B',
    );
    expectBytes(encryptData(keys, macForIv, new Uint8Array()), '4C08220C79D9191022DC6674874CEAF8');
  });
});

describe('§7.8 master-key SCBK (derived)', () => {
  it('derives the SCBK from a master key and cUID', () => {
    expectBytes(
      scbkFromMasterKey(fromHex('000102030405060708090A0B0C0D0E0F'), fromHex('0102030405060708')),
      'D65DE8749D5E65A851031F8898739936',
    );
  });
});
