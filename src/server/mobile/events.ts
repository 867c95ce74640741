// The access events of online opens, in the event log like a controller's, under a source of their
// own (`~mobile`, one chain) — numbered by the server, not by a controller's journal.

import type { EventStore, StoredEvent } from '../storage/events.ts';

/** The event log's name for opens decided by the server (no controller id starts with `~`). */
export const MOBILE_EVENT_SOURCE = '~mobile';
const TRIES = 10;

/**
 * Stores one event at the first free number from `first` on and answers that number (undefined:
 * none of TRIES was free). Numbers come from time and a counter; another server instance may have
 * taken one (the same millisecond, the same counter): the store keeps one event per number and
 * says whether this one was new, so the next number is tried.
 */
export async function appendNumbered(
  events: EventStore,
  event: Omit<StoredEvent, 'seq' | 'controllerId'>,
  first: number,
): Promise<number | undefined> {
  for (let seq = first; seq < first + TRIES; seq++)
    if ((await events.append([{ ...event, controllerId: MOBILE_EVENT_SOURCE, seq }])) === 1) return seq;
  return undefined;
}
