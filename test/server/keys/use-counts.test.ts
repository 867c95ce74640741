// A time-limited key's maximum uses are counted site-wide (issue 13 §1, through the use counts of
// issue 9 §3): a one-use key presented at two controllers at once opens exactly one door, the count
// shows on the key, and the snapshots issued after it carry what is left — a new snapshot does not
// give the key its uses back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerAgent } from '../../../src/controller/agent.ts';
import { waitFor } from '../../support/fleet.ts';
import { type Call, type KeysServer, linkToken, startKeysServer } from './support.ts';

const HOUR = 3_600_000;
const isoAt = (ms: number) => new Date(ms).toISOString();

describe('key use counts across controllers', () => {
  let s: KeysServer;
  let call: Call;
  const agents: ControllerAgent[] = [];

  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };

  beforeAll(async () => {
    s = await startKeysServer('monban-key-uses-');
    call = s.call;
    await ok('POST', '/api/areas', { id: 'studio', name: 'Studio' });
    for (const n of [1, 2]) {
      await ok('POST', '/api/controllers', { id: `ctl-${n}`, name: `Controller ${n}` });
      await ok('POST', '/api/doors', {
        id: `S${n}`,
        name: `Studio door ${n}`,
        fromArea: 'outside',
        toArea: 'studio',
        controllerId: `ctl-${n}`,
      });
    }
    await ok('POST', '/api/people', { id: 'host-1', name: 'Host' });
    for (const n of [1, 2]) agents.push(await s.enroll(`ctl-${n}`));
    await waitFor('the first snapshots', () => agents.every((a) => a.snapshotVersion > 0), 15_000);
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  it('opens one door once for a one-use key, and keeps it used up through the next snapshot', async () => {
    const now = Date.now();
    const before = agents.map((a) => a.snapshotVersion);
    const issued = await ok('POST', '/api/keys', {
      holder: { person: 'host-1' },
      areas: ['studio'],
      validFrom: isoAt(now - HOUR),
      validUntil: isoAt(now + 24 * HOUR),
      maxUses: 1,
    });
    const { code } = (await s.anonymous('POST', '/api/key-links/open', { token: linkToken(issued.link.url) }))
      .json as { code: string };
    const at = (n: number) => ({ door: `S${n}`, side: 'in' as const, type: 'key' as const, card: code });
    await waitFor(
      'the snapshots with the key',
      () => agents.every((a, i) => a.snapshotVersion > before[i]!),
      15_000,
    );

    const [one, two] = await Promise.all([agents[0]!.presentShared(at(1)), agents[1]!.presentShared(at(2))]);
    expect([one.reason, two.reason].sort()).toEqual(['granted', 'uses_exhausted']);
    await waitFor(
      'the grant in the key’s uses',
      async () => (await ok('GET', `/api/keys/${issued.key.id}`)).uses === 1,
      15_000,
    );

    // Another change to the key makes new snapshots: the use made stays made.
    const versions = agents.map((a) => a.snapshotVersion);
    await ok('PATCH', `/api/keys/${issued.key.id}`, { label: 'changed' });
    await waitFor('new snapshots', () => agents.every((a, i) => a.snapshotVersion > versions[i]!), 15_000);
    for (const [i, agent] of agents.entries())
      expect((await agent.presentShared(at(i + 1))).reason).toBe('uses_exhausted');
    expect((await ok('GET', `/api/keys/${issued.key.id}`)).uses).toBe(1);
  }, 60_000);
});
