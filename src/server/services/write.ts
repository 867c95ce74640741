// How the service layer writes: one transaction per call, the events the write raised collected on
// the way and published on the bus only once it is committed (nothing is published for a write that
// failed or a dry run). Every caller — the API, CSV import, the CLI, future integrations — reaches the
// site data through these services, so validation, audit, revocation and snapshots are the same
// whoever writes.

import type { DomainBus } from '../domain/bus.ts';
import type { DomainEvent, Origin } from '../domain/events.ts';
import type { Store } from '../storage/db.ts';
import { type Repositories, transaction } from '../storage/index.ts';
import type { ScopeFilter } from '../storage/scope.ts';

/** Who writes, and what they may touch. */
export interface Actor {
  origin: Origin;
  /** the people and credentials the actor may see and change ('all' for unscoped roles) */
  scope: ScopeFilter;
  /** told after the write's events were published (the API marks its request as audited) */
  onPublished?: () => void;
}

export interface ServiceDeps {
  store: Store;
  installationKey: Uint8Array;
  bus: DomainBus;
  clock: { now(): number };
}

/** Collects the events of one write. */
export type Raise = (event: DomainEvent) => void;

/** Runs `fn` in one transaction and publishes what it raised once committed. */
export async function write<T>(
  deps: ServiceDeps,
  actor: Actor,
  fn: (repos: Repositories, raise: Raise, now: number) => Promise<T>,
): Promise<T> {
  const events: DomainEvent[] = [];
  const now = deps.clock.now();
  const result = await transaction(deps.store.db, deps.installationKey, (repos) =>
    fn(repos, (e) => events.push(e), now),
  );
  await publish(deps, actor, events);
  return result;
}

export async function publish(
  deps: ServiceDeps,
  actor: Actor,
  events: readonly DomainEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await deps.bus.publish(events, actor.origin);
  actor.onPublished?.();
}

export const SYSTEM_ACTOR: Actor = {
  origin: { actor: 'system', source: 'server', via: 'system' },
  scope: 'all',
};

/** What was added to and removed from a list. */
export function listDiff(before: readonly string[], after: readonly string[]) {
  const old = new Set(before);
  const now = new Set(after);
  return { added: after.filter((x) => !old.has(x)), removed: before.filter((x) => !now.has(x)) };
}
