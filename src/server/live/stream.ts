// The push stream (GET /api/live/stream): Server-Sent Events of the live hub's events, filtered by
// the caller's scope — an event naming a person only if that person is in scope, one naming no one
// (a door forced open) only if its door's site is, an alarm as the alarm list would. The events of
// one turn of the event loop go out together, in one write per client; a client
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
    const after: Promise<void> = (chain ?? Promise.resolve()).then(async () => {
      if (await allowed(e)) queue(e);
      if (chain === after) chain = undefined;
    });
    chain = after;
  };
  const header = request.headers['last-event-id'];
  const last = header ? Number(header) : Number.NaN;
  const after = Number.isSafeInteger(last) && last >= 0 ? last : undefined;
  // Not resumable here (another instance's id, an earlier start's, or older than the hub keeps): an
  // event says so, and the client reloads what it shows instead of trusting a silent gap.
  if (after !== undefined && !hub.resumes(after)) res.write('event: resync\ndata: {}\n\n');
  const unsubscribe = hub.subscribe(send, after);
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
