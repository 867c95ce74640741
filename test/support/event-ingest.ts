// An event ingest wired as the controller link wires it (controllers/link.ts), without the link: the
// presence coordinator over the site's stores, with no controllers to tell (or the ones given). For
// tests and benches that store controllers' batches straight through the ingest.
import type { RaiseControllerAlarm } from '../../src/server/controllers/controller-alarms.ts';
import type { ControllerCoordinator } from '../../src/server/controllers/coordinator.ts';
import { EventIngest, type EventIngestDeps } from '../../src/server/controllers/ingest.ts';
import {
  PresenceCoordinator,
  type PresenceStores,
} from '../../src/server/controllers/presence-coordinator.ts';

export function standaloneIngest(
  db: EventIngestDeps['db'],
  stores: PresenceStores,
  raise: RaiseControllerAlarm,
  options: Omit<EventIngestDeps, 'db' | 'presence' | 'raise'> & {
    coordinators?: () => Iterable<ControllerCoordinator>;
  },
): EventIngest {
  const { coordinators = () => [], ...deps } = options;
  const presence = new PresenceCoordinator({
    presence: stores.presence,
    doors: stores.doors,
    areas: stores.areas,
    coordinators,
    raise,
  });
  return new EventIngest({ db, presence, raise, ...deps });
}
