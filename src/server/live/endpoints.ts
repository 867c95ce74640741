// Live state as REST resources and one push stream (issue 9 §2), in the route table (api/routes.ts):
//   GET /api/live/doors        each door: locked, unlocked, open, forced, held_open or offline; its mode and why
//   GET /api/live/controllers  each controller: link, site modes it reports (lockdown, threat level, fire zones)
//   GET /api/live/occupancy    how many people are inside each area (and the areas within it)
//   GET /api/live/muster       who is inside now, across all controllers, where and when last seen
//   GET /api/live/stream       Server-Sent Events: access decisions, door changes, alarms, operator actions
// Everything is filtered by the caller's scope: people by department and site, doors by site.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { iso, isoOrNull, isoOut } from '../api/schemas.ts';
import type { ControllerLink } from '../controllers/link.ts';
import { ApiError } from '../http/errors.ts';
import { SiteTopology } from '../operations/topology.ts';
import type { Executor } from '../storage/db.ts';
import { PresenceStore } from '../storage/presence.ts';
import { type ScopeFilter, scopeAllows } from '../storage/scope.ts';
import { DEFAULT_SITE } from '../storage/sites.ts';
import type { LiveHub } from './hub.ts';
import { openStream } from './stream.ts';

export interface LiveDeps {
  hub: LiveHub;
  link: ControllerLink | undefined;
  defaultSite?: string;
}

export const DOOR_STATES = ['locked', 'unlocked', 'open', 'forced', 'held_open', 'offline'] as const;

const doorState = z
  .object({
    door: z.string(),
    name: z.string(),
    controllerId: z.string().nullable(),
    site: z.string(),
    state: z.enum(DOOR_STATES),
    mode: z
      .string()
      .nullable()
      .meta({ description: 'the mode in force: card, unlocked, locked, card+pin, …' }),
    source: z
      .enum(['fire', 'lockdown', 'override', 'schedule', 'base'])
      .nullable()
      .meta({ description: 'why the door is in that mode' }),
    overrideUntil: isoOut.nullable(),
    reportedAt: isoOut.nullable().meta({ description: 'when its controller last reported it' }),
  })
  .meta({ id: 'LiveDoor' });

const controllerState = z
  .object({
    controllerId: z.string(),
    site: z.string(),
    link: z.enum(['up', 'down']),
    lastSeenAt: isoOut.nullable(),
    lockdown: z
      .object({ exempt: z.array(z.string()) })
      .nullable()
      .meta({ description: 'null: no lockdown' }),
    threatLevel: z.number().int().nullable(),
    fireZones: z.array(z.string()),
    reportedAt: isoOut.nullable(),
  })
  .meta({ id: 'LiveController' });

const occupancy = z
  .object({
    area: z.string(),
    name: z.string(),
    inside: z.number().int(),
    maxOccupancy: z.number().int().nullable(),
  })
  .meta({ id: 'LiveOccupancy' });

const musterEntry = z
  .object({
    personId: z.string(),
    name: z.string(),
    area: z.string(),
    door: z.string().nullable().meta({ description: 'the door they last passed' }),
    controllerId: z.string().nullable(),
    at: isoOut.nullable().meta({ description: 'when they were last seen' }),
  })
  .meta({ id: 'MusterEntry' });

function live(deps: LiveDeps | undefined): LiveDeps {
  if (!deps) throw new ApiError('NO_CONTROLLER_LINK', 'this server runs without a controller link');
  return deps;
}

const sitesOf = (scope: ScopeFilter) => (scope === 'all' || scope.sites.length === 0 ? 'all' : scope.sites);

async function linkOf(deps: LiveDeps, controllerId: string) {
  return (await deps.link?.status(controllerId))?.link === 'up' ? 'up' : 'down';
}

