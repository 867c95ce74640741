// Revocation latency (DESIGN.md §7: p99 ≤ 250 ms to 100 controllers): the server sends a signed
// revocation to each of 100 controllers through the embedded broker, over TLS with per-controller
// signed logins as in production; each controller's time to apply it (from the moment the server
// starts sending) is one sample. Repeated over several rounds.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLoginProof, controllerTopics, loginProof } from '../src/contracts/broker-login.ts';
import { credentialIdHash } from '../src/contracts/credential-key.ts';
import { ServerLink } from '../src/controller/server-link.ts';
import { SiteEngine } from '../src/core/engine.ts';
import { ControllerHub } from '../src/server/mqtt/controller-hub.ts';
import { startEmbeddedBroker } from '../src/server/mqtt/embedded-broker.ts';
import { loadOrCreateCertificate } from '../src/server/transport/certificate.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';
import { at } from './time.ts';

export interface RevocationBenchReport {
  controllers: number;
  rounds: number;
  latencyMs: LatencyStats;
}

export async function runRevocationBench(
  progress: Progress,
  controllers = 100,
  rounds = 5,
): Promise<RevocationBenchReport> {
  progress(`revocation: ${controllers} controllers on the embedded broker (TLS), ${rounds} rounds…`);
  const certDir = mkdtempSync(join(tmpdir(), 'monban-bench-tls-'));
  const { cert, key } = await loadOrCreateCertificate(certDir);
  const siteKey = new Uint8Array(32).fill(5);
  const server = generateKeyPairSync('ed25519');
  const keys = new Map<string, KeyObject>();
  const broker = await startEmbeddedBroker({
    port: 0,
    tls: { cert, key },
    access: {
      login: (user, password) => {
        const k = user === 'server' ? server.publicKey : keys.get(user);
        return k !== undefined && checkLoginProof('bench', user, password, k, Date.now());
      },
      topics: (user) => (user === 'server' ? undefined : controllerTopics('bench', user)),
    },
  });
  const tls = { ca: cert };
  const t0 = at('2026-01-05T09:00');
  const people = Array.from({ length: rounds }, (_, i) => ({
    id: `p${i}`,
    levels: ['all'],
    credentials: [{ type: 'card' as const, id: `C-${i}` }],
  }));
  const def = {
    timezone: 'Asia/Tokyo',
    areas: [{ id: 'room' }],
    doors: [{ id: 'D1', from: 'outside', to: 'room' }],
    schedules: [],
    holidayCalendars: [],
    levels: [{ id: 'all', doors: ['D1'] }],
    groups: [],
    people,
  };
  const applied: number[][] = Array.from({ length: rounds }, () => []);
  let roundStart = 0;
  const links: ServerLink[] = [];
  for (let i = 0; i < controllers; i++) {
    const id = `ctl-${i}`;
    const pair = generateKeyPairSync('ed25519');
    keys.set(id, pair.publicKey);
    const engine = new SiteEngine(def, t0);
    links.push(
      new ServerLink({
        url: broker.url,
        site: 'bench',
        controllerId: id,
        controllerKey: pair.privateKey,
        serverKey: server.publicKey,
        credentialHashKey: siteKey,
        engine,
        now: () => t0,
        mqtt: tls,
        password: () => loginProof('bench', id, pair.privateKey, Date.now()),
        record: (e) => {
          if (e.type === 'operator' && e.action === 'revoke-credential') {
            const round = Number(e.target.split('/')[0]!.slice(1));
            applied[round]!.push(performance.now() - roundStart);
          }
        },
      }),
    );
  }
  const hub = new ControllerHub({
    url: broker.url,
    site: 'bench',
    serverKey: server.privateKey,
    controllerKeys: (id) => keys.get(id),
    now: () => t0,
    mqtt: {
      ...tls,
      username: 'server',
      password: loginProof('bench', 'server', server.privateKey, Date.now()),
    },
  });
  await Promise.all([...links.map((l) => l.start()), hub.start()]);
  try {
    for (let round = 0; round < rounds; round++) {
      roundStart = performance.now();
      const hash = credentialIdHash(siteKey, 'card', `C-${round}`);
      await Promise.all(
        links.map((_, i) =>
          hub.command(`ctl-${i}`, { kind: 'command', command: 'revoke', credential: hash }),
        ),
      );
      const deadline = performance.now() + 5000;
      while (applied[round]!.length < controllers && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } finally {
    await Promise.all([...links.map((l) => l.stop()), hub.stop()]);
    await broker.close();
    rmSync(certDir, { recursive: true, force: true });
  }
  const samples = Float64Array.from(applied.flat());
  return { controllers, rounds, latencyMs: latencyStats(samples) };
}
