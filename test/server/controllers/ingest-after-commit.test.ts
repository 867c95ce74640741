// Rule: once a group is committed, every batch in it is answered. What runs between the commit and
// the answers (the live hub's `committed` hook, telling the other controllers of presence moves) may
// throw; the events are stored all the same, so each controller gets its acknowledgement (else it
// would wait on it forever and the ingest would reject into nowhere) and the failure is logged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { AlarmService } from '../../../src/server/alarms/service.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { controllerAlarms } from '../../../src/server/controllers/controller-alarms.ts';
import type { EventIngestDeps } from '../../../src/server/controllers/ingest.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { EventStore } from '../../../src/server/storage/events.ts';
import { type Repositories, repositories } from '../../../src/server/storage/index.ts';
import { standaloneIngest } from '../../support/event-ingest.ts';

const KEY = new Uint8Array(32).fill(7);
const T0 = Date.parse('2026-03-02T09:00:00Z');
const silent = pino({ level: 'silent' });

const deny = (from: number, count: number): ControllerEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    at: T0 + from + i,
    type: 'access',
    door: 'D1',
    detail: { result: 'deny', reason: 'unknown_credential', side: 'in' },
  }));

/** An answer within a second, or `unanswered` (the bug: the promise never settles). */
async function answerOf<T>(promise: Promise<T>): Promise<T | 'unanswered'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<'unanswered'>((resolve) => {
        timer = setTimeout(() => resolve('unanswered'), 1_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('event ingest: a failure after the commit still answers the batches', () => {
  let dir: string;
  let store: Store;
  let repos: Repositories;
  let logged: { msg: string; err?: { message?: string }; controllerId?: string }[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-after-commit-'));
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    repos = repositories(store.db, KEY);
    logged = [];
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // A real pino logger writing to memory: what an operator would find in the server's log.
  const logger = () =>
    pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line)) } as never);

  const ingestWith = (extra: Partial<EventIngestDeps>, coordinators: () => [] = () => []) => {
    const raise = controllerAlarms(
      new AlarmService(securityDb(store.db), silent, { now: () => T0 }),
      'main',
      silent,
    );
    return standaloneIngest(store.db, repos, raise, {
      eventKey: chainKeys(KEY).events,
      coordinators,
      logger: logger(),
      ...extra,
    });
  };
  const stored = async () =>
    (await new EventStore(store.db, chainKeys(KEY).events).search({ limit: 1000 })).items
      .map((e) => `${e.controllerId}#${e.seq}`)
      .sort();

  it('answers the batch when the committed hook throws, and logs the failure', async () => {
    const ingest = ingestWith({
      committed: () => {
        throw new Error('live hub broke');
      },
    });
    const answer = await answerOf(ingest.ingest('ctl-a', deny(1, 3)));
    expect(answer).not.toBe('unanswered');
    expect((answer as ControllerEvent[]).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await stored()).toEqual(['ctl-a#1', 'ctl-a#2', 'ctl-a#3']);
    expect(logged.filter((l) => l.err?.message === 'live hub broke')).toHaveLength(1);
    // The ingest goes on: the next batch is taken in as ever.
    expect((await answerOf(ingest.ingest('ctl-a', deny(4, 1)))) as ControllerEvent[]).toHaveLength(1);
  });

  it('answers every batch of a group when the hook throws for one, and tells the others', async () => {
    const told: string[] = [];
    const ingest = ingestWith({
      committed: (controllerId) => {
        if (controllerId === 'ctl-b') throw new Error('live hub broke');
        told.push(controllerId);
      },
    });
    // The first commits alone; the three queued behind it go as one group.
    const answers = await Promise.all(
      ['ctl-first', 'ctl-a', 'ctl-b', 'ctl-c'].map((id) => answerOf(ingest.ingest(id, deny(1, 2)))),
    );
    expect(answers.map((a) => (a === 'unanswered' ? a : a.length))).toEqual([2, 2, 2, 2]);
    expect(told.sort()).toEqual(['ctl-a', 'ctl-c', 'ctl-first']);
    expect((await stored()).length).toBe(8);
    expect(logged.filter((l) => l.err?.message === 'live hub broke')).toHaveLength(1);
  });

  it('answers the batch when telling the other controllers of the presence moves throws', async () => {
    await repos.areas.create(
      {
        id: 'hall',
        name: 'Hall',
        parentId: 'outside',
        site: null,
        maxOccupancy: null,
        antipassback: null,
        offlineMode: 'local',
        rules: null,
      },
      T0,
    );
    await repos.controllers.create({ id: 'ctl-a', name: 'ctl-a', site: null, description: null }, T0);
    await repos.doors.create(
      {
        id: 'HALL',
        name: 'Hall door',
        fromArea: 'outside',
        toArea: 'hall',
        controllerId: 'ctl-a',
        mode: 'card',
        strikeSeconds: 5,
        heldOpenSeconds: 30,
        rules: null,
      },
      T0,
    );
    const ingest = ingestWith({}, () => {
      throw new Error('coordinators unavailable');
    });
    const grant: ControllerEvent = {
      seq: 1,
      at: T0,
      type: 'access',
      door: 'HALL',
      person: 'kenji',
      detail: { result: 'grant', side: 'in', reason: 'granted' },
    };
    const answer = await answerOf(ingest.ingest('ctl-a', [grant]));
    expect(answer).not.toBe('unanswered');
    expect((answer as ControllerEvent[]).map((e) => e.seq)).toEqual([1]);
    expect(await stored()).toEqual(['ctl-a#1']);
    // The move is stored (the commit stands); only telling the others failed, and that is logged.
    expect((await repos.presence.passages(['kenji'])).get('kenji')?.area).toBe('hall');
    expect(logged.filter((l) => l.err?.message === 'coordinators unavailable')).toHaveLength(1);
  });
});
