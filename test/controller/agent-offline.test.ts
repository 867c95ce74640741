// Rules of the controller agent without a server (R-CTL-1, fail closed):
// - it decides from the signed snapshot it stored, with the broker unreachable;
// - once the snapshot has gone unconfirmed longer than the site's maximum age, only the emergency
//   list is let in, and a comms_lost alarm is journaled;
// - a snapshot file changed on disk is refused (tamper alarm) and nobody is let in;
// - a journal that cannot be written (a full disk) lets nobody in (journal_failed) but the fire
//   input still opens the egress doors; the events wait in memory (at most 10,000) and are
//   journaled, in order, once the disk takes writes again.
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialIdHash } from '../../src/contracts/credential-key.ts';
import { Sealer } from '../../src/contracts/envelope.ts';
import { ControllerAgent } from '../../src/controller/agent.ts';
import type { DoorIo } from '../../src/controller/door-io.ts';
import type { ControllerIdentity } from '../../src/controller/identity.ts';
import type { JournalFs } from '../../src/controller/journal.ts';
import { ControllerMetrics } from '../../src/controller/metrics.ts';
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

  function agentAt(dir: string, clock: { now: number }, io?: DoorIo, journalFs?: JournalFs): ControllerAgent {
    const agent = new ControllerAgent({
      ...(io && { io }),
      ...(journalFs && { journalFs }),
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

  /** node:fs for the event journal, whose writes fail with ENOSPC while `full` (a full disk). */
  function diskThatFills() {
    const disk = { full: false };
    const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const journalFs: JournalFs = {
      ...fs,
      writeSync: ((...args: Parameters<typeof fs.writeSync>) => {
        if (disk.full) throw enospc();
        return (fs.writeSync as (...a: unknown[]) => number)(...args);
      }) as typeof fs.writeSync,
    };
    return { disk, journalFs };
  }

  it('lets nobody in while its journal cannot be written, opens on fire, and journals it all after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monban-agent-'));
    dirs.push(dir);
    writeSnapshot(dir);
    const clock = { now: T0 };
    const outputs: [string, boolean][] = [];
    const { disk, journalFs } = diskThatFills();
    const agent = agentAt(
      dir,
      clock,
      { setUnlocked: (door, unlocked) => outputs.push([door, unlocked]) },
      journalFs,
    );
    const metrics = new ControllerMetrics(() => clock.now, { processMetrics: false });
    metrics.watch(agent);
    expect(agent.present({ door: 'GATE', side: 'in', card: 'W-1' }).result).toBe('grant');
    clock.now = T0 + 6_000;
    agent.doorSensor('GATE', false); // strike time over: locked again
    expect(outputs.at(-1)).toEqual(['GATE', false]);
    const before = agent.journal.next;

    disk.full = true;
    clock.now = T0 + 10_000;
    const denied = agent.present({ door: 'GATE', side: 'out', card: 'W-1' });
    expect(denied).toMatchObject({ result: 'deny', reason: 'journal_failed', person: 'worker' });
    expect(denied.trace[0]!.detail).toContain('ENOSPC');
    expect(outputs.at(-1)).toEqual(['GATE', false]); // the lock was not released
    expect(agent.whereIs('worker')).toBe('plant'); // and nothing changed: no passage counted
    expect(agent.health()).toMatchObject({ journalBlocked: true, journalHeld: 1 });
    expect(await metrics.scrape()).toMatch(/monban_controller_journal_blocked 1/);
    expect(agent.present({ door: 'GATE', side: 'in', card: 'G-1' }).reason).toBe('journal_failed');
    // Fire opens the egress doors whatever the journal (fail open for fire alone).
    agent.fire('z1', true);
    expect(outputs.at(-1)).toEqual(['GATE', true]);
    agent.fire('z1', false);
    expect(agent.journal.next).toBe(before); // nothing reached the journal meanwhile…

    disk.full = false;
    clock.now = T0 + 20_000;
    expect(agent.present({ door: 'GATE', side: 'in', card: 'G-1' }).result).toBe('grant');
    expect(agent.health()).toMatchObject({ journalBlocked: false, journalHeld: 0 });
    expect(await metrics.scrape()).toMatch(/monban_controller_journal_blocked 0/);
    // …and everything held is there now, in order, before the grant that found the disk back.
    const after = journaled(agent).slice(before - 1);
    const access = after
      .filter((e) => e.type === 'access')
      .map((e) => `${e.detail.result}:${e.detail.reason}`);
    expect(access).toEqual(['deny:journal_failed', 'deny:journal_failed', 'grant:granted']);
    expect(after.some((e) => e.type === 'operator' || e.type === 'door' || e.type === 'alarm')).toBe(true);
    expect([...agent.journal.unacknowledged()].map((e) => e.seq)).toEqual(
      Array.from({ length: agent.journal.next - 1 }, (_, i) => i + 1),
    );
  });

  it('keeps at most 10,000 events in memory and reports how many it could not keep', () => {
    const dir = mkdtempSync(join(tmpdir(), 'monban-agent-'));
    dirs.push(dir);
    writeSnapshot(dir);
    const clock = { now: T0 };
    const { disk, journalFs } = diskThatFills();
    const agent = agentAt(dir, clock, undefined, journalFs);
    disk.full = true;
    for (let i = 0; i < 10_050; i++) agent.present({ door: 'GATE', side: 'in', card: 'X-9' });
    expect(agent.health().journalHeld).toBe(10_000);
    disk.full = false;
    clock.now = T0 + 5_000; // the journal is tried again once a second
    agent.present({ door: 'GATE', side: 'in', card: 'W-1' });
    const events = journaled(agent);
    expect(events.filter((e) => e.detail.reason === 'journal_failed')).toHaveLength(10_000);
    const overflow = events.find((e) => e.type === 'device' && e.detail.device === 'journal');
    expect(String(overflow?.detail.detail)).toMatch(/^50 events beyond the 10000/);
  });
});
