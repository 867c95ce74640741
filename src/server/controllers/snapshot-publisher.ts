// The snapshot publisher: keeps every controller's policy snapshot current. A change to the site
// data (a domain event) schedules a rebuild; bursts (a CSV import) coalesce into one. Each
// controller's snapshot is built (snapshot.ts), checked by compiling it as the controller will, and
// sent only when it differs from the last one made for that controller — as a delta of what changed
// (people, doors, schedules, levels, …) when the controller holds the previous snapshot
// (snapshot-delta.ts), else whole. A controller that says it holds an older one gets it whole.
// Large bodies go chunked, compressed and resumable (snapshot-transfer.ts).
//
// Cost (issue 9, #11): a whole rebuild reads and hashes each controller's whole snapshot, O(site)
// per controller. So only what a change can touch is rebuilt:
// - a newly enrolled (or taken over) controller: its own snapshot only;
// - a change to people or their credentials only (person.*, credential.*): the people are read once,
//   and merged into the last snapshot of each controller that holds them or where they now hold a
//   level — nowhere else; the delta is those people. Snapshots keep people and groups sorted by id
//   (and each person's lists), so a merge gives exactly what a whole build would;
// - anything else (doors, levels, groups, schedules, areas, sites, keys, guests), too many people
//   at once, or live time-limited keys (they add people and levels of their own): a whole rebuild.

import type { FastifyBaseLogger } from 'fastify';
import { canonicalJson, type Json } from '../../contracts/canonical.ts';
import type { OfflineFallback } from '../../contracts/messages.ts';
import { canonicalSha256InTurns } from '../../contracts/transfer.ts';
import type { SiteDef } from '../../core/model.ts';
import { compilePolicy, PolicyBuilder } from '../../core/policy.ts';
import { TimeZone } from '../../core/time/zone.ts';
import type { DomainEvent } from '../domain/events.ts';
import { addKeysToSnapshot } from '../keys/snapshot-keys.ts';
import { KeyStore } from '../keys/store.ts';
import { addMobileKeysToSnapshot } from '../mobile/snapshot-mobile.ts';
import type { Executor } from '../storage/db.ts';
import { breathe, eachInTurns } from '../turns.ts';
import type { ControllerCoordinator } from './coordinator.ts';
import { buildSnapshot, rowsWhereIn, siteAsJson, snapshotPerson } from './snapshot.ts';
import { siteDelta } from './snapshot-delta.ts';
import {
  DEFAULT_TRANSFER_SETTINGS,
  SnapshotTransfers,
  type TransferObserver,
  type TransferSettings,
} from './snapshot-transfer.ts';

/** After this many deltas the whole snapshot goes again, so what a controller stores stays small. */
const MAX_DELTAS = 50;
/** More people changed at once than this (an import): a whole rebuild costs less than merging. */
const MAX_MERGED_PEOPLE = 1_000;

/** The people (ids) a change to people or credentials only touches; undefined for any other change. */
function peopleOf(event: DomainEvent): string | undefined {
  switch (event.type) {
    case 'person.created':
    case 'person.updated':
    case 'person.left':
    case 'person.returned':
    case 'person.deleted':
    case 'person.groups.changed':
    case 'person.levels.changed':
      return event.person;
    case 'credential.created':
    case 'credential.updated':
    case 'credential.revoked':
    case 'credential.reinstated':
    case 'credential.deleted':
      return event.person;
    default:
      return undefined;
  }
}

