// Rule: ingest loses and duplicates nothing when the server process dies in the middle of a batch
// (R-CTL-2: the controller keeps its journaled events until acknowledged, and sends them again).
// A real server process (test/support/ingest-child.ts) is killed with SIGKILL inside a batch's
// transaction, after its events and report facts were written: none of that batch remains, the
// batches before it all do, and the resend — overlapping what was stored, with duplicates inside
// it — stores each (controller, sequence) once, with its presence history once, on a chain that
// verifies. The store keeps syncing every commit once reopened (synchronous = FULL, db.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { openStore, sqliteConnection } from '../../../src/server/storage/db.ts';
import { EventStore } from '../../../src/server/storage/events.ts';

const KEY = new Uint8Array(32).fill(7);
const T0 = Date.parse('2026-03-02T09:00:00Z');
const CHILD = new URL('../../support/ingest-child.ts', import.meta.url).pathname;

/** Grants and denials at two doors between two areas, people p-0..p-19, one event a second. */
function events(from: number, to: number): ControllerEvent[] {
  return Array.from({ length: to - from + 1 }, (_, i) => {
    const seq = from + i;
    const grant = seq % 7 !== 0;
    return {
      seq,
      at: T0 + seq * 1000,
      type: 'access',
      door: seq % 2 === 0 ? 'door-in' : 'door-out',
      person: `p-${seq % 20}`,
      detail: {
        result: grant ? 'grant' : 'deny',
        reason: grant ? 'granted' : 'no_access_level',
        side: 'in',
      },
    };
  });
}

const grants = (list: readonly ControllerEvent[]) => list.filter((e) => e.detail.result === 'grant').length;

describe('event ingest when the server process is killed mid-batch', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-ingest-crash-'));
    file = join(dir, 'monban.db');
    const store = await openStore({ sqliteFile: file });
    const now = T0;
    const area = (id: string) => ({
      id,
      name: id,
      parent_id: null,
      site: null,
      max_occupancy: null,
      antipassback: null,
      offline_mode: 'local',
      rules: null,
      created_at: now,
      updated_at: now,
    });
    await store.db
      .insertInto('areas')
      .values([area('lobby'), area('office')])
      .execute();
    const door = (id: string, from: string, to: string) => ({
      id,
      name: id,
      from_area: from,
      to_area: to,
      controller_id: null,
      mode: 'card',
      strike_seconds: 5,
      held_open_seconds: 30,
      rules: null,
      created_at: now,
      updated_at: now,
    });
    await store.db
      .insertInto('doors')
      .values([door('door-in', 'lobby', 'office'), door('door-out', 'office', 'lobby')])
      .execute();
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the child on one batch; with `hang`, kills it once it is inside the batch's transaction. */
  async function child(batch: readonly ControllerEvent[], hang = false): Promise<string> {
    const batchFile = join(dir, `batch-${batch[0]!.seq}.json`);
    writeFileSync(batchFile, JSON.stringify(batch));
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, file, batchFile, ...(hang ? ['--hang'] : [])],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (hang && out.includes('inside\n')) proc.kill('SIGKILL');
    });
    const code = await exited;
    if (!hang) expect(code).toBe(0);
    return out;
  }

  it('stores every event once, with its presence history once, and the chain verifies', async () => {
    const first = events(1, 300);
    expect(await child(first)).toContain('stored 300');
    // The next batch is written inside its transaction, then the process dies before the commit.
    const second = events(301, 600);
    expect(await child(second, true)).toContain('inside');

    const store = await openStore({ sqliteFile: file });
    try {
      const count = async (table: 'events' | 'presence_history') =>
        Number(
          (await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(store.db)).rows[0]!
            .n,
        );
      expect(await count('events')).toBe(300);
      expect(await count('presence_history')).toBe(grants(first));
      // Reopened, the file is in WAL mode already: commits are still synced.
      expect(sqliteConnection(store.db)!.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      await store.close();
    }

    // The controller resends from its journal: what was stored, what was lost, duplicates inside.
    const resend = [...events(251, 600), ...events(400, 450)];
    expect(await child(resend)).toContain('stored 300');
    expect(await child(events(550, 600))).toContain('stored 0');

    const reopened = await openStore({ sqliteFile: file });
    try {
      const rows = await reopened.db.selectFrom('events').select('seq').orderBy('seq').execute();
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
      const history = (await sql<{ seq: number }>`SELECT seq FROM presence_history`.execute(reopened.db))
        .rows;
      expect(history).toHaveLength(grants(events(1, 600)));
      expect(new Set(history.map((h) => Number(h.seq))).size).toBe(history.length);
      const [verdict] = await new EventStore(reopened.db, chainKeys(KEY).events).verify();
      expect(verdict).toMatchObject({ chain: 'events:ctl-1', records: 600, head: 600, spans: [] });
    } finally {
      await reopened.close();
    }
  }, 180_000);
});
