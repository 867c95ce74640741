// Sites (拠点): a building or campus with its own time zone, the holiday calendars that apply there,
// and the name its controllers use in MQTT topics (monban/<topic>/…). Controllers and areas name
// their site; a controller without one belongs to the default site (MONBAN_SITE, `main`).
//
// A site's topic cannot change while enrolled controllers use it (they would lose the server until
// enrolled again), and a site cannot be removed while controllers or areas belong to it.

import { DEFAULT_TIMEZONE } from '../../core/model.ts';
import type { Executor } from './db.ts';
import { StorageError } from './errors.ts';
import { type Db, ResourceStore } from './resource.ts';
import type { SitesTable } from './schema.ts';

export const DEFAULT_SITE = 'main';

export interface SiteInput {
  id: string;
  name: string;
  /** IANA time zone: schedules and validity times at this site are local to it */
  timezone: string;
  /** MQTT topic segment of its controllers */
  topic: string;
  /** holiday calendars that count as holidays for every schedule applied at this site */
  holidayCalendars: string[];
}

/** Enrolled controllers of a site (controllers without a site belong to the default one). */
async function enrolledControllersOf(db: Db, siteId: string, defaultSite: string): Promise<string[]> {
  let query = db
    .selectFrom('controllers')
    .innerJoin('controller_links', 'controller_links.controller_id', 'controllers.id')
    .select('controllers.id as id')
    .where('controller_links.public_key', 'is not', null);
  query =
    siteId === defaultSite
      ? query.where((eb) => eb.or([eb('controllers.site', '=', siteId), eb('controllers.site', 'is', null)]))
      : query.where('controllers.site', '=', siteId);
  return (await query.execute()).map((r) => r.id as string);
}

export class SiteStore extends ResourceStore<SiteInput> {
  constructor(db: Executor, defaultSite = DEFAULT_SITE) {
    super(db, {
      resource: 'site',
      table: 'sites',
      toRow: (s) => ({ name: s.name, timezone: s.timezone, topic: s.topic }),
      fromRow: (r) => ({
        name: r.name as string,
        timezone: r.timezone as string,
        topic: r.topic as string,
        holidayCalendars: [],
      }),
      links: [
        {
          field: 'holidayCalendars',
          table: 'site_holidays',
          owner: 'site_id',
          target: 'calendar_id',
          refTable: 'holiday_calendars',
          refResource: 'holiday_calendar',
        },
      ],
      refs: [],
      async check(db, site) {
        const before = await db
          .selectFrom('sites')
          .select('topic')
          .where('id', '=', site.id)
          .executeTakeFirst();
        if (!before || before.topic === site.topic) return;
        const enrolled = await enrolledControllersOf(db, site.id, defaultSite);
        if (enrolled.length > 0)
          throw new StorageError(
            'in_use',
            'site',
            `enrolled controllers use the topic of site '${site.id}' (${enrolled.slice(0, 3).join(', ')}${enrolled.length > 3 ? ', …' : ''}): enroll them again after the change, or keep the topic`,
            'topic',
          );
      },
      async beforeRemove(db, id) {
        for (const table of ['controllers', 'areas'] as const) {
          const row = await db.selectFrom(table).select('id').where('site', '=', id).executeTakeFirst();
          if (row)
            throw new StorageError('in_use', 'site', `site '${id}' still has ${table} (${row.id as string})`);
        }
      },
    });
  }
}

/** The site a controller belongs to, with its calendars; undefined when that site is not stored. */
export async function siteOfController(
  db: Executor,
  controllerId: string,
  defaultSite = DEFAULT_SITE,
): Promise<(Omit<SitesTable, 'created_at' | 'updated_at'> & { holidayCalendars: string[] }) | undefined> {
  const controller = await db
    .selectFrom('controllers')
    .select('site')
    .where('id', '=', controllerId)
    .executeTakeFirst();
  return siteById(db, controller?.site ?? defaultSite);
}

export async function siteById(
  db: Executor,
  siteId: string,
): Promise<(Omit<SitesTable, 'created_at' | 'updated_at'> & { holidayCalendars: string[] }) | undefined> {
  const site = await db
    .selectFrom('sites')
    .select(['id', 'name', 'timezone', 'topic'])
    .where('id', '=', siteId)
    .executeTakeFirst();
  if (!site) return undefined;
  const calendars = await db
    .selectFrom('site_holidays')
    .select('calendar_id')
    .where('site_id', '=', siteId)
    .orderBy('calendar_id')
    .execute();
  return { ...site, holidayCalendars: calendars.map((c) => c.calendar_id) };
}

/** Creates the default site at first start (its topic: its id), so every controller has a site. */
export async function ensureSite(db: Executor, siteId: string, now: number): Promise<void> {
  await db
    .insertInto('sites')
    .values({
      id: siteId,
      name: siteId,
      timezone: DEFAULT_TIMEZONE,
      topic: siteId,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
