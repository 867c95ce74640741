// Sends the journal's unacknowledged events to the server, oldest first, in signed batches, and
// drops them from the journal only when the server acknowledges them. After an outage the backlog is
// replayed; the server stores each (controller, sequence) once, so resending is always safe.

import type { ControllerEvent } from '../contracts/messages.ts';
import type { Journal } from './journal.ts';
import type { ServerLink } from './server-link.ts';

export class EventUplink {
  /** the connection a batch is being sent on; a send cut off by a reconnect never settles */
  private sendingOn: number | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly link: ServerLink,
    private readonly batchSize = 500,
  ) {}

  /** Call when the server acknowledges (ServerLink `onEventsAck`). */
  acknowledged(upTo: number): void {
    if (upTo > this.journal.acknowledged && upTo < this.journal.next) this.journal.acknowledge(upTo);
  }

  /** Sends one batch of the backlog if connected; returns how many events were sent. */
  async flush(): Promise<number> {
    const connection = this.link.connection;
    if (this.sendingOn === connection || !this.link.connected) return 0;
    this.sendingOn = connection;
    try {
      const events: ControllerEvent[] = [];
      for (const entry of this.journal.unacknowledged()) {
        events.push({
          ...(JSON.parse(new TextDecoder().decode(entry.payload)) as Omit<ControllerEvent, 'seq'>),
          seq: entry.seq,
        });
        if (events.length >= this.batchSize) break;
      }
      if (events.length === 0) return 0;
      await this.link.publish('events', { kind: 'events', events });
      return events.length;
    } catch {
      return 0; // the link dropped mid-send: the next flush resends
    } finally {
      if (this.sendingOn === connection) this.sendingOn = undefined;
    }
  }
}
