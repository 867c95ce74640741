// Snapshot deltas (issue 4 §4, issue 11 §1 "deltas for everything"): a controller that holds the
// previous snapshot gets only what changed — the people added, replaced or removed, and likewise the
// doors, areas, schedules, holiday calendars, levels and groups (by id), and any other site field
// (the time zone) set anew. When most of the site changed, the whole snapshot goes instead: it is
// then no bigger, and the controller compiles it once either way.

import { canonicalJson, type Json } from '../../contracts/canonical.ts';
import { SITE_COLLECTIONS, type SiteCollection } from '../../contracts/messages.ts';
import { eachInTurns } from '../turns.ts';

export interface ListDelta {
  upsert: Json[];
  remove: string[];
}

export interface SiteDelta extends ListDelta {
  /** the site's other id-keyed lists that changed */
  changes: Partial<Record<SiteCollection, ListDelta>>;
  /** the site's fields that are not id-keyed lists, where they changed */
  set: Record<string, Json>;
}

type Site = Record<string, Json>;
type Entry = { id: string } & Record<string, Json>;

/** A list whose entries all carry a string id: it can change entry by entry. */
function keyed(value: Json | undefined): value is Entry[] {
  return (
    Array.isArray(value) &&
    value.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e) && typeof e.id === 'string')
  );
}

/** The entries of one list that changed, by id (breathing: a list may hold 100,000 people). */
async function listDelta(before: Entry[], after: Entry[]): Promise<ListDelta> {
  const old = new Map<string, string>();
  await eachInTurns(before, (entry) => old.set(entry.id, canonicalJson(entry)));
  const seen = new Set<string>();
  const upsert: Json[] = [];
  await eachInTurns(after, (entry) => {
    seen.add(entry.id);
    if (old.get(entry.id) !== canonicalJson(entry)) upsert.push(entry);
  });
  return { upsert, remove: [...old.keys()].filter((id) => !seen.has(id)) };
}

/** What changed between two sites, or undefined when the whole snapshot should go. */
export async function siteDelta(before: Site, after: Site): Promise<SiteDelta | undefined> {
  const delta: SiteDelta = { upsert: [], remove: [], changes: {}, set: {} };
  let changed = 0;
  let total = 0;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const [b, a] = [before[key], after[key]];
    if (a === undefined) return undefined; // a field gone: the whole snapshot says so more simply
    if (keyed(b) && keyed(a) && (key === 'people' || isCollection(key))) {
      const list = await listDelta(b, a);
      total += a.length;
      changed += list.upsert.length + list.remove.length;
      if (key === 'people') Object.assign(delta, list);
      else if (list.upsert.length + list.remove.length > 0) delta.changes[key] = list;
    } else if (b === undefined || canonicalJson(b) !== canonicalJson(a)) {
      delta.set[key] = a;
      changed++;
    }
  }
  if (changed > total / 2) return undefined;
  return delta;
}

const COLLECTIONS: ReadonlySet<string> = new Set(SITE_COLLECTIONS);
const isCollection = (key: string): key is SiteCollection => COLLECTIONS.has(key);

/** Whether a delta changes more than people (the controller then compiles the site anew). */
export function structural(delta: Pick<SiteDelta, 'changes' | 'set'>): boolean {
  return Object.keys(delta.changes).length > 0 || Object.keys(delta.set).length > 0;
}
