// Reading presence history (history.ts): the stays of people in a set of areas, merged where a person
// only moved between areas of the set (office → My Number room → office is one stay in "the office
// floor with everything inside it").

import type { ReportDb } from './tables.ts';

export interface Stay {
  person: string;
  /** the areas of the set the person was in, in order */
  areas: string[];
  enteredAt: number;
  enteredDoor: string | null;
  /** how the stay began: the controller and sequence of the granting event */
  controllerId: string | null;
  seq: number | null;
  /** null: still inside as far as the server knows */
  leftAt: number | null;
  leftDoor: string | null;
}

const CHUNK = 500;

interface Row {
  person_id: string;
  area: string;
  entered_at: number;
  entered_door: string | null;
  controller_id: string | null;
  seq: number | null;
  left_at: number | null;
  left_door: string | null;
}

const stayOf = (r: Row): Stay => ({
  person: r.person_id,
  areas: [r.area],
  enteredAt: Number(r.entered_at),
  enteredDoor: r.entered_door,
  controllerId: r.controller_id,
  seq: r.seq === null ? null : Number(r.seq),
  leftAt: r.left_at === null ? null : Number(r.left_at),
  leftDoor: r.left_door,
});

/** Rows of one person in time order → stays, contiguous ones merged. */
export function mergeStays(rows: readonly Row[]): Stay[] {
  const out: Stay[] = [];
  for (const r of rows) {
    const last = out.at(-1);
    if (last && last.person === r.person_id && last.leftAt !== null && last.leftAt === Number(r.entered_at)) {
      if (last.areas.at(-1) !== r.area) last.areas.push(r.area);
      last.leftAt = r.left_at === null ? null : Number(r.left_at);
      last.leftDoor = r.left_door;
      continue;
    }
    out.push(stayOf(r));
  }
  return out;
}

const byPersonThenTime = (a: Row, b: Row) =>
  a.person_id < b.person_id
    ? -1
    : a.person_id > b.person_id
      ? 1
      : Number(a.entered_at) - Number(b.entered_at);

const COLUMNS = [
  'person_id',
  'area',
  'entered_at',
  'entered_door',
  'controller_id',
  'seq',
  'left_at',
  'left_door',
] as const;

/** Stays of these people in these areas that began in [from, until). */
export async function staysOfPeople(
  db: ReportDb,
  people: readonly string[],
  areas: ReadonlySet<string>,
  from: number,
  until: number,
): Promise<Map<string, Stay[]>> {
  const rows: Row[] = [];
  for (let i = 0; i < people.length; i += CHUNK)
    rows.push(
      ...(await db
        .selectFrom('presence_history')
        .select(COLUMNS)
        .where('person_id', 'in', people.slice(i, i + CHUNK))
        .where('entered_at', '>=', from)
        .where('entered_at', '<', until)
        .execute()),
    );
  const inSet = rows.filter((r) => areas.has(r.area)).sort(byPersonThenTime);
  const out = new Map<string, Stay[]>();
  for (const stay of mergeStays(inSet)) {
    const list = out.get(stay.person) ?? [];
    list.push(stay);
    out.set(stay.person, list);
  }
  return out;
}

/**
 * Every stay in these areas that overlaps [from, until): begun before `until` and not ended by
 * `from` — people already inside when the window opened included. Merged per person.
 */
export async function staysOverlapping(
  db: ReportDb,
  areas: ReadonlySet<string>,
  from: number,
  until: number,
): Promise<Stay[]> {
  const ids = [...areas];
  const rows: Row[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    // Two index ranges (area, left_at): stays still open, and stays that ended after `from`.
    rows.push(
      ...(await db
        .selectFrom('presence_history')
        .select(COLUMNS)
        .where('area', 'in', part)
        .where('left_at', 'is', null)
        .where('entered_at', '<', until)
        .execute()),
      ...(await db
        .selectFrom('presence_history')
        .select(COLUMNS)
        .where('area', 'in', part)
        .where('left_at', '>', from)
        .where('entered_at', '<', until)
        .execute()),
    );
  }
  return widen(db, areas, mergeStays(rows.sort(byPersonThenTime)));
}

/**
 * Stays of the zone that touch these ones (the person moved between areas of the zone just before
 * or after the window, the stay itself overlapping it): joined on, so a stay reads from the entry
 * into the zone to the exit from it.
 */
async function widen(db: ReportDb, areas: ReadonlySet<string>, stays: Stay[]): Promise<Stay[]> {
  const zone = [...areas];
  for (const direction of ['before', 'after'] as const) {
    let open = stays.filter((s) => direction === 'before' || s.leftAt !== null);
    for (let round = 0; round < 50 && open.length > 0; round++) {
      const next: Stay[] = [];
      for (let i = 0; i < open.length; i += 300) {
        const part = open.slice(i, i + 300);
        const key = (person: string, at: number) => `${person}|${at}`;
        const want = new Map(
          part.map((s) => [key(s.person, direction === 'before' ? s.enteredAt : s.leftAt!), s]),
        );
        const times = [...new Set(part.map((s) => (direction === 'before' ? s.enteredAt : s.leftAt!)))];
        let query = db
          .selectFrom('presence_history')
          .select(COLUMNS)
          .where('person_id', 'in', [...new Set(part.map((s) => s.person))])
          .where('area', 'in', zone);
        query =
          direction === 'before'
            ? query.where('left_at', 'in', times)
            : query.where('entered_at', 'in', times);
        for (const r of await query.execute()) {
          const at = direction === 'before' ? Number(r.left_at) : Number(r.entered_at);
          const stay = want.get(key(r.person_id, at));
          if (!stay) continue;
          want.delete(key(r.person_id, at));
          if (direction === 'before') {
            if (stay.areas[0] !== r.area) stay.areas.unshift(r.area);
            stay.enteredAt = Number(r.entered_at);
            stay.enteredDoor = r.entered_door;
            stay.controllerId = r.controller_id;
            stay.seq = r.seq === null ? null : Number(r.seq);
            next.push(stay);
          } else {
            if (stay.areas.at(-1) !== r.area) stay.areas.push(r.area);
            stay.leftAt = r.left_at === null ? null : Number(r.left_at);
            stay.leftDoor = r.left_door;
            if (stay.leftAt !== null) next.push(stay);
          }
        }
      }
      open = next;
    }
  }
  return stays;
}
