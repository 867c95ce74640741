// Mobile keys at the door as a state machine (controller/mobile-doors.ts), on a real agent with a
// signed snapshot and no server. The rule, over any run of challenges issued, tokens presented and
// time passing: a token opens only when its device signed it, for the door it is presented at, on
// this controller, within 30 s of its challenge, and the first time its nonce is answered — never
// otherwise; and every refusal that is a replay, a relay or a forged challenge (with a good
// signature) raises exactly one credential_replay alarm, the others none.
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../../src/contracts/canonical.ts';
import { credentialIdHash } from '../../src/contracts/credential-key.ts';
import { Sealer } from '../../src/contracts/envelope.ts';
import {
  type MobileClaim,
  mobileToken,
  rawPublicKey,
  signingInput,
} from '../../src/contracts/mobile-token.ts';
import { ControllerAgent } from '../../src/controller/agent.ts';
import { CHALLENGE_MS, type DoorChallenge } from '../../src/controller/mobile-doors.ts';

const DEVICE = `md-${'p'.repeat(22)}`;
const signed = (key: KeyObject, claim: MobileClaim) =>
  mobileToken(claim, sign('sha256', signingInput(claim), { key, dsaEncoding: 'ieee-p1363' }));

type Op =
  | { op: 'issue'; door: 'D1' | 'D2' }
  | { op: 'present'; pick: number; at: 'D1' | 'D2'; forged: boolean; issuer: 'ctl-p' | 'ctl-x' }
  | { op: 'wait'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('issue' as const), door: fc.constantFrom('D1' as const, 'D2' as const) }),
  fc.record({
    op: fc.constant('present' as const),
    pick: fc.nat(),
    at: fc.constantFrom('D1' as const, 'D2' as const),
    forged: fc.boolean(),
    issuer: fc.constantFrom('ctl-p' as const, 'ctl-p' as const, 'ctl-x' as const),
  }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
);

describe('mobile keys at the door (state machine)', () => {
  const phone = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dirs: string[] = [];
  const credentialKey = new Uint8Array(randomBytes(32));
  const server = generateKeyPairSync('ed25519');
  let body: Json;

  beforeAll(() => {
    const site = {
      timezone: 'Asia/Tokyo',
      areas: [{ id: 'a1' }, { id: 'a2' }],
      doors: [
        { id: 'D1', from: 'outside', to: 'a1' },
        { id: 'D2', from: 'outside', to: 'a2' },
      ],
      schedules: [],
      holidayCalendars: [],
      levels: [{ id: 'both', doors: ['D1', 'D2'] }],
      groups: [],
      people: [
        {
          id: 'pat',
          levels: ['both'],
          credentials: [
            {
              type: 'mobile',
              id: credentialIdHash(credentialKey, 'mobile', DEVICE),
              publicKey: rawPublicKey(phone.publicKey.export({ format: 'jwk' }) as never),
            },
          ],
        },
      ],
    };
    body = {
      kind: 'snapshot',
      version: 1,
      issuedAt: Date.now(),
      maxAgeMinutes: 7 * 24 * 60,
      fallback: 'keep_deciding',
      emergency: [],
      offlineDeny: [],
      site,
    } as unknown as Json;
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function agentAt(clock: { now: number }) {
    const dir = mkdtempSync(join(tmpdir(), 'monban-mobile-doors-'));
    dirs.push(dir);
    const envelope = new Sealer('server', server.privateKey).seal(
      'monban/p/server/commands/ctl-p',
      body,
      clock.now,
    );
    writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ base: envelope, deltas: [] }));
    const alarms: string[] = [];
    const agent = new ControllerAgent({
      dataDir: dir,
      identity: {
        controllerId: 'ctl-p',
        site: 'p',
        mqttUrl: 'mqtt://127.0.0.1:9',
        mqttProtocol: 4,
        brokerCa: undefined,
        serverKey: server.publicKey,
        credentialKey,
        privateKey: generateKeyPairSync('ed25519').privateKey,
      },
      softwareVersion: 'test',
      now: () => clock.now,
      onEvent: (e) => {
        if (e.type === 'alarm' && e.alarm === 'credential_replay') alarms.push(e.detail ?? '');
      },
    });
    return { agent, alarms };
  }

  it('opens exactly for a fresh, signed answer at its own door, and alarms exactly for replays and relays', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const clock = { now: Date.UTC(2026, 11, 7, 1, 0, 0) };
        const { agent, alarms } = agentAt(clock);
        try {
          expect(agent.snapshotVersion).toBe(1);
          const issued: DoorChallenge[] = [];
          const answered = new Set<string>();
          let expectedAlarms = 0;
          for (const op of ops) {
            if (op.op === 'wait') clock.now += op.ms;
            else if (op.op === 'issue') issued.push(agent.mobile.challenge(op.door)!);
            else if (issued.length > 0) {
              const c = issued[op.pick % issued.length]!;
              const claim = {
                device: DEVICE,
                issuer: op.issuer,
                door: c.door,
                nonce: c.nonce,
                issuedAt: c.issuedAt,
              };
              const token = signed(op.forged ? stranger.privateKey : phone.privateKey, claim);
              // The door closes behind whoever passed, so each grant is a fresh release.
              agent.doorSensor(op.at, false);
              const decision = await agent.mobile.present(op.at, 'in', token);
              const relayed = op.issuer !== 'ctl-p' || op.at !== c.door;
              const fresh = clock.now - c.issuedAt < CHALLENGE_MS;
              const first = !answered.has(c.nonce);
              const opens = !op.forged && !relayed && fresh && first;
              expect(decision.result, JSON.stringify({ op, relayed, fresh, first })).toBe(
                opens ? 'grant' : 'deny',
              );
              if (opens) answered.add(c.nonce);
              // Alarmed: a good signature on a relayed token, or on a fresh one answered before.
              if (!op.forged && (relayed || (fresh && !first))) expectedAlarms++;
            }
          }
          expect(alarms).toHaveLength(expectedAlarms);
        } finally {
          await agent.stop();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
