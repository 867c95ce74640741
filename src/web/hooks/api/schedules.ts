// Schedules (/api/schedules): weekly intervals, a time zone and holiday calendars.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type Schedule = components['schemas']['Schedule'];
export type ScheduleCreate = paths['/api/schedules']['post']['requestBody']['content']['application/json'];
export type SchedulePatch = NonNullable<
  paths['/api/schedules/{id}']['patch']['requestBody']
>['content']['application/json'];
type ListQuery = NonNullable<paths['/api/schedules']['get']['parameters']['query']>;

export const schedulesKeys = keysFor('schedules');

/** Every record, page after page (site resources are hundreds, not millions). */
export function useSchedules(query: Omit<ListQuery, 'cursor' | 'limit'> = {}) {
  return useQuery({
    queryKey: schedulesKeys.list(query),
    queryFn: async () => {
      const items: Schedule[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/schedules', {
            params: { query: { ...query, limit: 1000, ...(cursor && { cursor }) } },
          }),
        );
        items.push(...page.items);
        cursor = page.next ?? undefined;
      } while (cursor);
      return items;
    },
  });
}

export function useSchedule(id: string | undefined) {
  return useQuery({
    queryKey: schedulesKeys.detail(id ?? ''),
    enabled: id !== undefined,
    queryFn: () => unwrap(api.GET('/api/schedules/{id}', { params: { path: { id: id! } } })),
  });
}

export function useCreateSchedule() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ScheduleCreate) => unwrap(api.POST('/api/schedules', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: schedulesKeys.lists() }),
  });
}

export function useUpdateSchedule() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: SchedulePatch }) =>
      unwrap(api.PATCH('/api/schedules/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: (record) => {
      client.setQueryData(schedulesKeys.detail(record.id), record);
      return client.invalidateQueries({ queryKey: schedulesKeys.lists() });
    },
  });
}

export function useDeleteSchedule() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const { response } = await api.DELETE('/api/schedules/{id}', { params: { path: { id } } });
      if (!response.ok) await unwrap(Promise.resolve({ response }));
    },
    onSuccess: (_done, id) => {
      client.removeQueries({ queryKey: schedulesKeys.detail(id) });
      return client.invalidateQueries({ queryKey: schedulesKeys.lists() });
    },
  });
}
