// Every command and reply of osdp.md §4-5 survives build → frame → parse → decode unchanged, and
// decoding a payload that does not fit its layout gives `undefined`, never an exception.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CMD,
  type Command,
  decodeCommand,
  decodeReply,
  encodeCommand,
  encodeReply,
  REPLY,
  type Reply,
} from '../../src/osdp/messages.ts';
import { buildPacket, parsePacket } from '../../src/osdp/phy.ts';

const u8 = fc.nat(255);
const u16 = fc.nat(0xffff);
const u32 = fc.nat(0xffffffff);
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const some = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: 1, maxLength: 6 });
const ascii = fc.stringMatching(/^[ -~]{0,40}$/);

const ledState = fc.record({ control: u8, onTime: u8, offTime: u8, onColor: u8, offColor: u8 });

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.constantFrom<Command>(
    { code: CMD.POLL },
    { code: CMD.ID },
    { code: CMD.CAP },
    { code: CMD.LSTAT },
    { code: CMD.ISTAT },
    { code: CMD.OSTAT },
    { code: CMD.RSTAT },
    { code: CMD.ABORT },
  ),
  fc.record({
    code: fc.constant(CMD.OUT),
    outputs: some(fc.record({ output: u8, control: u8, timer: u16 })),
  }),
  fc.record({
    code: fc.constant(CMD.LED),
    leds: some(
      fc.record({
        reader: u8,
        led: u8,
        temporary: fc.record({ control: u8, onTime: u8, offTime: u8, onColor: u8, offColor: u8, timer: u16 }),
        permanent: ledState,
      }),
    ),
  }),
  fc.record({
    code: fc.constant(CMD.BUZ),
    buzzers: some(fc.record({ reader: u8, tone: u8, onTime: u8, offTime: u8, count: u8 })),
  }),
  fc.record({
    code: fc.constant(CMD.TEXT),
    reader: u8,
    command: u8,
    seconds: u8,
    row: u8,
    column: u8,
    text: ascii,
  }),
  fc.record({ code: fc.constant(CMD.COMSET), address: u8, baud: u32 }),
  fc.record({ code: fc.constant(CMD.KEYSET), keyType: u8, key: fc.uint8Array({ maxLength: 32 }) }),
  fc.record({ code: fc.constant(CMD.CHLNG), rndA: bytes(8) }),
  fc.record({ code: fc.constant(CMD.SCRYPT), cryptogram: bytes(16) }),
  fc.record({ code: fc.constant(CMD.ACURXSIZE), size: u16 }),
  fc.record({
    code: fc.constant(CMD.FILETRANSFER),
    fileType: u8,
    totalSize: u32,
    offset: u32,
    fragment: fc.uint8Array({ maxLength: 100 }),
  }),
  fc.record({ code: fc.constant(CMD.MFG), vendor: bytes(3), data: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ code: fc.constant(CMD.KEEPACTIVE), ms: u16 }),
  fc.record({
    code: fc.constantFrom(
      CMD.DIAG,
      CMD.RMODE,
      CMD.TDSET,
      CMD.BIOREAD,
      CMD.BIOMATCH,
      CMD.XWR,
      CMD.PIVDATA,
      CMD.GENAUTH,
      CMD.CRAUTH,
    ),
    data: fc.uint8Array({ maxLength: 40 }),
  }),
);

