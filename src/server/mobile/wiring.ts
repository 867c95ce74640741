// How mobile keys join the running server (called by the composition root, compose.ts): the service
// gets the alarms, door actions and live state it needs for online opens, its access events go to
// the live stream and the webhooks as controllers' do, and a device's public key goes when its
// credential or its person does — whichever route deleted them.

import type { AlarmService } from '../alarms/service.ts';
import type { DomainBus } from '../domain/bus.ts';
import type { LiveHub } from '../live/hub.ts';
import type { OperationsService } from '../operations/service.ts';
import type { Executor } from '../storage/db.ts';
import type { WebhookWiring } from '../webhooks/wiring.ts';
import type { MobileService } from './service.ts';

export function wireMobile(deps: {
  bus: DomainBus;
  mobile: MobileService;
  alarms: AlarmService;
  operations: OperationsService;
  live: LiveHub;
  webhooks: Pick<WebhookWiring, 'controllerEvents'>;
  /** where the webhook outbox is written (its own transaction: the open is stored already) */
  db: Executor;
}): () => void {
  deps.mobile.attach({
    alarms: deps.alarms,
    operations: deps.operations,
    live: deps.live,
    observe: async (source, events) => {
      deps.live.ingested(source, events);
      await deps.webhooks.controllerEvents(deps.db, source, events);
    },
  });
  return deps.bus.on('mobile-devices', ['credential.deleted', 'person.deleted'], async (event) => {
    if (event.type === 'credential.deleted') await deps.mobile.forget(event.credential);
    else await deps.mobile.forgetPerson(event.person);
  });
}
