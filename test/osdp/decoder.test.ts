// The streaming frame decoder against anything a line can carry: random and mutated byte streams
// never make it throw, never make it hold more than one maximum-size packet, and every call returns
// (no hang); valid frames are found behind garbage, with or without the mark byte, split anywhere.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutate, seedFrames, xorshift } from '../../src/osdp/fuzz.ts';
import { CMD } from '../../src/osdp/messages.ts';
import { buildPacket, FrameDecoder, MAX_PACKET, parsePacket } from '../../src/osdp/phy.ts';
import { expectBytes } from './support.ts';

const chunks = fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 30 });
const frameArb = fc
  .record({
    address: fc.nat(0x7f),
    reply: fc.boolean(),
    sequence: fc.nat(3),
    useCrc: fc.boolean(),
    code: fc.nat(255),
    data: fc.uint8Array({ maxLength: 200 }),
  })
  .map((p) => buildPacket(p));

/** Splits `bytes` at the given cut points (like a UART handing over whatever it has). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe('FrameDecoder', () => {
  it('never throws and never holds more than one packet on random streams', () => {
    fc.assert(
      fc.property(chunks, (input) => {
        const decoder = new FrameDecoder();
        input.forEach((chunk, i) => {
          for (const frame of decoder.push(chunk, i)) expect(() => parsePacket(frame)).not.toThrow();
          expect(decoder.pending).toBeLessThanOrEqual(MAX_PACKET);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('never holds more than one packet when a forged header claims the maximum length', () => {
    const decoder = new FrameDecoder();
    const header = Uint8Array.of(0x53, 0x01, MAX_PACKET & 0xff, MAX_PACKET >>> 8, 0x04);
    decoder.push(header, 0);
    // Byte by byte, as a slow line delivers them, with no gap long enough to time out.
    const random = xorshift(3);
    for (let i = 0; i < 5000; i++) {
      decoder.push(Uint8Array.of(Math.floor(random() * 256)), 0);
      expect(decoder.pending).toBeLessThanOrEqual(MAX_PACKET);
    }
  });

  it('finds every valid frame however the stream is split, with mark bytes and garbage between', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 30 }), frameArb, fc.boolean()), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.array(fc.nat(5000), { maxLength: 20 }),
        (parts, cuts) => {
          // Garbage without SOM bytes, so that no garbage byte can legitimately start a frame that
          // swallows the next one; resynchronising after a false SOM is the next property.
          const stream = parts.flatMap(([garbage, frame, mark]) => [
            ...garbage.map((b) => (b === 0x53 ? 0x52 : b)),
            ...(mark ? [0xff] : []),
            ...frame,
          ]);
          const decoder = new FrameDecoder();
          const found = split(Uint8Array.from(stream), cuts).flatMap((chunk) => decoder.push(chunk, 0));
          expect(found.map((f) => [...f])).toEqual(parts.map(([, frame]) => [...frame]));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('resynchronises on a valid frame behind any garbage, even garbage that looks like a header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), frameArb, (garbage, frame) => {
        const decoder = new FrameDecoder();
        const found = decoder.push(Uint8Array.from([...garbage, ...frame]), 0);
        expect(found.some((f) => f.length === frame.length && f.every((b, i) => b === frame[i]))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('returns frames byte-exact, without the mark byte', () => {
    const frame = buildPacket(
      { address: 1, reply: false, sequence: 1, useCrc: true, code: CMD.POLL, data: new Uint8Array() },
      { mark: true },
    );
    const [found] = new FrameDecoder().push(frame, 0);
    expectBytes(found, frame.subarray(1));
  });

  it('drops a partial frame after the inter-character timeout and resynchronises', () => {
    const frame = buildPacket({
      address: 1,
      reply: false,
      sequence: 1,
      useCrc: true,
      code: CMD.ID,
      data: Uint8Array.of(0),
    });
    const decoder = new FrameDecoder();
    expect(decoder.push(frame.subarray(0, 5), 0)).toEqual([]);
    expect(decoder.pending).toBe(5);
    // 25 ms later (the limit is 20 ms): the old half is dropped, the whole new frame is found.
    expect(decoder.push(frame, 25)).toHaveLength(1);
    expect(decoder.pending).toBe(0);
    expect(decoder.dropped).toBe(1);
  });

  it('survives 5,000 mutated frames fed whole and byte by byte', () => {
    const random = xorshift(11);
    const seeds = seedFrames();
    const whole = new FrameDecoder();
    const bytewise = new FrameDecoder();
    for (let i = 0; i < 5000; i++) {
      const input = mutate(seeds[i % seeds.length]!, random, seeds[(i * 7) % seeds.length]);
      whole.push(input, i * 30);
      for (const b of input) bytewise.push(Uint8Array.of(b), i * 30);
      expect(whole.pending).toBeLessThanOrEqual(MAX_PACKET);
      expect(bytewise.pending).toBeLessThanOrEqual(MAX_PACKET);
    }
  });
});
