// Alarms (/api/alarms): the queue, one alarm with its comments, acknowledge, resolve, comment.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../../api/client.ts';
import type { Alarm, AlarmComment, AlarmState } from '../../api/security-types.ts';
import { LIVE_REFRESH_MS } from '../live.ts';
import { keysFor } from './keys.ts';

export const alarmKeys = keysFor('alarms');

export interface AlarmFilter {
  state?: AlarmState;
  type?: string;
  limit?: number;
}

function query(filter: AlarmFilter): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function useAlarms(filter: AlarmFilter = {}) {
  return useQuery({
    queryKey: alarmKeys.list(filter),
    queryFn: () => call<{ alarms: Alarm[]; nextBefore: number | null }>('GET', `/api/alarms${query(filter)}`),
    refetchInterval: LIVE_REFRESH_MS,
  });
}

export function useActiveAlarms() {
  return useAlarms({ state: 'active', limit: 500 });
}

export function useActiveAlarmCount(): number {
  return useActiveAlarms().data?.alarms.length ?? 0;
}

export function useAlarm(id: string) {
  return useQuery({
    queryKey: alarmKeys.detail(id),
    queryFn: () => call<Alarm & { comments: AlarmComment[] }>('GET', `/api/alarms/${encodeURIComponent(id)}`),
    refetchInterval: LIVE_REFRESH_MS,
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
    ({ id, action, comment }: { id: string; action: 'acknowledge' | 'resolve'; comment?: string }) =>
      call<Alarm>('POST', `/api/alarms/${encodeURIComponent(id)}/${action}`, comment ? { comment } : {}),
  );
}

export function useAlarmComment() {
  return useAlarmMutation(({ id, text }: { id: string; text: string }) =>
    call<AlarmComment>('POST', `/api/alarms/${encodeURIComponent(id)}/comments`, { text }),
  );
}
