// The two operator-facing figures of `npm run bench:stack` (issue 9's speed targets):
//   - a door action applied at its controller, from the API call: POST /api/actions answers once
//     every controller concerned has answered, so its latency with the outcome `applied` is the
//     figure (p99 ≤ 250 ms);
//   - the push stream: an access event reaching each of 50 connected clients after the decision
//     (p99 ≤ 250 ms at 1,000 events/s) — measured by stream-clients.ts in a process of its own.

import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { SimApi } from '../src/sim/load/api.ts';
import type { SimPlan } from '../src/sim/load/plan.ts';
import { percentile } from '../src/sim/load/run.ts';

export interface Latency {
  samples: number;
  p50: number;
  p99: number;
}

const latency = (values: number[]): Latency => {
  const sorted = [...values].sort((a, b) => a - b);
  return { samples: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
};

/** Remote unlocks of doors spread over every controller, one after another; `applied` ones timed. */
export async function measureDoorActions(
  api: SimApi,
  plan: SimPlan,
  count: number,
): Promise<Latency & { notApplied: number }> {
  const doors = plan.doors.map((d) => d.id);
  const samples: number[] = [];
  let notApplied = 0;
  for (let i = 0; i < count; i++) {
    const door = doors[(i * 7919) % doors.length]!;
    const t0 = performance.now();
    const answer = await api.ensure('POST', '/api/actions', { action: 'unlock-door', door });
    const ms = performance.now() - t0;
    const outcomes = (answer.json as { controllers: { outcome: string }[] }).controllers;
    if (outcomes.length > 0 && outcomes.every((c) => c.outcome === 'applied')) samples.push(ms);
    else notApplied++;
  }
  return { ...latency(samples), notApplied };
}

/** 50 (or `clients`) connected push-stream clients, timing access events until `stop()`. */
export async function streamClients(options: {
  url: string;
  token: string;
  ca: string;
  clients: number;
}): Promise<{ stop(): Promise<Latency & { perClientEvents: number; rssMiB: number; pid: number }> }> {
  // A process of its own, so that parsing 50 streams does not sit on the server's event loop.
  const child = fork(fileURLToPath(new URL('./stream-clients.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ setup: options });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('push-stream clients did not connect in 60 s')), 60_000);
    child.on('message', (m: { connected?: number; error?: string }) => {
      if (m.error) reject(new Error(m.error));
      if (m.connected) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`push-stream clients exited (${code})`)));
  });
  return {
    async stop() {
      const { delays, rssMiB, pid } = await new Promise<{ delays: number[]; rssMiB: number; pid: number }>(
        (resolve) => {
          child.on(
            'message',
            (m: { delays?: number[]; rssMiB: number; pid: number }) => m.delays && resolve(m as never),
          );
          child.send('report');
        },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
      return { ...latency(delays), perClientEvents: delays.length / options.clients, rssMiB, pid };
    },
  };
}
