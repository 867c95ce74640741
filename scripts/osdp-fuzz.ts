// Long fuzz run of the OSDP frame decoder and peripheral device:
//   node --import tsx scripts/osdp-fuzz.ts [--frames 1000000] [--seed 1]
// Random and mutated frames (plaintext, handshake, and sealed frames of live Secure Channel
// sessions; a third re-framed with valid check characters) go through the streaming decoder into a
// keyed PD. The fuzzing runs in a child process so that this one can act as a watchdog: an exception
// exits 1; no progress for 30 s (a hang, which a loop cannot report about itself) exits 2.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type FuzzStats, FuzzTarget, newFuzzStats, xorshift } from '../src/osdp/fuzz.ts';

const BATCH = 10_000;
const STALL_MS = 30_000;

type Message =
  | { kind: 'progress'; stats: FuzzStats }
  | { kind: 'done'; stats: FuzzStats }
  | { kind: 'error'; message: string; stats: FuzzStats };

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at > 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`--${name} must be a non-negative integer`);
  return value;
}

function fuzzInChild(): void {
  const frames = arg('frames', 1_000_000);
  const seed = arg('seed', 1);
  const stats = newFuzzStats();
  const target = new FuzzTarget(xorshift(seed), stats);
  const post = (message: Message) => process.send!(message);
  try {
    for (let done = 0; done < frames; done += BATCH) {
      target.run(Math.min(BATCH, frames - done));
      post({ kind: 'progress', stats });
    }
    post({ kind: 'done', stats });
  } catch (error) {
    post({
      kind: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      stats,
    });
  }
}

function summary(stats: FuzzStats, seconds: number): string {
  return (
    `${stats.frames.toLocaleString('en-US')} frames in ${seconds.toFixed(1)} s ` +
    `(${Math.round(stats.frames / seconds).toLocaleString('en-US')}/s): ` +
    `${stats.decoded.toLocaleString('en-US')} passed the framing checks, ` +
    `${stats.replies.toLocaleString('en-US')} answered by the PD, ` +
    `${stats.sessions.toLocaleString('en-US')} secure sessions opened, ` +
    `decoder never held more than ${stats.maxPending} bytes`
  );
}

async function main(): Promise<number> {
  const frames = arg('frames', 1_000_000);
  const seed = arg('seed', 1);
  console.log(`OSDP fuzz: ${frames.toLocaleString('en-US')} frames, seed ${seed}`);
  const started = performance.now();
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--child', '--frames', String(frames), '--seed', String(seed)],
    {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise<number>((resolve) => {
    let last = newFuzzStats();
    let lastProgressAt = performance.now();
    let finished = false;
    const finish = (code: number, message: string) => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      process.stderr.write('\n');
      console.log(message);
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve(code);
    };
    const watchdog = setInterval(() => {
      if (performance.now() - lastProgressAt > STALL_MS)
        finish(
          2,
          `FAILED: no progress for ${STALL_MS / 1000} s after ${last.frames} frames: the decoder or PD hangs`,
        );
    }, 1000);
    child.on('message', (message: Message) => {
      last = message.stats;
      lastProgressAt = performance.now();
      const seconds = (performance.now() - started) / 1000;
      if (message.kind === 'progress') {
        const pct = ((100 * last.frames) / Math.max(1, frames)).toFixed(0);
        process.stderr.write(
          `\r  ${last.frames.toLocaleString('en-US')} / ${frames.toLocaleString('en-US')} frames (${pct}%)`,
        );
      } else if (message.kind === 'done') {
        finish(0, `PASSED: ${summary(last, seconds)}; 0 crashes, 0 hangs`);
      } else {
        finish(1, `FAILED after ${last.frames} frames (seed ${seed}):\n${message.message}`);
      }
    });
    child.on('error', (error) => finish(1, `FAILED: the fuzz process could not run: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (code !== 0)
        finish(
          1,
          `FAILED: the fuzz process died (exit ${code}, signal ${signal}) after ${last.frames} frames`,
        );
    });
  });
}

if (process.argv.includes('--child')) {
  fuzzInChild();
} else {
  process.exitCode = await main();
}
