// Frame fuzzing shared by the test suite (short runs) and scripts/osdp-fuzz.ts (long runs): random
// and mutated frames go through the streaming decoder and into a peripheral device that holds a key
// and, regularly, a live Secure Channel session (so mutated secure frames reach the MAC and
// decryption paths, not only the "no session" refusal). Anything thrown, or the decoder holding
// more than one packet, is a failure; the caller's watchdog catches a run that stops progressing.

import { CMD, REPLY } from './codes.ts';
import { encodeCommand } from './commands.ts';
import { checksum, crc16 } from './crc.ts';
import { PeripheralDevice } from './pd.ts';
import { buildPacket, FrameDecoder, MAX_PACKET, parsePacket } from './phy.ts';
import { decodeReply } from './replies.ts';
import { deriveSessionKeys, KEY_SELECTOR_SCBK, SCS, serverCryptogram } from './sc.ts';
import { SecureSession } from './secure-session.ts';

export interface FuzzStats {
  frames: number;
  /** frames the decoder accepted (valid check characters) */
  decoded: number;
  /** frames the PD answered */
  replies: number;
  /** secure sessions opened with the PD during the run */
  sessions: number;
  maxPending: number;
}

export const newFuzzStats = (): FuzzStats => ({
  frames: 0,
  decoded: 0,
  replies: 0,
  sessions: 0,
  maxPending: 0,
});

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

const randomBytes = (random: () => number, n: number) =>
  Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

/**
 * One mutation of a valid frame: bit flips, truncation, random tail, a forged length field, pure
 * noise, a forced SOM, duplicated or interleaved frames, stray mark bytes, a forged CTRL byte.
 */
export function mutate(seed: Uint8Array, random: () => number, other?: Uint8Array): Uint8Array {
  const bytes = seed.slice();
  const at = () => Math.floor(random() * bytes.length);
  switch (Math.floor(random() * 10)) {
    case 0: {
      const n = 1 + Math.floor(random() * 3);
      for (let i = 0; i < n && bytes.length > 0; i++) bytes[at()]! ^= 1 << Math.floor(random() * 8);
      return bytes;
    }
    case 1:
      return bytes.slice(0, at());
    case 2:
      return Uint8Array.from([...bytes, ...randomBytes(random, Math.floor(random() * 40))]);
    case 3:
      if (bytes.length > 4) {
        const length = random() < 0.5 ? Math.floor(random() * 0x10000) : Math.floor(random() * 64);
        bytes[2] = length & 0xff;
        bytes[3] = length >>> 8;
      }
      return bytes;
    case 4:
      return randomBytes(random, Math.floor(random() * 64));
    case 5:
      return Uint8Array.from([0x53, ...bytes.slice(1)]);
    case 6:
      return Uint8Array.from([...bytes, ...bytes]);
    case 7: {
      // Another frame cut into this one, as a collision on a shared bus would.
      const cut = at();
      return Uint8Array.from([...bytes.slice(0, cut), ...(other ?? bytes), ...bytes.slice(cut)]);
    }
    case 8:
      return Uint8Array.from([0xff, 0xff, 0x53, 0xff, ...bytes]);
    default:
      if (bytes.length > 4) bytes[4] = Math.floor(random() * 256);
      return bytes;
  }
}

/**
 * Makes a mutated frame pass the framing checks again (SOM, LEN, CRC or checksum) so that it reaches
 * the PD's sequence, security and payload logic instead of dying at the check characters.
 */
export function reframe(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 8 || bytes.length > MAX_PACKET) return bytes;
  const out = bytes.slice();
  out[0] = 0x53;
  out[2] = out.length & 0xff;
  out[3] = out.length >>> 8;
  if (out[4]! & 0x04) {
    const crc = crc16(out, 0, out.length - 2);
    out[out.length - 2] = crc & 0xff;
    out[out.length - 1] = crc >>> 8;
  } else {
    out[out.length - 1] = checksum(out, 0, out.length - 1);
  }
  return out;
}

/** Valid plaintext and handshake frames of every kind a PD sees, for the mutator to start from. */
export function seedFrames(address = 1): Uint8Array[] {
  const base = { address, reply: false, useCrc: true };
  const plain = (sequence: number, code: number, data: Uint8Array, useCrc = true) =>
    buildPacket({ ...base, sequence, useCrc, code, data });
  return [
    plain(1, CMD.POLL, new Uint8Array()),
    plain(0, CMD.ID, Uint8Array.of(0)),
    plain(2, CMD.CAP, Uint8Array.of(0)),
    plain(3, CMD.LED, new Uint8Array(14), false),
    plain(
      1,
      CMD.TEXT,
      encodeCommand({ code: CMD.TEXT, reader: 0, command: 1, seconds: 0, row: 1, column: 1, text: 'hi' }),
    ),
    plain(2, CMD.KEYSET, encodeCommand({ code: CMD.KEYSET, keyType: 1, key: new Uint8Array(16).fill(7) })),
    plain(3, CMD.COMSET, encodeCommand({ code: CMD.COMSET, address: 2, baud: 9600 })),
    buildPacket({ ...base, address: 0x7f, sequence: 1, code: CMD.POLL, data: new Uint8Array() }),
    buildPacket({
      ...base,
      sequence: 1,
      scb: { type: SCS.CHLNG, data: Uint8Array.of(1) },
      code: CMD.CHLNG,
      data: new Uint8Array(8),
    }),
    buildPacket({
      ...base,
      sequence: 1,
      scb: { type: SCS.CHLNG, data: Uint8Array.of(0) },
      code: CMD.CHLNG,
      data: new Uint8Array(8),
    }),
    buildPacket({
      ...base,
      sequence: 2,
      scb: { type: SCS.SCRYPT, data: Uint8Array.of(1) },
      code: CMD.SCRYPT,
      data: new Uint8Array(16),
    }),
    buildPacket({
      ...base,
      sequence: 2,
      scb: { type: SCS.CMD_ENC, data: new Uint8Array() },
      code: CMD.OUT,
      data: new Uint8Array(16),
      mac: new Uint8Array(4),
    }),
    buildPacket({ ...base, reply: true, sequence: 1, code: REPLY.ACK, data: new Uint8Array() }),
  ];
}

