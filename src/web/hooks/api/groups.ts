// Groups (/api/groups): people belong to them; they carry access levels.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.ts';
import type { components, paths } from '../../api/schema.gen.ts';
import { keysFor } from './keys.ts';

export type Group = components['schemas']['Group'];
export type GroupCreate = paths['/api/groups']['post']['requestBody']['content']['application/json'];
export type GroupPatch = NonNullable<
  paths['/api/groups/{id}']['patch']['requestBody']
>['content']['application/json'];
type ListQuery = NonNullable<paths['/api/groups']['get']['parameters']['query']>;

export const groupsKeys = keysFor('groups');

/** Every record, page after page (site resources are hundreds, not millions). */
export function useGroups(query: Omit<ListQuery, 'cursor' | 'limit'> = {}) {
  return useQuery({
    queryKey: groupsKeys.list(query),
    queryFn: async () => {
      const items: Group[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/api/groups', { params: { query: { ...query, limit: 1000, ...(cursor && { cursor }) } } }),
        );
        items.push(...page.items);
        cursor = page.next ?? undefined;
      } while (cursor);
      return items;
    },
  });
}

export function useGroup(id: string | undefined) {
  return useQuery({
    queryKey: groupsKeys.detail(id ?? ''),
    enabled: id !== undefined,
    queryFn: () => unwrap(api.GET('/api/groups/{id}', { params: { path: { id: id! } } })),
  });
}

export function useCreateGroup() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: GroupCreate) => unwrap(api.POST('/api/groups', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: groupsKeys.lists() }),
  });
}

export function useUpdateGroup() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: GroupPatch }) =>
      unwrap(api.PATCH('/api/groups/{id}', { params: { path: { id } }, body: patch })),
    onSuccess: (record) => {
      client.setQueryData(groupsKeys.detail(record.id), record);
      return client.invalidateQueries({ queryKey: groupsKeys.lists() });
    },
  });
}

export function useDeleteGroup() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const { response } = await api.DELETE('/api/groups/{id}', { params: { path: { id } } });
      if (!response.ok) await unwrap(Promise.resolve({ response }));
    },
    onSuccess: (_done, id) => {
      client.removeQueries({ queryKey: groupsKeys.detail(id) });
      return client.invalidateQueries({ queryKey: groupsKeys.lists() });
    },
  });
}
