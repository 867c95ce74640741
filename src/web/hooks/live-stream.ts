// One push-stream connection per signed-in console (GET /api/live/stream, Server-Sent Events of
// access decisions, door changes, alarms and operator actions, already filtered by the operator's
// scope). Each event invalidates the cached queries it can change — floor tiles, the event list, the
// alarm queue, muster and occupancy — so they refetch within a moment instead of polling.
//
// Reconnecting (lib/live-connection.ts): a dropped connection is first retried by the browser itself,
// which sends Last-Event-ID so the server replays what was missed. If that fails too (or the server
// answered an error, which ends an EventSource), the connection is reopened with a growing delay
// (1 s … 30 s); whenever it opens again after a loss every live query is refetched, as events may
// have been missed beyond what the server keeps. While not connected, live queries poll (hooks/live.ts).
import { type QueryClient, type QueryKey, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { connectLive, type EventSourceLike } from '../lib/live-connection.ts';
import { alarmKeys } from './api/alarms.ts';
import { eventKeys } from './api/events.ts';
import { keyKeys } from './api/keys-guests.ts';
import { liveKeys } from './api/live.ts';
import { musterKey } from './api/reports.ts';
import { setStreamState } from './live.ts';

export const STREAM_URL = '/api/live/stream';
export const LIVE_KINDS = ['access', 'door', 'alarm', 'operator'] as const;
export type LiveKind = (typeof LIVE_KINDS)[number];

/** What each kind of event can change in the console. */
export const AFFECTS: Record<LiveKind, readonly QueryKey[]> = {
  // a key's uses and use count too
  access: [eventKeys.all, musterKey, liveKeys.occupancy, liveKeys.muster, liveKeys.doors, keyKeys.all],
  door: [eventKeys.all, liveKeys.doors],
  alarm: [eventKeys.all, alarmKeys.all, liveKeys.doors],
  // overrides, lockdown, threat level, fire, area resets
  operator: [
    eventKeys.all,
    liveKeys.doors,
    liveKeys.controllers,
    musterKey,
    liveKeys.occupancy,
    liveKeys.muster,
  ],
};
const EVERYTHING_LIVE = [...new Set(Object.values(AFFECTS).flat())];

/**
 * A controller reports its doors' state (phase, mode, override) apart from its events — with each
 * door, operator or alarm event and with its heartbeat — so the two may cross: door state is asked
 * for again a moment after the event, and once more after a heartbeat (5 s by default).
 */
const SETTLE_MS = [1_200, 6_000];
const BATCH_MS = 100;

/** Collects keys for a short moment so a burst of events costs one refetch per query. */
function invalidator(client: QueryClient) {
  const pending = new Map<string, QueryKey>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (fn: () => void, ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const flush = () => {
    const keys = [...pending.values()];
    pending.clear();
    for (const queryKey of keys) void client.invalidateQueries({ queryKey });
  };
  return {
    add(keys: readonly QueryKey[], settle: boolean) {
      const first = pending.size === 0;
      for (const k of keys) pending.set(JSON.stringify(k), k);
      if (first) later(flush, BATCH_MS);
      if (settle)
        for (const ms of SETTLE_MS)
          later(() => {
            void client.invalidateQueries({ queryKey: liveKeys.doors });
            void client.invalidateQueries({ queryKey: liveKeys.controllers });
          }, ms);
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

export function useLiveStream(): void {
  const client = useQueryClient();
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const invalidate = invalidator(client);
    const close = connectLive({
      open: () => new EventSource(STREAM_URL, { withCredentials: true }) as unknown as EventSourceLike,
      kinds: LIVE_KINDS,
      onEvent: (kind) => invalidate.add(AFFECTS[kind as LiveKind], kind !== 'access'),
      onState: setStreamState,
      onResync: () => invalidate.add(EVERYTHING_LIVE, true),
    });
    return () => {
      close();
      invalidate.stop();
      setStreamState('connecting');
    };
  }, [client]);
}
