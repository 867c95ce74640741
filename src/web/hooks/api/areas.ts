// Areas (/api/areas): spaces people are in, with their rules.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type Area = components['schemas']['Area'];
export type AreaCreate = paths['/api/areas']['post']['requestBody']['content']['application/json'];
export type AreaPatch = NonNullable<
  paths['/api/areas/{id}']['patch']['requestBody']
>['content']['application/json'];
type ListQuery = NonNullable<paths['/api/areas']['get']['parameters']['query']>;

export const areasKeys = keysFor('areas');

/** Every record, page after page (site resources are hundreds, not millions). */
export function useAreas(query: Omit<ListQuery, 'cursor' | 'limit'> = {}) {
  return useQuery({
    queryKey: areasKeys.list(query),
    queryFn: async () => {
      const items: Area[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/areas', { params: { query: { ...query, limit: 1000, ...(cursor && { cursor }) } } }),
        );
        items.push(...page.items);
        cursor = page.next ?? undefined;
      } while (cursor);
      return items;
    },
  });
}

export function useArea(id: string | undefined) {
  return useQuery({
    queryKey: areasKeys.detail(id ?? ''),
    enabled: id !== undefined,
    queryFn: () => unwrap(api.GET('/api/areas/{id}', { params: { path: { id: id! } } })),
  });
}

export function useCreateArea() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AreaCreate) => unwrap(api.POST('/api/areas', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: areasKeys.lists() }),
  });
}

export function useUpdateArea() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: AreaPatch }) =>
      unwrap(api.PATCH('/api/areas/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: (record) => {
      client.setQueryData(areasKeys.detail(record.id), record);
      return client.invalidateQueries({ queryKey: areasKeys.lists() });
    },
  });
}

export function useDeleteArea() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const { response } = await api.DELETE('/api/areas/{id}', { params: { path: { id } } });
      if (!response.ok) await unwrap(Promise.resolve({ response }));
    },
    onSuccess: (_done, id) => {
      client.removeQueries({ queryKey: areasKeys.detail(id) });
      return client.invalidateQueries({ queryKey: areasKeys.lists() });
    },
  });
}
