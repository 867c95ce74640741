// Running a site from the server (issue 9), as separate processes: `monban serve` with its embedded
// broker and two `monban controller run --driver sim`. Each door and area action goes through
// POST /api/actions and is shown end to end: the controller concerned applies it (the door output it
// drives, the decisions it makes) and the answer names each controller's outcome.
//   unlock · override with automatic revert (also with the server stopped) · lockdown with an exempt
//   group · forgive · reset · clear-fire · scope and validation refused with a 4xx, nothing sent
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/fleet.ts';
import { SiteFleet } from '../support/site-fleet.ts';

/** A push-stream client: every event as it arrives. */
async function openStream(fleet: SiteFleet) {
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever each event carries
  const events: { event: string; data: any }[] = [];
  const ca = readFileSync(join(fleet.serverDir, 'tls', 'server.crt'), 'utf8');
  const token = (fleet as unknown as { token: string }).token;
  let buffer = '';
  const req = request(`${fleet.url}/api/live/stream`, {
    ca,
    agent: false,
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
  });
  await new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/event-stream/);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          end = buffer.indexOf('\n\n');
        }
      });
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
  return { events, close: () => req.destroy() };
}

describe('door and area actions through the API, at real controllers', () => {
  const fleet = new SiteFleet();
  const act = async (body: Record<string, unknown>) => {
    const r = await fleet.call('POST', '/api/actions', body);
    if (r.status !== 201)
      throw new Error(`action ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as {
      id: string;
      state: string;
      controllers: { controllerId: string; outcome: string; detail: string | null }[];
    };
  };
  const outcomes = (answer: Awaited<ReturnType<typeof act>>) =>
    Object.fromEntries(answer.controllers.map((c) => [c.controllerId, c.outcome]));

  beforeAll(async () => {
    await fleet.startServer();
    const { ok } = fleet;
    await ok('POST', '/api/areas', {
      id: 'hall',
      name: 'Hall',
      antipassback: { mode: 'hard' },
      rules: { fireZone: 'z1' },
    });
    await ok('POST', '/api/areas', { id: 'lab', name: 'Lab', parentId: 'hall' });
    for (const id of ['ctl-1', 'ctl-2']) await ok('POST', '/api/controllers', { id, name: id });
    const door = (id: string, from: string, to: string, controllerId: string) =>
      ok('POST', '/api/doors', { id, name: id, fromArea: from, toArea: to, controllerId });
    await door('D1', 'outside', 'hall', 'ctl-1');
    await door('D2', 'outside', 'hall', 'ctl-2');
    await door('L1', 'hall', 'lab', 'ctl-2');
    await ok('POST', '/api/groups', { id: 'security', name: 'Security' });
    await ok('POST', '/api/access-levels', { id: 'staff', name: 'Staff', doors: ['D1', 'D2', 'L1'] });
    await ok('POST', '/api/people', { id: 'alice', name: 'Alice', levels: ['staff'] });
    await ok('POST', '/api/people', { id: 'sam', name: 'Sam', levels: ['staff'], groups: ['security'] });
    await ok('POST', '/api/credentials', {
      id: 'alice-card',
      personId: 'alice',
      type: 'card',
      identifier: 'C-1',
    });
    await ok('POST', '/api/credentials', {
      id: 'sam-card',
      personId: 'sam',
      type: 'card',
      identifier: 'C-2',
    });
    await ok('POST', '/api/people', { id: 'gail', name: 'Gail (guest)', levels: ['staff'] });
    await ok('POST', '/api/credentials', {
      id: 'gail-key',
      personId: 'gail',
      type: 'key',
      identifier: 'K-7',
      maxUses: 3,
    });
    await ok('POST', '/api/people', { id: 'otto', name: 'Otto (one visit)', levels: ['staff'] });
    await ok('POST', '/api/credentials', {
      id: 'otto-key',
      personId: 'otto',
      type: 'key',
      identifier: 'K-1',
      maxUses: 1,
    });
    for (const id of ['ctl-1', 'ctl-2']) await fleet.enroll(id);
    for (const [id, door] of [
      ['ctl-1', 'D1'],
      ['ctl-2', 'L1'],
    ] as const)
      await waitFor(
        `${id} to know alice`,
        async () => (await fleet.present(id, door, 'C-1', 'out')).reason !== 'unknown_credential' && true,
        40_000,
        200,
      );
    // Everyone starts outside, as far as every controller knows.
    await act({ action: 'reset-area', area: 'hall' });
  }, 120_000);

  afterAll(async () => {
    await fleet.close();
  }, 60_000);

  it('unlocks a door remotely for one strike time, at its controller only', async () => {
    const before = fleet.controllers['ctl-1']!.locks.length;
    const answer = await act({ action: 'unlock-door', door: 'D1' });
    expect(answer.state).toBe('done');
    expect(answer.controllers).toEqual([
      expect.objectContaining({ controllerId: 'ctl-1', outcome: 'applied' }),
    ]);
    await waitFor('D1 released', () =>
      fleet.controllers['ctl-1']!.locks.slice(before).some((l) => l.door === 'D1' && l.unlocked),
    );
    await waitFor('the strike to lock again', () => !fleet.unlocked('ctl-1', 'D1'), 15_000);
    const status = await fleet.ok('GET', `/api/actions/${answer.id}`);
    expect(status.controllers[0].outcome).toBe('applied');
  }, 40_000);

  it('overrides a door for N minutes; it reverts by itself, also with the server stopped', async () => {
    const first = await act({ action: 'override-door', door: 'D1', mode: 'unlocked', minutes: 0.05 });
    expect(outcomes(first)).toEqual({ 'ctl-1': 'applied' });
    await waitFor('D1 unlocked', () => fleet.unlocked('ctl-1', 'D1'), 5_000);
    await waitFor('D1 to lock when the override ends', () => !fleet.unlocked('ctl-1', 'D1'), 20_000);

    const second = await act({ action: 'override-door', door: 'D2', mode: 'unlocked', minutes: 0.1 });
    expect(outcomes(second)).toEqual({ 'ctl-2': 'applied' });
    await waitFor('D2 unlocked', () => fleet.unlocked('ctl-2', 'D2'), 5_000);
    await fleet.stopServer();
    await waitFor('D2 to lock with the server gone', () => !fleet.unlocked('ctl-2', 'D2'), 30_000);
    await fleet.startServer();
    await waitFor('ctl-2 back online', async () => (await fleet.status('ctl-2')).connected, 30_000, 200);
    await waitFor(
      'the server to count ctl-2 up',
      async () => (await fleet.call('GET', '/api/controllers/ctl-2/status')).json.link === 'up',
      30_000,
      200,
    );
  }, 120_000);

  it('ends an override early', async () => {
    // The test before restarted the server: ctl-1 may still be reconnecting on a loaded machine.
    await waitFor(
      'the server to count ctl-1 up',
      async () => (await fleet.call('GET', '/api/controllers/ctl-1/status')).json.link === 'up',
      30_000,
      200,
    );
    const started = await act({ action: 'override-door', door: 'D1', mode: 'unlocked', minutes: 30 });
    expect(outcomes(started)).toEqual({ 'ctl-1': 'applied' });
    await waitFor('D1 unlocked', () => fleet.unlocked('ctl-1', 'D1'), 5_000);
    const ended = await act({ action: 'end-override', door: 'D1' });
    expect(outcomes(ended)).toEqual({ 'ctl-1': 'applied' });
    await waitFor('D1 to lock when the override ends', () => !fleet.unlocked('ctl-1', 'D1'), 5_000);
  }, 40_000);

  it('locks the site down except for an exempt group, at every controller, and lifts it', async () => {
    const on = await act({ action: 'set-lockdown', active: true, exempt: ['security'] });
    expect(outcomes(on)).toEqual({ 'ctl-1': 'applied', 'ctl-2': 'applied' });
    expect(await fleet.present('ctl-1', 'D1', 'C-1')).toMatchObject({
      result: 'deny',
      reason: 'door_locked',
    });
    expect(await fleet.present('ctl-2', 'D2', 'C-2')).toMatchObject({ result: 'grant', person: 'sam' });
    const off = await act({ action: 'set-lockdown', active: false });
    expect(outcomes(off)).toEqual({ 'ctl-1': 'applied', 'ctl-2': 'applied' });
    expect(await fleet.present('ctl-1', 'D1', 'C-1')).toMatchObject({ result: 'grant', person: 'alice' });
  }, 40_000);

  it('forgives one person stuck by anti-passback, everywhere', async () => {
    // alice is in the hall (through D1); she cannot enter again through D2 at the other controller.
    await waitFor(
      'ctl-2 to learn alice is inside',
      async () => (await fleet.present('ctl-2', 'D2', 'C-1')).reason === 'antipassback',
      10_000,
      200,
    );
    const forgiven = await act({ action: 'forgive-antipassback', person: 'alice' });
    expect(outcomes(forgiven)).toEqual({ 'ctl-1': 'applied', 'ctl-2': 'applied' });
    expect(await fleet.present('ctl-2', 'D2', 'C-1')).toMatchObject({ result: 'grant' });
  }, 40_000);

  it('resets an area: everyone inside may pass again', async () => {
    // sam entered through D2 during the lockdown: inside, as ctl-1 learns from the server.
    await waitFor(
      'ctl-1 to learn sam is inside',
      async () => (await fleet.present('ctl-1', 'D1', 'C-2')).reason === 'antipassback',
      10_000,
      200,
    );
    const reset = await act({ action: 'reset-area', area: 'hall' });
    expect(outcomes(reset)).toEqual({ 'ctl-1': 'applied', 'ctl-2': 'applied' });
    expect((await fleet.present('ctl-1', 'D1', 'C-2')).result).toBe('grant');
  }, 40_000);

  it('keeps egress doors unlocked after a fire until the fire is cleared', async () => {
    expect(await fleet.controllers['ctl-1']!.ask({ fire: 'z1', active: true })).toEqual({ ok: true });
    expect(fleet.unlocked('ctl-1', 'D1')).toBe(true); // driven before the answer, on the same stream
    expect(await fleet.controllers['ctl-1']!.ask({ fire: 'z1', active: false })).toEqual({ ok: true });
    expect(fleet.unlocked('ctl-1', 'D1')).toBe(true); // the panel back to normal relocks nothing
    const cleared = await act({ action: 'clear-fire', zone: 'z1' });
    expect(outcomes(cleared)).toEqual({ 'ctl-1': 'applied', 'ctl-2': 'applied' });
    // Locked again (once the strike of the last grant there has run out).
    await waitFor('D1 to lock after the fire is cleared', () => !fleet.unlocked('ctl-1', 'D1'), 15_000);
  }, 40_000);

  it('sets the threat level everywhere and an area’s occupancy maximum where it applies', async () => {
    const threat = await act({ action: 'set-threat-level', level: 0 });
    expect(outcomes(threat)).toEqual({ 'ctl-1': 'applied', 'ctl-2': 'applied' });
    const limit = await act({ action: 'set-occupancy-limit', area: 'lab', maxOccupancy: 5 });
    expect(outcomes(limit)).toEqual({ 'ctl-2': 'applied' });
    expect((await fleet.ok('GET', '/api/areas/lab')).maxOccupancy).toBe(5);
  }, 40_000);

  it('restarts a controller killed with SIGKILL with the same presence, use counts and override', async () => {
    await act({ action: 'reset-area', area: 'hall' });
    expect((await fleet.present('ctl-1', 'D1', 'C-1')).result).toBe('grant'); // alice is in the hall
    expect((await fleet.present('ctl-1', 'D1', 'K-7', 'in', 'key')).reason).toBe('granted'); // 1 of 3
    expect((await fleet.present('ctl-1', 'D1', 'K-7', 'out', 'key')).result).toBe('grant'); // 2 of 3
    await act({ action: 'override-door', door: 'D1', mode: 'locked', minutes: 30 });
    await fleet.controllers['ctl-1']!.stop('SIGKILL');
    const again = fleet.run('ctl-1');
    await waitFor(
      'ctl-1 to answer again',
      async () => (await fleet.status('ctl-1')).snapshotVersion > 0,
      30_000,
      200,
    );
    // The override held through the restart: the door stays locked, even for alice.
    expect(await fleet.present('ctl-1', 'D1', 'C-1', 'out')).toMatchObject({
      result: 'deny',
      reason: 'door_locked',
    });
    await waitFor('ctl-1 linked again', async () => (await fleet.status('ctl-1')).connected, 30_000, 200);
    await waitFor(
      'the server to count ctl-1 up',
      async () => (await fleet.call('GET', '/api/controllers/ctl-1/status')).json.link === 'up',
      30_000,
      200,
    );
    expect(outcomes(await act({ action: 'end-override', door: 'D1' }))).toEqual({ 'ctl-1': 'applied' });
    // alice is still known to be inside: entering again is a passback; leaving is fine.
    expect(await fleet.present('ctl-1', 'D1', 'C-1')).toMatchObject({
      result: 'deny',
      reason: 'antipassback',
    });
    expect((await fleet.present('ctl-1', 'D1', 'C-1', 'out')).result).toBe('grant');
    // Two uses of three were made before the kill: one is left.
    expect((await fleet.present('ctl-1', 'D1', 'K-7', 'in', 'key')).result).toBe('grant');
    expect(await fleet.present('ctl-1', 'D1', 'K-7', 'out', 'key')).toMatchObject({
      result: 'deny',
      reason: 'uses_exhausted',
    });
    expect(again.child.pid).toBeDefined();
  }, 90_000);

  it('opens exactly one door for a one-use key presented at two controllers at once', async () => {
    const [one, two] = await Promise.all([
      fleet.present('ctl-1', 'D1', 'K-1', 'in', 'key'),
      fleet.present('ctl-2', 'D2', 'K-1', 'in', 'key'),
    ]);
    expect([one.result, two.result].sort()).toEqual(['deny', 'grant']);
    expect([one.reason, two.reason].sort()).toEqual(['granted', 'uses_exhausted']);
    // Counted at the server: the credential shows its one use.
    expect((await fleet.ok('GET', '/api/credentials/otto-key')).uses).toBe(1);
    // And neither controller lets it in again.
    expect((await fleet.present('ctl-1', 'D1', 'K-1', 'out', 'key')).reason).toBe('uses_exhausted');
    expect((await fleet.present('ctl-2', 'D2', 'K-1', 'out', 'key')).reason).toBe('uses_exhausted');
  }, 40_000);

  it('shows live door state, the muster list and occupancy, and pushes events to a stream', async () => {
    await act({ action: 'reset-area', area: 'hall' });
    const stream = await openStream(fleet);
    try {
      expect((await fleet.present('ctl-1', 'D1', 'C-1')).result).toBe('grant');
      expect(await fleet.present('ctl-2', 'L1', 'C-2')).toMatchObject({ result: 'grant' }); // sam into the lab
      const pushed = await waitFor(
        'both grants on the stream',
        () => {
          const grants = stream.events.filter(
            (e) => e.event === 'access' && e.data.detail.result === 'grant',
          );
          return grants.length >= 2 && grants;
        },
        10_000,
      );
      expect(pushed.map((e) => e.data.personId).sort()).toEqual(['alice', 'sam']);
      const muster = await waitFor(
        'the muster list',
        async () => {
          const items = (await fleet.ok('GET', '/api/live/muster')).items as { personId: string }[];
          return items.length >= 2 && items;
        },
        10_000,
        200,
      );
      expect(muster).toEqual([
        expect.objectContaining({ personId: 'alice', area: 'hall', door: 'D1', controllerId: 'ctl-1' }),
        expect.objectContaining({ personId: 'sam', area: 'lab', door: 'L1', controllerId: 'ctl-2' }),
      ]);
      const occupancy = (await fleet.ok('GET', '/api/live/occupancy')).items as {
        area: string;
        inside: number;
      }[];
      expect(occupancy).toEqual([
        expect.objectContaining({ area: 'hall', inside: 2 }),
        expect.objectContaining({ area: 'lab', inside: 1, maxOccupancy: 5 }),
      ]);
      await act({ action: 'override-door', door: 'D2', mode: 'unlocked', minutes: 10 });
      const doors = await waitFor(
        'D2 shown unlocked by override',
        async () => {
          const items = (await fleet.ok('GET', '/api/live/doors')).items as {
            door: string;
            source: string;
          }[];
          return items.find((d) => d.door === 'D2')?.source === 'override' && items;
        },
        10_000,
        200,
      );
      expect(doors.find((d) => d.door === 'D2')).toMatchObject({
        state: 'unlocked',
        mode: 'unlocked',
        controllerId: 'ctl-2',
      });
      expect(doors.find((d) => d.door === 'D1')).toMatchObject({ source: 'base' });
      await act({ action: 'end-override', door: 'D2' });
      const controllers = (await fleet.ok('GET', '/api/live/controllers')).items;
      expect(
        controllers.map((c: { controllerId: string; link: string }) => [c.controllerId, c.link]),
      ).toEqual([
        ['ctl-1', 'up'],
        ['ctl-2', 'up'],
      ]);
    } finally {
      stream.close();
    }
    // A server restart keeps presence: it is in storage, not in the server's memory.
    await fleet.stopServer();
    await fleet.startServer();
    const after = (await fleet.ok('GET', '/api/live/muster')).items as { personId: string; area: string }[];
    expect(after.map((m) => [m.personId, m.area])).toEqual([
      ['alice', 'hall'],
      ['sam', 'lab'],
    ]);
    await waitFor('ctl-1 back online', async () => (await fleet.status('ctl-1')).connected, 30_000, 200);
  }, 120_000);

  it('refuses bad input and unknown targets with a 4xx and sends nothing', async () => {
    const before = (await fleet.ok('GET', '/api/actions?limit=1000')).items.length;
    for (const [body, code] of [
      [{ action: 'unlock-door', door: 'NOPE' }, 'UNKNOWN_REFERENCE'],
      [{ action: 'override-door', door: 'D1', mode: 'unlocked', minutes: 0 }, 'INVALID_INPUT'],
      [{ action: 'override-door', door: 'D1', mode: 'open', minutes: 5 }, 'INVALID_INPUT'],
      [{ action: 'set-lockdown', active: true, exempt: ['nobody'] }, 'UNKNOWN_REFERENCE'],
      [{ action: 'clear-fire', zone: 'z9' }, 'UNKNOWN_REFERENCE'],
      [{ action: 'revoke-credential', person: 'alice', credential: 'card:C-1' }, 'INVALID_INPUT'],
      [{ action: 'launch' }, 'INVALID_INPUT'],
    ] as const) {
      const r = await fleet.call('POST', '/api/actions', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code, JSON.stringify(body)).toBe(code);
    }
    expect((await fleet.ok('GET', '/api/actions?limit=1000')).items.length).toBe(before);
  }, 40_000);
});
