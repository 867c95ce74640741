// The repositories of the management server, named after the domain, over one connection or one
// transaction. `transaction(store, key, fn)` gives `fn` repositories that all write in the same
// transaction: nothing half-written when anything in it fails.

import { AccessLevelStore } from './access-levels.ts';
import { AreaStore } from './areas.ts';
import { chainKeys } from './chain.ts';
import { ControllerStore } from './controllers.ts';
import { CredentialStore } from './credentials.ts';
import { type Executor, inTransaction, type Store } from './db.ts';
import { DoorStore } from './doors.ts';
import { EventStore } from './events.ts';
import { GroupStore } from './groups.ts';
import { HolidayCalendarStore } from './holidays.ts';
import { PeopleStore } from './people.ts';
import { PresenceStore } from './presence.ts';
import { ScheduleStore } from './schedules.ts';
import { SiteStore } from './sites.ts';

export interface Repositories {
  /** the connection (or transaction) under these stores, for checks that read across tables */
  db: Executor;
  people: PeopleStore;
  credentials: CredentialStore;
  groups: GroupStore;
  accessLevels: AccessLevelStore;
  schedules: ScheduleStore;
  holidays: HolidayCalendarStore;
  areas: AreaStore;
  doors: DoorStore;
  controllers: ControllerStore;
  sites: SiteStore;
  events: EventStore;
  presence: PresenceStore;
}

export function repositories(db: Executor, installationKey: Uint8Array): Repositories {
  return {
    db,
    people: new PeopleStore(db),
    credentials: new CredentialStore(db, installationKey),
    groups: new GroupStore(db),
    accessLevels: new AccessLevelStore(db),
    schedules: new ScheduleStore(db),
    holidays: new HolidayCalendarStore(db),
    areas: new AreaStore(db),
    doors: new DoorStore(db),
    controllers: new ControllerStore(db),
    sites: new SiteStore(db),
    // The event and presence stores take the plain connection type; a transaction is one.
    events: new EventStore(db as Store['db'], chainKeys(installationKey).events),
    presence: new PresenceStore(db as Store['db']),
  };
}

export function transaction<T>(
  db: Executor,
  installationKey: Uint8Array,
  fn: (repos: Repositories) => Promise<T>,
): Promise<T> {
  return inTransaction(db, (tx) => fn(repositories(tx, installationKey)));
}
