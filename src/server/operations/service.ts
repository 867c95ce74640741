// Door and area actions (issue 9 §1): an operator asks for an action through the API; it is checked
// against the operator's scope, recorded with who asked, audited, and sent as a signed command
// (contracts/messages.ts `operator`) to exactly the controllers concerned — the door's controller,
// the controllers whose policy holds the area, person or fire zone, or every controller of the site.
// Each controller answers with what it did (`command-result`); the call waits a few seconds for the
// answers, and the action's status resource keeps them, also those that come late. A controller whose
// link is down is `not_reachable` at once: an action is not queued to happen later, when nobody
// expects it (the command also carries `notAfter`, and a controller refuses it once past).
//
// The server's own state follows the action where it keeps one: a forgiven person's, or a reset
// area's, presence becomes unknown in the presence store, so the muster list and the
// cross-controller reconciliation agree with the controllers.

import { randomBytes } from 'node:crypto';
import type { Json } from '../../contracts/canonical.ts';
import type { SentOperatorAction } from '../../contracts/messages.ts';
import { recordAudit } from '../audit/store.ts';
import type { CommandResult, ControllerLink } from '../controllers/link.ts';
import { ApiError } from '../http/errors.ts';
import type { Actor, Services } from '../services/index.ts';
import { chainKeys } from '../storage/chain.ts';
import type { Store } from '../storage/db.ts';
import { type Repositories, repositories } from '../storage/index.ts';
import { PresenceStore } from '../storage/presence.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import {
  type ActionOutcome,
  type ActionRecord,
  ActionStore,
  type ControllerOutcome,
} from './action-store.ts';
import type { ActionRequest } from './requests.ts';
import { SiteTopology } from './topology.ts';

/** How long a command stays valid on its way to a controller. */
const COMMAND_VALID_MS = 30_000;

export interface OperationsDeps {
  store: Store;
  installationKey: Uint8Array;
  services: Services;
  /** the controller link; undefined: actions answer NO_CONTROLLER_LINK */
  link: ControllerLink | undefined;
  clock: { now(): number };
  defaultSite: string;
  /** how long an action request waits for the controllers' answers (default 5 s) */
  waitMs?: number;
}

interface Plan {
  target: string;
  site: string | null;
  controllers: string[];
  /** what to send; none for a change of the site model (the snapshot carries it) */
  command?: SentOperatorAction;
  /** the server's own part, done after the action is recorded */
  local?: () => Promise<void>;
  /** a change of the site model: done first, then applied = the controller holds a newer snapshot */
  model?: () => Promise<void>;
}

/** Sites an operator may act on: no site restriction, or the sites listed. */
function sitesOf(scope: ScopeFilter): readonly string[] | 'all' {
  return scope === 'all' || scope.sites.length === 0 ? 'all' : scope.sites;
}

function allowsSite(scope: ScopeFilter, site: string): boolean {
  const sites = sitesOf(scope);
  return sites === 'all' || sites.includes(site);
}

export class OperationsService {
  readonly actions: ActionStore;
  private readonly presence: PresenceStore;
  private readonly repos: Repositories;
  /** action id → controller → resolves with its answer */
  private readonly waiting = new Map<string, Map<string, () => void>>();
  private readonly unsubscribe: (() => void) | undefined;
  private readonly waitMs: number;

  constructor(private readonly deps: OperationsDeps) {
    this.actions = new ActionStore(deps.store.db);
    this.presence = new PresenceStore(deps.store.db);
    this.repos = repositories(deps.store.db, deps.installationKey);
    this.waitMs = deps.waitMs ?? 5_000;
    this.unsubscribe = deps.link?.onCommandResult((controllerId, result) => {
      void this.answered(controllerId, result);
    });
  }

  close(): void {
    this.unsubscribe?.();
  }

