// A real ControllerAgent with no server, deciding from a signed snapshot written to its data
// directory — the way a controller starts after a power cut. Credentials in the site are given in
// clear and hashed here with the site credential key, exactly as the server's snapshot builder does.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialIdHash, pinHash } from '../../src/contracts/credential-key.ts';
import { Sealer } from '../../src/contracts/envelope.ts';
import { type AgentDriver, ControllerAgent } from '../../src/controller/agent.ts';
import type { DoorIo } from '../../src/controller/door-io.ts';
import type { ControllerIdentity } from '../../src/controller/identity.ts';
import type { SiteDef } from '../../src/core/model.ts';

export const CREDENTIAL_KEY = new Uint8Array(32).fill(7);

/** The site as the server would sync it: card ids and PINs as keyed hashes. */
export function hashedSite(site: SiteDef, key = CREDENTIAL_KEY): SiteDef {
  return {
    ...site,
    people: site.people.map((p) => ({
      ...p,
      credentials: p.credentials.map((c) => ({
        ...c,
        ...(c.id !== undefined && { id: credentialIdHash(key, c.type, c.id) }),
        ...(c.pin !== undefined && { pin: pinHash(key, c.pin) }),
        ...(c.duressPin !== undefined && { duressPin: pinHash(key, c.duressPin) }),
      })),
    })),
  };
}

export interface OfflineAgent {
  agent: ControllerAgent;
  dir: string;
  identity: ControllerIdentity;
  clock: { now: number };
  /** the events journaled so far, as they go to the server */
  journaled(): { type: string; door?: string; detail: Record<string, unknown> }[];
  close(): Promise<void>;
}

export function offlineAgent(
  site: SiteDef,
  options: {
    now: number;
    io?: DoorIo;
    /** the hardware, built once the data directory and identity exist (a key store lives there) */
    hardware?: (dir: string, identity: ControllerIdentity) => DoorIo & AgentDriver;
    realClock?: boolean;
  },
): OfflineAgent {
  const server = generateKeyPairSync('ed25519');
  const identity: ControllerIdentity = {
    controllerId: 'ctl-t',
    site: 'main',
    mqttUrl: 'mqtt://127.0.0.1:9', // nothing listens: offline throughout
    mqttProtocol: 4,
    brokerCa: undefined,
    serverKey: server.publicKey,
    credentialKey: CREDENTIAL_KEY,
    privateKey: generateKeyPairSync('ed25519').privateKey,
  };
  const dir = mkdtempSync(join(tmpdir(), 'monban-agent-'));
  const body = {
    kind: 'snapshot',
    version: 1,
    issuedAt: options.now,
    maxAgeMinutes: 24 * 60,
    fallback: 'keep_deciding',
    emergency: [],
    offlineDeny: [],
    site: JSON.parse(JSON.stringify(hashedSite(site))),
  };
  const envelope = new Sealer('server', server.privateKey).seal(
    'monban/main/server/commands/ctl-t',
    body,
    options.now,
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ base: envelope, deltas: [] }));
  const clock = { now: options.now };
  const hardware = options.hardware?.(dir, identity);
  const io = hardware ?? options.io;
  const agent = new ControllerAgent({
    dataDir: dir,
    identity,
    softwareVersion: 'test',
    ...(!options.realClock && { now: () => clock.now }),
    ...(io && { io }),
    ...(hardware && { drivers: [hardware] }),
  });
  return {
    agent,
    dir,
    identity,
    clock,
    journaled: () =>
      [...agent.journal.unacknowledged()].map((e) => JSON.parse(new TextDecoder().decode(e.payload))),
    close: async () => {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
