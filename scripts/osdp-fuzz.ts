// Long fuzz run of the OSDP frame decoder and peripheral device:
//   node --import tsx scripts/osdp-fuzz.ts [--frames 1000000] [--seed 1]
// Feeds random and mutated frames, prints progress, and exits non-zero on any exception, on a
// decoder holding more than one packet, or when a batch takes implausibly long (a hang).
import { randomBytes } from 'node:crypto';
import { fuzzFrames, mutate, seedFrames, xorshift } from '../src/osdp/fuzz.ts';
import { PeripheralDevice } from '../src/osdp/pd.ts';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const total = arg('frames', 1_000_000);
const random = xorshift(arg('seed', 1));

const pd = new PeripheralDevice({
  address: 1,
  scbk: randomBytes(16),
  cUid: new Uint8Array(8),
  id: { vendor: new Uint8Array(3), model: 0, version: 0, serial: 0, firmware: [0, 0, 0] },
  capabilities: [],
  random: (n) => randomBytes(n),
});
const seeds = seedFrames();

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