export const liveDoors = endpoint({
  operationId: 'listLiveDoors',
  summary: 'Every door now: locked, unlocked, open, forced, held open or offline; its mode and why',
  query: z.strictObject({}),
  response: z.object({ items: z.array(doorState), next: z.null() }),
  handle: async ({ repos, scope, live: deps }) => {
    const d = live(deps);
    const topology = await SiteTopology.load(repos.db, d.defaultSite ?? DEFAULT_SITE);
    const sites = sitesOf(scope);
    const names = new Map(
      (await repos.db.selectFrom('doors').select(['id', 'name']).execute()).map((r) => [r.id, r.name]),
    );
    const links = new Map<string, string>();
    const items = [];
    for (const door of [...topology.doors.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const site = topology.siteOfDoor(door.id);
      if (sites !== 'all' && !sites.includes(site)) continue;
      const controller = door.controllerId;
      if (controller && !links.has(controller)) links.set(controller, await linkOf(d, controller));
      const reported = controller ? d.hub.reportOf(controller) : undefined;
      const entry = reported?.report.doors.find((x) => x.door === door.id);
      const online = controller !== null && links.get(controller) === 'up' && entry !== undefined;
      const state = !online
        ? 'offline'
        : entry.phase === 'forced_open'
          ? 'forced'
          : entry.heldOpen
            ? 'held_open'
            : entry.phase === 'open'
              ? 'open'
              : entry.phase === 'released' || entry.mode === 'unlocked'
                ? 'unlocked'
                : 'locked';
      items.push({
        door: door.id,
        name: names.get(door.id) ?? door.id,
        controllerId: controller,
        site,
        state: state as (typeof DOOR_STATES)[number],
        mode: entry?.mode ?? null,
        source: entry?.source ?? null,
        overrideUntil: isoOrNull(entry?.overrideUntil ?? null),
        reportedAt: reported ? iso(reported.at) : null,
      });
    }
    return { items, next: null };
  },
});

export const liveControllers = endpoint({
  operationId: 'listLiveControllers',
  summary: 'Every controller now: link, and the lockdown, threat level and fire zones it reports',
  query: z.strictObject({}),
  response: z.object({ items: z.array(controllerState), next: z.null() }),
  handle: async ({ repos, scope, live: deps }) => {
    const d = live(deps);
    const topology = await SiteTopology.load(repos.db, d.defaultSite ?? DEFAULT_SITE);
    const sites = sitesOf(scope);
    const items = [];
    for (const [controllerId, site] of [...topology.controllers].sort()) {
      if (sites !== 'all' && !sites.includes(site)) continue;
      const status = await d.link?.status(controllerId);
      const reported = d.hub.reportOf(controllerId);
      items.push({
        controllerId,
        site,
        link: status?.link === 'up' ? ('up' as const) : ('down' as const),
        lastSeenAt: isoOrNull(status?.lastSeenAt ?? null),
        lockdown: reported?.report.lockdown ? { exempt: reported.report.lockdown } : null,
        threatLevel: reported?.report.threatLevel ?? null,
        fireZones: reported?.report.fireZones ?? [],
        reportedAt: reported ? iso(reported.at) : null,
      });
    }
    return { items, next: null };
  },
});

/** People inside, from the presence store (shared by every server instance, kept across restarts). */
async function inside(db: Executor) {
  return new PresenceStore(db as never).inside();
}

export const liveOccupancy = endpoint({
  operationId: 'listLiveOccupancy',
  summary: 'How many people are inside each area now (an area counts the areas within it)',
  query: z.strictObject({}),
  response: z.object({ items: z.array(occupancy), next: z.null() }),
  handle: async ({ repos, scope, live: deps }) => {
    const topology = await SiteTopology.load(repos.db, deps?.defaultSite ?? DEFAULT_SITE);
    const counts = new Map<string, number>();
    for (const p of await inside(repos.db))
      for (const area of topology.selfAndAncestors(p.area!)) counts.set(area, (counts.get(area) ?? 0) + 1);
    const sites = sitesOf(scope);
    const names = new Map(
      (await repos.db.selectFrom('areas').select(['id', 'name']).execute()).map((r) => [r.id, r.name]),
    );
    const items = [...topology.areas.values()]
      .filter((a) => a.id !== 'outside' && (sites === 'all' || sites.includes(topology.siteOfArea(a.id))))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((a) => ({
        area: a.id,
        name: names.get(a.id) ?? a.id,
        inside: counts.get(a.id) ?? 0,
        maxOccupancy: a.maxOccupancy,
      }));
    return { items, next: null };
  },
});

export const liveMuster = endpoint({
  operationId: 'getMusterList',
  summary: 'Who is inside now, across all controllers, with where and when they were last seen',
  description:
    'For an evacuation roll call: everyone whose presence is known to be in an area (or, with `area`, in that ' +
    'area or an area within it), whichever controller saw them. People outside your scope are left out.',
  query: z.strictObject({ area: z.string().min(1).max(64).optional() }),
  response: z.object({ items: z.array(musterEntry), next: z.null() }),
  handle: async ({ repos, scope, query, live: deps }) => {
    const topology = await SiteTopology.load(repos.db, deps?.defaultSite ?? DEFAULT_SITE);
    if (query.area !== undefined && !topology.areas.has(query.area))
      throw new ApiError('UNKNOWN_REFERENCE', `query.area: no area ${query.area}`, { field: 'query.area' });
    const within = query.area !== undefined ? topology.within(query.area) : undefined;
    const present = (await inside(repos.db)).filter((p) => !within || within.has(p.area!));
    const people = new Map<string, { name: string; department: string | null; site: string | null }>();
    for (let i = 0; i < present.length; i += 1000) {
      const rows = await repos.db
        .selectFrom('people')
        .select(['id', 'name', 'department', 'site'])
        .where(
          'id',
          'in',
          present.slice(i, i + 1000).map((p) => p.person),
        )
        .execute();
      for (const r of rows) people.set(r.id, r);
    }
    const items = present
      .filter((p) => people.has(p.person) && scopeAllows(scope, people.get(p.person)!))
      .map((p) => ({
        personId: p.person,
        name: people.get(p.person)!.name,
        area: p.area!,
        door: p.door,
        controllerId: p.controllerId,
        at: p.at > 0 ? iso(p.at) : null,
      }));
    return { items, next: null };
  },
});

export const liveStream = endpoint({
  operationId: 'streamLiveEvents',
  summary: 'Push stream (Server-Sent Events) of access decisions, door changes, alarms and operator actions',
  description:
    'text/event-stream: one `event:` per kind (access, door, alarm, operator), `id:` to resume with ' +
    'Last-Event-ID, `data:` a JSON LiveEvent. Filtered by your scope. A comment line every 15 s keeps proxies open.',
  query: z.strictObject({}),
  raw: true,
  response: z.string().describe('text/event-stream'),
  handle: async ({ request, reply, scope, repos, live: deps }) => {
    const d = live(deps);
    await openStream({
      request,
      reply,
      scope,
      db: repos.db,
      hub: d.hub,
      defaultSite: d.defaultSite ?? DEFAULT_SITE,
    });
    return undefined;
  },
});
