// Targeted snapshot rebuilds (issue 9, #11 revocation p99): a change to people or their credentials
// is merged into the snapshots of the controllers that hold those people (or where they now hold a
// level) — the others are not rebuilt and get nothing; a newly enrolled controller gets only its own
// snapshot built; any other change rebuilds every snapshot. A merge gives exactly what a whole
// build gives: a whole rebuild right after it finds nothing to send.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Json } from '../../../src/contracts/canonical.ts';
import { ControllerCoordinator } from '../../../src/server/controllers/coordinator.ts';
import { SnapshotPublisher } from '../../../src/server/controllers/snapshot-publisher.ts';
import type { DomainEvent } from '../../../src/server/domain/events.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { personId, seedBigSite } from '../../support/big-site.ts';

const KEY = new Uint8Array(32).fill(9);
const CONTROLLERS = ['ctl-a', 'ctl-b', 'ctl-c'];

describe('targeted snapshot rebuilds', () => {
  let dir: string;
  let store: Store;
  let sent: { controller: string; body: Record<string, Json> }[];
  let coordinators: ControllerCoordinator[];
  let publisher: SnapshotPublisher;

  const coordinator = (id: string) =>
    new ControllerCoordinator(id, {
      send: async (body) => {
        sent.push({ controller: id, body });
      },
      now: Date.now,
      onLinkEvents: () => {},
      onSendFailed: () => {},
    });
  const take = () => sent.splice(0).map((s) => `${s.controller}:${String(s.body.kind)}`);
  const change = async (...events: DomainEvent[]) => {
    publisher.changed(events, 0);
    await publisher.settled();
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-targeted-'));
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    await seedBigSite(store, { people: 30, controllers: CONTROLLERS });
    const now = Date.now();
    // A level on ctl-a's door only.
    await store.db
      .insertInto('access_levels')
      .values({ id: 'only-a', name: 'Only A', schedule_id: null, created_at: now, updated_at: now })
      .execute();
    await store.db
      .insertInto('access_level_doors')
      .values({ level_id: 'only-a', door_id: 'door-ctl-a' })
      .execute();
    sent = [];
    coordinators = CONTROLLERS.map(coordinator);
    publisher = new SnapshotPublisher({
      db: store.db,
      credentialKey: KEY,
      settings: { snapshotMaxAgeMinutes: 60, fallback: 'emergency_only' },
      coordinators: () => coordinators,
      logger: pino({ level: 'silent' }),
      now: Date.now,
    });
    await publisher.rebuild();
    expect(take()).toEqual(CONTROLLERS.map((c) => `${c}:snapshot`));
  });
  afterEach(async () => {
    await publisher.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a new person only where they hold a level, as a delta of that person', async () => {
    const now = Date.now();
    await store.db
      .insertInto('people')
      .values({
        id: 'p-new',
        name: 'New',
        department: null,
        site: null,
        active: 1,
        left_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await store.db.insertInto('person_levels').values({ person_id: 'p-new', level_id: 'only-a' }).execute();
    const versions = coordinators.map((c) => c.snapshotVersion);
    await change({ type: 'person.created', person: 'p-new' });
    const [delta] = sent;
    expect(take()).toEqual(['ctl-a:snapshot-delta']);
    expect((delta!.body.upsert as { id: string }[]).map((p) => p.id)).toEqual(['p-new']);
    expect(coordinators[0]!.knows('p-new')).toBe(true);
    expect(coordinators.slice(1).map((c) => c.snapshotVersion)).toEqual(versions.slice(1));
    // In order among the others, as a whole build lists them.
    const people = (coordinators[0]!.snapshot!.body.site as { people: { id: string }[] }).people.map(
      (p) => p.id,
    );
    expect(people).toEqual([...people].sort());
    // What a whole rebuild makes is the same: nothing to send.
    await publisher.rebuild();
    expect(take()).toEqual([]);
  });

  it('sends a suspended card to every controller that holds its person, and nothing else changes', async () => {
    await store.db.updateTable('credentials').set({ state: 'suspended' }).where('id', '=', 'c-3').execute();
    await change({ type: 'credential.revoked', credential: 'c-3', person: personId(3), state: 'suspended' });
    const bodies = sent.map((s) => s.body);
    expect(take()).toEqual(CONTROLLERS.map((c) => `${c}:snapshot-delta`));
    for (const body of bodies) {
      expect(body.remove).toEqual([]);
      const [entry] = body.upsert as { id: string; credentials: { state: string }[] }[];
      expect(entry!.id).toBe(personId(3));
      expect(entry!.credentials.map((c) => c.state)).toEqual(['suspended']);
    }
    await publisher.rebuild();
    expect(take()).toEqual([]);
  });

  it('removes a person from the controllers where they no longer hold a level', async () => {
    await store.db
      .updateTable('person_levels')
      .set({ level_id: 'only-a' })
      .where('person_id', '=', personId(7))
      .execute();
    await change({
      type: 'person.levels.changed',
      person: personId(7),
      added: ['only-a'],
      removed: ['everyone'],
    });
    const bodies = new Map(sent.map((s) => [s.controller, s.body]));
    expect(take()).toEqual(CONTROLLERS.map((c) => `${c}:snapshot-delta`));
    expect(bodies.get('ctl-a')!.remove).toEqual([]);
    expect(bodies.get('ctl-b')!.remove).toEqual([personId(7)]);
    expect(bodies.get('ctl-c')!.remove).toEqual([personId(7)]);
    expect(coordinators.map((c) => c.knows(personId(7)))).toEqual([true, false, false]);
    await publisher.rebuild();
    expect(take()).toEqual([]);
  });

  it('builds only the snapshot of a controller enrolled later', async () => {
    const now = Date.now();
    await store.db
      .insertInto('controllers')
      .values({ id: 'ctl-d', name: 'D', site: null, description: null, created_at: now, updated_at: now })
      .execute();
    coordinators.push(coordinator('ctl-d'));
    publisher.buildMissing(0);
    await publisher.settled();
    expect(take()).toEqual(['ctl-d:snapshot']);
  });

  it('rebuilds every snapshot for a change to the site model', async () => {
    await store.db
      .insertInto('access_level_doors')
      .values({ level_id: 'only-a', door_id: 'door-ctl-b' })
      .execute();
    await change({ type: 'access_level.changed', level: 'only-a', action: 'updated', doorsRemoved: [] });
    // Every one was rebuilt; ctl-b's changed (a level with its door), ctl-a's did not, nor ctl-c's.
    expect(take()).toEqual(['ctl-b:snapshot-delta']);
  });
});
