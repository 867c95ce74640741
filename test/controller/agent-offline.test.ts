// Rules of the controller agent without a server (R-CTL-1, fail closed):
// - it decides from the signed snapshot it stored, with the broker unreachable;
// - once the snapshot has gone unconfirmed longer than the site's maximum age, only the emergency
//   list is let in, and a comms_lost alarm is journaled;
// - a snapshot file changed on disk is refused (tamper alarm) and nobody is let in.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialIdHash } from '../../src/contracts/credential-key.ts';
import { Sealer } from '../../src/contracts/envelope.ts';
import { ControllerAgent } from '../../src/controller/agent.ts';
import type { DoorIo } from '../../src/controller/door-io.ts';
import type { ControllerIdentity } from '../../src/controller/identity.ts';
import { at, site } from '../support/sites.ts';

const server = generateKeyPairSync('ed25519');
const credentialKey = new Uint8Array(32).fill(7);
const T0 = at('2026-03-02T09:00');

function identity(): ControllerIdentity {
  return {
    controllerId: 'ctl-x',
    site: 'main',
    mqttUrl: 'mqtt://127.0.0.1:9', // nothing listens: the controller is offline throughout
    mqttProtocol: 4,
    brokerCa: undefined,
    serverKey: server.publicKey,
    credentialKey,
    privateKey: generateKeyPairSync('ed25519').privateKey,
  };
}

function writeSnapshot(dir: string, extra: Record<string, unknown> = {}): void {
  const card = (id: string) => credentialIdHash(credentialKey, 'card', id);
  const body = {
    kind: 'snapshot',
    version: 5,
    issuedAt: T0,
    maxAgeMinutes: 60,
    fallback: 'emergency_only',
    emergency: ['guard'],
    ...extra,
    site: JSON.parse(
      JSON.stringify(
        site({
          areas: [{ id: 'plant', fireZone: 'z1' }],
          doors: [{ id: 'GATE', from: 'outside', to: 'plant' }],
          levels: [{ id: 'all', doors: ['GATE'] }],
          people: [
            { id: 'guard', levels: ['all'], credentials: [{ type: 'card', id: card('G-1') }] },
            { id: 'worker', levels: ['all'], credentials: [{ type: 'card', id: card('W-1') }] },
          ],
        }),
      ),
    ),
  };
  const envelope = new Sealer('server', server.privateKey).seal(
    'monban/main/server/commands/ctl-x',
    body,
    T0,
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ base: envelope, deltas: [] }));
}

describe('controller agent offline', () => {
  const dirs: string[] = [];
  const agents: ControllerAgent[] = [];
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.stop();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function agentAt(dir: string, clock: { now: number }, io?: DoorIo): ControllerAgent {
    const agent = new ControllerAgent({
      ...(io && { io }),
      dataDir: dir,
      identity: identity(),
      softwareVersion: 'test',
      now: () => clock.now,
    });
    agents.push(agent);
    return agent;
  }

  function journaled(agent: ControllerAgent): { type: string; detail: Record<string, unknown> }[] {
    return [...agent.journal.unacknowledged()].map((e) => JSON.parse(new TextDecoder().decode(e.payload)));
  }

  it('decides from its stored snapshot, then falls back to the emergency list when it is too old', () => {
    const dir = mkdtempSync(join(tmpdir(), 'monban-agent-'));
    dirs.push(dir);
    writeSnapshot(dir);
    const clock = { now: T0 + 30 * 60_000 };
    const agent = agentAt(dir, clock);
    expect(agent.snapshotVersion).toBe(5);
    expect(agent.present({ door: 'GATE', side: 'in', card: 'W-1' })).toMatchObject({
      result: 'grant',
      person: 'worker',
    });
    expect(agent.present({ door: 'GATE', side: 'in', card: 'X-9' })).toMatchObject({
      reason: 'unknown_credential',
    });

    clock.now = T0 + 61 * 60_000;
    expect(agent.present({ door: 'GATE', side: 'out', card: 'W-1' })).toMatchObject({
      result: 'deny',
      reason: 'person_inactive',
    });
    expect(agent.present({ door: 'GATE', side: 'in', card: 'G-1' })).toMatchObject({
      result: 'grant',
      person: 'guard',
    });
    expect(agent.inFallback).toBe(true);
    // Two alarms, once each: the server has been silent (link lost), and the policy is too old.
    const alarms = journaled(agent).filter((e) => e.type === 'alarm');
    expect(alarms.map((a) => a.detail.alarm)).toEqual(['comms_lost', 'comms_lost']);
    expect(alarms.map((a) => String(a.detail.detail))).toEqual([
      expect.stringMatching(/nothing heard for/),
      expect.stringMatching(/policy older than 60 min: offline fallback emergency_only/),
    ]);
  });

  it('refuses a snapshot changed on disk and lets nobody in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'monban-agent-'));
    dirs.push(dir);
    writeSnapshot(dir);
    const path = join(dir, 'snapshot.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"maxAgeMinutes":60', '"maxAgeMinutes":6000'));
    const agent = agentAt(dir, { now: T0 });
    expect(agent.snapshotVersion).toBe(0);
    expect(agent.present({ door: 'GATE', side: 'in', card: 'G-1' }).result).toBe('deny');
    const tamper = journaled(agent).find((e) => e.type === 'alarm');
    expect(tamper?.detail).toMatchObject({ alarm: 'tamper' });
    expect(String(tamper?.detail.detail)).toContain('stored snapshot refused: bad_signature');
  });

  it('locks the doors of an area with offline mode deny once the server link is lost', () => {
    const dir = mkdtempSync(join(tmpdir(), 'monban-agent-'));
    dirs.push(dir);
    writeSnapshot(dir, { offlineDeny: ['plant'] });
    const clock = { now: T0 };
    const agent = agentAt(dir, clock);
    expect(agent.present({ door: 'GATE', side: 'in', card: 'W-1' })).toMatchObject({ result: 'grant' });
    clock.now = T0 + 16_000; // nothing heard from the server for longer than the link timeout
    expect(agent.present({ door: 'GATE', side: 'out', card: 'W-1' })).toMatchObject({
      result: 'deny',
      reason: 'door_locked',
    });
    expect(agent.serverLost).toBe(true);
    expect(journaled(agent).some((e) => e.type === 'alarm' && e.detail.alarm === 'comms_lost')).toBe(true);
  });

  it('drives the door lock: released by a grant, locked when the strike time is over, open on fire', () => {
    const dir = mkdtempSync(join(tmpdir(), 'monban-agent-'));
    dirs.push(dir);
    writeSnapshot(dir);
    const clock = { now: T0 };
    const outputs: [string, boolean][] = [];
    const agent = agentAt(dir, clock, { setUnlocked: (door, unlocked) => outputs.push([door, unlocked]) });
    agent.present({ door: 'GATE', side: 'in', card: 'X-9' }); // denied: the lock stays as it is
    expect(outputs).toEqual([['GATE', false]]);
    agent.present({ door: 'GATE', side: 'in', card: 'W-1' });
    expect(outputs.at(-1)).toEqual(['GATE', true]);
    clock.now = T0 + 6_000; // the default strike time is 5 s
    agent.doorSensor('GATE', false);
    expect(outputs.at(-1)).toEqual(['GATE', false]);
    agent.fire('z1', true);
    expect(outputs.at(-1)).toEqual(['GATE', true]);
  });
});