type Person = SiteDef['people'][number];
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const credentialOrder = (a: Person['credentials'][number], b: Person['credentials'][number]) => {
  const [x, y] = [`${a.type}:${a.id}`, `${b.type}:${b.id}`];
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * compilePolicy(site), breathing every 256 people (../turns.ts): the check of a whole snapshot is
 * hundreds of milliseconds of one thread at 100,000 people.
 */
async function compileInTurns(site: SiteDef): Promise<void> {
  const builder = new PolicyBuilder(site, { expectedPeople: site.people.length });
  await eachInTurns(site.people, (person) => builder.addPerson(person));
  builder.build();
}

/** One order for what a snapshot lists, whichever way it was read (a whole build or a merge). */
function sortPerson(p: Person): Person {
  p.groups?.sort();
  p.levels?.sort();
  p.credentials.sort(credentialOrder);
  return p;
}

/** Index of the first entry whose id is not below `id` (the entries sorted by id). */
function lowerBound(entries: readonly Json[], id: string): number {
  let [lo, hi] = [0, entries.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (((entries[mid] as { id: string }).id ?? '') < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows of some people, read once for every controller a merge touches. */
interface PeopleRows {
  people: Map<string, { id: string; active: number; left_at: number | null }>;
  levels: Map<string, string[]>;
  groups: Map<string, string[]>;
  credentials: Map<string, unknown[]>;
  emergency: Set<string>;
}

export interface SnapshotSettings {
  snapshotMaxAgeMinutes: number;
  fallback: OfflineFallback;
  emergencyGroup?: string | undefined;
  /** the default site: controllers without a site take its time zone and holidays */
  site?: string | undefined;
}

export interface SnapshotPublisherDeps {
  db: Executor;
  credentialKey: Uint8Array;
  settings: SnapshotSettings;
  coordinators: () => Iterable<ControllerCoordinator>;
  logger: Pick<FastifyBaseLogger, 'error'>;
  now: () => number;
  /** when a body goes chunked, and in what chunks (default: above 256 KiB, in 256 KiB) */
  transfer?: Partial<TransferSettings> | undefined;
  transferObserver?: TransferObserver | undefined;
}

export class SnapshotPublisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly transfers: SnapshotTransfers;
  /** what the next rebuild must cover: everything, or these people (and controllers with none) */
  private wholeNext = false;
  private readonly peopleNext = new Set<string>();

  constructor(private readonly deps: SnapshotPublisherDeps) {
    this.transfers = new SnapshotTransfers(
      { ...DEFAULT_TRANSFER_SETTINGS, ...deps.transfer },
      deps.transferObserver,
    );
  }

  /** Rebuilds every snapshot after `delayMs`, coalescing bursts of changes into one rebuild. */
  schedule(delayMs: number): void {
    this.wholeNext = true;
    this.arm(delayMs);
  }

  /** Builds the snapshots of controllers that have none yet (enrolled, taken over), only those. */
  buildMissing(delayMs: number): void {
    this.arm(delayMs);
  }

  /** Site data changed: rebuilds what these changes can touch (see the top of this file). */
  changed(events: readonly DomainEvent[], delayMs: number): void {
    for (const event of events) {
      const person = peopleOf(event);
      if (person === undefined) this.wholeNext = true;
      else this.peopleNext.add(person);
    }
    if (this.peopleNext.size > MAX_MERGED_PEOPLE) this.wholeNext = true;
    this.arm(delayMs);
  }

  private arm(delayMs: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.running
        .then(() => this.rebuildPlanned())
        .catch((error: unknown) =>
          this.deps.logger.error({ err: { message: (error as Error).message } }, 'snapshot rebuild failed'),
        );
    }, delayMs);
    this.timer.unref();
  }

  /** What was asked for since the last rebuild, no more. */
  private async rebuildPlanned(): Promise<void> {
    const whole = this.wholeNext;
    const people = [...this.peopleNext].sort();
    this.wholeNext = false;
    this.peopleNext.clear();
    if (whole) return this.rebuild();
    const coordinators = [...this.deps.coordinators()];
    for (const c of coordinators) if (!c.snapshot) await this.publishTo(c);
    if (people.length === 0) return;
    // Time-limited keys add people and levels of their own to a snapshot: merged people would
    // miss them. Rare; then every snapshot is built whole.
    if ((await new KeyStore(this.deps.db).liveKeys(this.deps.now())).length > 0) return this.rebuild();
    await this.mergePeople(
      coordinators.filter((c) => c.snapshot),
      people,
    );
  }

  /** Resolves when scheduled and running rebuilds are done. */
  async settled(): Promise<void> {
    while (this.timer) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.running;
    await this.transfers.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.transfers.idle();
  }

  /**
   * A controller that does not hold the current snapshot (it said so, or was away) gets it whole —
   * or, when it names the last transfer made for it and the chunks it lacks, only those chunks.
   */
  resendIfBehind(
    coordinator: ControllerCoordinator,
    progress?: { transfer: string; missing: readonly number[] },
    /**
     * `restored`: the link came back. When the current snapshot went chunked it is not sent again
     * whole here: the controller names what it lacks in its hello or after the next server heartbeat.
     */
    why: 'hello' | 'restored' = 'hello',
  ): void {
    if (!coordinator.snapshot || !coordinator.behind) return;
    if (why === 'restored' && this.transfers.madeFor(coordinator.controllerId, coordinator.snapshot.version))
      return;
    if (progress && this.transfers.resume(coordinator, progress.transfer, progress.missing)) return;
    this.deliverWhole(coordinator);
  }

  /** A controller asks again for chunks of a transfer (they failed their hash, or never came). */
  resendChunks(coordinator: ControllerCoordinator, transfer: string, missing: readonly number[]): void {
    if (!this.transfers.resume(coordinator, transfer, missing)) this.resendIfBehind(coordinator);
  }

  /** Another server instance acts for the controller now: what was made for it here is void. */
  forget(controllerId: string): void {
    this.transfers.forget(controllerId);
  }

  private deliverWhole(coordinator: ControllerCoordinator): void {
    void this.transfers
      .deliver(coordinator, coordinator.snapshot!.body)
      .catch((error: unknown) =>
        this.deps.logger.error({ err: { message: (error as Error).message } }, 'snapshot not sent'),
      );
  }

  /** Every controller's snapshot, built and sent where it changed. */
  async rebuild(): Promise<void> {
    for (const coordinator of [...this.deps.coordinators()]) await this.publishTo(coordinator);
  }

  /**
   * Changed people merged into the snapshots that hold them, or that should now: their rows read
   * once, each such controller's entries for them made from its last snapshot's levels and groups,
   * sent as a delta of those people.
   */
  private async mergePeople(coordinators: ControllerCoordinator[], ids: string[]): Promise<void> {
    const rows = await this.readPeople(ids);
    // Where they hold a level now: every controller whose snapshot's levels or granting groups they have.
    for (const coordinator of coordinators) {
      const held = coordinator.snapshot!;
      const site = held.body.site as Record<string, Json>;
      const levels = new Set((site.levels as { id: string }[]).map((l) => l.id));
      const granting = new Set(
        (site.groups as { id: string; levels: string[] }[])
          .filter((g) => g.levels.length > 0)
          .map((g) => g.id),
      );
      const zone = new TimeZone(String(site.timezone));
      const entries = new Map<string, Person>();
      for (const id of ids) {
        const row = rows.people.get(id);
        if (!row) continue;
        const here = (rows.levels.get(id) ?? []).filter((l) => levels.has(l));
        const groups = rows.groups.get(id) ?? [];
        if (here.length === 0 && !groups.some((g) => granting.has(g))) continue;
        entries.set(
          id,
          sortPerson(
            snapshotPerson(
              row,
              [...groups],
              here,
              (rows.credentials.get(id) ?? []) as Parameters<typeof snapshotPerson>[3],
              this.deps.credentialKey,
              zone,
            ),
          ),
        );
      }
      if (entries.size === 0 && !ids.some((id) => held.people.has(id))) continue;
      await this.publishMerged(coordinator, ids, entries, rows.emergency);
    }
  }

  private async readPeople(ids: string[]): Promise<PeopleRows> {
    const { db } = this.deps;
    const group = <T>(list: T[], key: (r: T) => string, value: (r: T) => string) => {
      const map = new Map<string, string[]>();
      for (const r of list) {
        const k = key(r);
        const l = map.get(k);
        if (l) l.push(value(r));
        else map.set(k, [value(r)]);
      }
      return map;
    };
    const people = await rowsWhereIn(db, 'people', 'id', ids);
    const levels = await rowsWhereIn(db, 'person_levels', 'person_id', ids);
    const groups = await rowsWhereIn(db, 'person_groups', 'person_id', ids);
    const credentials = await rowsWhereIn(db, 'credentials', 'person_id', ids);
    const emergencyGroup = this.deps.settings.emergencyGroup;
    const byPerson = new Map<string, unknown[]>();
    for (const c of credentials) {
      const l = byPerson.get(c.person_id);
      if (l) l.push(c);
      else byPerson.set(c.person_id, [c]);
    }
    return {
      people: new Map(people.map((p) => [p.id, p])),
      levels: group(
        levels,
        (r) => r.person_id,
        (r) => r.level_id,
      ),
      groups: group(
        groups,
        (r) => r.person_id,
        (r) => r.group_id,
      ),
      credentials: byPerson,
      emergency: new Set(
        emergencyGroup ? groups.filter((g) => g.group_id === emergencyGroup).map((g) => g.person_id) : [],
      ),
    };
  }

  /** One controller's last snapshot with these people replaced (or added, or removed). */
  private async publishMerged(
    coordinator: ControllerCoordinator,
    ids: readonly string[],
    entries: Map<string, Person>,
    emergencyMembers: ReadonlySet<string>,
  ): Promise<void> {
    const { deps } = this;
    const held = coordinator.snapshot!;
    const issuedAt = await this.issueTime(coordinator);
    const site = held.body.site as Record<string, Json>;
    // Mobile credentials carry their public keys (what a whole build adds too).
    const added = [...entries.values()];
    await addMobileKeysToSnapshot(deps.db, { people: added } as SiteDef);
    // Groups these people are in that the snapshot did not list: listed, granting nothing here.
    const groups = [...(site.groups as Json[])];
    const newGroups: Json[] = [];
    for (const entry of entries.values())
      for (const g of entry.groups ?? []) {
        const at = lowerBound(groups, g);
        if ((groups[at] as { id?: string } | undefined)?.id === g) continue;
        const group = { id: g, levels: [] };
        groups.splice(at, 0, group);
        newGroups.push(group);
      }
    // What the controller will do with them: refuse a broken one here (their doors' structure is
    // the last snapshot's, checked when it was made).
    try {
      compilePolicy({
        ...(site as unknown as SiteDef),
        groups: groups as unknown as SiteDef['groups'],
        people: added,
      });
    } catch (error) {
      deps.logger.error(
        { controller: coordinator.controllerId, err: { message: (error as Error).message } },
        'snapshot not sent: the site model does not compile; the controller keeps its last one',
      );
      return;
    }
    // The list of people and the set of who it holds change in place: only this coordinator's
    // snapshot record holds them, the record they belonged to is replaced below, and rebuilds and
    // merges run one at a time. Copies were 100,000 entries per controller per change — with 100
    // controllers, most of the server's thread for one revoked card, which the next revocation
    // waited behind. The list is copied only while a whole transfer of the last body is being packed
    // (it reads the list over several turns). (The loop changes them only for an upsert or a
    // removal, and then the record is replaced: the early return below is for when nothing changed.)
    const list = site.people as Json[];
    const people = this.transfers.packs(list) ? [...list] : list;
    const known = held.people;
    const upsert: Json[] = [];
    const remove: string[] = [];
    for (const id of ids) {
      const at = lowerBound(people, id);
      const there = (people[at] as { id?: string } | undefined)?.id === id;
      const entry = entries.get(id);
      if (entry) {
        const json = JSON.parse(JSON.stringify(entry)) as Json;
        if (there && canonicalJson(people[at]!) === canonicalJson(json)) continue;
        if (there) people[at] = json;
        else people.splice(at, 0, json);
        known.add(id);
        upsert.push(json);
      } else if (there) {
        people.splice(at, 1);
        known.delete(id);
        remove.push(id);
      }
    }
    const before = held.body.emergency as string[];
    const emergency = [
      ...new Set([
        ...before.filter((id) => !ids.includes(id)),
        ...ids.filter((id) => entries.has(id) && emergencyMembers.has(id)),
      ]),
    ].sort();
    const emergencyChanged = canonicalJson(emergency) !== canonicalJson([...before].sort());
    const changed = upsert.length + remove.length + newGroups.length > 0 || emergencyChanged;
    // Unchanged, and no revocation by command waits for a newer snapshot: nothing to send.
    if (!changed && held.issuedAt > coordinator.lastRevokeAt) return;
    const version = Math.max(deps.now(), held.version + 1);
    const mergedSite: Record<string, Json> = { ...site, people, groups };
    const body: Record<string, Json> = { ...held.body, version, issuedAt, emergency, site: mergedSite };
    const delta = held.deltas < MAX_DELTAS && coordinator.controllerHolds === held.version;
    coordinator.snapshot = {
      version,
      issuedAt,
      hash: '', // computed when a whole rebuild compares with it
      body,
      people: known,
      deltas: delta ? held.deltas + 1 : 0,
    };
    coordinator.sending(version);
    if (delta)
      await this.transfers.deliver(coordinator, {
        kind: 'snapshot-delta',
        base: held.version,
        version,
        issuedAt,
        emergency,
        upsert,
        remove,
        ...(newGroups.length > 0 && { changes: { groups: { upsert: newGroups, remove: [] } } }),
      });
    else await this.transfers.deliver(coordinator, body);
  }

  /**
   * The snapshot reflects every write committed before its building started: that instant is its
   * issuedAt, and it must come after the last revocation sent (the controller lifts revocations
   * sent before a snapshot's issuedAt, see controller/server-link.ts).
   */
  private async issueTime(coordinator: ControllerCoordinator): Promise<number> {
    let issuedAt = this.deps.now();
    for (let i = 0; i < 5 && issuedAt <= coordinator.lastRevokeAt; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      issuedAt = this.deps.now();
    }
    return issuedAt;
  }

  private async publishTo(coordinator: ControllerCoordinator): Promise<void> {
    const { deps } = this;
    const controllerId = coordinator.controllerId;
    const issuedAt = await this.issueTime(coordinator);
    const content = await buildSnapshot(deps.db, controllerId, deps.credentialKey, {
      emergencyGroup: deps.settings.emergencyGroup,
      defaultSite: deps.settings.site,
    });
    await addKeysToSnapshot(deps.db, content.site, issuedAt);
    await addMobileKeysToSnapshot(deps.db, content.site);
    try {
      await compileInTurns(content.site); // what the controller will do with it: refuse a broken one here
    } catch (error) {
      deps.logger.error(
        { controller: controllerId, err: { message: (error as Error).message } },
        'snapshot not sent: the site model does not compile; the controller keeps its last one',
      );
      return;
    }
    // One order, so that a merge (above) and a whole build of the same data are the same.
    content.site.people.sort(byId).forEach(sortPerson);
    content.site.groups.sort(byId);
    content.emergency.sort();
    // In turns (../turns.ts): at 100,000 people each step is hundreds of milliseconds of one thread.
    const site = await siteAsJson(content.site);
    const hash = await canonicalSha256InTurns(
      { site, emergency: content.emergency, offlineDeny: content.offlineDeny },
      breathe,
    );
    const held = coordinator.snapshot;
    // A merged snapshot's hash is made only when needed: here.
    if (held && held.hash === '')
      held.hash = await canonicalSha256InTurns(
        {
          site: held.body.site as Json,
          emergency: held.body.emergency as Json,
          offlineDeny: held.body.offlineDeny as Json,
        },
        breathe,
      );
    // Unchanged, and no revocation by command waits for a newer snapshot: nothing to send.
    if (held?.hash === hash && held.issuedAt > coordinator.lastRevokeAt) return;
    const version = Math.max(deps.now(), (held?.version ?? 0) + 1);
    // The controller is known to hold the last one: what changed will do, unless it is most of it.
    const delta =
      held && held.deltas < MAX_DELTAS && coordinator.controllerHolds === held.version
        ? await siteDelta(held.body.site as Record<string, Json>, site)
        : undefined;
    const offlineDenyChanged =
      canonicalJson(held?.body.offlineDeny ?? []) !== canonicalJson(content.offlineDeny);
    const body: Record<string, Json> = {
      kind: 'snapshot',
      version,
      issuedAt,
      maxAgeMinutes: deps.settings.snapshotMaxAgeMinutes,
      fallback: deps.settings.fallback,
      emergency: content.emergency,
      offlineDeny: content.offlineDeny,
      site,
    };
    coordinator.snapshot = {
      version,
      issuedAt,
      hash,
      body,
      people: new Set(content.site.people.map((p) => p.id)),
      deltas: delta ? (held?.deltas ?? 0) + 1 : 0,
    };
    // It will hold this one once it arrives; a miss shows in its next heartbeat or hello.
    coordinator.sending(version);
    if (delta && held)
      await this.transfers.deliver(coordinator, {
        kind: 'snapshot-delta',
        base: held.version,
        version,
        issuedAt,
        emergency: content.emergency,
        upsert: delta.upsert,
        remove: delta.remove,
        ...(Object.keys(delta.changes).length > 0 && { changes: delta.changes as Record<string, Json> }),
        ...(Object.keys(delta.set).length > 0 && { set: delta.set }),
        ...(offlineDenyChanged && { offlineDeny: content.offlineDeny }),
      });
    else await this.transfers.deliver(coordinator, body);
  }
}
