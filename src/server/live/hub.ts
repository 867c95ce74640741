// Live state of the site (issue 9 §2): what each controller last reported about its doors (phase,
// mode and why: fire, lockdown, override, schedule, base) and its site modes (lockdown, threat level,
// active fire zones), and one fan-out of live events — access decisions, door changes, alarms — to the
// push stream's subscribers (live/stream.ts), each filtered by the subscriber's scope. Presence (who
// is inside, where and when last seen) is not held here: it is the presence store's. Alarms come
// from the alarm service, not from the controller's own alarm events (live/alarms.ts).

import type { ControllerEvent, Message } from '../../contracts/messages.ts';
import type { AlarmChange } from '../alarms/types.ts';
import type { AlarmOut } from '../alarms/wire.ts';
import { alarmEvent } from './alarms.ts';

export type DoorStateReport = Extract<Message, { kind: 'door-state' }>;

/** An event as the push stream sends it. */
export interface LiveEvent {
  /** per server process, in order: a client that reconnects says the last one it saw */
  id: number;
  kind: 'access' | 'door' | 'alarm' | 'operator';
  at: number;
  /** null for what no controller reported: an alarm the server raised itself */
  controllerId: string | null;
  door: string | null;
  area: string | null;
  personId: string | null;
  detail: Record<string, unknown>;
}

type Listener = (event: LiveEvent) => void;

// A controller's `alarm` events become alarms (controllers/ingest.ts), which reach the stream as the
// alarm service's changes (alarmChanged): one `alarm` event per change, with the alarm as it is.
const LIVE_TYPES: ReadonlySet<string> = new Set(['access', 'door', 'operator']);
/** Events kept for clients that reconnect with Last-Event-ID. */
const KEEP = 1_000;

export class LiveHub {
  private readonly reports = new Map<string, { report: DoorStateReport; at: number }>();
  private readonly listeners = new Set<Listener>();
  private readonly recent: LiveEvent[] = [];
  private seq = 0;

  /** A controller's door-state message. */
  reported(controllerId: string, report: DoorStateReport, at: number): void {
    this.reports.set(controllerId, { report, at });
  }

  /** What a controller last reported, and when. */
  reportOf(controllerId: string): { report: DoorStateReport; at: number } | undefined {
    return this.reports.get(controllerId);
  }

  /** Newly stored controller events: the live ones go to every subscriber. */
  ingested(controllerId: string, events: readonly ControllerEvent[]): void {
    for (const e of events) {
      if (!LIVE_TYPES.has(e.type)) continue;
      this.publish({
        kind: e.type as LiveEvent['kind'],
        at: e.at,
        controllerId,
        door: e.door ?? null,
        area: e.area ?? null,
        personId: e.person ?? null,
        detail: e.detail,
      });
    }
  }

  /** An alarm raised, repeated, acknowledged, resolved or commented on, here or on another instance. */
  alarmChanged(change: AlarmChange, alarm: AlarmOut, at: number): void {
    this.publish(alarmEvent(change, alarm, at));
  }

  private publish(fields: Omit<LiveEvent, 'id'>): void {
    const event: LiveEvent = { id: ++this.seq, ...fields };
    this.recent.push(event);
    if (this.recent.length > KEEP) this.recent.shift();
    for (const listener of this.listeners) listener(event);
  }

  /** Every live event from now on (and those after `after`, still kept); returns the unsubscribe. */
  subscribe(listener: Listener, after?: number): () => void {
    if (after !== undefined) for (const e of this.recent) if (e.id > after) listener(e);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private readonly streams = new Set<() => void>();

  /** An open stream to end when the server closes; returns the untrack function. */
  track(end: () => void): () => void {
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  /** Ends every open stream (the server is closing). */
  closeAll(): void {
    for (const end of [...this.streams]) end();
    this.streams.clear();
  }
}
