// Access levels (/api/access-levels): doors × an optional schedule.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type AccessLevel = components['schemas']['AccessLevel'];
export type AccessLevelCreate =
  paths['/api/access-levels']['post']['requestBody']['content']['application/json'];
export type AccessLevelPatch = NonNullable<
  paths['/api/access-levels/{id}']['patch']['requestBody']
>['content']['application/json'];
type ListQuery = NonNullable<paths['/api/access-levels']['get']['parameters']['query']>;

export const accessLevelsKeys = keysFor('accessLevels');

/** Every record, page after page (site resources are hundreds, not millions). */
export function useAccessLevels(query: Omit<ListQuery, 'cursor' | 'limit'> = {}) {
  return useQuery({
    queryKey: accessLevelsKeys.list(query),
    queryFn: async () => {
      const items: AccessLevel[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/access-levels', {
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

export function useAccessLevel(id: string | undefined) {
  return useQuery({
    queryKey: accessLevelsKeys.detail(id ?? ''),
    enabled: id !== undefined,
    queryFn: () => unwrap(api.GET('/api/access-levels/{id}', { params: { path: { id: id! } } })),
  });
}

export function useCreateAccessLevel() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AccessLevelCreate) => unwrap(api.POST('/api/access-levels', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: accessLevelsKeys.lists() }),
  });
}

export function useUpdateAccessLevel() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: AccessLevelPatch }) =>
      unwrap(api.PATCH('/api/access-levels/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: (record) => {
      client.setQueryData(accessLevelsKeys.detail(record.id), record);
      return client.invalidateQueries({ queryKey: accessLevelsKeys.lists() });
    },
  });
}

export function useDeleteAccessLevel() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const { response } = await api.DELETE('/api/access-levels/{id}', { params: { path: { id } } });
      if (!response.ok) await unwrap(Promise.resolve({ response }));
    },
    onSuccess: (_done, id) => {
      client.removeQueries({ queryKey: accessLevelsKeys.detail(id) });
      return client.invalidateQueries({ queryKey: accessLevelsKeys.lists() });
    },
  });
}
