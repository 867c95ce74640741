// Alarms (/api/alarms): the queue, one alarm with its comments, acknowledge, resolve, comment.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { paths } from '../../api/schema.gen.ts';
import { LIVE_REFRESH_MS, useLiveRefresh } from '../live.ts';

// The push stream carries the alarms controllers raise, not those the server raises itself (login
// failures, clock drift, a controller's link) nor acknowledgements made on another console: the queue
// keeps polling while the stream is live too — it is the one list an operator must never miss.
const ALARM_REFRESH_MS = LIVE_REFRESH_MS;

import { keysFor } from './keys.ts';

export const alarmKeys = keysFor('alarms');

type AlarmQuery = NonNullable<paths['/api/alarms']['get']['parameters']['query']>;
export type AlarmFilter = Omit<AlarmQuery, 'limit' | 'cursor'> & { limit?: number };

export function useAlarms(filter: AlarmFilter = {}) {
  const refetchInterval = useLiveRefresh(ALARM_REFRESH_MS);
  return useQuery({
    queryKey: alarmKeys.list(filter),
    queryFn: () => {
      const { limit, ...rest } = filter;
      return unwrap(
        api.GET('/api/alarms', {
          params: { query: { ...rest, ...(limit !== undefined && { limit }) } },
        }),
      );
    },
    refetchInterval,
  });
}

export function useActiveAlarms() {
  return useAlarms({ state: 'active', limit: 500 });
}

export function useActiveAlarmCount(): number {
  return useActiveAlarms().data?.items.length ?? 0;
}

export function useAlarm(id: string) {
  const refetchInterval = useLiveRefresh(ALARM_REFRESH_MS);
  return useQuery({
    queryKey: alarmKeys.detail(id),
    queryFn: () => unwrap(api.GET('/api/alarms/{id}', { params: { path: { id } } })),
    refetchInterval,
  });
}

function useAlarmMutation<V>(fn: (variables: V) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: alarmKeys.all }),
  });
}

export function useAlarmAction() {
  return useAlarmMutation(
    ({ id, action, comment }: { id: string; action: 'acknowledge' | 'resolve'; comment?: string }) => {
      const options = { params: { path: { id } }, body: comment ? { comment } : {} };
      return unwrap(
        action === 'acknowledge'
          ? api.POST('/api/alarms/{id}/acknowledge', options)
          : api.POST('/api/alarms/{id}/resolve', options),
      );
    },
  );
}

export function useAlarmComment() {
  return useAlarmMutation(({ id, text }: { id: string; text: string }) =>
    unwrap(api.POST('/api/alarms/{id}/comments', { params: { path: { id } }, body: { text } })),
  );
}
