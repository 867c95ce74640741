// How webhooks join the running server (called by compose.ts): every source feeds the outbox, and
// the dispatcher sends it on its own timer. A source that fails to enqueue logs and carries on: the
// site's own work (ingest, writes, alarms) never waits on or fails for webhooks.

import type { FastifyBaseLogger } from 'fastify';
import type { ControllerEvent } from '../../contracts/messages.ts';
import type { AlarmService } from '../alarms/service.ts';
import type { DomainBus } from '../domain/bus.ts';
import type { KeyUseNotice } from '../keys/uses.ts';
import type { Executor } from '../storage/db.ts';
import { type DispatchSettings, WebhookDispatcher } from './dispatcher.ts';
import type { OutboxEvent, WebhookService } from './service.ts';
import { fromAlarm, fromControllerEvents, fromDomainEvents, fromKeyUse, fromLink } from './sources.ts';

export interface WebhookWiring {
  dispatcher: WebhookDispatcher;
  /**
   * A controller's newly stored events, into the outbox in the ingest transaction (`tx`): stored
   * together or not at all, so a crash between the two loses no webhook event. A failure fails the
   * batch, which the controller sends again.
   */
  controllerEvents(tx: Executor, controllerId: string, events: readonly ControllerEvent[]): Promise<void>;
  link(controllerId: string, state: 'lost' | 'restored', at: number): Promise<void>;
  keyUse(notice: KeyUseNotice): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function wireWebhooks(deps: {
  service: WebhookService;
  bus: DomainBus;
  alarms: AlarmService;
  logger: FastifyBaseLogger;
  clock: { now(): number };
  settings?: Partial<DispatchSettings>;
}): WebhookWiring {
  const dispatcher = new WebhookDispatcher(deps.service, deps.logger, deps.clock, deps.settings);
  const enqueue = async (events: OutboxEvent[]) => {
    try {
      await deps.service.enqueue(events);
    } catch (error) {
      deps.logger.error({ err: { message: (error as Error).message } }, 'webhook events not enqueued');
    }
  };
  const unsubscribe = deps.bus.subscribe('webhooks', (batch) => enqueue(fromDomainEvents(batch)));
  const unlistenAlarms = deps.alarms.listen({ raised: (alarm) => enqueue([fromAlarm(alarm)]) });
  return {
    dispatcher,
    controllerEvents: (tx, controllerId, events) =>
      deps.service.enqueue(fromControllerEvents(controllerId, events), tx),
    link: (controllerId, state, at) => enqueue([fromLink(controllerId, state, at)]),
    keyUse: (notice) => enqueue([fromKeyUse(notice)]),
    start: () => dispatcher.start(),
    stop: async () => {
      unsubscribe();
      unlistenAlarms();
      await dispatcher.stop();
    },
  };
}