const replyArb: fc.Arbitrary<Reply> = fc.oneof(
  fc.constantFrom<Reply>({ code: REPLY.ACK }, { code: REPLY.BUSY }),
  fc.record({ code: fc.constant(REPLY.NAK), error: u8 }),
  fc.record({
    code: fc.constant(REPLY.NAK),
    error: u8,
    detail: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    code: fc.constant(REPLY.PDID),
    vendor: bytes(3),
    model: u8,
    version: u8,
    serial: u32,
    firmware: fc.tuple(u8, u8, u8),
  }),
  fc.record({
    code: fc.constant(REPLY.PDCAP),
    capabilities: fc.array(fc.record({ function: u8, compliance: u8, items: u8 }), { maxLength: 16 }),
  }),
  fc.record({ code: fc.constant(REPLY.LSTATR), tamper: fc.boolean(), powerFailure: fc.boolean() }),
  fc.record({ code: fc.constant(REPLY.ISTATR), inputs: fc.array(u8, { maxLength: 16 }) }),
  fc.record({ code: fc.constant(REPLY.OSTATR), outputs: fc.array(u8, { maxLength: 16 }) }),
  fc.record({ code: fc.constant(REPLY.RSTATR), readers: fc.array(u8, { maxLength: 4 }) }),
  fc.nat({ max: 1024 }).chain((bits) =>
    fc.record({
      code: fc.constant(REPLY.RAW),
      reader: u8,
      format: u8,
      bits: fc.constant(bits),
      data: bytes(Math.ceil(bits / 8)),
    }),
  ),
  fc.record({ code: fc.constant(REPLY.FMT), reader: u8, direction: u8, text: ascii }),
  fc.record({ code: fc.constant(REPLY.KEYPAD), reader: u8, keys: fc.stringMatching(/^[0-9A-H*#]{0,20}$/) }),
  fc.record({ code: fc.constant(REPLY.COM), address: u8, baud: u32 }),
  fc.record({ code: fc.constant(REPLY.CCRYPT), cUid: bytes(8), rndB: bytes(8), cryptogram: bytes(16) }),
  fc.record({ code: fc.constant(REPLY.RMAC_I), rmac: bytes(16) }),
  fc.record({
    code: fc.constant(REPLY.FTSTAT),
    control: u8,
    delayMs: u16,
    status: fc.integer({ min: -32768, max: 32767 }),
    updateMax: u16,
  }),
  fc.record({ code: fc.constant(REPLY.MFGREP), vendor: bytes(3), data: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({
    code: fc.constantFrom(
      REPLY.BIOREADR,
      REPLY.BIOMATCHR,
      REPLY.PIVDATAR,
      REPLY.GENAUTHR,
      REPLY.CRAUTHR,
      REPLY.MFGSTATR,
      REPLY.MFGERRR,
      REPLY.XRD,
    ),
    data: fc.uint8Array({ maxLength: 40 }),
  }),
);

describe('command and reply codecs', () => {
  it('round-trips every command through the codec and the framing', () => {
    fc.assert(
      fc.property(commandArb, fc.boolean(), fc.nat(3), (command, useCrc, sequence) => {
        const frame = buildPacket(
          { address: 5, reply: false, sequence, useCrc, code: command.code, data: encodeCommand(command) },
          { mark: true },
        );
        const packet = parsePacket(frame.subarray(1));
        expect(packet).toMatchObject({ address: 5, reply: false, sequence, useCrc });
        expect(decodeCommand(packet.code, packet.data)).toEqual(command);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every reply through the codec and the framing', () => {
    fc.assert(
      fc.property(replyArb, fc.boolean(), (reply, useCrc) => {
        const frame = buildPacket({
          address: 0x7e,
          reply: true,
          sequence: 3,
          useCrc,
          code: reply.code,
          data: encodeReply(reply),
        });
        const packet = parsePacket(frame);
        expect(packet).toMatchObject({ address: 0x7e, reply: true });
        expect(decodeReply(packet.code, packet.data)).toEqual(reply);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes arbitrary payloads under any code without throwing', () => {
    fc.assert(
      fc.property(u8, fc.uint8Array({ maxLength: 64 }), (code, data) => {
        decodeCommand(code, data);
        decodeReply(code, data);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses payloads that do not fit their layout', () => {
    expect(decodeCommand(CMD.POLL, Uint8Array.of(0))).toBeUndefined();
    expect(decodeCommand(CMD.LED, new Uint8Array(13))).toBeUndefined();
    expect(decodeCommand(CMD.OUT, new Uint8Array())).toBeUndefined();
    expect(decodeCommand(CMD.TEXT, Uint8Array.of(0, 1, 0, 1, 1, 3, 0x41, 0x42))).toBeUndefined();
    expect(decodeCommand(CMD.CHLNG, new Uint8Array(7))).toBeUndefined();
    expect(
      decodeCommand(CMD.FILETRANSFER, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1)),
    ).toBeUndefined();
    expect(decodeReply(REPLY.RAW, Uint8Array.of(0, 1, 26, 0, 1, 2, 3))).toBeUndefined();
    expect(decodeReply(REPLY.KEYPAD, Uint8Array.of(0, 1, 0x00))).toBeUndefined();
    expect(decodeReply(REPLY.CCRYPT, new Uint8Array(31))).toBeUndefined();
    expect(decodeReply(REPLY.NAK, new Uint8Array())).toBeUndefined();
    expect(decodeReply(0x42, new Uint8Array())).toBeUndefined();
  });

  it('maps keypad keys to their wire bytes', () => {
    const bytes = encodeReply({ code: REPLY.KEYPAD, reader: 0, keys: '12*#A' });
    expect([...bytes]).toEqual([0, 5, 0x31, 0x32, 0x7f, 0x0d, 0x41]);
  });

  it('throws RangeError for values that do not fit their fields', () => {
    const bad: Command[] = [
      { code: CMD.OUT, outputs: [{ output: 0, control: 1, timer: 70_000 }] },
      { code: CMD.OUT, outputs: [] },
      { code: CMD.BUZ, buzzers: [{ reader: 256, tone: 2, onTime: 1, offTime: 1, count: 1 }] },
      { code: CMD.TEXT, reader: 0, command: 1, seconds: 0, row: 1, column: 1, text: 'こんにちは' },
      { code: CMD.CHLNG, rndA: new Uint8Array(7) },
      { code: CMD.MFG, vendor: new Uint8Array(2), data: new Uint8Array() },
    ];
    for (const command of bad) expect(() => encodeCommand(command)).toThrow(RangeError);
    expect(() => encodeReply({ code: REPLY.KEYPAD, reader: 0, keys: '12x' })).toThrow(RangeError);
    expect(() =>
      encodeReply({ code: REPLY.RAW, reader: 0, format: 0, bits: 26, data: new Uint8Array(3) }),
    ).toThrow(RangeError);
  });
});
