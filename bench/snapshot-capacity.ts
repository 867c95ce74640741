// A controller snapshot of 2,000,000 cardholders end to end (issue 11 §2): more than one JavaScript
// string may hold (~512 MiB) as canonical JSON, so it goes as lines (contracts/transfer.ts). A
// "server" process builds it as the server does (64-hex keyed hashes), packs and publishes it through
// a real MQTT broker (the embedded one, loopback) to a real ControllerAgent in a process of its own,
// which receives the chunks, checks them, decompresses and parses the body line by line, compiles and
// installs it, decides known cards; is stopped, and a new controller process loads it from the data dir.
// Each side's memory is its own process's. Minutes at 2,000,000: `npm run bench -- --only
// snapshot-capacity` (MONBAN_BENCH_SNAPSHOT_PEOPLE sets the size), not part of `npm test`.

import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedBroker } from '../src/server/mqtt/embedded-broker.ts';
import type { Progress } from './stats.ts';

interface Memory {
  rssMB: number;
  heapMB: number;
  heapTotalMB: number;
  /** V8's young generation and old space as the process holds them (physical) */
  newSpaceMB: number;
  oldSpaceMB: number;
  arrayBuffersMB: number;
}

export interface SnapshotCapacityReport {
  server: {
    people: number;
    builtMs: number;
    packMs: number;
    sendMs: number;
    rawBytes: number;
    compressedBytes: number;
    chunks: number;
    format: string;
    packed: Memory;
  };
  controller: {
    people: number;
    receiveMs: number;
    installMs: number;
    /** CPU (user + system) of the controller process from the last chunk until installed */
    installCpuMs: number;
    restartCpuMs: number;
    decisionUs: { p50: number; p99: number; max: number };
    decisionUsAfterRestart: { p50: number; p99: number; max: number };
    /** core/decide.ts alone on the agent's policy (20,000 cards spread over the store, 5 rounds) */
    coreDecisionUs: { p50: number; p99: number; granted: number; of: number };
    coreDecisionUsAfterRestart: { p50: number; p99: number; granted: number; of: number };
    baseline: Memory;
    installed: Memory;
    installedAfterGc: Memory;
    decided: { grants: number; unknown: string };
    /** a new process: from its start (modules loaded) until the agent's constructor returned */
    restartMs: number;
    restartedVersion: number;
    restartBaseline: Memory;
    afterRestart: Memory;
    afterRestartGc: Memory;
    decidedAfterRestart: { grants: number; unknown: string };
    alarms: string[];
  };
}

const child = fileURLToPath(new URL('./snapshot-capacity-child.ts', import.meta.url));

/** A child process; resolves each JSON line it writes to the first waiter whose test it passes. */
function start(args: string[], env: Record<string, string>) {
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=12288', '--import', 'tsx', child, ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const lines: Record<string, unknown>[] = [];
  let waiting: {
    test: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let rest = '';
  proc.stdout!.on('data', (d: Buffer) => {
    rest += d.toString('utf8');
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
      const line = JSON.parse(rest.slice(0, nl)) as Record<string, unknown>;
      rest = rest.slice(nl + 1);
      lines.push(line);
      const met = waiting.filter((w) => w.test(line));
      waiting = waiting.filter((w) => !met.includes(w));
      for (const w of met) w.resolve(line);
    }
  });
  const exited = new Promise<number>((resolve) => proc.once('exit', (code) => resolve(code ?? -1)));
  const line = (test: (l: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = lines.find(test);
      if (found) return resolve(found);
      waiting.push({ test, resolve });
      void exited.then((code) => reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`)));
    });
  return { proc, line, exited };
}

export async function runSnapshotCapacityBench(
  progress: Progress,
  people = Number(process.env.MONBAN_BENCH_SNAPSHOT_PEOPLE ?? 2_000_000),
): Promise<SnapshotCapacityReport> {
  const server = generateKeyPairSync('ed25519');
  const broker = await startEmbeddedBroker({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'monban-snapshot-capacity-'));
  const env = {
    MONBAN_BENCH_BROKER: broker.url,
    MONBAN_BENCH_SERVER_KEY: server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    MONBAN_BENCH_SERVER_PUBLIC: server.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    MONBAN_BENCH_DATA: dir,
  };
  const children: ChildProcess[] = [];
  try {
    progress(`snapshot capacity: a controller agent waits for ${people.toLocaleString()} cardholders…`);
    const ctl = start(['--role', 'controller', '--people', String(people)], env);
    children.push(ctl.proc);
    await ctl.line((l) => l.ready === true);
    progress('snapshot capacity: the server side builds, packs and sends the snapshot…');
    const srv = start(['--role', 'server', '--people', String(people)], env);
    children.push(srv.proc);
    const sent = await srv.line((l) => l.role === 'server' && l.people !== undefined);
    progress('snapshot capacity: sent; the controller installs it, restarts and loads it again…');
    const got = await ctl.line((l) => l.role === 'controller' && l.people !== undefined);
    await Promise.all([ctl.exited, srv.exited]);
    // A controller process started again (nothing left of the first): it loads the stored snapshot.
    progress('snapshot capacity: a new controller process loads the stored snapshot…');
    const again = start(['--role', 'restart', '--people', String(people)], env);
    children.push(again.proc);
    const restarted = await again.line((l) => l.role === 'restart');
    await again.exited;
    return {
      server: sent as unknown as SnapshotCapacityReport['server'],
      controller: { ...got, ...restarted } as unknown as SnapshotCapacityReport['controller'],
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Alone: `node --import tsx bench/snapshot-capacity.ts [people]`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await runSnapshotCapacityBench(
    (m) => process.stderr.write(`… ${m}\n`),
    Number(process.argv[2] ?? 2_000_000),
  );
  console.log(JSON.stringify(report, null, 2));
}
