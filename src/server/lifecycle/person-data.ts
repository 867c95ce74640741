// A person's own data (R-SEC-8): everything Monban holds about one person, for their access request,
// as JSON or as CSV (UTF-8 with BOM, one row per item). Card numbers are shown by their last four
// characters only and PINs never (they are stored as keyed hashes); the directory's attributes are
// opened from the vault.

import type { Kysely } from 'kysely';
import { queryAudit } from '../audit/store.ts';
import { formulaSafe } from '../csv/export.ts';
import { formatRecord } from '../csv/rfc4180.ts';
import type { Repositories } from '../storage/index.ts';
import type { Database } from '../storage/schema.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { lifecycleDb } from './tables.ts';
import type { PersonVault } from './vault.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const masked = (identifier: string | null) =>
  identifier === null ? null : `${'•'.repeat(Math.max(identifier.length - 4, 0))}${identifier.slice(-4)}`;

export interface PersonData {
  exportedAt: string;
  person: Record<string, unknown>;
  credentials: Record<string, unknown>[];
  directory: Record<string, unknown> | null;
  presence: { area: string | null; since: string | null };
  events: Record<string, unknown>[];
  audit: Record<string, unknown>[];
}

/** Everything about one person inside the caller's scope; undefined when there is no such person. */
export async function collectPersonData(
  db: Kysely<Database>,
  repos: Repositories,
  vault: PersonVault,
  personId: string,
  scope: ScopeFilter,
  now: number,
): Promise<PersonData | undefined> {
  const person = await repos.people.get(personId, scope);
  if (!person) return undefined;
  const credentials: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  do {
    const page = await repos.credentials.list({ personId, limit: 500, ...(cursor && { cursor }) });
    for (const c of page.items)
      credentials.push({
        id: c.id,
        type: c.type,
        identifier: masked(c.identifier),
        state: c.state,
        validFrom: iso(c.validFrom),
        validUntil: iso(c.validUntil),
        uses: c.uses,
        label: c.label,
        createdAt: iso(c.createdAt),
      });
    cursor = page.next;
  } while (cursor);
  const scim = await lifecycleDb(db)
    .selectFrom('scim_users')
    .select('attributes')
    .where('person_id', '=', personId)
    .executeTakeFirst();
  const directory = scim
    ? ((await vault.open<Record<string, unknown>>(db, personId, scim.attributes)) ?? null)
    : null;
  const presence = await repos.presence.get(personId);
  const events: Record<string, unknown>[] = [];
  cursor = undefined;
  do {
    const page = await repos.events.search({ personId, limit: 1000, ...(cursor && { cursor }) });
    for (const e of page.items)
      events.push({
        at: iso(e.at),
        type: e.type,
        door: e.door ?? null,
        doorName: e.doorName,
        area: e.area ?? null,
        controller: e.controllerId,
        detail: e.detail,
      });
    cursor = page.next;
  } while (cursor);
  const audit: Record<string, unknown>[] = [];
  for (const target of [`person:${personId}`, ...credentials.map((c) => `credential:${c.id as string}`)]) {
    let before: number | undefined;
    for (;;) {
      const page = await queryAudit(db, { target, limit: 500, ...(before !== undefined && { before }) });
      for (const r of page.records)
        audit.push({ at: iso(r.at), action: r.action, target: r.target, actor: r.actor, detail: r.detail });
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
  }
  audit.sort((a, b) => String(a.at).localeCompare(String(b.at)));
  return {
    exportedAt: iso(now)!,
    person: {
      id: person.id,
      name: person.name,
      department: person.department,
      site: person.site,
      active: person.active,
      leftAt: iso(person.leftAt),
      groups: person.groups,
      levels: person.levels,
      createdAt: iso(person.createdAt),
      updatedAt: iso(person.updatedAt),
    },
    credentials,
    directory,
    presence: { area: presence.area, since: iso((presence as { at?: number | null }).at ?? null) },
    events,
    audit,
  };
}

/** The same as CSV: `section,at,what,value`, one row per field, credential, event and audit record. */
export function personDataCsv(data: PersonData): string {
  const rows: string[][] = [['section', 'at', 'what', 'value']];
  const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  for (const [k, v] of Object.entries(data.person)) rows.push(['person', '', k, json(v ?? '')]);
  for (const [k, v] of Object.entries(data.directory ?? {})) rows.push(['directory', '', k, json(v)]);
  rows.push(['presence', data.presence.since ?? '', 'area', data.presence.area ?? '']);
  for (const c of data.credentials)
    rows.push(['credential', String(c.createdAt ?? ''), String(c.id), json(c)]);
  for (const e of data.events)
    rows.push([
      'event',
      String(e.at),
      String(e.type),
      json({ door: e.door, area: e.area, detail: e.detail }),
    ]);
  for (const a of data.audit)
    rows.push([
      'audit',
      String(a.at),
      String(a.action),
      json({ target: a.target, actor: a.actor, detail: a.detail }),
    ]);
  return `\uFEFF${rows.map((r) => `${formatRecord(r.map(formulaSafe))}\r\n`).join('')}`;
}
