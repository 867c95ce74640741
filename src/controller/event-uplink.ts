// Sends the journal's unacknowledged events to the server, oldest first, in signed batches, and
// drops them from the journal only when the server acknowledges them. After an outage the backlog is
// replayed; the server stores each (controller, sequence) once, so resending is always safe.
//
// One batch is in flight per connection: it runs from the first unacknowledged event, so an
// acknowledgement up to its last sequence covers exactly what the server stored, whatever happened
// to earlier batches. Events journaled meanwhile wait for that acknowledgement and then go together
// — batches grow with the load instead of each event resending the whole backlog. A batch with no
// acknowledgement within `ackTimeoutMs` is sent again.

import type { ControllerEvent } from '../contracts/messages.ts';
import type { Journal } from './journal.ts';
import type { ServerLink } from './server-link.ts';

export class EventUplink {
  /** the batch in flight: its connection and the last sequence it carries */
  private inFlight: { connection: number; upTo: number; timer: ReturnType<typeof setTimeout> } | undefined;
  /** a send is being prepared or published (not yet in flight) on this connection */
  private sendingOn: number | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly link: ServerLink,
    private readonly batchSize = 500,
    private readonly ackTimeoutMs = 5_000,
  ) {}

  /** Call when the server acknowledges (ServerLink `onEventsAck`); then flush() sends what waits. */
  acknowledged(upTo: number): void {
    if (upTo > this.journal.acknowledged && upTo < this.journal.next) this.journal.acknowledge(upTo);
    if (this.inFlight && upTo >= this.inFlight.upTo) this.settle();
  }

  /** Sends one batch of the backlog if connected and none is in flight; returns how many were sent. */
  async flush(): Promise<number> {
    const connection = this.link.connection;
    if (!this.link.connected || this.sendingOn === connection) return 0;
    if (this.inFlight?.connection === connection) return 0;
    this.settle(); // a batch of an earlier connection: its acknowledgement will not come
    this.sendingOn = connection;
    let again = false;
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
      const upTo = events.at(-1)!.seq;
      // The acknowledgement may come before the publish settles: then the next batch can go now.
      if (this.journal.acknowledged >= upTo) again = true;
      else if (this.link.connection === connection) {
        const timer = setTimeout(() => {
          this.settle();
          void this.flush();
        }, this.ackTimeoutMs);
        timer.unref();
        this.inFlight = { connection, upTo, timer };
      }
      return events.length;
    } catch {
      return 0; // the link dropped mid-send: the next flush resends
    } finally {
      if (this.sendingOn === connection) this.sendingOn = undefined;
      if (again) void this.flush();
    }
  }

  /** Stops waiting for the batch in flight (its timer too). */
  stop(): void {
    this.settle();
  }

  private settle(): void {
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
  }
}
