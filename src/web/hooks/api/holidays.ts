// Holiday calendars (/api/holidays): named lists of dates that schedules refer to.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type HolidayCalendar = components['schemas']['HolidayCalendar'];
export type HolidayCalendarCreate =
  paths['/api/holidays']['post']['requestBody']['content']['application/json'];
export type HolidayCalendarPatch = NonNullable<
  paths['/api/holidays/{id}']['patch']['requestBody']
>['content']['application/json'];
type ListQuery = NonNullable<paths['/api/holidays']['get']['parameters']['query']>;

export const holidaysKeys = keysFor('holidays');

/** Every record, page after page (site resources are hundreds, not millions). */
export function useHolidayCalendars(query: Omit<ListQuery, 'cursor' | 'limit'> = {}) {
  return useQuery({
    queryKey: holidaysKeys.list(query),
    queryFn: async () => {
      const items: HolidayCalendar[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/holidays', {
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

export function useHolidayCalendar(id: string | undefined) {
  return useQuery({
    queryKey: holidaysKeys.detail(id ?? ''),
    enabled: id !== undefined,
    queryFn: () => unwrap(api.GET('/api/holidays/{id}', { params: { path: { id: id! } } })),
  });
}

export function useCreateHolidayCalendar() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: HolidayCalendarCreate) => unwrap(api.POST('/api/holidays', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: holidaysKeys.lists() }),
  });
}

export function useUpdateHolidayCalendar() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: HolidayCalendarPatch }) =>
      unwrap(api.PATCH('/api/holidays/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: (record) => {
      client.setQueryData(holidaysKeys.detail(record.id), record);
      return client.invalidateQueries({ queryKey: holidaysKeys.lists() });
    },
  });
}

export function useDeleteHolidayCalendar() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const { response } = await api.DELETE('/api/holidays/{id}', { params: { path: { id } } });
      if (!response.ok) await unwrap(Promise.resolve({ response }));
    },
    onSuccess: (_done, id) => {
      client.removeQueries({ queryKey: holidaysKeys.detail(id) });
      return client.invalidateQueries({ queryKey: holidaysKeys.lists() });
    },
  });
}
