// The site model's records (groups, access levels, schedules, holiday calendars, areas, doors,
// controllers): create, change and delete, each raising its event. Groups and access levels also say
// what they lost — the levels a group no longer grants, the doors a level no longer opens — which is
// what revocation needs.

import type { DomainEvent, RecordAction, SiteResource } from '../domain/events.ts';
import type { AccessLevelInput } from '../storage/access-levels.ts';
import type { AreaInput } from '../storage/areas.ts';
import type { ControllerInput } from '../storage/controllers.ts';
import type { DoorInput } from '../storage/doors.ts';
import type { GroupInput } from '../storage/groups.ts';
import type { HolidayCalendarInput } from '../storage/holidays.ts';
import type { Repositories } from '../storage/index.ts';
import type { ResourceStore, Stamps } from '../storage/resource.ts';
import type { ScheduleInput } from '../storage/schedules.ts';
import type { SiteInput } from '../storage/sites.ts';
import { enforceableRules } from './enforceable-rules.ts';
import { type Actor, listDiff, type ServiceDeps, write } from './write.ts';

type EventFor<In> = (
  id: string,
  action: RecordAction,
  before: In | undefined,
  after: In | undefined,
) => DomainEvent;

/**
 * A check of the whole site model around a write, inside its transaction: told the state before and
 * after, it throws a StorageError to refuse the write (nothing is then changed).
 */
export interface SiteCheck<S> {
  before(repos: Repositories): Promise<S>;
  after(repos: Repositories, before: S, id: string): Promise<void>;
}

export class SiteRecordService<In extends { id: string }> {
  constructor(
    private readonly deps: ServiceDeps,
    readonly resource: SiteResource,
    private readonly store: (repos: Repositories) => ResourceStore<In>,
    private readonly eventFor: EventFor<In>,
    // biome-ignore lint/suspicious/noExplicitAny: each check keeps its own state type
    private readonly check?: SiteCheck<any>,
  ) {}

  private async checked<T>(repos: Repositories, id: string, fn: () => Promise<T>): Promise<T> {
    const before = this.check ? await this.check.before(repos) : undefined;
    const result = await fn();
    if (this.check) await this.check.after(repos, before, id);
    return result;
  }

  create(input: In, actor: Actor): Promise<In & Stamps> {
    return write(this.deps, actor, async (repos, raise, now) => {
      const record = await this.checked(repos, input.id, () => this.store(repos).create(input, now));
      raise(this.eventFor(record.id, 'created', undefined, record));
      return record;
    });
  }

  /** Changes the given fields; lists given replace the old ones whole. */
  update(id: string, patch: Partial<Omit<In, 'id'>>, actor: Actor): Promise<In & Stamps> {
    return write(this.deps, actor, async (repos, raise, now) => {
      const store = this.store(repos);
      const before = await store.get(id);
      const record = await this.checked(repos, id, () => store.update(id, patch, now));
      raise(this.eventFor(id, 'updated', before, record));
      return record;
    });
  }

  /** Deletes the record (refused while other records use it). */
  remove(id: string, actor: Actor): Promise<void> {
    return write(this.deps, actor, async (repos, raise) => {
      const store = this.store(repos);
      const before = await store.get(id);
      await store.remove(id);
      raise(this.eventFor(id, 'deleted', before, undefined));
    });
  }
}

const plain =
  <In>(resource: Exclude<SiteResource, 'group' | 'access_level'>): EventFor<In> =>
  (id, action) => ({ type: 'site.changed', resource, id, action });

export function siteServices(deps: ServiceDeps) {
  return {
    groups: new SiteRecordService<GroupInput>(
      deps,
      'group',
      (r) => r.groups,
      (id, action, before, after) => ({
        type: 'group.changed',
        group: id,
        action,
        levelsRemoved: listDiff(before?.levels ?? [], after?.levels ?? []).removed,
      }),
    ),
    accessLevels: new SiteRecordService<AccessLevelInput>(
      deps,
      'access_level',
      (r) => r.accessLevels,
      (id, action, before, after) => ({
        type: 'access_level.changed',
        level: id,
        action,
        doorsRemoved: listDiff(before?.doors ?? [], after?.doors ?? []).removed,
      }),
    ),
    schedules: new SiteRecordService<ScheduleInput>(deps, 'schedule', (r) => r.schedules, plain('schedule')),
    holidays: new SiteRecordService<HolidayCalendarInput>(
      deps,
      'holiday_calendar',
      (r) => r.holidays,
      plain('holiday_calendar'),
    ),
    areas: new SiteRecordService<AreaInput>(
      deps,
      'area',
      (r) => r.areas,
      plain('area'),
      enforceableRules('area'),
    ),
    doors: new SiteRecordService<DoorInput>(
      deps,
      'door',
      (r) => r.doors,
      plain('door'),
      enforceableRules('door'),
    ),
    controllers: new SiteRecordService<ControllerInput>(
      deps,
      'controller',
      (r) => r.controllers,
      plain('controller'),
    ),
    sites: new SiteRecordService<SiteInput>(deps, 'site', (r) => r.sites, plain('site')),
  };
}
