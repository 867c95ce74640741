// Time-limited keys in a controller's snapshot. Each live key that opens one of the controller's
// doors goes in as a `key` credential with its own level (its doors there, with its weekday windows
// as a schedule) and its validity, so the controller's core decides it like any credential, with the
// server away too. Its holder is the person (added with no levels of their own when the snapshot
// does not hold them already) or the guest, as `guest:<id>`. The key is known by its keyed hash.
//
// Use counts: counted site-wide like every limited credential (operations/use-counts.ts); the
// snapshot carries what is left as the server counted when it was issued, and the controller adds
// the uses it made that the server had not counted by then.

import type { CredentialDef, LevelDef, ScheduleDef, SiteDef, Weekday } from '../../core/model.ts';
import { WEEKDAYS } from '../../core/model.ts';
import { formatWall } from '../../core/time/civil.ts';
import { TimeZone } from '../../core/time/zone.ts';
import { AreaStore } from '../storage/areas.ts';
import type { Executor } from '../storage/db.ts';
import { type AccessKey, effectiveUntil, KeyStore } from './store.ts';

/** The ids a key's level and schedule have in a snapshot (`~` is in no record id: no clash). */
export const keyLevelId = (keyId: string) => `~key/${keyId}`;
export const guestPersonId = (guestId: string) => `guest:${guestId}`;

/** The doors a key opens: its doors, and every door into or out of its areas (and areas within). */
export async function doorsOfKey(db: Executor, key: Pick<AccessKey, 'doors' | 'areas'>): Promise<string[]> {
  const doors = new Set(key.doors);
  if (key.areas.length > 0) {
    const kdb = new KeyStore(db).db;
    const inside = await new AreaStore(db).within(key.areas);
    const all = await kdb.selectFrom('doors').select(['id', 'from_area', 'to_area']).execute();
    for (const d of all) if (inside.has(d.to_area) || inside.has(d.from_area)) doors.add(d.id);
  }
  return [...doors];
}

function keySchedule(key: AccessKey): ScheduleDef | undefined {
  const days: readonly Weekday[] = key.weekdays.length > 0 ? key.weekdays : WEEKDAYS;
  if (key.windows.length === 0 && days.length === 7) return undefined;
  const windows = key.windows.length > 0 ? key.windows : ['00:00-24:00'];
  return {
    id: keyLevelId(key.id),
    weekly: Object.fromEntries(days.map((d) => [d, windows])),
  };
}

/** Adds the live keys for the controller's doors to its snapshot site (in place). */
export async function addKeysToSnapshot(db: Executor, site: SiteDef, now: number): Promise<void> {
  const here = new Set(site.doors.map((d) => d.id));
  if (here.size === 0) return;
  const store = new KeyStore(db);
  const keys = await store.liveKeys(now);
  if (keys.length === 0) return;
  const zone = new TimeZone(site.timezone);
  const local = (ms: number) => formatWall(ms + zone.offsetAt(ms));
  const people = new Map(site.people.map((p) => [p.id, p]));
  for (const key of keys) {
    const doors = (await doorsOfKey(db, key)).filter((d) => here.has(d));
    if (doors.length === 0) continue;
    const schedule = keySchedule(key);
    if (schedule) site.schedules.push(schedule);
    const level: LevelDef = { id: keyLevelId(key.id), doors, ...(schedule && { schedule: schedule.id }) };
    site.levels.push(level);
    const credential: CredentialDef = {
      type: 'key',
      id: key.refHash,
      levels: [level.id],
      validFrom: local(key.validFrom),
      validUntil: local(effectiveUntil(key)),
      // What is left as counted site-wide now; the controller adds the uses it made since.
      ...(key.maxUses !== null && { maxUses: Math.max(0, key.maxUses - key.usesCounted) }),
      ...(key.validForMinutes !== null && { validForMinutes: key.validForMinutes }),
      state: 'active',
    };
    const holderId = key.holder.kind === 'guest' ? guestPersonId(key.holder.id) : key.holder.id;
    let holder = people.get(holderId);
    if (!holder) {
      holder = { id: holderId, active: await holderActive(db, key), groups: [], levels: [], credentials: [] };
      people.set(holderId, holder);
      site.people.push(holder);
    }
    holder.credentials.push(credential);
  }
}

async function holderActive(db: Executor, key: AccessKey): Promise<boolean> {
  if (key.holder.kind === 'guest') return true;
  const p = await new KeyStore(db).db
    .selectFrom('people')
    .select(['active', 'left_at'])
    .where('id', '=', key.holder.id)
    .executeTakeFirst();
  return p !== undefined && Number(p.active) === 1 && p.left_at === null;
}
