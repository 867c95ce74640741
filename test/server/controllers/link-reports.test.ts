// Heartbeats and hellos of a fleet are written together (issue 9 speed): the last report of each
// controller since the previous write, all in one transaction — never an older report over a newer
// one (by envelope sequence), whether it waits or is already stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinkReportWriter } from '../../../src/server/controllers/link-store.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';

describe('link reports written in batches', () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-link-reports-'));
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    await store.db
      .insertInto('controllers')
      .values(
        ['ctl-a', 'ctl-b'].map((id) => ({
          id,
          name: id,
          site: null,
          description: null,
          created_at: 1,
          updated_at: 1,
        })),
      )
      .execute();
    await store.db
      .insertInto('controller_links')
      .values(
        ['ctl-a', 'ctl-b'].map((id) => ({
          controller_id: id,
          enrollment_token_hash: null,
          enrollment_expires_at: null,
          public_key: null,
          enrolled_at: 1,
          link_state: 'up',
          last_seen_at: null,
          software_version: null,
          config_hash: null,
          config_baseline: null,
          clock_offset_ms: null,
          journal_pending: null,
          snapshot_version: null,
          last_seq: 0,
          updated_at: 1,
        })),
      )
      .execute();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = async () =>
    (
      await store.db
        .selectFrom('controller_links')
        .select(['controller_id', 'last_seq', 'journal_pending', 'software_version'])
        .orderBy('controller_id')
        .execute()
    ).map((r) => [r.controller_id, Number(r.last_seq), r.journal_pending, r.software_version]);

  it('keeps the newest report of each controller and writes them all at once', async () => {
    const errors: unknown[] = [];
    const writer = new LinkReportWriter(store.db, (e) => errors.push(e), 60_000);
    writer.record('ctl-a', { lastSeq: 5, lastSeenAt: 50, softwareVersion: '1.0', journalPending: 3 });
    writer.record('ctl-a', { lastSeq: 7, lastSeenAt: 70, journalPending: 0 });
    writer.record('ctl-a', { lastSeq: 6, lastSeenAt: 60, journalPending: 9 }); // older: dropped
    writer.record('ctl-b', { lastSeq: 2, lastSeenAt: 20, journalPending: 1 });
    // Nothing written before the flush (its delay is long here).
    expect(await rows()).toEqual([
      ['ctl-a', 0, null, null],
      ['ctl-b', 0, null, null],
    ]);
    await writer.flush();
    // The newest of each, with what an earlier waiting report said that the newer did not.
    expect(await rows()).toEqual([
      ['ctl-a', 7, 0, '1.0'],
      ['ctl-b', 2, 1, null],
    ]);
    // An older report after a newer one is stored changes nothing.
    writer.record('ctl-b', { lastSeq: 1, lastSeenAt: 10, journalPending: 8 });
    await writer.flush();
    expect((await rows())[1]).toEqual(['ctl-b', 2, 1, null]);
    expect(errors).toEqual([]);
  });

  it('writes on its own after the delay', async () => {
    const writer = new LinkReportWriter(store.db, () => {}, 10);
    writer.record('ctl-a', { lastSeq: 3, lastSeenAt: 30, journalPending: 4 });
    for (let i = 0; i < 100 && (await rows())[0]![1] !== 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await rows())[0]).toEqual(['ctl-a', 3, 4, null]);
    await writer.flush();
  });
});
