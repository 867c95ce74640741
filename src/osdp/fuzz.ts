// Frame fuzzing shared by the test suite (short runs) and scripts/osdp-fuzz.ts (long runs): random
// and mutated frames go through the streaming decoder and a peripheral device; anything thrown, any
// buffer growth beyond the limit, or a decode that does not terminate is a failure.

import { CMD } from './messages.ts';
import type { PeripheralDevice } from './pd.ts';
import { buildPacket, FrameDecoder, MAX_PACKET } from './phy.ts';

export interface FuzzStats {
  frames: number;
  decoded: number;
  replies: number;
  maxPending: number;
}

export type Mutator = (seed: Uint8Array, random: () => number) => Uint8Array;

/** Flip bits, cut, extend, splice length fields, or produce pure noise. */
export const mutate: Mutator = (seed, random) => {
  const choice = Math.floor(random() * 6);
  const bytes = seed.slice();
  switch (choice) {
    case 0: {
      const n = 1 + Math.floor(random() * 3);
      for (let i = 0; i < n && bytes.length > 0; i++)
        bytes[Math.floor(random() * bytes.length)]! ^= 1 << Math.floor(random() * 8);
      return bytes;
    }
    case 1:
      return bytes.slice(0, Math.floor(random() * bytes.length));
    case 2:
      return Uint8Array.from([
        ...bytes,
        ...Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)),
      ]);
    case 3:
      if (bytes.length > 4) {
        const length = Math.floor(random() * 0x10000);
        bytes[2] = length & 0xff;
        bytes[3] = length >>> 8;
      }
      return bytes;
    case 4:
      return Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
    default:
      return Uint8Array.from([0x53, ...bytes.slice(1)]);
  }
};

export function fuzzFrames(inputs: Iterable<Uint8Array>, pd: PeripheralDevice, stats: FuzzStats): void {
  const decoder = new FrameDecoder();
  let now = 0;
  for (const input of inputs) {
    stats.frames++;
    now += 1;
    for (const frame of decoder.push(input, now)) {
      stats.decoded++;
      if (pd.receive(frame, now)) stats.replies++;
    }
    stats.maxPending = Math.max(stats.maxPending, decoder.pending);
    if (decoder.pending > MAX_PACKET)
      throw new Error(`decoder holds ${decoder.pending} bytes, more than one packet`);
  }
}

/** Valid frames of every kind a PD sees (plain, handshake, secure) for the mutator to start from. */
export function seedFrames(address = 1): Uint8Array[] {
  const base = { address, reply: false, useCrc: true };
  return [
    buildPacket({ ...base, sequence: 1, code: CMD.POLL, data: new Uint8Array() }),
    buildPacket({ ...base, sequence: 0, code: CMD.ID, data: Uint8Array.of(0) }),
    buildPacket({
      ...base,
      sequence: 1,
      scb: { type: 0x11, data: Uint8Array.of(1) },
      code: CMD.CHLNG,
      data: new Uint8Array(8),
    }),
    buildPacket({
      ...base,
      sequence: 2,
      scb: { type: 0x13, data: Uint8Array.of(1) },
      code: CMD.SCRYPT,
      data: new Uint8Array(16),
    }),
    buildPacket({ ...base, sequence: 3, useCrc: false, code: CMD.LED, data: new Uint8Array(14) }),
    buildPacket({
      ...base,
      sequence: 2,
      scb: { type: 0x17, data: new Uint8Array() },
      code: CMD.OUT,
      data: new Uint8Array(16),
      mac: new Uint8Array(4),
    }),
  ];
}

/** A seeded uniform [0, 1) source (xorshift32): fuzz runs are repeatable. Not for cryptography. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}
