// Rule: the server keeps presence in storage, not in its memory. A passage reported by one
// controller is known to a server that restarted since, and to a second server instance on the same
// database: a double entry into an anti-passback area through two controllers is still reconciled
// and reported as antipassback_violation, and two instances taking in reports for the same person
// at once settle on the later passage (compare-and-set, retried by the loser).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Json } from '../../../src/contracts/canonical.ts';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { AlarmService } from '../../../src/server/alarms/service.ts';
import { listAlarms } from '../../../src/server/alarms/store.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { controllerAlarms } from '../../../src/server/controllers/controller-alarms.ts';
import { ControllerCoordinator } from '../../../src/server/controllers/coordinator.ts';
import { PresenceCoordinator } from '../../../src/server/controllers/presence-coordinator.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { type Repositories, repositories } from '../../../src/server/storage/index.ts';

const KEY = new Uint8Array(32).fill(4);
const T0 = Date.parse('2026-04-01T00:00:00Z');
const logger = pino({ level: 'silent' });

describe('presence across controllers, kept in storage', () => {
  let dir: string;
  let store: Store;
  let repos: Repositories;
  let sent: Record<string, Record<string, Json>[]>;
  let coordinators: ControllerCoordinator[];

  /** A server instance's presence coordinator over the shared database (a restart makes a new one). */
  const instance = () =>
    new PresenceCoordinator({
      presence: repos.presence,
      doors: repos.doors,
      areas: repos.areas,
      coordinators: () => coordinators,
      raise: controllerAlarms(
        new AlarmService(securityDb(store.db), logger, { now: () => T0 }),
        'main',
        logger,
      ),
    });
  const grant = (seq: number, door: string, at: number, side: 'in' | 'out' = 'in'): ControllerEvent => ({
    seq,
    at,
    type: 'access',
    door,
    person: 'kenji',
    detail: { result: 'grant', side, reason: 'granted' },
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-presence-'));
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    repos = repositories(store.db, KEY);
    await repos.areas.create(
      {
        id: 'hall',
        name: 'Hall',
        parentId: 'outside',
        site: null,
        maxOccupancy: null,
        antipassback: { mode: 'hard' },
        offlineMode: 'local',
        rules: null,
      },
      T0,
    );
    for (const id of ['ctl-a', 'ctl-b']) {
      await repos.controllers.create({ id, name: id, site: null, description: null }, T0);
      await repos.doors.create(
        {
          id: `HALL-${id.slice(-1).toUpperCase()}`,
          name: id,
          fromArea: 'outside',
          toArea: 'hall',
          controllerId: id,
          mode: 'card',
          strikeSeconds: 5,
          heldOpenSeconds: 30,
          rules: null,
        },
        T0,
      );
    }
    sent = { 'ctl-a': [], 'ctl-b': [] };
    coordinators = ['ctl-a', 'ctl-b'].map((id) => {
      const c = new ControllerCoordinator(id, {
        send: async (body) => {
          sent[id]!.push(body);
        },
        now: () => T0,
        onLinkEvents: () => {},
        onSendFailed: () => {},
      });
      c.snapshot = { version: 1, issuedAt: T0, hash: '', body: {}, people: new Set(['kenji']), deltas: 0 };
      return c;
    });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles a double entry reported after a server restart', async () => {
    await instance().passages('ctl-a', [grant(1, 'HALL-A', T0 + 1_000)]);
    expect(sent['ctl-b']).toEqual([
      { kind: 'presence', moves: [{ person: 'kenji', area: 'hall', at: T0 + 1_000 }] },
    ]);
    expect(sent['ctl-a']).toEqual([]); // the controller that decided knows already

    // The server restarts: nothing in memory survives. ctl-b reports the entry it decided alone.
    await instance().passages('ctl-b', [grant(1, 'HALL-B', T0 + 5_000)]);
    const { alarms } = await listAlarms(securityDb(store.db), { type: 'antipassback_violation' });
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.message).toMatch(
      /kenji entered hall twice without leaving: through HALL-A \(controller ctl-a\).*through HALL-B \(controller ctl-b\).*reconciled: kenji is in hall/,
    );
    expect((await repos.presence.passages(['kenji'])).get('kenji')).toMatchObject({
      area: 'hall',
      version: 2,
      at: T0 + 5_000,
      controllerId: 'ctl-b',
      door: 'HALL-B',
    });
    // The same batch again (a resend) moves nobody twice and raises nothing new.
    await instance().passages('ctl-b', [grant(1, 'HALL-B', T0 + 5_000)]);
    expect((await listAlarms(securityDb(store.db), { type: 'antipassback_violation' })).alarms).toHaveLength(
      1,
    );
  });

  it('keeps the newer passage when an older one is reported late', async () => {
    await instance().passages('ctl-a', [grant(1, 'HALL-A', T0 + 9_000, 'out')]);
    await instance().passages('ctl-b', [grant(1, 'HALL-B', T0 + 2_000)]);
    expect((await repos.presence.passages(['kenji'])).get('kenji')).toMatchObject({
      area: 'outside',
      at: T0 + 9_000,
    });
    expect(sent['ctl-a']).toEqual([]); // the late, older passage moved nobody
  });

  it('does not put back a person whose entry was made before an area reset and reported after it', async () => {
    // The reset reaches the controllers (which forget kenji) before ctl-b's report of his entry at
    // T0 + 2 s reaches the server: that entry no longer counts, on any server instance.
    await repos.presence.forgetAreas(['hall'], T0 + 3_000);
    await instance().passages('ctl-b', [grant(1, 'HALL-B', T0 + 2_000)]);
    expect((await repos.presence.passages(['kenji'])).get('kenji')).toMatchObject({ version: 0 });
    expect(await repos.presence.inside(['hall'])).toEqual([]);
    expect(sent['ctl-a']).toEqual([]);
    // An entry after the reset counts as ever; an older reset does not move the marker back.
    await repos.presence.forgetAreas(['hall'], T0 + 1_000);
    await instance().passages('ctl-b', [grant(2, 'HALL-B', T0 + 4_000)]);
    expect((await repos.presence.inside(['hall'])).map((p) => p.person)).toEqual(['kenji']);
    expect(await repos.presence.resetsOf(['hall', 'outside'])).toEqual(new Map([['hall', T0 + 3_000]]));
  });

  it('clears an area (and the areas within) when a controller reports its scheduled reset, as of the reset time', async () => {
    await repos.areas.create(
      {
        id: 'vault',
        name: 'Vault',
        parentId: 'hall',
        site: null,
        maxOccupancy: null,
        antipassback: null,
        offlineMode: 'local',
        rules: null,
      },
      T0,
    );
    await repos.doors.create(
      {
        id: 'VAULT',
        name: 'vault',
        fromArea: 'hall',
        toArea: 'vault',
        controllerId: 'ctl-a',
        mode: 'card',
        strikeSeconds: 5,
        heldOpenSeconds: 30,
        rules: null,
      },
      T0,
    );
    const reset = (seq: number, at: number): ControllerEvent => ({
      seq,
      at,
      type: 'operator',
      detail: { action: 'scheduled-reset', target: 'hall' },
    });
    await instance().passages('ctl-a', [grant(1, 'HALL-A', T0 + 1_000), grant(2, 'VAULT', T0 + 2_000)]);
    expect((await repos.presence.inside(['vault'])).map((p) => p.person)).toEqual(['kenji']);

    // ctl-b's 03:00 reset of the hall: kenji, inside the vault within it, is no longer known inside.
    await instance().passages('ctl-b', [reset(1, T0 + 5_000)]);
    expect(await repos.presence.inside()).toEqual([]);
    expect(await repos.presence.resetsOf(['hall', 'vault'])).toEqual(
      new Map([
        ['hall', T0 + 5_000],
        ['vault', T0 + 5_000],
      ]),
    );

    // An entry after the reset, then another controller's late report of the same reset: it stands.
    await instance().passages('ctl-a', [grant(3, 'HALL-A', T0 + 8_000)]);
    await instance().passages('ctl-a', [reset(4, T0 + 5_000)]);
    expect((await repos.presence.inside(['hall'])).map((p) => p.person)).toEqual(['kenji']);
  });

  it('settles two server instances taking in reports for one person at once', async () => {
    const [one, two] = [instance(), instance()];
    await Promise.all([
      one.passages('ctl-a', [grant(1, 'HALL-A', T0 + 1_000), grant(2, 'HALL-A', T0 + 2_000, 'out')]),
      two.passages('ctl-b', [grant(1, 'HALL-B', T0 + 3_000)]),
    ]);
    const kenji = (await repos.presence.passages(['kenji'])).get('kenji')!;
    expect(kenji).toMatchObject({ area: 'hall', at: T0 + 3_000, controllerId: 'ctl-b' });
    // Each instance's write landed once, whichever went first: two versions.
    expect(kenji.version).toBe(2);
  });
});
