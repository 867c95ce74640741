// Snapshot deltas (issue 4 §4, "sends deltas as things change"): most changes touch people and
// credentials only — a new hire, a lost card, a changed PIN. Then a controller gets only the people
// that changed, not its whole policy again. Anything else (a door, a schedule, a level) sends the
// whole snapshot, as does a change to most of the people.

import { canonicalJson, type Json } from '../../contracts/canonical.ts';

export interface PeopleDelta {
  upsert: Json[];
  remove: string[];
}

type Site = Record<string, Json>;
type Person = { id: string } & Record<string, Json>;

/** The people that changed between two sites, or undefined when the whole snapshot should go. */
export function peopleDelta(before: Site, after: Site): PeopleDelta | undefined {
  const { people: oldPeople, ...oldRest } = before;
  const { people: newPeople, ...newRest } = after;
  if (canonicalJson(oldRest) !== canonicalJson(newRest)) return undefined;
  const old = new Map((oldPeople as Person[]).map((p) => [p.id, canonicalJson(p)]));
  const seen = new Set<string>();
  const upsert: Json[] = [];
  for (const person of newPeople as Person[]) {
    seen.add(person.id);
    if (old.get(person.id) !== canonicalJson(person)) upsert.push(person);
  }
  const remove = [...old.keys()].filter((id) => !seen.has(id));
  if (upsert.length + remove.length > (newPeople as Person[]).length / 2) return undefined;
  return { upsert, remove };
}
