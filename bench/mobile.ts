// A mobile key offline at the door (R-KEY-2): what the controller adds to a decision to check a
// phone's signed token — read the token, find the device key in the snapshot, verify the ECDSA P-256
// signature, check and use up the nonce — measured against the baseline of the same run: a card
// presented at the same agent (hash, decide, journal, lock output). Both through the real
// ControllerAgent on a signed snapshot of `people` people, each with a card and a mobile key; the
// journal in memory where there is a tmpfs, so the figure is the software's, not the disk's fsync.
// The phone's signing is done before the clock starts (it happens on the phone).
// Runnable alone: node --import tsx bench/mobile.ts

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../src/contracts/canonical.ts';
import { credentialIdHash } from '../src/contracts/credential-key.ts';
import { Sealer } from '../src/contracts/envelope.ts';
import { mobileToken, rawPublicKey, signingInput } from '../src/contracts/mobile-token.ts';
import { ControllerAgent } from '../src/controller/agent.ts';
import { fmt, type LatencyStats, latencyStats, type Progress, table } from './stats.ts';

export interface MobileBenchReport {
  people: number;
  journal: 'disk' | 'memory';
  /** µs: a card presented (the baseline) */
  cardUs: LatencyStats;
  /** µs: a mobile token presented (challenge issued beforehand) */
  mobileUs: LatencyStats;
  /** mobile p50 / card p50 */
  ratio: number;
}

const device = (i: number) => `md-${String(i).padStart(22, '0')}`;

export async function runMobileBench(
  progress: Progress = () => {},
  { people = 10_000, reads = 1_000 } = {},
): Promise<MobileBenchReport> {
  const journal = existsSync('/dev/shm') ? 'memory' : 'disk';
  const dir = mkdtempSync(join(journal === 'memory' ? '/dev/shm' : tmpdir(), 'monban-mobile-bench-'));
  const credentialKey = new Uint8Array(randomBytes(32));
  progress(`mobile: ${people.toLocaleString()} people with a card and a phone key…`);
  const phones = Array.from({ length: Math.min(people, 200) }, () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  );
  const server = generateKeyPairSync('ed25519');
  const site = {
    timezone: 'Asia/Tokyo',
    areas: [{ id: 'office' }],
    doors: [{ id: 'D1', from: 'outside', to: 'office', strikeSeconds: 5 }],
    schedules: [],
    holidayCalendars: [],
    levels: [{ id: 'staff', doors: ['D1'] }],
    groups: [],
    people: Array.from({ length: people }, (_, i) => ({
      id: `p${i}`,
      levels: ['staff'],
      credentials: [
        { type: 'card', id: credentialIdHash(credentialKey, 'card', `C-${i}`) },
        {
          type: 'mobile',
          id: credentialIdHash(credentialKey, 'mobile', device(i)),
          publicKey: rawPublicKey(
            phones[i % phones.length]!.publicKey.export({ format: 'jwk' }) as Parameters<
              typeof rawPublicKey
            >[0],
          ),
        },
      ],
    })),
  };
  const now = Date.now();
  const body = {
    kind: 'snapshot',
    version: 1,
    issuedAt: now,
    maxAgeMinutes: 24 * 60,
    fallback: 'keep_deciding',
    emergency: [],
    offlineDeny: [],
    site,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'snapshot.json'),
    JSON.stringify({
      base: new Sealer('server', server.privateKey).seal(
        'monban/bench/server/commands/ctl-b',
        body as unknown as Json,
        now,
      ),
      deltas: [],
    }),
  );
  const agent = new ControllerAgent({
    dataDir: dir,
    identity: {
      controllerId: 'ctl-b',
      site: 'bench',
      mqttUrl: 'mqtt://127.0.0.1:9',
      mqttProtocol: 4,
      brokerCa: undefined,
      serverKey: server.publicKey,
      credentialKey,
      privateKey: generateKeyPairSync('ed25519').privateKey,
    },
    softwareVersion: 'bench',
  });
  if (agent.snapshotVersion !== 1) throw new Error('the benchmark snapshot was not installed');

  const card = new Float64Array(reads);
  const mobile = new Float64Array(reads);
  progress(`mobile: ${reads} cards and ${reads} phone tokens, interleaved…`);
  // The first mobile token builds the device key index (once per snapshot): not a door's figure.
  const warm = agent.mobile.challenge('D1')!;
  const warmClaim = {
    device: device(0),
    issuer: 'ctl-b',
    door: 'D1',
    nonce: warm.nonce,
    issuedAt: warm.issuedAt,
  };
  await agent.mobile.present(
    'D1',
    'in',
    mobileToken(
      warmClaim,
      sign('sha256', signingInput(warmClaim), { key: phones[0]!.privateKey, dsaEncoding: 'ieee-p1363' }),
    ),
  );
  for (let i = 0; i < reads; i++) {
    const n = (i * 7919) % people;
    agent.doorSensor('D1', true);
    agent.doorSensor('D1', false);
    let start = performance.now();
    const byCard = agent.present({ door: 'D1', side: 'in', card: `C-${n}` });
    card[i] = (performance.now() - start) * 1000;

    agent.doorSensor('D1', true);
    agent.doorSensor('D1', false);
    const challenge = agent.mobile.challenge('D1')!;
    const claim = {
      device: device(n),
      issuer: 'ctl-b',
      door: 'D1',
      nonce: challenge.nonce,
      issuedAt: challenge.issuedAt,
    };
    const token = mobileToken(
      claim,
      sign('sha256', signingInput(claim), {
        key: phones[n % phones.length]!.privateKey,
        dsaEncoding: 'ieee-p1363',
      }),
    );
    start = performance.now();
    const byPhone = await agent.mobile.present('D1', 'in', token);
    mobile[i] = (performance.now() - start) * 1000;
    if (byCard.result !== 'grant' || byPhone.result !== 'grant')
      throw new Error('a benchmark read was denied');
  }
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
  const cardUs = latencyStats(card);
  const mobileUs = latencyStats(mobile);
  return { people, journal, cardUs, mobileUs, ratio: mobileUs.p50 / cardUs.p50 };
}

export function formatMobileReport(r: MobileBenchReport): string {
  return [
    `Mobile key at the door, offline — ${r.people.toLocaleString()} people, journal in ${r.journal}`,
    '',
    table([
      ['presented', 'p50 µs', 'p99 µs', 'p99.9 µs', 'samples'],
      ['card (baseline)', fmt(r.cardUs.p50), fmt(r.cardUs.p99), fmt(r.cardUs.p999), String(r.cardUs.samples)],
      [
        'mobile token',
        fmt(r.mobileUs.p50),
        fmt(r.mobileUs.p99),
        fmt(r.mobileUs.p999),
        String(r.mobileUs.samples),
      ],
    ]),
    '',
    `mobile / card (p50): ${fmt(r.ratio)}× — the ECDSA verification is the difference`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await runMobileBench((m) => process.stderr.write(`… ${m}\n`));
  console.log(formatMobileReport(report));
}
