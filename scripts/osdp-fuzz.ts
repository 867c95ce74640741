// Long fuzz run of the OSDP frame decoder and peripheral device:
//   node --import tsx scripts/osdp-fuzz.ts [--frames 1000000] [--seed 1]
// Feeds random and mutated frames, prints progress, and exits non-zero on any exception, on a
// decoder holding more than one packet, or when a batch takes implausibly long (a hang).
import { randomBytes } from 'node:crypto';
import { fuzzFrames, mutate } from '../src/osdp/fuzz.ts';
import { CMD } from '../src/osdp/messages.ts';
import { PeripheralDevice } from '../src/osdp/pd.ts';
import { buildPacket } from '../src/osdp/phy.ts';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const total = arg('frames', 1_000_000);
let state = arg('seed', 1) >>> 0 || 1;
const random = () => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 2 ** 32;
};

const pd = new PeripheralDevice({
  address: 1,
  scbk: randomBytes(16),
  cUid: new Uint8Array(8),
  id: { vendor: new Uint8Array(3), model: 0, version: 0, serial: 0, firmware: [0, 0, 0] },
  capabilities: [],
  random: (n) => randomBytes(n),
});
const seeds = [
  buildPacket({
    address: 1,
    reply: false,
    sequence: 1,
    useCrc: true,
    code: CMD.POLL,
    data: new Uint8Array(),
  }),
  buildPacket({ address: 1, reply: false, sequence: 0, useCrc: true, code: CMD.ID, data: Uint8Array.of(0) }),
  buildPacket({
    address: 1,
    reply: false,
    sequence: 1,
    useCrc: true,
    scb: { type: 0x11, data: Uint8Array.of(1) },
    code: CMD.CHLNG,
    data: new Uint8Array(8),
  }),
  buildPacket({
    address: 1,
    reply: false,
    sequence: 2,
    useCrc: true,
    scb: { type: 0x13, data: Uint8Array.of(1) },
    code: CMD.SCRYPT,
    data: new Uint8Array(16),
  }),
  buildPacket({
    address: 1,
    reply: false,
    sequence: 3,
    useCrc: false,
    code: CMD.LED,
    data: new Uint8Array(14),
  }),
  buildPacket({
    address: 1,
    reply: false,
    sequence: 2,
    useCrc: true,
    scb: { type: 0x17, data: new Uint8Array() },
    code: CMD.OUT,
    data: new Uint8Array(16),
    mac: new Uint8Array(4),
  }),
];

const stats = { frames: 0, decoded: 0, replies: 0, maxPending: 0 };
const batch = 50_000;
const started = performance.now();
try {
  for (let done = 0; done < total; done += batch) {
    const n = Math.min(batch, total - done);
    const t0 = performance.now();
    fuzzFrames(
      (function* () {
        for (let i = 0; i < n; i++) yield mutate(seeds[Math.floor(random() * seeds.length)]!, random);
      })(),
      pd,
      stats,
    );
    const ms = performance.now() - t0;
    if (ms > 60_000) throw new Error(`a batch of ${n} frames took ${Math.round(ms)} ms: the decoder hangs`);
    process.stderr.write(`\r${stats.frames.toLocaleString()} / ${total.toLocaleString()} frames`);
  }
} catch (error) {
  process.stderr.write('\n');
  console.error(`FAILED after ${stats.frames} frames: ${(error as Error).message}`);
  process.exit(1);
}
process.stderr.write('\n');
const seconds = (performance.now() - started) / 1000;
console.log(
  `fuzz: ${stats.frames.toLocaleString()} frames in ${seconds.toFixed(1)} s, ${stats.decoded.toLocaleString()} decoded, ` +
    `${stats.replies.toLocaleString()} answered, decoder never held more than ${stats.maxPending} bytes; 0 crashes, 0 hangs`,
);
