// The one in-process bus for domain events (events.ts). The service layer publishes what a write
// changed after it is committed; subscribers (audit, snapshots, revocation; later webhooks and the
// console's push stream) each get every batch in publication order. `publish` resolves when every
// subscriber has handled the batch, so an API answer comes after the audit record and after the
// revocations went out. A failing subscriber is logged and does not fail the write, which is done.

import type { FastifyBaseLogger } from 'fastify';
import type { DomainEvent, DomainEventType, EventOf, Origin, Published } from './events.ts';

export type Subscriber = (batch: readonly Published[]) => void | Promise<void>;

interface Subscription {
  name: string;
  handle: Subscriber;
}

export class DomainBus {
  private readonly subscriptions: Subscription[] = [];
  private seq = 0;

  constructor(
    private readonly logger: Pick<FastifyBaseLogger, 'error'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every batch of events; returns the unsubscribe function. `name` is for the log. */
  subscribe(name: string, handle: Subscriber): () => void {
    const subscription = { name, handle };
    this.subscriptions.push(subscription);
    return () => {
      const i = this.subscriptions.indexOf(subscription);
      if (i >= 0) this.subscriptions.splice(i, 1);
    };
  }

  /** Only events of these types, one at a time, in order. */
  on<T extends DomainEventType>(
    name: string,
    types: readonly T[],
    handle: (event: EventOf<T>, published: Published) => void | Promise<void>,
  ): () => void {
    const wanted = new Set<DomainEventType>(types);
    return this.subscribe(name, async (batch) => {
      for (const p of batch) if (wanted.has(p.event.type)) await handle(p.event as EventOf<T>, p);
    });
  }

  /**
   * Hands a batch already published elsewhere to this bus's subscribers (the controller link hears
   * local batches and, through the cluster relay, other server instances' batches this way).
   */
  async deliver(batch: readonly Published[]): Promise<void> {
    await Promise.all(
      this.subscriptions.map(async ({ name, handle }) => {
        try {
          await handle(batch);
        } catch (error) {
          this.logger.error(
            { err: { message: (error as Error).message }, subscriber: name, events: batch.length },
            'domain event subscriber failed',
          );
        }
      }),
    );
  }

  /** Publishes the events of one committed write (nothing when there are none). */
  async publish(events: readonly DomainEvent[], origin: Origin): Promise<readonly Published[]> {
    if (events.length === 0) return [];
    const at = this.now();
    const batch = events.map((event) => ({ seq: ++this.seq, at, origin, event }));
    await Promise.all(
      this.subscriptions.map(async ({ name, handle }) => {
        try {
          await handle(batch);
        } catch (error) {
          this.logger.error(
            { err: { message: (error as Error).message }, subscriber: name, events: batch.length },
            'domain event subscriber failed',
          );
        }
      }),
    );
    return batch;
  }
}
