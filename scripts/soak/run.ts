// One soak run: start the stack (stack.ts), drive card reads (driver.ts), revoke a card now and
// then, run the chaos driver (chaos.ts) for the chosen time, then settle (every process up, every
// journal acknowledged), probe every revoked card at every controller, stop everything, and verify
// from storage (verify.ts). Returns the report; writing it and the exit code are the caller's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../../src/sim/random.ts';
import { waitFor } from '../../test/support/fleet.ts';
import { ChaosDriver, type FaultKind } from './chaos.ts';
import { ReadDriver, type ReadRecord } from './driver.ts';
import type { SoakReport, SoakSettings } from './report.ts';
import { cardOf, SoakStack } from './stack.ts';
import { type Revocation, readStorage, verify } from './verify.ts';

export interface SoakOptions extends SoakSettings {
  postgresUrl: string | undefined;
  people: number;
  /** seconds between card revocations */
  revokeEverySeconds: number;
  /** keep the scratch directory (logs, journals, database file) */
  keep: boolean;
  log: (line: string) => void;
}

const HEARTBEAT_SECONDS = 1;
const LINK_TIMEOUT_SECONDS = 4;
const MAX_AGE_MINUTES = 1;

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const dir = mkdtempSync(join(tmpdir(), 'monban-soak-'));
  // Two streams: the faults drawn for a seed stay the same whatever the timing of the reads.
  const random = seededRandom(o.seed);
  const readRandom = seededRandom((o.seed ^ 0x9e3779b9) >>> 0);
  const stack = new SoakStack({
    dir,
    controllers: o.controllers,
    servers: o.servers as 1 | 2,
    postgresUrl: o.db === 'postgres' ? o.postgresUrl : undefined,
    people: o.people,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    linkTimeoutSeconds: LINK_TIMEOUT_SECONDS,
    maxAgeMinutes: MAX_AGE_MINUTES,
    smallDisks: o.faults.includes('disk-full'),
    log: o.log,
  });
  const startedAt = Date.now();
  const driver = new ReadDriver(stack, readRandom, o.people, o.readsPerSecond);
  const chaos = new ChaosDriver(stack, random, {
    kinds: o.faults,
    linkTimeoutSeconds: LINK_TIMEOUT_SECONDS,
    log: o.log,
  });
  const revocations: Revocation[] = [];
  const finalProbes: ReadRecord[] = [];
  let revoking = true;
  let revoker: Promise<void> = Promise.resolve();
  try {
    o.log(`starting: broker, ${o.servers} server(s) on ${o.db}, ${o.controllers} controllers in ${dir}`);
    await stack.start();
    o.log(`stack up after ${((Date.now() - startedAt) / 1000).toFixed(1)} s; chaos for ${o.minutes} min`);
    // Controllers enrolled before they first ran count as lost once: an operator clears that first.
    await chaos.settle();
    await chaos.clear();
    driver.start();
    const chaosFrom = Date.now();
    const until = chaosFrom + o.minutes * 60_000;
    revoker = (async () => {
      // Everyone but the first two people may be revoked, one after another (the rest keep reading).
      let next = o.people - 1;
      while (revoking && next >= 2) {
        await sleep(o.revokeEverySeconds * 1000);
        if (!revoking) break;
        const credentialId = `card-${next}`;
        try {
          const r = await stack.request('PATCH', `/api/credentials/${credentialId}`, { state: 'suspended' });
          if (r.status === 200) {
            const revocation = { card: cardOf(next), credentialId, at: Date.now() };
            revocations.push(revocation);
            o.log(`revoked ${credentialId}`);
            // Look for its arrival at once at every controller (the reads are logged like the others).
            await Promise.all(
              stack.controllers.map(async (c) => {
                const deadline = Date.now() + 10_000;
                while (Date.now() < deadline) {
                  const read = await driver.present(c, revocation.card);
                  if (read?.outcome === 'deny') return;
                  await sleep(100);
                }
              }),
            );
          }
        } catch (error) {
          o.log(`revocation of ${credentialId} not made: ${(error as Error).message}`);
        }
        next--;
      }
    })();
    await chaos.run(until);
    revoking = false;
    await revoker;
    await driver.stop();

    // Settle: everything up, then every journal acknowledged by the server.
    o.log('chaos over: settling');
    const settleProblems = await chaos.settle();
    for (const p of settleProblems) o.log(`settling: ${p}`);
    for (const c of stack.controllers) {
      for (const card of revocations.map((r) => r.card)) {
        const read = await driver.present(c, card);
        if (read) finalProbes.push(read);
      }
    }
    const journalNext = new Map<string, number>();
    for (const c of stack.controllers) {
      const proc = c.process!;
      const { journalNext: next } = (await proc.ask({ status: true })).status!;
      await waitFor(
        `${c.id}'s journal to be acknowledged`,
        async () => (await proc.ask({ status: true })).status!.journalAcknowledged >= next - 1,
        180_000,
        250,
      ).catch((error: unknown) => settleProblems.push((error as Error).message));
      journalNext.set(c.id, next);
    }
    await stack.stop();
    const store = await stack.openStorage();
    let storage: Awaited<ReturnType<typeof readStorage>>;
    try {
      storage = await readStorage(store);
    } finally {
      await store.close();
    }
    const verification = verify({
      storage,
      journalNext,
      reads: driver.reads,
      timeline: chaos.timeline,
      revocations,
      finalProbes,
      maxAgeMs: MAX_AGE_MINUTES * 60_000,
      crashes: [
        ...stack.servers.map((s) => ({ name: s.name, count: s.crashes })),
        ...stack.controllers.map((c) => ({ name: c.id, count: c.crashes })),
      ],
      chaosFrom,
      settleProblems,
    });
    const faults: Record<string, number> = {};
    for (const f of chaos.timeline) faults[f.kind] = (faults[f.kind] ?? 0) + 1;
    const count = (kind: FaultKind) => faults[kind] ?? 0;
    const reads = driver.reads;
    return {
      settings: {
        minutes: o.minutes,
        controllers: o.controllers,
        servers: o.servers,
        db: o.db,
        seed: o.seed,
        readsPerSecond: o.readsPerSecond,
        faults: o.faults,
      },
      startedAt: new Date(startedAt).toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt) / 1000),
      reads: {
        made: reads.length,
        grants: reads.filter((r) => r.outcome === 'grant').length,
        denies: reads.filter((r) => r.outcome === 'deny').length,
        lost: reads.filter((r) => r.outcome === 'lost').length,
        timeouts: reads.filter((r) => r.outcome === 'timeout').length,
        errors: reads.filter((r) => r.outcome === 'error').length,
        skipped: driver.skipped,
      },
      faults,
      kills: {
        controllers: count('controller-kill'),
        servers: count('server-kill'),
        broker: count('broker-kill'),
        total: count('controller-kill') + count('server-kill') + count('broker-kill'),
      },
      verification,
      timeline: chaos.timeline,
      passed: verification.violations.length === 0,
    };
  } finally {
    revoking = false;
    await revoker.catch(() => {});
    await driver.stop();
    await stack.stop().catch(() => {});
    await stack.dropDatabase().catch(() => {});
    if (o.keep) o.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
