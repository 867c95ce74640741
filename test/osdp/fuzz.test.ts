// The frame decoder and the PD survive anything on the wire: random and mutated frames never throw,
// never make the decoder hold more than one packet, and build → parse round-trips for every
// command and reply. Also: the link comes up and stays correct through line noise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzFrames, mutate, seedFrames } from '../../src/osdp/fuzz.ts';
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
import { buildPacket, FrameDecoder, MAX_PACKET, parsePacket } from '../../src/osdp/phy.ts';
import { KEY_A, makePd, rig, seededRandom } from './support.ts';

const bytes = (max: number) => fc.uint8Array({ maxLength: max });

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.constantFrom<Command>(
    { code: CMD.POLL },
    { code: CMD.ID },
    { code: CMD.CAP },
    { code: CMD.LSTAT },
    { code: CMD.ABORT },
  ),
  fc.record({
    code: fc.constant(CMD.OUT),
    outputs: fc.array(fc.record({ output: fc.nat(255), control: fc.nat(6), timer: fc.nat(65535) }), {
      minLength: 1,
      maxLength: 4,
    }),
  }),
  fc.record({
    code: fc.constant(CMD.BUZ),
    buzzers: fc.array(
      fc.record({
        reader: fc.nat(255),
        tone: fc.nat(2),
        onTime: fc.nat(255),
        offTime: fc.nat(255),
        count: fc.nat(255),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
  fc.record({
    code: fc.constant(CMD.COMSET),
    address: fc.nat(126),
    baud: fc.constantFrom(9600, 19200, 38400, 115200),
  }),
  fc.record({
    code: fc.constant(CMD.KEYSET),
    keyType: fc.constant(1),
    key: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  }),
  fc.record({ code: fc.constant(CMD.CHLNG), rndA: fc.uint8Array({ minLength: 8, maxLength: 8 }) }),
  fc.record({
    code: fc.constant(CMD.TEXT),
    reader: fc.nat(3),
    command: fc.integer({ min: 1, max: 4 }),
    seconds: fc.nat(255),
    row: fc.nat(4),
    column: fc.nat(16),
    text: fc.stringMatching(/^[ -~]{0,32}$/),
  }),
);

const replyArb: fc.Arbitrary<Reply> = fc.oneof(
  fc.constantFrom<Reply>({ code: REPLY.ACK }, { code: REPLY.BUSY }),
  fc.record({ code: fc.constant(REPLY.NAK), error: fc.nat(255) }),
  fc.nat({ max: 4096 }).chain((bits) =>
    fc.record({
      code: fc.constant(REPLY.RAW),
      reader: fc.nat(255),
      format: fc.nat(1),
      bits: fc.constant(bits),
      data: fc.uint8Array({ minLength: Math.ceil(bits / 8), maxLength: Math.ceil(bits / 8) }),
    }),
  ),
  fc.record({
    code: fc.constant(REPLY.KEYPAD),
    reader: fc.nat(255),
    keys: fc.stringMatching(/^[0-9*#]{0,20}$/),
  }),
  fc.record({ code: fc.constant(REPLY.LSTATR), tamper: fc.boolean(), powerFailure: fc.boolean() }),
);

describe('OSDP frame decoder under fuzzing', () => {
  it('never throws and never buffers beyond one packet on random byte streams', () => {
    fc.assert(
      fc.property(fc.array(bytes(300), { maxLength: 30 }), (chunks) => {
        const decoder = new FrameDecoder();
        chunks.forEach((chunk, i) => {
          for (const frame of decoder.push(chunk, i)) expect(() => parsePacket(frame)).not.toThrow();
          expect(decoder.pending).toBeLessThanOrEqual(MAX_PACKET);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('finds a valid frame behind any garbage prefix', () => {
    fc.assert(
      fc.property(bytes(200), commandArb, (garbage, command) => {
        const frame = buildPacket(
          {
            address: 3,
            reply: false,
            sequence: 1,
            useCrc: true,
            code: command.code,
            data: encodeCommand(command),
          },
          { mark: true },
        );
        const found = new FrameDecoder().push(Uint8Array.from([...garbage, ...frame]), 0);
        expect(
          found.some((f) => f.length === frame.length - 1 && f.every((b, i) => b === frame[i + 1])),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips every command and reply through the codecs and the framing', () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        const packet = parsePacket(
          buildPacket({
            address: 1,
            reply: false,
            sequence: 2,
            useCrc: true,
            code: command.code,
            data: encodeCommand(command),
          }),
        );
        expect(decodeCommand(packet.code, packet.data)).toEqual(command);
      }),
    );
    fc.assert(
      fc.property(replyArb, (reply) => {
        const packet = parsePacket(
          buildPacket({
            address: 1,
            reply: true,
            sequence: 2,
            useCrc: false,
            code: reply.code,
            data: encodeReply(reply),
          }),
        );
        expect(decodeReply(packet.code, packet.data)).toEqual(reply);
      }),
    );
  });

  it('feeds 20,000 random and mutated frames to a keyed PD without a crash', () => {
    const random = seededRandom(2026).unit;
    const seeds = seedFrames();
    const stats = { frames: 0, decoded: 0, replies: 0, maxPending: 0 };
    const inputs = (function* () {
      for (let i = 0; i < 20_000; i++) yield mutate(seeds[i % seeds.length]!, random);
    })();
    expect(() => fuzzFrames(inputs, makePd({ scbk: KEY_A }), stats)).not.toThrow();
    expect(stats.frames).toBe(20_000);
    expect(stats.decoded).toBeGreaterThan(0);
  });
});

describe('OSDP link through line noise', () => {
  it('comes online and delivers every card read intact despite flipped, dropped and inserted bytes', async () => {
    const noise = { flip: 0.002, drop: 0.002, insert: 0.002, random: seededRandom(5).unit };
    const pd = makePd({ scbk: KEY_A });
    const r = rig({ scbk: KEY_A }, pd, { retries: 5 }, noise);
    const cards: string[] = [];
    r.cp.on('card', (_a, c) => cards.push(Buffer.from(c.data).toString('hex')));
    await r.pump(3000);
    expect(r.cp.stateOf(1)).toBe('online');
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const data = Uint8Array.of(i, 0xa5, 0x5a, i);
      sent.push(Buffer.from(data).toString('hex'));
      pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 32, data });
      await r.pump(400);
    }
    await r.pump(5000);
    // Nothing corrupted is ever accepted: every card seen is one that was sent, in order.
    expect(cards.every((c) => sent.includes(c))).toBe(true);
    expect(cards).toEqual(sent.slice(0, cards.length).filter((c) => cards.includes(c)));
    expect(cards.length).toBeGreaterThan(10);
    await r.close();
  });
});