  /** Checks, records, audits and sends an action; resolves with its status once answered (or timed out). */
  async perform(request: ActionRequest, actor: Actor): Promise<ActionRecord> {
    const now = this.deps.clock.now();
    const plan = await this.plan(request, actor);
    const link = this.deps.link;
    if (!link) throw new ApiError('NO_CONTROLLER_LINK', 'this server runs without a controller link');
    // A change of the site model first: refused, it leaves nothing recorded.
    await plan.model?.();
    const id = `act_${randomBytes(9).toString('base64url')}`;
    const controllers: ControllerOutcome[] = plan.controllers.map((controllerId) => {
      const coordinator = link.coordinator(controllerId);
      const why = !coordinator
        ? 'not enrolled'
        : coordinator.linkState === 'lost'
          ? 'link down: the controller has not been heard within the link timeout'
          : undefined;
      return { controllerId, outcome: why ? 'not_reachable' : 'pending', detail: why ?? null, at: now };
    });
    const record: ActionRecord = {
      id,
      action: request.action,
      target: plan.target,
      request: request as unknown as Record<string, unknown>,
      actor: actor.origin.actor,
      site: plan.site,
      requestedAt: now,
      controllers,
    };
    // The action and its audit record in one transaction: one commit (an fsync on SQLite, behind
    // the controllers' event ingest) before the command goes, not two.
    await recordAudit(
      this.deps.store.db,
      chainKeys(this.deps.installationKey).audit,
      {
        at: now,
        actor: actor.origin.actor,
        source: actor.origin.source,
        action: `operation.${request.action}`,
        target: plan.target,
        detail: { id, request, controllers: plan.controllers },
      },
      (tx) => this.actions.create(record, tx),
    );
    actor.onPublished?.();
    await plan.local?.();

    const pending = controllers.filter((c) => c.outcome === 'pending').map((c) => c.controllerId);
    const forAction = new Map<string, () => void>();
    this.waiting.set(id, forAction);
    const answers = pending.map(
      (controllerId) => new Promise<void>((resolve) => forAction.set(controllerId, resolve)),
    );
    if (plan.command) {
      const body = {
        kind: 'command',
        command: 'operator',
        id,
        notAfter: now + COMMAND_VALID_MS,
        action: plan.command as unknown as Json,
      } as Record<string, Json>;
      for (const controllerId of pending)
        void link
          .coordinator(controllerId)!
          .send(body)
          .then((sent) => {
            if (!sent.delivered)
              void this.settle(id, controllerId, 'not_reachable', `not sent: ${sent.error ?? 'broker'}`);
          });
    } else if (plan.model) {
      void this.awaitSnapshots(id, pending);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(answers),
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.waitMs);
      }),
    ]);
    clearTimeout(timer);
    for (const controllerId of this.waiting.get(id)?.keys() ?? [])
      await this.settle(
        id,
        controllerId,
        'not_reachable',
        `no answer within ${Math.round(this.waitMs / 100) / 10} s`,
      );
    this.waiting.delete(id);
    return (await this.actions.get(id))!;
  }

  /** What an action needs: where it goes, its site (for scope), what the server does itself. */
  private async plan(request: ActionRequest, actor: Actor): Promise<Plan> {
    const { db } = this.deps.store;
    const topology = await SiteTopology.load(db, this.deps.defaultSite);
    const scope = actor.scope;
    const inScope = (site: string) => {
      if (!allowsSite(scope, site)) throw new ApiError('OUT_OF_SCOPE', `site ${site} is outside your scope`);
    };
    const now = () => this.deps.clock.now();
    switch (request.action) {
      case 'unlock-door':
      case 'override-door':
      case 'end-override': {
        const door = topology.doors.get(request.door);
        if (!door)
          throw new ApiError('UNKNOWN_REFERENCE', `body.door: no door ${request.door}`, {
            field: 'body.door',
          });
        const site = topology.siteOfDoor(door.id);
        inScope(site);
        if (!door.controllerId)
          throw new ApiError('NOT_OPERABLE', `door ${door.id} is driven by no controller`);
        return { target: `door:${door.id}`, site, controllers: [door.controllerId], command: request };
      }
      case 'set-lockdown':
      case 'set-threat-level': {
        const sites = await this.sitesFor(request.site, scope);
        if (request.action === 'set-lockdown')
          for (const [i, group] of (request.exempt ?? []).entries())
            if (!(await this.repos.groups.get(group)))
              throw new ApiError('UNKNOWN_REFERENCE', `body.exempt[${i}]: no group ${group}`, {
                field: `body.exempt[${i}]`,
              });
        const { site: _site, ...command } = request;
        return {
          target: `site:${request.site ?? (sites === 'all' ? '*' : sites.join(','))}`,
          site: request.site ?? null,
          controllers: topology.controllersOfSites(sites),
          command,
        };
      }
      case 'clear-fire': {
        const sites = await this.sitesFor(request.site, scope);
        const all = topology.controllersOfZone(request.zone);
        if (all.length === 0 && !topology.doorsOfZone(request.zone).length)
          throw new ApiError('UNKNOWN_REFERENCE', `body.zone: no area belongs to fire zone ${request.zone}`, {
            field: 'body.zone',
          });
        const controllers = all.filter(
          (c) => sites === 'all' || sites.includes(topology.controllers.get(c)!),
        );
        if (controllers.length < all.length && request.site === undefined)
          throw new ApiError(
            'OUT_OF_SCOPE',
            `fire zone ${request.zone} has doors on sites outside your scope`,
          );
        const { site: _site, ...command } = request;
        return { target: `zone:${request.zone}`, site: request.site ?? null, controllers, command };
      }
      case 'forgive-antipassback': {
        const person = await this.repos.people.get(request.person, scope);
        if (!person)
          throw new ApiError('UNKNOWN_REFERENCE', `body.person: no person ${request.person}`, {
            field: 'body.person',
          });
        const reach = await this.peopleControllers(request.person);
        return {
          target: `person:${request.person}`,
          site: person.site,
          controllers: reach,
          command: request,
          local: async () => {
            await this.presence.forget([request.person], now());
          },
        };
      }
      case 'reset-area':
      case 'set-occupancy-limit': {
        const area = topology.areas.get(request.area);
        if (!area || request.area === 'outside')
          throw new ApiError('UNKNOWN_REFERENCE', `body.area: no area ${request.area}`, {
            field: 'body.area',
          });
        const site = topology.siteOfArea(area.id);
        inScope(site);
        const controllers = topology.controllersOfArea(area.id);
        if (request.action === 'reset-area')
          return {
            target: `area:${area.id}`,
            site,
            controllers,
            command: request,
            local: async () => {
              await this.presence.forgetAreas([...topology.within(area.id)], now());
            },
          };
        return {
          target: `area:${area.id}`,
          site,
          controllers,
          // Through the service layer: validated (a limit no single controller could enforce is
          // refused), audited as an area change, and pushed in the next snapshots.
          model: async () => {
            await this.deps.services.areas.update(
              area.id,
              { maxOccupancy: request.maxOccupancy },
              { ...actor, onPublished: () => {} },
            );
          },
        };
      }
      default: {
        const never: never = request;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }

  /** The sites an action applies to: the one named (in scope, existing), or all in scope. */
  private async sitesFor(site: string | undefined, scope: ScopeFilter): Promise<readonly string[] | 'all'> {
    if (site === undefined) return sitesOf(scope);
    if (!allowsSite(scope, site)) throw new ApiError('OUT_OF_SCOPE', `site ${site} is outside your scope`);
    const found = await this.deps.store.db
      .selectFrom('sites')
      .select('id')
      .where('id', '=', site)
      .executeTakeFirst();
    if (!found) throw new ApiError('UNKNOWN_REFERENCE', `body.site: no site ${site}`, { field: 'body.site' });
    return [site];
  }

  private async peopleControllers(person: string): Promise<string[]> {
    return [...((await this.repos.people.controllersOf([person])).get(person) ?? [])].sort();
  }

  /** A change of the site model is applied at a controller once it reports a snapshot made after it. */
  private async awaitSnapshots(id: string, controllers: string[]): Promise<void> {
    const link = this.deps.link!;
    await link.settled();
    const deadline = this.deps.clock.now() + this.waitMs;
    const targets = new Map(controllers.map((c) => [c, link.coordinator(c)?.snapshotVersion ?? 0]));
    while (targets.size > 0 && this.deps.clock.now() < deadline) {
      for (const [controllerId, version] of targets) {
        const status = await link.status(controllerId);
        if ((status?.snapshotVersion ?? 0) >= version && version > 0) {
          targets.delete(controllerId);
          await this.settle(id, controllerId, 'applied', `holds snapshot ${status!.snapshotVersion}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async answered(controllerId: string, result: CommandResult): Promise<void> {
    await this.settle(result.id, controllerId, result.outcome, result.detail ?? null);
  }

  private async settle(
    id: string,
    controllerId: string,
    outcome: ActionOutcome,
    detail: string | null,
  ): Promise<void> {
    await this.actions.setOutcome(id, controllerId, outcome, detail, this.deps.clock.now());
    const forAction = this.waiting.get(id);
    const resolve = forAction?.get(controllerId);
    if (resolve) {
      forAction!.delete(controllerId);
      resolve();
    }
  }
}
