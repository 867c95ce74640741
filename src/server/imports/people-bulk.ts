// The people of an import written in bulk (the switch of an import job, issue 11 §3): the same
// outcome and the same domain events as writing each row with personWrites.upsert
// (services/people.ts) — created, or every given field replaced; left and back; memberships
// replaced whole — but a few set-based statements per slice of rows instead of about ten queries
// per row. The rows were checked before (references, scope: csv/people.ts); the database still
// enforces references, and a violation fails the whole switch.

import type { DomainEvent } from '../domain/events.ts';
import { listDiff, type Raise } from '../services/write.ts';
import { type BulkColumn, bulkInsert, selectByKeys } from '../storage/bulk.ts';
import type { Executor } from '../storage/db.ts';
import type { PersonInput } from '../storage/people.ts';

interface Before {
  name: string;
  department: string | null;
  site: string | null;
  active: boolean;
  leftAt: number | null;
  groups: string[];
  levels: string[];
}

/**
 * Rows of one slice (read together, written together): few round trips, and the reads' IN lists well
 * below any engine's limit on parameters per statement.
 */
export const PEOPLE_SLICE = 2_000;

/** The people table's columns as bulk inserts write them (the import's, and its test's). */
export const PEOPLE_COLUMNS: readonly BulkColumn[] = [
  { name: 'id', pg: 'text' },
  { name: 'name', pg: 'text' },
  { name: 'department', pg: 'text' },
  { name: 'site', pg: 'text' },
  { name: 'active', pg: 'bigint' },
  { name: 'left_at', pg: 'bigint' },
  { name: 'created_at', pg: 'bigint' },
  { name: 'updated_at', pg: 'bigint' },
];

async function linksOf(
  tx: Executor,
  table: 'person_groups' | 'person_levels',
  ids: string[],
): Promise<Map<string, string[]>> {
  const column = table === 'person_groups' ? 'group_id' : 'level_id';
  const rows = await selectByKeys(tx, ids, (match) =>
    tx
      .selectFrom(table)
      .select(['person_id', `${column} as target`])
      .where(match('person_id'))
      // In order, as the service writes read them: the events list what was removed in that order.
      .orderBy('person_id')
      .orderBy(column)
      .execute(),
  );
  const map = new Map<string, string[]>();
  for (const r of rows as { person_id: string; target: string }[]) {
    const list = map.get(r.person_id);
    if (list) list.push(r.target);
    else map.set(r.person_id, [r.target]);
  }
  return map;
}

/** What the people of an import have stored before the switch, read at its start, inside it. */
export async function peopleBefore(tx: Executor, ids: readonly string[]): Promise<Map<string, Before>> {
  const rows = await selectByKeys(tx, ids, (match) =>
    tx
      .selectFrom('people')
      .select(['id', 'name', 'department', 'site', 'active', 'left_at'])
      .where(match('id'))
      .execute(),
  );
  const ofStored = rows.map((r) => r.id);
  const [groups, levels] = await Promise.all([
    linksOf(tx, 'person_groups', ofStored),
    linksOf(tx, 'person_levels', ofStored),
  ]);
  return new Map<string, Before>(
    rows.map((r) => [
      r.id,
      {
        name: r.name,
        department: r.department,
        site: r.site,
        active: Number(r.active) === 1,
        leftAt: r.left_at === null ? null : Number(r.left_at),
        groups: groups.get(r.id) ?? [],
        levels: levels.get(r.id) ?? [],
      },
    ]),
  );
}

/** One slice's outcomes, and its writes, under way on the transaction's connection. */
export interface SliceWrite {
  outcomes: ('created' | 'updated')[];
  /** the slice's statements; rejects with the database's error */
  written: Promise<void>;
}

/**
 * Creates or updates one slice of people (at most PEOPLE_SLICE) inside the caller's transaction,
 * against what `before` (peopleBefore) read. The rows and events are made here at once; the writes
 * are sent and left running, so the caller can make the next slice while the database writes this
 * one (each statement then waits for the connection, in order).
 */
export function upsertPeopleSlice(
  tx: Executor,
  inputs: readonly PersonInput[],
  before: ReadonlyMap<string, Before>,
  now: number,
  raise: Raise,
): SliceWrite {
  const outcomes: ('created' | 'updated')[] = [];
  const created: unknown[][] = [];
  const updated: unknown[][] = [];
  for (const p of inputs) {
    const b = before.get(p.id);
    outcomes.push(b ? 'updated' : 'created');
    const active = p.active ?? b?.active ?? true;
    (b ? updated : created).push([
      p.id,
      p.name ?? b?.name,
      p.department !== undefined ? p.department : (b?.department ?? null),
      p.site !== undefined ? p.site : (b?.site ?? null),
      active ? 1 : 0,
      active ? null : (b?.leftAt ?? now),
      now,
      now,
    ]);
  }
  // Memberships: a given list replaces the stored one whole (a column left out keeps it).
  const links = (
    [
      ['person_groups', 'groups', 'group_id'],
      ['person_levels', 'levels', 'level_id'],
    ] as const
  ).flatMap(([table, field, column]) => {
    const given = inputs.filter((p) => p[field] !== undefined);
    if (given.length === 0) return [];
    return [
      {
        table,
        column,
        stored: given.filter((p) => before.has(p.id)).map((p) => p.id),
        rows: given.flatMap((p) => [...new Set(p[field]!)].map((target) => [p.id, target])),
      },
    ];
  });
  const written = (async () => {
    // New people are plain inserts: an upsert's conflict check costs every row an extra index probe
    // (a third of the insert on PostgreSQL), and they were read as absent inside this transaction.
    await bulkInsert(tx, 'people', PEOPLE_COLUMNS, created);
    await bulkInsert(tx, 'people', PEOPLE_COLUMNS, updated, {
      key: ['id'],
      update: ['name', 'department', 'site', 'active', 'left_at', 'updated_at'],
    });
    for (const link of links) {
      if (link.stored.length > 0)
        await selectByKeys(tx, link.stored, async (match) => {
          await tx.deleteFrom(link.table).where(match('person_id')).execute();
          return [];
        });
      await bulkInsert(
        tx,
        link.table,
        [
          { name: 'person_id', pg: 'text' },
          { name: link.column, pg: 'text' },
        ],
        link.rows,
      );
    }
  })();

  // The events personWrites.create / personWrites.update raise, in the same order.
  for (const p of inputs) {
    const b = before.get(p.id);
    if (!b) {
      raise({ type: 'person.created', person: p.id });
      continue;
    }
    const events: DomainEvent[] = [];
    const active = p.active ?? b.active;
    if (b.active && !active) events.push({ type: 'person.left', person: p.id });
    if (!b.active && active) events.push({ type: 'person.returned', person: p.id });
    if (p.groups !== undefined) {
      const diff = listDiff(b.groups, [...new Set(p.groups)]);
      if (diff.added.length + diff.removed.length > 0)
        events.push({ type: 'person.groups.changed', person: p.id, ...diff });
    }
    if (p.levels !== undefined) {
      const diff = listDiff(b.levels, [...new Set(p.levels)]);
      if (diff.added.length + diff.removed.length > 0)
        events.push({ type: 'person.levels.changed', person: p.id, ...diff });
    }
    const fields = (['name', 'department', 'site'] as const).filter((f) => p[f] !== undefined);
    if (fields.length > 0 || events.length === 0) raise({ type: 'person.updated', person: p.id, fields });
    for (const event of events) raise(event);
  }
  return { outcomes, written };
}
