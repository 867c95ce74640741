// How mobile keys join the running server (called by the composition root, compose.ts): the service
// gets the alarms, door actions and live state it needs for online opens, and a device's public key
// goes when its credential or its person does — whichever route deleted them.

import type { AlarmService } from '../alarms/service.ts';
import type { DomainBus } from '../domain/bus.ts';
import type { LiveHub } from '../live/hub.ts';
import type { OperationsService } from '../operations/service.ts';
import type { MobileService } from './service.ts';

export function wireMobile(deps: {
  bus: DomainBus;
  mobile: MobileService;
  alarms: AlarmService;
  operations: OperationsService;
  live: LiveHub;
}): () => void {
  deps.mobile.attach({ alarms: deps.alarms, operations: deps.operations, live: deps.live });
  return deps.bus.on('mobile-devices', ['credential.deleted', 'person.deleted'], async (event) => {
    if (event.type === 'credential.deleted') await deps.mobile.forget(event.credential);
    else await deps.mobile.forgetPerson(event.person);
  });
}
