// Rule: the reports find stays in an area through the (area, left_at) index — the open ones and
// those that ended after the window opened — never through a range of every stay begun before the
// window closed. SQLite has no statistics (nothing runs ANALYZE), so the only index it may choose
// for `area = ? AND left_at … AND entered_at < ?` is the one over (area, left_at)
// (migration 2026_12_07_1440 dropped (area, entered)).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { staysOverlapping } from '../../../src/server/reports/stays.ts';
import { reportDb } from '../../../src/server/reports/tables.ts';
import { openStore } from '../../../src/server/storage/db.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-stays-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stays by area on SQLite', () => {
  it('reads open and recently ended stays through (area, left_at), and finds them', async () => {
    const store = await openStore({ sqliteFile: join(dir, 'stays.db') });
    try {
      const db = reportDb(store.db);
      // 2,000 stays in two areas: every fifth still open, the rest ended 500 ms after they began.
      const rows = Array.from({ length: 2000 }, (_, i) => ({
        person_id: `p-${i}`,
        area: i % 2 === 0 ? 'lobby' : 'lab',
        entered_at: i * 1000,
        entered_door: 'd-1',
        controller_id: 'c-1',
        seq: i + 1,
        left_at: i % 5 === 0 ? null : i * 1000 + 500,
        left_door: i % 5 === 0 ? null : 'd-2',
      }));
      for (let i = 0; i < rows.length; i += 400)
        await db
          .insertInto('presence_history')
          .values(rows.slice(i, i + 400))
          .execute();

      const indexes = await sql<{ name: string }>`SELECT name FROM sqlite_master
        WHERE type = 'index' AND tbl_name = 'presence_history'`.execute(db);
      expect(indexes.rows.map((r) => r.name)).not.toContain('presence_history_area_entered');
      for (const where of ['left_at IS NULL', 'left_at > 1500000']) {
        const plan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM presence_history
          WHERE area IN ('lobby') AND ${sql.raw(where)} AND entered_at < 1600000`.execute(db);
        expect(plan.rows.map((r) => r.detail).join(' ')).toContain('presence_history_area_left');
      }

      // In the lobby between 1,500 s and 1,600 s: the open stays begun before 1,600 s (even i, i % 5
      // === 0: i = 0, 10, …, 1590) and the stays that ended in the window (even i from 1500 to 1598).
      const stays = await staysOverlapping(db, new Set(['lobby']), 1_500_000, 1_600_000);
      const open = stays.filter((s) => s.leftAt === null).length;
      const ended = stays.filter((s) => s.leftAt !== null).length;
      expect(open).toBe(160);
      expect(ended).toBe(40);
    } finally {
      await store.close();
    }
  });
});
