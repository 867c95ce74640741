// Controller capacity (DESIGN.md §7, issue 11 §2): 2,000,000 cardholders in ≤ 500 MB RSS, compiled in
// ≤ 10 s, decision p99 unchanged. Each measurement runs in a child process of its own
// (capacity-child.ts) so that its memory figures are its policy's alone. People are shaped as a
// server snapshot carries them (64-hex keyed hashes as credential ids and PINs).
//
// - 100,000 and 2,000,000 people added to a PolicyBuilder in chunks of 10,000, as a controller
//   receiving a chunked snapshot would: RSS after compiling (the people list never held whole), heap,
//   the policy's own bytes, compile time, decision latency, a 200-person delta against a rebuild;
// - 2,000,000 people compiled from a whole SiteDef held in memory (compilePolicy(site)), RSS while it
//   is held and after it is dropped, for comparison with the first measurements of issue 11.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LatencyStats, Progress } from './stats.ts';

interface Memory {
  rssMB: number;
  heapMB: number;
  arrayBuffersMB: number;
}

export interface CapacityRun {
  mode: 'stream' | 'whole';
  shape: string;
  people: number;
  credentials: number;
  compileMs: number;
  compileCpuMs: number;
  baseline: Memory;
  held?: Memory;
  compiled: Memory;
  policyMB: number;
  after: Memory;
  latency: LatencyStats;
  decisions: number;
  deltaMs: number;
  carryOverMs: number;
}

export interface CapacityReport {
  runs: CapacityRun[];
}

const child = fileURLToPath(new URL('./capacity-child.ts', import.meta.url));

function run(args: string[]): Promise<CapacityRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', child, ...args],
      { maxBuffer: 1 << 20, timeout: 15 * 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`capacity child ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as CapacityRun);
      },
    );
  });
}

export async function runCapacityBench(progress: Progress, big = 2_000_000): Promise<CapacityReport> {
  const runs: CapacityRun[] = [];
  for (const [people, mode] of [
    [100_000, 'stream'],
    [big, 'stream'],
    [big, 'whole'],
  ] as const) {
    progress(
      `controller capacity: ${people.toLocaleString()} cardholders, ${mode === 'stream' ? 'added in chunks' : 'from a whole site definition'}…`,
    );
    runs.push(await run(['--people', String(people), '--mode', mode]));
  }
  return { runs };
}
