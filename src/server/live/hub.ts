// Live state of the site (issue 9 §2): what each controller last reported about its doors (phase,
// mode and why: fire, lockdown, override, schedule, base) and its site modes (lockdown, threat level,
// active fire zones), and one fan-out of live events — access decisions, door changes, alarms — to the
// push stream's subscribers (live/stream.ts), each filtered by the subscriber's scope. Presence (who
// is inside, where and when last seen) is not held here: it is the presence store's. Alarms come
// from the alarm service, not from the controller's own alarm events (live/alarms.ts); they reach
// other instances by the relay's `alarm` kind, not by the live relay.
//
// In a cluster of server instances (docs/scale-out.md) each hub hands what its own instance heard to
// the live relay (cluster/live-relay.ts), and takes in what the others heard: a stream on any
// instance sees every controller. Event ids start at a random multiple of 2^32 per hub, so an id
// another instance (or an earlier start of this one) gave out is never mistaken for one of ours.

import { randomInt } from 'node:crypto';
import type { ControllerEvent, Message } from '../../contracts/messages.ts';
import type { AlarmChange } from '../alarms/types.ts';
import type { AlarmOut } from '../alarms/wire.ts';
import { alarmEvent } from './alarms.ts';

export type DoorStateReport = Extract<Message, { kind: 'door-state' }>;

/** An event as the push stream sends it. */
export interface LiveEvent {
  /** per hub, in order, from a random multiple of 2^32: a client that reconnects says the last one it saw */
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

/** An event before a hub numbers it: what the live relay carries between instances. */
export type LiveEventBody = Omit<LiveEvent, 'id'>;

/** Where a hub also hands what its own instance heard (the cluster's live relay). */
export interface LiveForward {
  events(events: readonly LiveEventBody[]): void;
  report(controllerId: string, report: DoorStateReport, at: number): void;
}

/** Ids of one hub: above its base, below base + 2^32 (bases are multiples of 2^32 up to 2^53). */
export const LIVE_ID_SPAN = 2 ** 32;

/** A random multiple of 2^32 whose whole span stays a safe integer. */
export function randomIdBase(): number {
  return randomInt(1, 2 ** 21) * LIVE_ID_SPAN;
}

// A controller's `alarm` events become alarms (controllers/ingest.ts), which reach the stream as the
// alarm service's changes (alarmChanged): one `alarm` event per change, with the alarm as it is.
const LIVE_TYPES: ReadonlySet<string> = new Set(['access', 'door', 'operator']);
/** Events kept for clients that reconnect with Last-Event-ID. */
const KEEP = 1_000;

export class LiveHub {
  private readonly reports = new Map<string, { report: DoorStateReport; at: number }>();
  private readonly listeners = new Set<Listener>();
  private readonly recent: LiveEvent[] = [];
  /** ids of this hub are above it */
  readonly idBase: number;
  private seq: number;
  private forward: LiveForward | undefined;

  constructor(options: { idBase?: number } = {}) {
    this.idBase = options.idBase ?? randomIdBase();
    this.seq = this.idBase;
  }

  /** Hands what this instance hears to `forward` too (the live relay); undefined: to no one. */
  forwardTo(forward: LiveForward | undefined): void {
    this.forward = forward;
  }

  /** A controller's door-state message. */
  reported(controllerId: string, report: DoorStateReport, at: number): void {
    this.reports.set(controllerId, { report, at });
    this.forward?.report(controllerId, report, at);
  }

  /** A report another instance heard (relayed): kept unless a later one is held already. */
  reportRelayed(controllerId: string, report: DoorStateReport, at: number): void {
    const held = this.reports.get(controllerId);
    if (held === undefined || held.at <= at) this.reports.set(controllerId, { report, at });
  }

  /** What a controller last reported, and when. */
  reportOf(controllerId: string): { report: DoorStateReport; at: number } | undefined {
    return this.reports.get(controllerId);
  }

  /** Newly stored controller events: the live ones go to every subscriber. */
  ingested(controllerId: string, events: readonly ControllerEvent[]): void {
    const bodies: LiveEventBody[] = [];
    for (const e of events) {
      if (!LIVE_TYPES.has(e.type)) continue;
      bodies.push({
        kind: e.type as LiveEvent['kind'],
        at: e.at,
        controllerId,
        door: e.door ?? null,
        area: e.area ?? null,
        personId: e.person ?? null,
        detail: e.detail,
      });
    }
    if (bodies.length === 0) return;
    this.forward?.events(bodies);
    this.fanOut(bodies);
  }

  /** Events another instance's hub took in (relayed): numbered and sent here, not forwarded again. */
  relayed(events: readonly LiveEventBody[]): void {
    this.fanOut(events);
  }

  private fanOut(bodies: readonly LiveEventBody[]): void {
    for (const body of bodies) {
      const event: LiveEvent = { id: ++this.seq, ...body };
      this.recent.push(event);
      if (this.recent.length > KEEP) this.recent.shift();
      for (const listener of this.listeners) listener(event);
    }
  }

  /**
   * An alarm raised, repeated, acknowledged, resolved or commented on, here or on another instance
   * (each instance hears it from the alarm relay, so it is not forwarded by the live relay).
   */
  alarmChanged(change: AlarmChange, alarm: AlarmOut, at: number): void {
    this.fanOut([alarmEvent(change, alarm, at)]);
  }

  /**
   * Whether a client that last saw `after` can be given every event since: an id this hub gave out
   * (not another instance's, nor an earlier start's) with everything after it still kept.
   */
  resumes(after: number): boolean {
    if (after <= this.idBase || after > this.seq) return false;
    return after >= (this.recent[0]?.id ?? this.seq + 1) - 1;
  }

  /**
   * Every live event from now on, and those after `after` that are still kept — only when `after`
   * is an id of this hub: another instance's id (or an earlier start's) means nothing here, so its
   * client starts fresh; returns the unsubscribe.
   */
  subscribe(listener: Listener, after?: number): () => void {
    for (const e of this.since(after)) listener(e);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The kept events after `after` when it is an id of this hub (as subscribe replays them). */
  since(after: number | undefined): LiveEvent[] {
    if (after === undefined || after <= this.idBase || after > this.seq) return [];
    return this.recent.filter((e) => e.id > after);
  }

  /** The id of the last event this hub numbered (its base before the first). */
  get lastId(): number {
    return this.seq;
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
