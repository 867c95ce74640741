// The push stream (GET /api/live/stream): Server-Sent Events of the live hub's events, filtered by
// the caller's scope — an event naming a person only if that person is in scope, one naming no one
// (a door forced open) only if its door's site is, an alarm as the alarm list would. The events of
// one turn of the event loop go out together, in one write per client — for the clients that see
// every event (scope 'all'), the same bytes to each, made once (Broadcast); a client
// that reconnects with Last-Event-ID gets the events it missed that the hub still keeps, or a
// `resync` event when it cannot have them all.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { SiteTopology } from '../operations/topology.ts';
import type { Executor } from '../storage/db.ts';
import { type ScopeFilter, scopeAllows } from '../storage/scope.ts';
import { alarmEventVisible } from './alarms.ts';
import type { LiveEvent, LiveHub } from './hub.ts';

const KEEPALIVE_MS = 15_000;

/** Each event's frame, made once whatever the number of clients (events are never changed). */
const frames = new WeakMap<LiveEvent, string>();

export function frameOf(e: LiveEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    const { id, kind, ...rest } = e;
    frame = `id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify({ id, kind, ...rest, at: new Date(e.at).toISOString() })}\n\n`;
    frames.set(e, frame);
  }
  return frame;
}

/** Where a stream's bytes go: the HTTP response. */
export interface StreamSink {
  write(chunk: string | Buffer): unknown;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

/**
 * The clients of one hub that see every event (scope 'all'): one subscription to the hub for all of
 * them, and the frames of one turn joined and encoded once, the same bytes written to each. Each
 * client joining and encoding a copy of its own, through a listener of its own, was a large part of
 * the server's event loop with 50 clients at 1,000 events/s (docs/latency.md).
 */
export class Broadcast {
  /** each client, and the id of the last event it was given (or was before its time) */
  private readonly clients = new Map<StreamSink, { seen: number }>();
  private pending: LiveEvent[] = [];
  private scheduled = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly hub: LiveHub) {}

  /**
   * A client: at once what it missed after `after` (when this hub can resume it), then every event
   * from now on, in order and once each; returns its removal.
   */
  join(sink: StreamSink, after: number | undefined): () => void {
    const missed = this.hub.since(after);
    if (missed.length > 0) sink.write(missed.map(frameOf).join(''));
    // Events numbered already, even those of this turn not yet flushed, are in `missed` or were
    // before the client's time: the next flush skips them for it.
    this.clients.set(sink, { seen: this.hub.lastId });
    this.unsubscribe ??= this.hub.subscribe((e) => {
      this.pending.push(e);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
    return () => {
      this.clients.delete(sink);
      if (this.clients.size === 0) {
        this.unsubscribe?.();
        this.unsubscribe = undefined;
      }
    };
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const first = batch[0]!.id;
    const last = batch.at(-1)!.id;
    let whole: Buffer | undefined;
    for (const [sink, client] of this.clients) {
      const seen = client.seen;
      if (seen >= last) continue;
      client.seen = last;
      if (sink.writableEnded || sink.destroyed) continue;
      if (seen < first) {
        whole ??= Buffer.from(batch.map(frameOf).join(''));
        sink.write(whole);
      } else
        sink.write(
          batch
            .filter((e) => e.id > seen)
            .map(frameOf)
            .join(''),
        );
    }
  }
}

const broadcasts = new WeakMap<LiveHub, Broadcast>();

function broadcastOf(hub: LiveHub): Broadcast {
  let broadcast = broadcasts.get(hub);
  if (broadcast === undefined) {
    broadcast = new Broadcast(hub);
    broadcasts.set(hub, broadcast);
  }
  return broadcast;
}

export async function openStream(options: {
  request: FastifyRequest;
  reply: FastifyReply;
  scope: ScopeFilter;
  db: Executor;
  hub: LiveHub;
  defaultSite: string;
}): Promise<void> {
  const { request, reply, scope, db, hub } = options;
  const scoped = scope !== 'all';
  const topology = scoped ? await SiteTopology.load(db, options.defaultSite) : undefined;
  const people = new Map<string, boolean>();
  const allowed = async (e: LiveEvent): Promise<boolean> => {
    if (!scoped) return true;
    if (e.kind === 'alarm') return alarmEventVisible(scope, e);
    if (e.personId !== null) {
      let ok = people.get(e.personId);
      if (ok === undefined) {
        const row = await db
          .selectFrom('people')
          .select(['department', 'site'])
          .where('id', '=', e.personId)
          .executeTakeFirst();
        ok = row !== undefined && scopeAllows(scope, row);
        people.set(e.personId, ok);
      }
      return ok;
    }
    if (scope.sites.length === 0) return true;
    return e.door !== null && scope.sites.includes(topology!.siteOfDoor(e.door));
  };
  /** The same without waiting, when that needs no read: undefined when a person must be read first. */
  const allowedNow = (e: LiveEvent): boolean | undefined => {
    if (!scoped) return true;
    if (e.kind !== 'alarm' && e.personId !== null) return people.get(e.personId);
    if (e.kind === 'alarm') return alarmEventVisible(scope, e);
    if (scope.sites.length === 0) return true;
    return e.door !== null && scope.sites.includes(topology!.siteOfDoor(e.door));
  };

  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': monban live stream\n\n');
  const header = request.headers['last-event-id'];
  const last = header ? Number(header) : Number.NaN;
  const after = Number.isSafeInteger(last) && last >= 0 ? last : undefined;
  // Not resumable here (another instance's id, an earlier start's, or older than the hub keeps): an
  // event says so, and the client reloads what it shows instead of trusting a silent gap.
  if (after !== undefined && !hub.resumes(after)) res.write('event: resync\ndata: {}\n\n');
  const unsubscribe = scoped ? subscribeScoped() : broadcastOf(hub).join(res, after);

  function subscribeScoped(): () => void {
    // Frames of one turn go out in one write (50 clients at 1,000 events/s would otherwise be 50,000
    // writes a second), each frame serialized once for every client (frameOf).
    let pending: string[] = [];
    let flushing = false;
    const flush = () => {
      flushing = false;
      const batch = pending;
      pending = [];
      if (batch.length > 0 && !res.writableEnded && !res.destroyed) res.write(batch.join(''));
    };
    const queue = (e: LiveEvent) => {
      pending.push(frameOf(e));
      if (!flushing) {
        flushing = true;
        setImmediate(flush);
      }
    };
    // In order, even when a scope check has to read a person first: while one is being read, what
    // follows waits behind it; otherwise an event is queued at once (no promise per event and client).
    let chain: Promise<void> | undefined;
    const send = (e: LiveEvent) => {
      if (chain === undefined) {
        const ok = allowedNow(e);
        if (ok === true) return queue(e);
        if (ok === false) return;
      }
      const next: Promise<void> = (chain ?? Promise.resolve()).then(async () => {
        if (await allowed(e)) queue(e);
        if (chain === next) chain = undefined;
      });
      chain = next;
    };
    return hub.subscribe(send, after);
  }
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  const untrack = hub.track(() => res.end());
  const close = () => {
    unsubscribe();
    untrack();
    clearInterval(keepalive);
  };
  request.raw.once('close', close);
  res.once('close', close);
}
