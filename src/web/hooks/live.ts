// How fresh live data stays. The server's push stream (GET /api/live/stream, hooks/live-stream.ts)
// invalidates live queries the moment something changes; while it is not connected (first seconds,
// a dropped connection, a proxy that buffers it) live queries fall back to polling at this interval.
import { useSyncExternalStore } from 'react';
import type { StreamState } from '../lib/live-connection.ts';

export const LIVE_REFRESH_MS = 3_000;

/** connecting: not yet open; live: open and delivering; reconnecting: lost, polling meanwhile. */
export type { StreamState } from '../lib/live-connection.ts';

let state: StreamState = 'connecting';
const listeners = new Set<() => void>();

export function setStreamState(next: StreamState): void {
  if (next === state) return;
  state = next;
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useStreamState(): StreamState {
  return useSyncExternalStore(subscribe, () => state);
}

/**
 * The refetch interval for a live query: none while the push stream is live (or `whileLive`, for
 * what the stream does not carry, such as a controller's link going down), else the poll.
 */
export function useLiveRefresh(whileLive: number | false = false): number | false {
  return useStreamState() === 'live' ? whileLive : LIVE_REFRESH_MS;
}

/** What the stream does not announce (a controller's link, a door-state report) is checked this often. */
export const LINK_REFRESH_MS = 30_000;