/**
 * A keyed PD plus the CP half of a Secure Channel with it, built directly from the protocol
 * functions so that valid sealed frames are available as seeds at any time.
 */
export class FuzzTarget {
  readonly pd: PeripheralDevice;
  private readonly decoder = new FrameDecoder();
  private session: SecureSession | undefined;
  private sequence = 0;
  private now = 0;
  private readonly key: Uint8Array;

  constructor(
    private readonly random: () => number,
    readonly stats: FuzzStats = newFuzzStats(),
  ) {
    this.key = randomBytes(random, 16);
    this.pd = new PeripheralDevice({
      address: 1,
      scbk: this.key,
      cUid: randomBytes(random, 8),
      id: { vendor: Uint8Array.of(1, 2, 3), model: 1, version: 1, serial: 1, firmware: [1, 0, 0] },
      capabilities: [
        { function: 8, compliance: 1, items: 0 },
        { function: 9, compliance: 1, items: 0 },
      ],
      random: (n) => randomBytes(random, n),
      onCommand: () => undefined,
    });
  }

  /** Opens a fresh secure session with the PD (CHLNG at SQN 0, SCRYPT) through the decoder. */
  handshake(): boolean {
    this.session = undefined;
    const rndA = randomBytes(this.random, 8);
    const keys = deriveSessionKeys(this.key, rndA);
    const scb = (type: number) => ({ type, data: Uint8Array.of(KEY_SELECTOR_SCBK) });
    const base = { address: 1, reply: false, useCrc: true };
    const ccrypt = this.exchange(
      buildPacket({ ...base, sequence: 0, scb: scb(SCS.CHLNG), code: CMD.CHLNG, data: rndA }),
    );
    const reply = ccrypt && decodeReply(ccrypt.code, ccrypt.data);
    if (reply?.code !== REPLY.CCRYPT) return false;
    const cryptogram = serverCryptogram(keys, rndA, reply.rndB);
    const rmac = this.exchange(
      buildPacket({ ...base, sequence: 1, scb: scb(SCS.SCRYPT), code: CMD.SCRYPT, data: cryptogram }),
    );
    const rmacI = rmac && decodeReply(rmac.code, rmac.data);
    if (rmacI?.code !== REPLY.RMAC_I) return false;
    this.session = new SecureSession(keys, rmacI.rmac);
    this.sequence = 1;
    this.stats.sessions++;
    return true;
  }

  /** A valid sealed command for the current session (advances the CP half's MAC chain). */
  sealed(code: number, data: Uint8Array): Uint8Array | undefined {
    if (!this.session) return undefined;
    this.sequence = (this.sequence % 3) + 1;
    const frame = this.session.sealCommand(
      { address: 1, reply: false, sequence: this.sequence, useCrc: true, code },
      data,
    );
    return frame;
  }

  /** Feeds raw bytes through the decoder into the PD. Throws if the decoder outgrows one packet. */
  feed(bytes: Uint8Array): void {
    this.stats.frames++;
    this.now += 1;
    for (const frame of this.decoder.push(bytes, this.now)) {
      this.stats.decoded++;
      const reply = this.pd.receive(frame, this.now);
      if (reply) {
        this.stats.replies++;
        // A reply that the library itself cannot parse would be a framing bug.
        parsePacket(reply[0] === 0xff ? reply.subarray(1) : reply);
      }
    }
    this.stats.maxPending = Math.max(this.stats.maxPending, this.decoder.pending);
    if (this.decoder.pending > MAX_PACKET)
      throw new Error(`decoder holds ${this.decoder.pending} bytes, more than one packet`);
  }

  /**
   * Runs `count` fuzz frames: every 100 frames a fresh session; then a mix of mutated sealed frames,
   * mutated plaintext seeds and pure noise.
   */
  run(count: number): void {
    const seeds = seedFrames();
    for (let i = 0; i < count; i++) {
      if (i % 100 === 0) {
        this.decoder.reset();
        this.handshake();
      }
      const seed = seeds[Math.floor(this.random() * seeds.length)]!;
      const other = seeds[Math.floor(this.random() * seeds.length)]!;
      const choice = this.random();
      let input: Uint8Array;
      if (choice < 0.3) {
        const sealed = this.sealed(
          this.random() < 0.5 ? CMD.POLL : CMD.LED,
          this.random() < 0.5 ? new Uint8Array() : new Uint8Array(14),
        );
        input = sealed ? mutate(sealed, this.random, other) : mutate(seed, this.random, other);
      } else {
        input = mutate(seed, this.random, other);
      }
      // A third of the inputs are made to pass the check characters, to reach the deeper logic.
      this.feed(this.random() < 0.35 ? reframe(input) : input);
    }
  }

  private exchange(frame: Uint8Array): ReturnType<typeof parsePacket> | undefined {
    this.now += 1;
    const reply = this.pd.receive(frame, this.now);
    if (!reply) return undefined;
    try {
      return parsePacket(reply[0] === 0xff ? reply.subarray(1) : reply);
    } catch {
      return undefined;
    }
  }
}
