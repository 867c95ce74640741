// Events (/api/events): read-only search by person, door, area, type and time, newest pages first
// is not what the API offers (it pages forward in time), so the live list asks for the last hour;
// the push stream invalidates every event list when an event arrives.
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { useLiveRefresh } from '../live.ts';
import { keysFor } from './keys.ts';

export type AccessEvent = components['schemas']['Event'];
export type EventQuery = Omit<NonNullable<paths['/api/events']['get']['parameters']['query']>, 'cursor'>;

export const eventKeys = keysFor('events');

export function useEvents(query: EventQuery, options: { live?: boolean } = {}) {
  const refetchInterval = useLiveRefresh();
  return useInfiniteQuery({
    queryKey: eventKeys.list(query),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/events', {
          params: { query: { limit: 200, ...query, ...(pageParam && { cursor: pageParam }) } },
        }),
      ),
    getNextPageParam: (page) => page.next ?? undefined,
    ...(options.live && { refetchInterval }),
  });
}
