// Doors (/api/doors): join two areas, with mode, timings and door rules.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type Door = components['schemas']['Door'];
export type DoorCreate = paths['/api/doors']['post']['requestBody']['content']['application/json'];
export type DoorPatch = NonNullable<
  paths['/api/doors/{id}']['patch']['requestBody']
>['content']['application/json'];
type ListQuery = NonNullable<paths['/api/doors']['get']['parameters']['query']>;

export const doorsKeys = keysFor('doors');

/** Every record, page after page (site resources are hundreds, not millions). */
export function useDoors(query: Omit<ListQuery, 'cursor' | 'limit'> = {}) {
  return useQuery({
    queryKey: doorsKeys.list(query),
    queryFn: async () => {
      const items: Door[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/doors', { params: { query: { ...query, limit: 1000, ...(cursor && { cursor }) } } }),
        );
        items.push(...page.items);
        cursor = page.next ?? undefined;
      } while (cursor);
      return items;
    },
  });
}

export function useDoor(id: string | undefined) {
  return useQuery({
    queryKey: doorsKeys.detail(id ?? ''),
    enabled: id !== undefined,
    queryFn: () => unwrap(api.GET('/api/doors/{id}', { params: { path: { id: id! } } })),
  });
}

export function useCreateDoor() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: DoorCreate) => unwrap(api.POST('/api/doors', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: doorsKeys.lists() }),
  });
}

export function useUpdateDoor() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: DoorPatch }) =>
      unwrap(api.PATCH('/api/doors/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: (record) => {
      client.setQueryData(doorsKeys.detail(record.id), record);
      return client.invalidateQueries({ queryKey: doorsKeys.lists() });
    },
  });
}

export function useDeleteDoor() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const { response } = await api.DELETE('/api/doors/{id}', { params: { path: { id } } });
      if (!response.ok) await unwrap(Promise.resolve({ response }));
    },
    onSuccess: (_done, id) => {
      client.removeQueries({ queryKey: doorsKeys.detail(id) });
      return client.invalidateQueries({ queryKey: doorsKeys.lists() });
    },
  });
}
