// The live stream across server instances (issue 11 §5, docs/scale-out.md): a controller's events
// and door reports reach only the instance that owns it, but an operator's push stream may be open on
// any instance. Each instance's LiveRelay takes what its own hub heard (LiveHub.forwardTo) into an
// outbox and sends it to the others as `live` relay messages; the others' LiveRelays check each
// message against the schema below and hand it to their hub (applyLive).
//
// The outbox is sent one message at a time: while one is being written, what arrives waits and goes
// in the next, so a busy instance sends fewer, fuller messages (up to LIVE_BATCH), and an idle one
// sends an event within one insert. Live events are also stored as controller events, so the stream
// is best effort: an outbox that cannot be sent (the database is away) keeps at most MAX_PENDING
// events, dropping the oldest and saying so in the log, rather than growing without end.

import { z } from 'zod';
import { controllerEventSchema, doorStateSchema } from '../../contracts/messages.ts';
import type { DoorStateReport, LiveEventBody, LiveForward, LiveHub } from '../live/hub.ts';
import type { RelayMessage } from './relay.ts';

/** The most one `live` message carries. */
export const LIVE_BATCH = { events: 500, reports: 20 } as const;
/** Events the outbox holds while it cannot send; beyond, the oldest go. */
export const MAX_PENDING = 20_000;
/** After a message could not be written, the outbox tries again this much later. */
const RETRY_MS = 1_000;

const id = z.string().min(1).max(64);

const liveEventSchema = z.strictObject({
  kind: z.enum(['access', 'door', 'alarm', 'operator']),
  at: z.number().int().nonnegative(),
  controllerId: id,
  door: id.nullable(),
  area: id.nullable(),
  personId: id.nullable(),
  detail: controllerEventSchema.shape.detail,
});

/** The body of a `live` relay message. */
export const liveMessageSchema = z.strictObject({
  v: z.literal(1),
  events: z.array(liveEventSchema).max(LIVE_BATCH.events),
  reports: z
    .array(z.strictObject({ controllerId: id, at: z.number().int().nonnegative(), report: doorStateSchema }))
    .max(LIVE_BATCH.reports),
});

export type LiveMessage = z.infer<typeof liveMessageSchema>;
/** What an outbox sends (the receivers check it as a LiveMessage). */
export type LiveOutgoing = { v: 1; events: LiveEventBody[]; reports: LiveMessage['reports'] };

export interface LiveRelayOptions {
  hub: LiveHub;
  /** writes one `live` message for the other instances */
  publish: (body: LiveOutgoing) => Promise<void>;
  /** a message not sent, events dropped, a message refused: for the log (never a message's content) */
  warn: (details: Record<string, unknown>, message: string) => void;
}

export class LiveRelay implements LiveForward {
  private pending: LiveEventBody[] = [];
  /** controller → its latest report not yet sent (a later one replaces it) */
  private readonly reports = new Map<string, { report: DoorStateReport; at: number }>();
  private sending: Promise<void> | undefined;
  private dropped = 0;
  private stopped = false;

  constructor(private readonly options: LiveRelayOptions) {}

  /** From now on, what the hub hears goes to the others too. */
  start(): void {
    this.options.hub.forwardTo(this);
  }

  /** Stops taking from the hub and sends what is still in the outbox. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.options.hub.forwardTo(undefined);
    await this.idle();
  }

  /** Resolves when the outbox is empty (tests, the bench). */
  async idle(): Promise<void> {
    while (this.sending) await this.sending;
  }

  events(events: readonly LiveEventBody[]): void {
    this.pending.push(...events);
    const over = this.pending.length - MAX_PENDING;
    if (over > 0) {
      this.pending.splice(0, over);
      this.dropped += over;
    }
    this.send();
  }

  report(controllerId: string, report: DoorStateReport, at: number): void {
    this.reports.delete(controllerId);
    this.reports.set(controllerId, { report, at });
    this.send();
  }

  /** A `live` message from another instance: checked, then into the hub; a malformed one changes nothing. */
  applyLive(message: RelayMessage): void {
    const parsed = liveMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      // Where and what kind of problem, never the values (they could be anything).
      const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.code}`);
      this.options.warn(
        { relayMessage: message.id, origin: message.origin, problems },
        'live relay message refused: it does not match the schema',
      );
      return;
    }
    const { events, reports } = parsed.data;
    if (events.length > 0) this.options.hub.relayed(events);
    for (const r of reports) this.options.hub.reportRelayed(r.controllerId, r.report, r.at);
  }

  private send(): void {
    if (this.sending) return;
    // After this turn: every batch the ingest hands over in it goes in the same message.
    this.sending = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.sending = undefined;
        // Handed over between the last look and now.
        if (!this.stopped && (this.pending.length > 0 || this.reports.size > 0)) this.send();
      });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 || this.reports.size > 0) {
      if (this.dropped > 0) {
        this.options.warn({ dropped: this.dropped }, 'live relay behind: oldest live events not relayed');
        this.dropped = 0;
      }
      const events = this.pending.splice(0, LIVE_BATCH.events);
      const reports: LiveMessage['reports'] = [];
      for (const [controllerId, r] of this.reports) {
        if (reports.length === LIVE_BATCH.reports) break;
        reports.push({ controllerId, at: r.at, report: r.report });
        this.reports.delete(controllerId);
      }
      try {
        await this.options.publish({ v: 1, events, reports });
      } catch (error) {
        // Not sent: back in front of what came meanwhile, unless a later report replaced it.
        this.pending.unshift(...events);
        for (const r of reports)
          if (!this.reports.has(r.controllerId))
            this.reports.set(r.controllerId, { report: r.report, at: r.at });
        this.options.warn({ err: { message: (error as Error).message } }, 'live relay message not sent');
        if (this.stopped) return;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }
}
